"""Every option the command accepts does something, and says truthfully what it takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrograph.cli import main
from metrograph.cli.app import build_parser


def _subparsers() -> dict[str, object]:
    parser = build_parser()
    [action] = [a for a in parser._actions if a.dest == "command"]
    return dict(action.choices)  # type: ignore[arg-type]


def test_every_output_option_names_what_it_writes() -> None:
    expected = {"info": "FILE", "validate": "FILE", "query": "FILE", "export": "FILE|DIR",
                "publish": "DIR", "import": "FILE", "report": "FILE|DIR"}
    seen = {}
    for name, sub in _subparsers().items():
        for action in sub._actions:  # type: ignore[attr-defined]
            if "-o" in action.option_strings:
                seen[name] = action.metavar
    assert seen == expected


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from metrograph import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"metrograph {__version__}"


def test_info_writes_to_output_and_speaks_json(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "info.json"
    assert main(["info", "--format", "json", "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    info = json.loads(out.read_text(encoding="utf-8"))
    assert info["counts"]["deliverables"] == 65
    [plan] = info["plans"]
    assert (plan["cycle"], plan["guidelines"], plan["measures"]) == ("2018-2020", 3, 27)
    assert main(["info", "-o", str(tmp_path / "info.txt"), "--quiet"]) == 0
    assert "plan 2018-2020" in (tmp_path / "info.txt").read_text(encoding="utf-8")


def test_queries_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queries", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    by_name = {q["name"]: q for q in listing}
    assert "plans" in by_name and by_name["plans"]["question"]
    assert {"name", "type", "required", "description"} <= set(
        by_name["sdg-contributions"]["parameters"][0])


def test_commands_without_output_refuse_it(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["queries", "-o", "x"], ["push", "-o", "x"], ["template", "d", "-o", "x"]):
        assert main(args) == 2, args
    capsys.readouterr()


# ----------------------------------------------------------------- outputs that are not files


def _cli(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "metrograph", *args], capture_output=True,
                          text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def _one_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("metrograph"), err
    assert "Traceback" not in err
    return lines[0]


def test_output_into_a_device_or_a_fifo_writes_into_it(tmp_path: Path) -> None:
    """-o onto a device node or a named pipe writes into it: the node stays what it was (an
    atomic rename over it would replace /dev/null by a regular file, as root)."""
    import os
    import stat
    import threading

    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    assert _cli("export", "--format", "nt", "-o", str(device))[0] == 0
    assert stat.S_ISCHR(device.stat().st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert _cli("query", "plans", "--format", "csv", "-o", str(fifo))[0] == 0
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and got[0].startswith(b"plan,cycle")
    code, _, err = _cli("query", "plans", "--format", "csv", "-o", "/dev/full")
    assert code == 2 and "/dev/full" in _one_error(err)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_full_standard_output_is_one_line_exit_2() -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "metrograph", "info"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert "No space left" in _one_error(done.stderr)


@pytest.mark.parametrize("args", [("query", "plans"), ("export", "--format", "nt"),
                                  ("queries",), ("--help",)])
def test_a_closed_standard_output_is_one_line_exit_2(args: tuple[str, ...],
                                                     tmp_path: Path) -> None:
    """Standard output closed (``>&-``): one line, exit 2, before anything is read or
    written; standard error closed: the exit code still says what happened."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "metrograph", *args]
    done = subprocess.run(command, preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert "standard output is closed" in _one_error(done.stderr)
    done = subprocess.run([sys.executable, "-m", "metrograph", "query", "nosuch"],
                          preexec_fn=lambda: os.close(2), stdout=subprocess.PIPE, timeout=120)
    assert done.returncode == 2 and done.stdout == b""


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    """-o naming an input, a folder holding an input, or a file inside an input folder:
    refused with exit 2 before anything is read or written; every input byte-identical."""
    from .conftest import MULTICYCLE

    data = tmp_path / "plan.ttl"
    data.write_bytes(Path(MULTICYCLE[0]).read_bytes())
    link = tmp_path / "link.ttl"
    link.symlink_to(data)
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    inside = folder / "in.ttl"
    inside.write_bytes(data.read_bytes())
    plan = tmp_path / "plan-folder"
    assert _cli("export", "--format", "csv", "--plan", "2018-2020", "-o", str(plan))[0] == 0
    before = {p: p.read_bytes() for p in (data, query, inside, *plan.iterdir())}
    cases = [
        ("validate", "--data", str(data), "-o", str(data)),
        ("validate", str(data), "-o", str(link)),
        ("info", "--data", str(data), "-o", str(tmp_path / "." / "plan.ttl")),
        ("query", "plans", "--data", str(data), "--format", "csv", "-o", str(data)),
        ("query", "--file", str(query), "-o", str(query)),
        ("report", "--data", str(data), "-o", str(data)),
        ("export", "--data", str(inside), "--format", "nt", "-o", str(inside)),
        ("export", "--data", str(inside), "--format", "csv", "--plan", "2018-2020", "--force",
         "-o", str(folder)),
        ("publish", "--data", str(inside), "--force", "-o", str(folder)),
        ("publish", "--data", str(inside), "--site", str(folder)),
        ("import", str(plan), "--format", "ttl", "-o", str(plan / "deliverables.csv")),
    ]
    for args in cases:
        code, _, err = _cli(*args)
        assert code == 2, (args, err)
        assert "would overwrite an input" in _one_error(err), err
    assert {p: p.read_bytes() for p in before} == before


def test_an_output_into_the_store_directory_of_the_environment_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """METROGRAPH_STORE_DIR names an input as --store-dir does: -o onto its manifest (or into
    the folder) is refused and the store still opens; --endpoint takes precedence over it."""
    store = tmp_path / "net"
    data = tmp_path / "one.nt"
    data.write_text('<https://example.org/a> <https://example.org/b> "c" .\n', encoding="utf-8")
    assert main(["add", "--store-dir", str(store), str(data), "-q"]) == 0
    manifest = (store / "manifest.json").read_bytes()
    monkeypatch.setenv("METROGRAPH_STORE_DIR", str(store))
    capsys.readouterr()
    for args in (["info", "-o", str(store / "manifest.json")],
                 ["validate", "-o", str(store / "validation.json")],
                 ["query", "plans", "--format", "csv", "-o", str(store)]):
        assert main(args) == 2, args
        assert "would overwrite an input" in _one_error(capsys.readouterr().err)
    assert (store / "manifest.json").read_bytes() == manifest
    assert main(["query", "plans", "--format", "csv", "-o", str(tmp_path / "plans.csv")]) == 0
    assert (tmp_path / "plans.csv").read_text(encoding="utf-8").startswith("plan,cycle")


def test_export_writes_the_format_its_output_suffix_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """export -o FILE without --format writes what the suffix names (as import reads it): each
    file reads back; RDF/XML and an unknown suffix are refused before anything is written."""
    import metrograph

    for name in ("kg.nt", "kg.jsonld", "kg.trig", "kg.nq"):
        assert main(["export", "-q", "-o", str(tmp_path / name)]) == 0, name
        assert len(metrograph.load(tmp_path / name, bundled_data=False)) > 2000, name
    for name, needle in (("kg.rdf", "RDF/XML is read, not written"),
                         ("kg.txt", "cannot tell the RDF format")):
        assert main(["export", "-q", "-o", str(tmp_path / name)]) == 2
        assert needle in _one_error(capsys.readouterr().err)
        assert not (tmp_path / name).exists()
    # the options of the CSV folder are not silently dropped for an RDF file
    capsys.readouterr()
    for option, name in ((["--plan", "2018-2020"], "kg.ttl"), (["--force"], "kg.trig")):
        assert main(["export", *option, "-q", "-o", str(tmp_path / name)]) == 2
        assert "goes with --format csv" in _one_error(capsys.readouterr().err)
    assert not (tmp_path / "kg.ttl").exists()


@pytest.mark.parametrize("args", [
    ("query", "plans", "--limit", "99999999999999999999999"),
    ("query", "plans", "--offset", "99999999999999999999999", "--limit", "1"),
])
def test_huge_row_counts_are_numbers_like_any_other(args: tuple[str, ...],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("plan,cycle")


@pytest.mark.parametrize("args", [
    ("query", "plans", "--endpoint", "http://[::1"),
    ("query", "plans", "--endpoint", "http://256.1.1.1/sparql"),
    ("query", "plans", "--endpoint", "ftp://example.org/sparql"),
    ("push", "--graph-store", "http://[::1"),
    ("push", "--graph-store", "http://127.0.0.1:9/store", "--graph", "not an iri"),
    ("publish", "-o", "unused", "--base-url", "not a url"),
    ("publish", "-o", "unused", "--sparql-endpoint", "ftp://x y"),
    ("status", "set", "L1M3D2", "finished", "--as-of", "2020-12-31", "--source",
     "https://example.org/r", "--file", "unused.ttl"),
    ("status", "set", "L1M3D2", "done", "--as-of", "2020-12-31", "--source", "a b",
     "--file", "unused.ttl"),
])
def test_malformed_urls_iris_and_statuses_are_usage_errors(
        args: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(list(args)) == 2
    _one_error(capsys.readouterr().err)
    assert not list(tmp_path.iterdir())  # nothing written


def test_ill_formed_shapes_are_an_input_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount "abc" ] .
""", encoding="utf-8")
    assert main(["validate", "--shapes", str(shapes)]) == 2
    assert "shacl#minCount> \"abc\", not a whole number" in _one_error(capsys.readouterr().err)


def test_an_html_report_replaces_only_what_a_report_wrote(tmp_path: Path) -> None:
    """A folder holding the user's own index.html: refused (exit 2, the file intact); again
    with --force: replaced; a second report into a report folder needs nothing; other files
    of the folder are never touched. A report that fails leaves no folder behind."""
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<h1>my own homepage</h1>", encoding="utf-8")
    (web / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = _cli("report", "--format", "html", "-o", str(web))
    assert code == 2 and "index.html" in _one_error(err)
    assert (web / "index.html").read_text(encoding="utf-8") == "<h1>my own homepage</h1>"
    assert sorted(p.name for p in web.iterdir()) == ["index.html", "notes.txt"]
    assert _cli("report", "--format", "html", "-o", str(web), "--force")[0] == 0
    assert "my own homepage" not in (web / "index.html").read_text(encoding="utf-8")
    assert _cli("report", "--format", "html", "-o", str(web))[0] == 0
    assert (web / "notes.txt").read_text(encoding="utf-8") == "mine"
    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix mgs: <https://w3id.org/metrograph/vocab/status/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/a1> a mg:StatusAssessment ; mg:status mgs:cancelled ;
    mg:assessedItem <https://w3id.org/metrograph/id/metropolis/plan/2018-2020/L1M1D1> ;
    mg:asOf "2020-01-01"^^xsd:date .
""", encoding="utf-8")
    code, _, err = _cli("report", "--format", "html", "--data", str(bad), "-o",
                        str(tmp_path / "new"))
    assert code == 2 and ("mgs:" in err or "status" in err)
    assert not (tmp_path / "new").exists()


def test_publish_checks_both_targets_before_writing_either(tmp_path: Path) -> None:
    """publish -o DIR --site SITE where DIR is a folder that is not a release: refused before
    the site is written (it used to write the site, then refuse the release)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("mine", encoding="utf-8")
    site = tmp_path / "site"
    code, _, err = _cli("publish", "-o", str(notes), "--site", str(site))
    assert code == 2 and "notes" in _one_error(err)
    assert not site.exists()
    assert [p.name for p in notes.iterdir()] == ["mine.txt"]


@pytest.mark.parametrize(("text", "expected"), [
    ("PREFIX ex: <http://e.org/>\nSELECT ?s WHERE {\n ?s ?p \n ?  }\n", "not a valid SPARQL"),
    ("", "holds no query"),
    ("# only a comment\n", "holds no query"),
    ('SELECT ?s WHERE { ?s ?p "1"^^xsd:integer }\n', "does not declare"),
])
def test_an_error_in_a_query_file_names_the_file(text: str, expected: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.rq"
    path.write_text(text, encoding="utf-8")
    assert main(["query", "--file", str(path)]) == 2
    line = _one_error(capsys.readouterr().err)
    assert str(path) in line and expected in line and len(line) < 400, line


def test_an_undeclared_parameter_of_a_query_file_says_how_to_declare_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "my.rq"
    path.write_text("SELECT ?s WHERE { ?s ?p ?code }\n", encoding="utf-8")
    assert main(["query", "--file", str(path), "--param", "code=L1M3D2"]) == 2
    line = _one_error(capsys.readouterr().err)
    assert str(path) in line and "# Parameters:" in line
    path.write_text("# Parameters:\n#   code (string, optional): a code\n"
                    "SELECT ?s WHERE { ?s ?p ?code }\n", encoding="utf-8")
    assert main(["query", "--file", str(path), "--param", "code=L1M3D2"]) == 0


def test_a_parameter_given_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The last value used to win silently (and the first was lost: 0 rows)."""
    assert main(["query", "plans", "--param", "organisation=mgo:metropolis", "--param",
                 "organisation=mgo:x"]) == 2
    assert "given twice" in _one_error(capsys.readouterr().err)


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_byte_order_mark_is_not_part_of_the_text(store: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Files saved by editors that write a UTF-8 byte order mark: Turtle, N-Triples and a
    query file read as without it, on every store and in a store directory."""
    import metrograph

    bom = b"\xef\xbb\xbf"
    texts = {"a.nt": b'<http://e.org/a> <http://e.org/p> "x" .\n',
             "a.ttl": b'@prefix ex: <http://e.org/> .\nex:a ex:p "x" .\n'}
    for name, text in texts.items():
        plain, marked = tmp_path / f"plain-{name}", tmp_path / f"marked-{name}"
        plain.write_bytes(text)
        marked.write_bytes(bom + text)
        both = metrograph.load(plain, marked, bundled=False, store=store)
        assert len(both) == len(metrograph.load(plain, bundled=False, store=store)) == 1
    rq = tmp_path / "q.rq"
    rq.write_bytes(bom + b"SELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n")
    assert main(["query", "--file", str(rq), "--store", store, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "s"
    store_dir = tmp_path / "dir"
    assert main(["add", "--store-dir", str(store_dir), str(tmp_path / "marked-a.nt"),
                 "-q"]) == 0


def test_an_html_report_may_go_into_the_folder_of_its_input(tmp_path: Path) -> None:
    """The pages are written beside the input, which stays as it was (only a folder replaced
    whole may not hold an input)."""
    from .conftest import MULTICYCLE

    data = tmp_path / "plan.ttl"
    data.write_bytes(Path(MULTICYCLE[0]).read_bytes())
    assert _cli("report", "--format", "html", "--data", str(data), "-o", str(tmp_path))[0] == 0
    assert data.read_bytes() == Path(MULTICYCLE[0]).read_bytes()
    assert (tmp_path / "index.html").is_file()


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_shape_whose_sparql_cannot_run_is_named(store: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix mg: <https://w3id.org/metrograph/ontology#> .
ex:S a sh:NodeShape ; sh:targetClass mg:Deliverable ;
  sh:sparql [ sh:select "SELECT $this WHERE { $this nope:p ?o }" ] .
""", encoding="utf-8")
    assert main(["validate", "--shapes", str(shapes), "--store", store]) == 2
    line = _one_error(capsys.readouterr().err)
    assert "<http://example.org/S>" in line and "cannot be run" in line
    if store == "memory":  # pySHACL on one deliverable (on the bundled plan: 15 s)
        data = tmp_path / "one.ttl"
        data.write_text("<http://example.org/d> a "
                        "<https://w3id.org/metrograph/ontology#Deliverable> .\n",
                        encoding="utf-8")
        assert main(["validate", str(data), "--shapes", str(shapes), "--engine",
                     "pyshacl"]) == 2
        line = _one_error(capsys.readouterr().err)
        assert "pySHACL cannot validate" in line and "nope" in line
