"""The spreadsheet authoring format under hostile input, faults and concurrency: every column
checked against the CSVW metadata, formulas escaped and restored, folders written whole,
unbalanced quotes caught, concurrent status updates all kept, and the CSV round trip giving the
same graph on both stores. Real files and real processes throughout."""

from __future__ import annotations

import csv
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

import metrograph
from metrograph.authoring import export_plan, import_folder, plan_graph, read_folder, tables
from metrograph.authoring.folder import csv_text, write_folder
from metrograph.authoring.schema import FORMULA, escape, unescape
from metrograph.authoring.status import record_status
from metrograph.cli import main
from metrograph.errors import AuthoringError, InputError
from metrograph.rdfio.writers import union_graph

from .conftest import FIXTURES, M18, M21, STORES
from .tally import count

FICTIONAL = FIXTURES / "multicycle" / "metropolis-2021-2023"
SOURCE = "https://w3id.org/metrograph/id/example/source/fictional-review"
ORGS = ("id,type,name_en,name_fr,alt_names,unit_of,homepage,comment\n"
        "example-unit,OrganizationalUnit,Example unit,,Unit@en,metropolis,https://example.org,\n")
CLI = [sys.executable, "-c", "import sys; from metrograph.cli import main; sys.exit(main())"]


def _copy(tmp_path: Path, name: str = "plan") -> Path:
    target = tmp_path / name
    shutil.copytree(FICTIONAL, target)
    (target / "README.md").unlink()
    (target / "organisations.csv").write_text(ORGS, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid plan folder with a row in every file. Do not modify."""
    return _copy(tmp_path_factory.mktemp("valid"))


def _problems(folder: Path, **replace: str) -> list[str]:
    with pytest.raises(AuthoringError) as info:
        read_folder(folder, replace={k.replace("_", "-") + ".csv": v for k, v in replace.items()})
    return [str(p) for p in info.value.problems]


def _set_cell(folder: Path, file: str, column: str, value: str) -> str:
    """The text of ``file`` with ``column`` of its first row set to ``value``."""
    rows = list(csv.reader(io.StringIO((folder / file).read_text(encoding="utf-8"))))
    rows[1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# ------------------------------------------------------------------ every cell has a datatype

def test_every_column_has_a_datatype_and_a_description() -> None:
    for table in tables().values():
        assert table.description
        for column in table.columns:
            assert column.description, (table.file, column.name)
            assert column.base == "string" or column.pattern is not None, (table.file,
                                                                            column.name)


def _checked_columns() -> list[tuple[str, str]]:
    return [(t.file, c.name) for t in tables().values() for c in t.columns
            if c.pattern is not None]


@pytest.mark.parametrize("file,column", _checked_columns())
def test_a_bad_value_in_any_checked_column_is_located(valid: Path, file: str,
                                                      column: str) -> None:
    text = _set_cell(valid, file, column, "not valid!")
    with pytest.raises(AuthoringError) as info:
        read_folder(valid, replace={file: text})
    assert any(str(p).startswith(f"{file}, row 2, column {column}: 'not valid!' is not")
               for p in info.value.problems), info.value.problems
    count("CSV cells of every checked column rejected")


@pytest.mark.parametrize("file,column", [
    ("plan.csv", "publisher"), ("plan.csv", "previous_cycle"), ("plan.csv", "language"),
    ("organisations.csv", "unit_of"), ("sources.csv", "publisher"),
    ("sources.csv", "attributed_to"), ("sources.csv", "language"), ("sources.csv", "title_lang"),
    ("sdg-links.csv", "attributed_to"), ("reported.csv", "note_lang"),
    ("links.csv", "earlier_organisation")])
def test_the_eleven_unchecked_fields_exit_2_from_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, column: str) -> None:
    folder = _copy(tmp_path)
    (folder / file).write_text(_set_cell(folder, file, column, "Bad <value>"), encoding="utf-8")
    out = tmp_path / "out.ttl"
    assert main(["import", str(folder), "--no-bundled-data", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{file}, row 2, column {column}: 'Bad <value>' is not" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("kind", ["folder", "fifo", "link to /dev/zero"])
def test_a_csv_file_that_is_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       kind: str) -> None:
    folder = _copy(tmp_path)
    sheet = folder / "statuses.csv"
    sheet.unlink()
    {"folder": sheet.mkdir, "fifo": lambda: os.mkfifo(sheet),
     "link to /dev/zero": lambda: sheet.symlink_to("/dev/zero")}[kind]()
    assert main(["import", str(folder), "--no-bundled-data"]) == 2
    assert "statuses.csv: not a regular file" in capsys.readouterr().err


@settings(max_examples=80, deadline=None)
@given(file=st.sampled_from(sorted(tables())), data=st.data())
def test_any_cell_of_a_valid_folder_fails_only_with_located_problems(
        valid: Path, file: str, data: st.DataObject) -> None:
    column = data.draw(st.sampled_from(tables()[file].names))
    value = data.draw(st.text(alphabet=st.sampled_from(list('L1M2D3;@,"= x-éhttps:/')),
                              max_size=20))
    text = _set_cell(valid, file, column, value)
    try:
        read_folder(valid, replace={file: text})
    except AuthoringError as exc:
        assert all(p.file in tables() for p in exc.problems)
    count("mutated CSV cells of a valid folder")


# ------------------------------------------------------------------ silent row loss

@pytest.mark.parametrize("lines", [
    # the quote never closes: the rest of the file would be one cell
    ['L1M1D3,"Livrable sans fin,,,', "L1M2D3,Un autre,,,"],
    # a later quote closes it: the rows between would vanish into the label
    ['L1M1D3,"Livrable au guillemet perdu,,,', "L1M2D3,Un autre,,,", "L1M2D4,Encore,,,",
     'L2M1D3,Dernier,,"",'],
])
def test_an_unbalanced_quote_is_reported_with_file_and_row(tmp_path: Path,
                                                            lines: list[str]) -> None:
    folder = _copy(tmp_path)
    text = (folder / "deliverables.csv").read_text(encoding="utf-8") + "\n".join(lines) + "\n"
    problems = _problems(folder, deliverables=text)
    assert any(p.startswith("deliverables.csv, row 10") and "quote" in p
               for p in problems), problems
    count("unbalanced quotes caught")


def test_a_label_over_several_lines_is_still_a_label(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    label = "Première ligne,\nseconde ligne, avec, des, virgules, partout"
    text = csv_text("deliverables.csv", [{"code": "L1M1D3", "label": label}])
    old = (folder / "deliverables.csv").read_text(encoding="utf-8")
    g = read_folder(folder, replace={"deliverables.csv": old + text.split("\n", 1)[1]}).graph
    assert (URIRef(f"{M21}/L1M1D3"), SKOS.prefLabel, Literal(label, lang="fr")) in g


# ------------------------------------------------------------------ formulas

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=30)


@given(TEXT)
def test_escape_makes_no_formula_and_unescape_restores(text: str) -> None:
    cell = escape(text)
    assert cell[:1] not in FORMULA
    assert unescape(cell) == text


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=TEXT.filter(lambda t: t.strip() != ""),
       prefix=st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "'", "'=", "''",
                               "=HYPERLINK("]))
def test_the_csv_round_trip_keeps_any_text(tmp_path_factory: pytest.TempPathFactory, label: str,
                                           prefix: str) -> None:
    text = prefix + label
    template = import_folder(FICTIONAL)
    g = template + Graph()
    item = URIRef(f"{M21}/L1M1D1")
    g.remove((item, SKOS.prefLabel, None))
    g.add((item, SKOS.prefLabel, Literal(text, lang="fr")))
    folder = tmp_path_factory.mktemp("rt") / "plan"
    write_folder(export_plan(g, URIRef(M21)), folder)
    for row in csv.reader(io.StringIO((folder / "deliverables.csv").read_text(encoding="utf-8"),
                                      newline="")):
        assert all(cell[:1] not in FORMULA for cell in row), row
    assert str(import_folder(folder).value(item, SKOS.prefLabel)) == text
    count("formula cells escaped and restored")


def test_export_escapes_a_formula_from_the_cli(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    (folder / "deliverables.csv").write_text(
        _set_cell(folder, "deliverables.csv", "label_en", "'=HYPERLINK(\"http://x\",\"y\")"),
        encoding="utf-8")
    out = tmp_path / "out"
    assert main(["export", "--format", "csv", "--plan", "2021-2023", "--data", str(folder),
                 "-o", str(out)]) == 0
    line = (out / "deliverables.csv").read_text(encoding="utf-8").splitlines()[1]
    assert ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"," in line
    assert main(["export", "--format", "csv", "--plan", "2021-2023", "--data", str(out),
                 "--no-bundled-data", "-o", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "deliverables.csv").read_bytes() == (
        out / "deliverables.csv").read_bytes()
    capsys.readouterr()


# ------------------------------------------------------------------ folder writes

def test_force_replaces_the_whole_folder(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    data = ["--data", str(FICTIONAL)]
    assert main(["export", "--format", "csv", "--plan", "2021-2023", *data, "-o", str(out)]) == 0
    assert (out / "statuses.csv").exists()
    assert main(["export", "--format", "csv", "--plan", "2018-2020", "-o", str(out)]) == 2
    assert "use --force" in capsys.readouterr().err  # no silent overwrite
    assert main(["export", "--format", "csv", "--plan", "2018-2020", "-o", str(out),
                 "--force"]) == 0
    assert not (out / "statuses.csv").exists()  # nothing of the earlier export is left
    assert read_folder(out).plan == URIRef(M18)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    (out / "my-notes.docx").write_bytes(b"not ours")
    assert main(["export", "--format", "csv", "--plan", "2018-2020", "-o", str(out),
                 "--force"]) == 2
    assert "not part of a plan folder (my-notes.docx)" in capsys.readouterr().err
    assert (out / "my-notes.docx").read_bytes() == b"not ours"


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_full_disk_midway_leaves_the_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["export", "--format", "csv", "--plan", "2021-2023", "--data", str(FICTIONAL),
                 "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    stale = tmp_path / ".out.999999999.abc.new"  # left by a writer killed long ago
    stale.mkdir()
    (stale / "deliverables.csv").write_bytes(b"x" * 100)
    # the 2018-2020 deliverables.csv is 12 KB: the write fails with EFBIG past 4 KB
    done = subprocess.run([*CLI, "export", "--format", "csv", "--plan", "2018-2020", "-o",
                           str(out), "--force"], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit_file_size, check=False)
    assert done.returncode == 2, done.stderr
    assert "the folder is unchanged" in done.stderr and "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .new folder piles up
    count("folder writes interrupted by a full disk")


# ------------------------------------------------------------------ lost updates

def _run_all(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    out = []
    for p, c in zip(procs, commands, strict=True):
        stdout, stderr = p.communicate(timeout=180)
        out.append(subprocess.CompletedProcess(c, p.returncode, stdout, stderr))
    return out


@pytest.mark.parametrize("target", ["statuses.ttl", "plan folder"])
def test_concurrent_status_updates_are_all_kept(tmp_path: Path, target: str) -> None:
    folder = _copy(tmp_path)
    file = folder if target == "plan folder" else tmp_path / target
    data = [] if file == folder else ["--data", str(folder)]  # status set loads its target
    common = ["--plan", "2021-2023", "--no-bundled-data", *data, "--source", SOURCE,
              "--file", str(file)]
    days = [f"2024-02-{d:02d}" for d in range(1, 9)]
    runs = _run_all([[*CLI, "status", "set", "L1M2D2", "done", "--as-of", day, *common]
                     for day in days]
                    + [[*CLI, "status", "set", "L1M2D1", "done", "--as-of", "2024-03-01",
                        *common] for _ in range(2)])
    for run in runs[:8]:
        assert run.returncode == 0 and "recorded" in run.stdout, run.stderr
    same_day = runs[8:]
    assert sorted(r.returncode for r in same_day) == [0, 2], [r.stderr for r in same_day]
    assert "never overwritten" in max(r.stderr for r in same_day)
    graph = (import_folder(folder) if file == folder
             else Graph().parse(file, format="turtle"))
    for day in days:
        assert (URIRef(f"{M21}/assessment/L1M2D2/{day}"), None, None) in graph, day
    assert (URIRef(f"{M21}/assessment/L1M2D1/2024-03-01"), None, None) in graph
    count("concurrent status updates kept", 10)


# ------------------------------------------------------------------ the round trip

def test_export_then_import_with_the_bundled_data_loaded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's workflow on the default store (the memory store's import is the same code
    and its round trip is tested in test_authoring.py: its validation takes 20 s)."""
    store = "oxigraph"
    out = tmp_path / "m18"
    assert main(["export", "--format", "csv", "--plan", "2018-2020", "--store", store,
                 "-o", str(out)]) == 0
    ttl = tmp_path / "m18.ttl"
    assert main(["import", str(out), "--store", store, "-o", str(ttl)]) == 0, \
        capsys.readouterr().err
    bundled = plan_graph(union_graph(metrograph.load(store=store).store.dataset()), URIRef(M18))
    assert isomorphic(bundled, Graph().parse(ttl))


@pytest.mark.parametrize("store", STORES)
def test_the_round_trip_of_an_imported_plan_adds_nothing(tmp_path: Path, store: str) -> None:
    folder = _copy(tmp_path)
    (folder / "deliverables.csv").write_text(
        _set_cell(folder, "deliverables.csv", "mentions", "example-unit;uclg"), encoding="utf-8")
    written = import_folder(folder)
    kg = metrograph.load(folder, store=store)
    write_folder(export_plan(union_graph(kg.store.dataset()), URIRef(M21)), tmp_path / "again")
    again = import_folder(tmp_path / "again")
    assert isomorphic(written, again)
    assert {p.name for p in (tmp_path / "again").iterdir()} == {
        p.name for p in folder.iterdir()}


def test_a_link_to_an_earlier_code_that_does_not_exist(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    with (folder / "links.csv").open("a", encoding="utf-8") as fh:
        fh.write("L1M2D2,continues,2018-2020,L1M3D9,\n")
    assert main(["import", str(folder), "-o", str(tmp_path / "out.ttl")]) == 2
    err = capsys.readouterr().err
    assert "links.csv, row 11, column earlier_code: no component L1M3D9" in err
    assert not (tmp_path / "out.ttl").exists()


def test_bad_folder_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="exists and is not a folder"):
        write_folder({"plan.csv": []}, Path(__file__))
    assert os.path.exists(__file__)


def test_status_set_writes_through_a_link(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "history" / "statuses.ttl"
    real.parent.mkdir()
    link = tmp_path / "statuses.ttl"
    link.symlink_to(real)
    for day in ("2019-12-31", "2020-12-31"):
        assert main(["status", "set", "L1M3D2", "done", "--as-of", day, "--source", SOURCE,
                     "--file", str(link)]) == 0, capsys.readouterr().err
    assert link.is_symlink() and len(Graph().parse(real, format="turtle")) == 10
    assert [p.name for p in real.parent.iterdir() if not p.name.endswith(".lock")] == [
        "statuses.ttl"]
    nowhere = tmp_path / "missing" / "statuses.ttl"
    assert main(["status", "set", "L1M3D2", "done", "--as-of", "2021-01-01", "--source", SOURCE,
                 "--file", str(nowhere)]) == 2
    assert "the folder does not exist" in capsys.readouterr().err
    assert not nowhere.parent.exists()  # the lock made no folder either


@pytest.mark.parametrize(("name", "hint"), [("status.csv", "did you mean statuses.csv?"),
                                            ("Statuses.CSV", "did you mean statuses.csv?"),
                                            ("stuff.csv", "its files: ")])
def test_a_csv_file_the_format_does_not_know_is_a_problem(tmp_path: Path, name: str,
                                                          hint: str) -> None:
    """A misspelled file (status.csv) used to be read as nothing: its assessments lost, the
    import said it succeeded."""
    folder = _copy(tmp_path)
    shutil.copy(folder / "statuses.csv", folder / name)
    (folder / "statuses.csv").unlink()
    with pytest.raises(AuthoringError) as info:
        read_folder(folder)
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith(name) and hint in problem and "not a file of a plan folder" \
        in problem


def test_a_column_twice_is_said_once(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "guidelines.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [f"{line},{line.split(',')[0]}" for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AuthoringError) as info:
        read_folder(folder)
    problems = [str(p) for p in info.value.problems]
    assert sum("appears twice" in p for p in problems) == 1, problems


def test_template_force_replaces_a_template_never_a_filled_plan(tmp_path: Path) -> None:
    """--force's help says it replaces an existing template: a plan filled in since (an
    exported plan, 65 deliverables) is kept, exit 2."""
    template = tmp_path / "tpl"
    assert main(["template", str(template)]) == 0
    assert main(["template", str(template), "--force"]) == 0
    filled = tmp_path / "filled"
    assert main(["export", "--format", "csv", "--plan", "2018-2020", "-o", str(filled)]) == 0
    before = {p.name: p.read_bytes() for p in filled.iterdir()}
    assert main(["template", str(filled), "--force"]) == 2
    assert {p.name: p.read_bytes() for p in filled.iterdir()} == before


# ------------------------------------------------------------------ cells the stores would refuse

def _iri_columns() -> list[tuple[str, str]]:
    return [(t.file, c.name) for t in tables().values() for c in t.columns
            if c.base == "anyURI"]


@pytest.mark.parametrize("iri", ["https://ex.org/report%2", "https://ex.org/report#p1#p2",
                                 "https://[ex.org/report", "https://ex.org/%zz"])
@pytest.mark.parametrize("file,column", _iri_columns())
def test_an_iri_oxigraph_refuses_is_a_located_problem(valid: Path, file: str, column: str,
                                                      iri: str) -> None:
    """These passed the column's format, then crashed the import in Oxigraph (exit 1)."""
    problems = _problems(valid, **{file.removesuffix(".csv").replace("-", "_"):
                                   _set_cell(valid, file, column, iri)})
    assert f"{file}, row 2, column {column}: {iri!r} is not a valid IRI (" in "\n".join(
        problems), problems
    count("IRIs Oxigraph refuses caught at read time")


@pytest.mark.parametrize("command", ["import", "validate"])
def test_an_invalid_iri_exits_2_from_the_cli(tmp_path: Path, command: str) -> None:
    folder = _copy(tmp_path)
    (folder / "statuses.csv").write_text(
        _set_cell(folder, "statuses.csv", "source", "https://ex.org/report%2"), encoding="utf-8")
    args = (["import", str(folder), "-o", str(tmp_path / "out.ttl")] if command == "import"
            else ["validate", "--data", str(folder)])
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert "statuses.csv, row 2, column source: 'https://ex.org/report%2' is not a valid IRI" \
        in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.ttl").exists()


@pytest.mark.parametrize("value", ["２０２４", "\u0661\u0669\u0669\u0669", "2024-0\u0661-01"])
@pytest.mark.parametrize("file,column", [("sources.csv", "date"), ("plan.csv", "start_year"),
                                         ("statuses.csv", "as_of"), ("reported.csv", "total"),
                                         ("reported.csv", "done")])
def test_digits_are_ascii_digits(valid: Path, file: str, column: str, value: str) -> None:
    """CSVW formats are ECMAScript regular expressions: \\d is [0-9], not any Unicode digit."""
    problems = _problems(valid, **{file.removesuffix(".csv"):
                                   _set_cell(valid, file, column, value)})
    assert any(p.startswith(f"{file}, row 2, column {column}: {value!r} is not")
               for p in problems), problems


@pytest.mark.parametrize("file,code", [("guidelines.csv", "L01"), ("measures.csv", "L1M01"),
                                       ("deliverables.csv", "L1M1D01"),
                                       ("deliverables.csv", "L0M1D1"),
                                       ("statuses.csv", "L01M1D1"), ("links.csv", "L1M01")])
def test_a_code_with_a_leading_zero_is_refused(valid: Path, file: str, code: str) -> None:
    """L1 and L01 were two components with the same position, ordered by chance on export."""
    problems = _problems(valid, **{file.removesuffix(".csv"):
                                   _set_cell(valid, file, "code", code)})
    assert any(p.startswith(f"{file}, row 2, column code: {code!r} is not a code like")
               for p in problems), problems


# ------------------------------------------------------------------ nothing dropped unsaid

def test_an_unbalanced_quote_in_a_file_with_fewer_columns(tmp_path: Path) -> None:
    """The swallowed row was looked for with the metadata's column count: a file holding only
    code and label lost the rows below an unbalanced quote, silently."""
    folder = _copy(tmp_path)
    text = ('code,label\nL1M1D1,"Livrable (le ""grand""\nL1M1D2,Livrable 2\n'
            'L1M2D1,Livrable 3 - fin de la citation"\n')
    problems = _problems(folder, deliverables=text)
    assert any(p.startswith("deliverables.csv, row 2, column label: the cell runs over 3 lines")
               for p in problems), problems


def test_a_cell_under_an_empty_header_is_a_problem(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    text = ("code,label,,label_en\nL1M1D1,Livrable 1,,Deliverable 1\n"
            "L1M1D2,Livrable 2,IMPORTANT NOTE,Deliverable 2\n")
    problems = [p for p in _problems(folder, deliverables=text) if "row 1," in p]
    assert problems == ["deliverables.csv, row 1, column 3 (no name): the header cell is empty, "
                        "but row 3 has 'IMPORTANT NOTE' below it: name the column or empty it"]
    # an empty column a spreadsheet leaves after the last one is nothing lost
    read_folder(folder, replace={"deliverables.csv": "code,label,,\nL1M1D1,Livrable 1,,\n"
                                 "L1M1D2,L2,,\nL1M2D1,L3,,\nL1M2D2,L4,,\nL2M1D1,L5,,\n"
                                 "L2M1D2,L6,,\nL2M2D1,L7,,\nL2M2D2,L8,,\n"})


@pytest.mark.parametrize("where,row,column", [("label", 4, "label"), ("code", 3, "code"),
                                              ("header", 1, "3")])
def test_a_byte_that_is_not_utf8_is_located(tmp_path: Path, where: str, row: int,
                                            column: str) -> None:
    folder = _copy(tmp_path)
    sheet = folder / "deliverables.csv"
    lines = sheet.read_bytes().splitlines()
    if where == "label":  # a cell saved as Windows-1252 in a UTF-8 file
        lines[3] = lines[3].replace(b"L1M2D1,", b"L1M2D1,Caf\xe9 ", 1)
    elif where == "code":
        lines[2] = b"\xe9" + lines[2]
    else:
        lines[0] = lines[0].replace(b"label_en", b"label_\xe9n")
    sheet.write_bytes(b"\n".join(lines))
    with pytest.raises(AuthoringError) as info:
        read_folder(folder)
    [problem] = [p for p in info.value.problems if p.file == "deliverables.csv"]
    assert (problem.file, problem.row, problem.column) == ("deliverables.csv", row, column)
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize("text", ["''Tis the season'' campaign", "'Tis", "''", "'''=x'",
                                  "'=SUM(A1)", "' leading", "'-1"])
def test_apostrophes_are_kept_unless_before_a_formula(tmp_path: Path, text: str) -> None:
    """A leading '' lost one '; the metadata says a ' is dropped only before =, +, -, @."""
    folder = _copy(tmp_path)
    typed = _set_cell(folder, "deliverables.csv", "label", text)
    item = URIRef(f"{M21}/L1M1D1")
    label = str(read_folder(folder, replace={"deliverables.csv": typed}).graph.value(
        item, SKOS.prefLabel))
    stripped = text.lstrip("'")
    expected = text[1:] if stripped[:1] in FORMULA else text
    assert label == expected
    assert escape(expected) == (text if stripped[:1] in FORMULA else expected)


# ------------------------------------------------------------------ one row, one resource

@pytest.mark.parametrize("file,row,expected", [
    ("organisations.csv", "example-unit,Organization,Example typo,,,,,",
     "organisations.csv, row 3, column id: example-unit appears twice (also row 2)"),
    ("sources.csv", f" {SOURCE} ,Another title,en,,,2023,,,,,,,",
     f"sources.csv, row 3, column id: {SOURCE} appears twice (also row 2)"),
    ("sdg-links.csv", "L1M1D1,http://metadata.un.org/sdg/5.5,proposed,Again.,,",
     "sdg-links.csv, row 4, column sdg: the link from L1M1D1 to SDG 5.5 appears twice "
     "(also row 2)"),
])
def test_a_row_that_would_merge_into_another_is_a_problem(valid: Path, file: str, row: str,
                                                          expected: str) -> None:
    """Two rows of one id were merged silently: one organisation with two names."""
    text = (valid / file).read_text(encoding="utf-8").rstrip("\n") + "\n" + row + "\n"
    problems = _problems(valid, **{file.removesuffix(".csv").replace("-", "_"): text})
    assert any(p.startswith(expected) for p in problems), problems


def test_a_violation_is_located_at_the_row_that_made_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two SDG links of one guideline (a guideline cannot contribute): each located at its own
    row, not both at the first row of the code."""
    folder = _copy(tmp_path)
    with (folder / "sdg-links.csv").open("a", encoding="utf-8") as fh:
        fh.write("L1,5,stated,,,\nL1,11,stated,,,\n")
    assert main(["import", str(folder), "-o", str(tmp_path / "o.ttl")]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "sdg-links.csv" in line]
    assert {line.split(" (L1)")[0].rsplit(", ", 1)[1] for line in lines} == {"row 4", "row 5"}, \
        err


# ------------------------------------------------------------------ export keeps every row

def _round_trip(tmp_path: Path, folder: Path) -> tuple[Graph, Graph, Path]:
    """The folder imported; its export (through the CLI, bundled data loaded) imported."""
    exported = tmp_path / "exported"
    done = subprocess.run([*CLI, "export", "--format", "csv", "--plan", "2021-2023", "--data",
                           str(folder), "-o", str(exported)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return import_folder(folder), import_folder(exported), exported


def test_export_keeps_organisations_nothing_names(tmp_path: Path) -> None:
    """A partner no row names, a unit, and more names for an organisation metrograph ships were
    imported, then lost by export."""
    folder = _copy(tmp_path)
    with (folder / "organisations.csv").open("a", encoding="utf-8") as fh:
        fh.write("partner-x,Organization,Partner X,,,,https://partner.example/,\n"
                 "partner-x-unit,OrganizationalUnit,Unit of X,,,partner-x,,\n"
                 "uclg,Organization,,CGLU (extra),UCLG-extra@en,,,a note\n")
    before, after, exported = _round_trip(tmp_path, folder)
    assert isomorphic(before, after)
    rows = list(csv.DictReader((exported / "organisations.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["example-unit", "partner-x", "partner-x-unit", "uclg"]
    assert rows[3] | {} == {"id": "uclg", "type": "Organization", "name_en": "",
                            "name_fr": "CGLU (extra)", "alt_names": "UCLG-extra@en",
                            "unit_of": "", "homepage": "", "comment": "a note"}


def test_export_keeps_a_source_nothing_cites(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with (folder / "sources.csv").open("a", encoding="utf-8") as fh:
        fh.write("https://example.org/annual-2025,Rapport 2025,fr,Report 2025,metropolis,2025,"
                 f"fr,,https://example.org/scan-2025,{'a' * 64},,,\n"
                 "https://example.org/scan-2025,Scan,en,,,,,,,,,,\n")
    before, after, exported = _round_trip(tmp_path, folder)
    assert isomorphic(before, after)
    ids = [r["id"] for r in csv.DictReader((exported / "sources.csv").open(encoding="utf-8"))]
    assert ids == sorted([SOURCE, "https://example.org/annual-2025",
                          "https://example.org/scan-2025"])


def test_export_keeps_a_count_of_zero(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "reported.csv").write_text(
        _set_cell(folder, "reported.csv", "not_elaborated", "0"), encoding="utf-8")
    g = import_folder(folder)
    ref = "https://w3id.org/metrograph/id/metropolis/plan/2021-2023/reported/not-elaborated"
    assert (URIRef(ref), None, Literal(0)) in g
    write_folder(export_plan(g, URIRef(M21)), tmp_path / "again")
    [row] = csv.DictReader((tmp_path / "again" / "reported.csv").open(encoding="utf-8"))
    assert row["not_elaborated"] == "0"
    assert isomorphic(g, import_folder(tmp_path / "again"))


def test_export_orders_rows_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Two components of one code sorted equal, and came out in an order that changed from run
    to run (set order: string hashes are salted per process)."""
    g = import_folder(FICTIONAL)
    twin = URIRef(f"{M21}/L1M1-twin")  # a second IRI with the notation L1M1 (another tool's)
    for p, o in g.predicate_objects(URIRef(f"{M21}/L1M1")):
        g.add((twin, p, Literal("Jumeau", lang="fr") if p == SKOS.prefLabel else o))
    data = tmp_path / "twin.ttl"
    g.serialize(data, format="turtle")
    outputs = set()
    for seed in range(6):
        out = tmp_path / f"out{seed}"
        done = subprocess.run([*CLI, "export", "--format", "csv", "--plan", "2021-2023",
                               "--data", str(data), "--no-bundled-data", "-o", str(out)],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert done.returncode == 0, done.stderr
        outputs.add((out / "measures.csv").read_bytes())
    assert len(outputs) == 1, outputs


# ------------------------------------------------------- status set refuses what import refuses

def _status_set(folder: Path, target: Path, code: str, status: str, day: str,
                source: str = SOURCE) -> subprocess.CompletedProcess[str]:
    data = [] if target == folder else ["--data", str(folder)]
    return subprocess.run([*CLI, "status", "set", code, status, "--as-of", day, "--source",
                           source, "--file", str(target), "--plan", "2021-2023", *data],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("target", ["plan folder", "statuses.ttl"])
def test_status_set_refuses_a_date_before_the_plan(tmp_path: Path, target: str) -> None:
    """It wrote the row, and the folder no longer imported."""
    folder = _copy(tmp_path)
    file = folder if target == "plan folder" else tmp_path / target
    before = (folder / "statuses.csv").read_bytes()
    done = _status_set(folder, file, "L1M1D2", "done", "2020-12-31")
    assert done.returncode == 2, done.stderr
    assert "starts in 2021" in done.stderr and "Traceback" not in done.stderr
    assert (folder / "statuses.csv").read_bytes() == before
    assert not (tmp_path / "statuses.ttl").exists()


def test_status_set_refuses_what_the_shapes_refuse(tmp_path: Path) -> None:
    """The fixture reports one deliverable not elaborated: a second is a violation import
    reports (exit 1); status set refused nothing but a same-day assessment."""
    folder = _copy(tmp_path)
    before = (folder / "statuses.csv").read_bytes()
    done = _status_set(folder, folder, "L1M1D1", "not-elaborated", "2024-01-15")
    assert done.returncode == 2, done.stderr
    assert "the folder would not import" in done.stderr
    assert "reported.csv, row 2: More deliverables of the plan currently have status" \
        in done.stderr
    assert (folder / "statuses.csv").read_bytes() == before
    assert main(["import", str(folder), "-o", str(tmp_path / "ok.ttl")]) == 0
    done = _status_set(folder, folder, "L1M1D1", "done", "2024-01-15")
    assert done.returncode == 0, done.stderr
    assert main(["import", str(folder), "-o", str(tmp_path / "still-ok.ttl")]) == 0


@pytest.mark.parametrize("source", ["https://ex.org/report%2", "https://ex.org/a#b#c",
                                    "ftp://ex.org/r", "https://ex.org/a b"])
def test_status_set_refuses_a_source_the_csv_format_refuses(tmp_path: Path,
                                                            source: str) -> None:
    folder = _copy(tmp_path)
    for target in (folder, tmp_path / "statuses.ttl"):
        done = _status_set(folder, target, "L1M1D2", "done", "2024-01-15", source)
        assert done.returncode == 2 and "--source" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        with pytest.raises(InputError, match="--source must be the IRI"):  # the API's own check
            record_status(metrograph.load(FICTIONAL), "L1M1D2", "done",
                          "2024-01-15", source, target, plan="2021-2023")
    assert not (tmp_path / "statuses.ttl").exists()


def test_status_set_follows_the_header_of_the_file(tmp_path: Path) -> None:
    """The row was appended in the metadata's order, under a header in another order."""
    folder = _copy(tmp_path)
    rows = list(csv.reader((folder / "statuses.csv").open(encoding="utf-8", newline="")))
    order = ["source", "as_of", "code", "status"]
    with (folder / "statuses.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[r[rows[0].index(c)] for c in order] for r in rows])
    done = _status_set(folder, folder, "L1M1D2", "done", "2024-01-15")
    assert done.returncode == 0, done.stderr
    last = (folder / "statuses.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert last == f"{SOURCE},2024-01-15,L1M1D2,done"
    g = import_folder(folder)
    assert (URIRef(f"{M21}/assessment/L1M1D2/2024-01-15"), None, None) in g


def test_status_set_into_an_empty_statuses_file(tmp_path: Path) -> None:
    """An empty file got a row and no header."""
    folder = _copy(tmp_path)
    (folder / "statuses.csv").write_bytes(b"")
    (folder / "reported.csv").unlink()
    record_status(metrograph.load(FICTIONAL), "L1M1D2", "done",
                  "2024-01-15", SOURCE, folder, plan="2021-2023")
    assert (folder / "statuses.csv").read_text(encoding="utf-8").splitlines()[0] == \
        "code,status,as_of,source"
