"""Hostile input files and arguments, tried for real: entity expansion, fetches through JSON-LD
contexts and XML entities (a real HTTP server on 127.0.0.1 records any contact, a named pipe
records any open), named pipes, devices, folders, missing and unreadable files, oversized
literals, and bad numbers. Each ends with exit 2 and one line naming the file or argument;
nothing hangs (every subprocess runs under a timeout and a memory limit)."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import metrograph
from metrograph.cli import main
from metrograph.errors import InputError, UnsafeInputError
from metrograph.graph import KnowledgeGraph
from metrograph.rdfio.formats import read_graph

from .tally import count

STORES = ["oxigraph", "memory"]
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def billion_laughs(levels: int = 9) -> str:
    """The classic attack: under 1 KB, 10**levels copies of "lol" once expanded."""
    ents = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{ents}]>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://x/">\n'
            f'<rdf:Description rdf:about="http://x/a"><ex:p>&lol{levels};</ex:p>'
            "</rdf:Description></rdf:RDF>\n")


def rdfxml(doctype: str, body: str = '<ex:p>v</ex:p>') -> str:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF {doctype}>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://x/">\n'
            f'<rdf:Description rdf:about="http://x/a">{body}</rdf:Description></rdf:RDF>\n')


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """``metrograph ARGS`` in a process of its own, under a time bound and a 1.5 GiB memory
    bound (so an attack that works fails the test instead of the machine)."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29)); "
            "from metrograph.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def exit_code(args: list[str]) -> int:
    """``main(args)``, with argparse's exit turned into its code."""
    try:
        return main(args)
    except SystemExit as stop:
        return int(stop.code or 0)


def one_line_naming(err: str, name: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert name in lines[0] and "Traceback" not in err, err


# ------------------------------------------------------------------ entity expansion


@pytest.mark.parametrize("store", STORES)
def test_billion_laughs_is_refused_on_every_path(store: str, tmp_path: Path) -> None:
    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    assert bomb.stat().st_size < 1024
    routes = [("info", "--store", store, "--no-bundled-data", "--data", str(bomb)),
              ("validate", "--store", store, str(bomb))]
    if store == "oxigraph":
        routes.append(("validate", "--no-bundled-data", "--shapes", str(bomb)))
        routes.append(("push", str(bomb), "--graph-store", "http://127.0.0.1:9/store"))
    for args in routes:
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr[-2000:])
        one_line_naming(done.stderr, str(bomb))
        assert "billion laughs" in done.stderr
        count("entity expansion attacks (RDF/XML, each route and store)")


ENTITY_ATTACKS = {
    "nested": billion_laughs(3),
    "parameter entity": rdfxml('[<!ENTITY % p "<!ENTITY q \'x\'>"> %p;]'),
    "external entity (file)": rdfxml('[<!ENTITY x SYSTEM "file:///etc/hostname">]',
                                     "<ex:p>&x;</ex:p>"),
    "unparsed entity": rdfxml('[<!NOTATION n SYSTEM "n"><!ENTITY x SYSTEM "f" NDATA n>]'),
    "quadratic blow-up": rdfxml(f'[<!ENTITY big "{"x" * 4000}">]',
                                "<ex:p>" + "&big;" * 4000 + "</ex:p>"),
    "attribute default": rdfxml('[<!ATTLIST rdf:Description ex:q CDATA "added">]'),
}


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("attack", sorted(ENTITY_ATTACKS))
def test_entity_attacks_are_refused(store: str, attack: str, tmp_path: Path) -> None:
    path = tmp_path / "attack.rdf"
    path.write_text(ENTITY_ATTACKS[attack], encoding="utf-8")
    kg = KnowledgeGraph(store)
    with pytest.raises(UnsafeInputError, match=r"attack\.rdf:\d+: "):
        kg.load_file(path)
    assert len(kg) == 0
    count("entity expansion attacks (RDF/XML, each route and store)")


def test_plain_entities_still_read_alike_on_both_stores(tmp_path: Path) -> None:
    # what ontology editors write: entities for namespaces, used in attributes and text
    path = tmp_path / "editor.rdf"
    path.write_text(rdfxml('[<!ENTITY ex "http://x/"> <!ENTITY xsd "http://www.w3.org/2001/'
                           'XMLSchema#">]', '<ex:p rdf:datatype="&xsd;token">v&ex;</ex:p>'
                           '<ex:q rdf:resource="&ex;b"/>'), encoding="utf-8")
    graphs = []
    for store in STORES:
        kg = KnowledgeGraph(store)
        assert kg.load_file(path) == 2
        graphs.append(sorted(str(t) for t in kg.store.dataset().quads((None, None, None, None))))
    assert graphs[0] == graphs[1]


# ------------------------------------------------------------------ fetches


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that serves a valid JSON-LD context (so that a fetch
    would succeed) and records every request."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b'{"@context": {"p": "http://x/p"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", hits
    server.shutdown()
    server.server_close()


class OpenWatch:
    """A named pipe that records whether anything opened it for reading."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.opened = False
        self.closing = False
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        with open(self.path, "wb") as fh:  # blocks until a reader opens the pipe
            if not self.closing:
                self.opened = True
                fh.write(b'{"@context": {"p": "http://x/p"}}')

    def close(self) -> bool:
        self.closing = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases the waiting writer
        self.thread.join(5)
        os.close(fd)
        return self.opened


def jsonld_docs(url: str, local: Path, watched: Path) -> dict[str, str]:
    item = '"@id": "http://x/a", "p": "v"'
    return {
        "remote context": f'{{"@context": "{url}ctx.jsonld", {item}}}',
        "remote context in a list": f'{{"@context": [{{"q": "http://x/q"}}, "{url}l.jsonld"], '
                                    f"{item}}}",
        "scoped remote context": f'{{"@context": {{"p": {{"@id": "http://x/p", "@context": '
                                 f'"{url}scoped.jsonld"}}}}, {item}}}',
        "@import": f'{{"@context": {{"@import": "{url}imp.jsonld"}}, {item}}}',
        "file: context": f'{{"@context": "{local.as_uri()}", {item}}}',
        "relative context": f'{{"@context": "{local.name}", {item}}}',
        "watched file context": f'{{"@context": "{watched.as_uri()}", {item}}}',
        "nested graph context": f'{{"@graph": [{{"@context": "{url}deep.jsonld", {item}}}]}}',
    }


@pytest.mark.parametrize("store", STORES)
def test_jsonld_contexts_are_never_fetched_nor_read(
        store: str, tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, hits = listener
    local = tmp_path / "ctx.jsonld"
    local.write_text('{"@context": {"p": "http://x/p"}}', encoding="utf-8")
    watch = OpenWatch(tmp_path / "watched.jsonld")
    try:
        for name, text in jsonld_docs(url, local, watch.path).items():
            path = tmp_path / f"doc-{len(name)}.jsonld"
            path.write_text(text, encoding="utf-8")
            with pytest.raises(UnsafeInputError):
                read_graph(path)
            kg = KnowledgeGraph(store)
            with pytest.raises(UnsafeInputError, match="refused"):
                kg.load_file(path)
            assert len(kg) == 0, name
            count("fetch attempts through JSON-LD contexts (none made)")
            # the command line, default route and --shapes (the route that fetched before)
            if name == "remote context":
                for args in (["info", "--store", store, "--data", str(path)],
                             ["validate", "--store", store, "--shapes", str(path)]):
                    assert exit_code(args) == 2
                count("fetch attempts through JSON-LD contexts (none made)", 2)
    finally:
        assert not watch.close(), "a context file was opened"
    assert hits == [], hits


def test_no_other_route_fetches(tmp_path: Path, listener: tuple[str, list[str]],
                                capsys: pytest.CaptureFixture[str]) -> None:
    url, hits = listener
    # owl:imports is data, never followed (loading, both validation engines)
    imports = tmp_path / "imports.ttl"
    imports.write_text(f"<http://x/o> a <http://www.w3.org/2002/07/owl#Ontology> ; "
                       f"<http://www.w3.org/2002/07/owl#imports> <{url}onto.ttl> .\n",
                       encoding="utf-8")
    for store in STORES:
        kg = metrograph.load(imports, store=store, bundled=False)
        kg.validate()
    metrograph.load(imports, bundled=False).validate(engine="pyshacl")
    # an external DTD subset is not read either (it is allowed: nothing in it is used)
    dtd = tmp_path / "dtd.rdf"
    dtd.write_text(rdfxml(f'SYSTEM "{url}rdf.dtd"'), encoding="utf-8")
    for store in STORES:
        assert KnowledgeGraph(store).load_file(dtd) == 1
    # an external entity naming the server is refused, on both stores
    entity = tmp_path / "entity.rdf"
    entity.write_text(rdfxml(f'[<!ENTITY e SYSTEM "{url}e.txt">]', "<ex:p>&e;</ex:p>"),
                      encoding="utf-8")
    for store in STORES:
        with pytest.raises(UnsafeInputError):
            KnowledgeGraph(store).load_file(entity)
    # a URL where a file is expected is not a file: never handed to a parser that fetches
    for args in (["info", "--data", f"{url}data.ttl"],
                 ["validate", "--shapes", f"{url}shapes.ttl"],
                 ["query", "--file", f"{url}q.rq"],
                 ["push", f"{url}release.trig", "--graph-store", f"{url}store"]):
        assert exit_code(args) == 2
        err = capsys.readouterr().err
        assert "no such file" in err and url in err
    with pytest.raises(InputError):
        metrograph.load(f"{url}data.ttl")
    with pytest.raises(InputError):
        read_graph(f"{url}shapes.ttl")
    # the API's extra shapes and status files go through the same checks as the CLI's
    for store in STORES:
        for engine in ("fast", "pyshacl"):
            with pytest.raises(InputError):
                metrograph.load(store=store).validate(shapes=[f"{url}shapes.ttl"], engine=engine)
    from metrograph.authoring.status import record_status

    with pytest.raises(InputError):
        record_status(metrograph.load(), "L1M3D2", "done", as_of="2020-12-31",
                      source="https://example.org/r", target=f"{url}statuses.ttl")
    assert len(read_graph(imports)) == 2
    count("fetch attempts through imports, DTDs, entities and URLs as paths (none made)", 17)
    assert hits == [], hits


# ------------------------------------------------------------------ files that are not files


@pytest.fixture()
def odd_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.ttl"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    return {"fifo": fifo, "dev-zero": zero, "folder": folder,
            "missing": tmp_path / "missing.ttl"}


FILE_OPTIONS = [
    ("--data", ["info", "--data", "{}"]),
    ("validate FILE", ["validate", "{}"]),
    ("--shapes", ["validate", "--shapes", "{}"]),
    ("query --file", ["query", "--file", "{}"]),
    ("push SOURCE", ["push", "{}", "--graph-store", "http://127.0.0.1:9/store"]),
    ("status --file", ["status", "set", "L1M1D1", "done", "--as-of", "2020-01-01",
                       "--source", "urn:x", "--file", "{}"]),
]


@pytest.mark.parametrize("option", [name for name, _args in FILE_OPTIONS])
def test_odd_files_exit_2_naming_them(option: str, odd_files: dict[str, Path]) -> None:
    args = dict(FILE_OPTIONS)[option]
    for kind, path in odd_files.items():
        if option in ("--data", "validate FILE", "push SOURCE", "status --file") and (
                kind == "folder"):
            continue  # these read plan folders and releases: a folder is a valid input
        if option == "status --file" and kind == "missing":
            continue  # status set creates its file
        done = run_cli(*[a.replace("{}", str(path)) for a in args], timeout=60)
        assert done.returncode == 2, (option, kind, done.stderr[-2000:])
        one_line_naming(done.stderr, str(path))
        count("unreadable inputs (FIFO, /dev/zero, folder, missing, unreadable)")


def test_the_api_refuses_odd_files_too(odd_files: dict[str, Path]) -> None:
    for kind, path in odd_files.items():
        if kind == "folder":
            continue  # a folder is read as a plan folder
        code = ("import resource, metrograph; "
                "resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29)); "
                "from metrograph.errors import InputError\n"
                "try:\n"
                f"    metrograph.load({str(path)!r}, bundled=False)\n"
                "except InputError as exc:\n"
                "    print(exc)\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0 and str(path) in done.stdout, (kind, done.stderr[-2000:])
        count("unreadable inputs (FIFO, /dev/zero, folder, missing, unreadable)")


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text("<http://x/a> <http://x/b> <http://x/c> .\n", encoding="utf-8")
    secret.chmod(0)
    # root reads anything: the process then gives up root (for nobody) before it starts
    code = ("import os, sys; import metrograph.cli.app, metrograph.graph, metrograph.stores\n"
            "if os.geteuid() == 0:\n"
            "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "sys.exit(metrograph.cli.app.main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "info", "--data", str(secret)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    one_line_naming(done.stderr, str(secret))
    assert "permission denied" in done.stderr
    count("unreadable inputs (FIFO, /dev/zero, folder, missing, unreadable)")


@pytest.mark.parametrize("store", STORES)
def test_a_literal_over_16_mib_exits_2_on_both_stores(store: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = tmp_path / "big.nt"
    path.write_text(f'<http://x/a> <http://x/b> "{"x" * ((16 << 20) + 10)}" .\n',
                    encoding="utf-8")
    assert main(["info", "--store", store, "--no-bundled-data", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    one_line_naming(err, str(path))
    assert "16 MiB" in err
    small = tmp_path / "small.nt"
    small.write_text(f'<http://x/a> <http://x/b> "{"x" * (1 << 20)}" .\n', encoding="utf-8")
    assert KnowledgeGraph(store).load_file(small) == 1
    count("oversized literals (16 MiB)")


BAD_NUMBERS = [
    ("--timeout", ["query", "plans", "--timeout"], ["-1", "0", "nan", "inf", "-inf", "1e400",
                                                     "ten", ""]),
    ("--http-timeout", ["info", "--http-timeout"], ["-1", "0", "nan", "inf", "x"]),
    ("--max-rows", ["query", "plans", "--max-rows"], ["-1", "1.5", "nan", "lots", ""]),
    ("--as-of", ["status", "set", "L1M1D1", "done", "--source", "urn:x", "--file", "s.ttl",
                 "--as-of"], ["2031-02-30", "yesterday", "20200101"]),
]


@pytest.mark.parametrize("option", [name for name, _a, _v in BAD_NUMBERS])
def test_bad_numbers_exit_2_naming_the_option(option: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _name, args, values = next(b for b in BAD_NUMBERS if b[0] == option)
    for value in values:
        assert main([*args, value]) == 2
        err = capsys.readouterr().err
        one_line_naming(err, option)
        count("bad numbers and dates on the command line")


# ---------------------------------------- blank nodes that only their place tells apart


def _blank_structures(tmp_path: Path) -> dict[str, Path]:
    """Small files whose blank nodes RDFC-1.0 alone took minutes to label (measured with
    pyoxigraph 0.5.13: a list of 1,000 equal items 129 s, lists nested 1,000 deep 6 min)."""
    head = "@prefix ex: <http://example.org/> .\n"
    texts = {
        "equal-items": head + "ex:a ex:b (" + " ex:same" * 1000 + " ) .\n",
        "nested-lists": head + "ex:a ex:b " + "(" * 1000 + "ex:x" + ")" * 1000 + " .\n",
        "nested-descriptions": head + "ex:a ex:c " + "[ ex:c " * 900 + "ex:x" + " ]" * 900
        + " .\n",
        "two-equal-lists": head + "ex:a ex:b (" + " ex:same" * 300 + " ), ("
        + " ex:same" * 300 + " ) .\n",
    }
    out = {}
    for name, text in texts.items():
        out[name] = tmp_path / f"{name}.ttl"
        out[name].write_text(text, encoding="utf-8")
    return out


def test_blank_node_structures_are_labelled_in_bounded_time(tmp_path: Path) -> None:
    """Each loads, validates and exports on the default store within the time bound; the
    export is the same bytes from two processes, and loading the export on top of the file
    adds nothing (the labels depend only on the content); the memory store agrees where its
    parser reads the file (rdflib's recursion stops at deep nesting: one line, exit 2)."""
    for name, path in _blank_structures(tmp_path).items():
        outs = []
        for i in range(2):
            out = tmp_path / f"{name}-{i}.nt"
            done = run_cli("export", "--no-bundled-data", "--data", str(path), "--format", "nt",
                           "-o", str(out), timeout=60)
            assert done.returncode == 0, (name, done.stderr)
            outs.append(out.read_bytes())
        assert outs[0] == outs[1], name
        # two equal lists of the same subject say what one says: held once (the store's
        # graph model, the same as for small structures)
        expected = {"equal-items": 2000, "nested-lists": 2000, "nested-descriptions": 900,
                    "two-equal-lists": 600}[name]
        one = metrograph.load(path, bundled=False)
        assert len(one) == expected + 1, name
        export = tmp_path / f"{name}-0.nt"  # the ontology and schemes, and the structure
        twice = metrograph.load(path, export, bundled=False)
        assert len(twice) == len(metrograph.load(export, bundled=False)), name
        done = run_cli("validate", str(path), timeout=60)
        assert done.returncode in (0, 1), (name, done.stderr)
        try:
            memory = metrograph.load(path, bundled=False, store="memory")
        except InputError as exc:
            assert "recursion" in str(exc) and name.startswith("nested"), (name, exc)
        else:
            assert len(memory) == len(one), name


@pytest.mark.parametrize("store", STORES)
def test_json_nested_too_deep_is_refused_before_parsing(store: str, tmp_path: Path) -> None:
    """JSON-LD nested 10,000 levels deep crashed the process in pyoxigraph's parser (exit 139,
    nothing said): refused with exit 2 and one line naming the file and line."""
    path = tmp_path / "deep.jsonld"
    depth = 10_000
    path.write_text('{"@id": "http://e.org/a", ' + '"http://e.org/p": {' * depth
                    + '"@id": "http://e.org/x"' + "}" * depth + "}", encoding="utf-8")
    done = run_cli("validate", str(path), "--store", store)
    assert done.returncode == 2, done.stderr
    one_line_naming(done.stderr, "deep.jsonld:1")
    shallow = tmp_path / "shallow.jsonld"
    shallow.write_text('{"@id": "http://e.org/a", "http://e.org/p": ['
                       + ", ".join(f'{{"@id": "http://e.org/i{i}"}}' for i in range(2000))
                       + "]}", encoding="utf-8")
    assert len(metrograph.load(shallow, bundled=False, store=store)) == 2000


#: files one parser accepted and the other refused (rdflib read the first three, Oxigraph the
#: last): every store now reads them alike
ODD_SYNTAX = {
    "not-rdf.rdf": "<foo/>\n",
    "id-number.jsonld": '{"@id": 5, "http://e.org/p": "x"}\n',
    "space-iri.rdf": '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="' + RDF_NS + '" '
    'xmlns:ex="http://e.org/"><rdf:Description rdf:about="http://exa mple.org/a">'
    "<ex:p>v</ex:p></rdf:Description></rdf:RDF>\n",
    "string.jsonld": '"just a string"\n',
}


@pytest.mark.parametrize("name", sorted(ODD_SYNTAX))
def test_both_stores_read_odd_syntax_alike(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(ODD_SYNTAX[name], encoding="utf-8")
    outcomes = []
    for store in STORES:
        done = run_cli("info", "--no-bundled-data", "--data", str(path), "--store", store)
        if done.returncode == 2:
            one_line_naming(done.stderr, name)
            outcomes.append(("refused", done.stderr.split(": ", 2)[-1]))
        else:
            assert done.returncode == 0, done.stderr
            outcomes.append(("read", done.stdout.split("\n", 1)[1]))  # after "store: X"
    assert outcomes[0] == outcomes[1], outcomes


# ------------------------------------------------------------------ syntax errors located

_XML_HEAD = (f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://e.org/">\n'
             '<rdf:Description rdf:about="http://e.org/a">\n')
_XML_TAIL = "</rdf:Description>\n</rdf:RDF>\n"
#: RDF/XML that breaks a rule on line 4 at the column given; Oxigraph's RDF/XML parser gives
#: no position, and read the truncated file as a graph without a word
LOCATED = {
    "truncated.rdf": (_XML_HEAD + '  <ex:p>x</ex:p>\n', "5:1", "no element found"),
    "mismatched.rdf": (_XML_HEAD + '  <ex:p>x</ex:q>\n' + _XML_TAIL, "4:12", "mismatched tag"),
    "unbound-prefix.rdf": (_XML_HEAD + "  <zz:p>x</zz:p>\n" + _XML_TAIL, "4:3", "unbound prefix"),
    "space-in-iri.rdf": (_XML_HEAD + '  <ex:p rdf:resource="http://e x/"/>\n' + _XML_TAIL,
                         "4:23", "http://e x/"),
    "long-language.rdf": (_XML_HEAD + '  <ex:p xml:lang="abcdefghijk">x</ex:p>\n' + _XML_TAIL,
                          "4:19", "abcdefghijk"),
    "text-among-properties.rdf": (_XML_HEAD + "  stray <ex:p>x</ex:p>\n" + _XML_TAIL, "4:3",
                                  "stray"),
}


@pytest.mark.parametrize("name", sorted(LOCATED))
def test_rdfxml_errors_name_line_and_column_on_both_stores(name: str, tmp_path: Path) -> None:
    text, where, says = LOCATED[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for store in STORES:
        done = run_cli("info", "--no-bundled-data", "--data", str(path), "--store", store)
        assert done.returncode == 2, (store, done.stdout)
        one_line_naming(done.stderr, f"{name}:{where}: not valid xml")
        assert says in done.stderr
    count("syntax errors located where the parser gives no position")


def test_a_quoted_text_found_twice_gives_no_position_rather_than_a_wrong_one(
        tmp_path: Path) -> None:
    """The text an error quotes stands in a literal on line 4 and in the faulty attribute on
    line 5: the message names no line rather than line 4."""
    path = tmp_path / "twice.rdf"
    path.write_text(_XML_HEAD + "  <ex:note>http://e x/</ex:note>\n"
                    '  <ex:p rdf:resource="http://e x/"/>\n' + _XML_TAIL, encoding="utf-8")
    for store in STORES:
        done = run_cli("info", "--no-bundled-data", "--data", str(path), "--store", store)
        assert done.returncode == 2
        one_line_naming(done.stderr, "twice.rdf: not valid xml: error while parsing IRI")


def hostile_shapes(url: str) -> dict[str, tuple[str, str]]:
    """Shapes files whose SPARQL, prefixes, patterns or lists would make a validator fetch
    ``url``, write, or fail midway; with the words the refusal says."""
    head = ("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://x/> .\n"
            "ex:S a sh:NodeShape ; sh:targetClass <https://w3id.org/metrograph/ontology#"
            "Deliverable> ;\n")
    return {
        "SERVICE in sh:select": (head + f'sh:sparql [ sh:select "SELECT $this WHERE {{ '
                                 f'SERVICE <{url}s> {{ $this ?p ?o }} }}" ] .', "SERVICE"),
        "FROM in sh:select": (head + f'sh:sparql [ sh:select "SELECT $this FROM <{url}f> '
                              f'WHERE {{ $this ?p ?o }}" ] .', "FROM"),
        "SERVICE in a SPARQL target": (
            head.replace("sh:targetClass", "ex:x") + f'sh:target [ a sh:SPARQLTarget ; '
            f'sh:select "SELECT ?this WHERE {{ SERVICE <{url}t> {{ ?this ?p ?o }} }}" ] ; '
            f'sh:property [ sh:path ex:p ; sh:maxCount 1 ] .', "SERVICE"),
        "LOAD in sh:select": (head + f'sh:sparql [ sh:select "LOAD <{url}l>" ] .', "Update"),
        "SERVICE in sh:ask": (head + f'sh:sparql [ sh:ask "ASK {{ SERVICE <{url}a> '
                              f'{{ ?s ?p ?o }} }}" ] .', "SERVICE"),
        "a prefix declaration that writes FROM": (
            head + 'sh:sparql [ sh:prefixes ex:d ; sh:select "SELECT $this WHERE '
            '{ $this a e:X }" ] .\nex:d sh:declare [ sh:prefix "e" ; sh:namespace '
            f'"http://x/> SELECT * FROM <{url}p> WHERE {{}} #" ] .', "not an IRI"),
        "a pattern that is no regular expression": (
            head + "sh:property [ sh:path ex:p ; sh:pattern \"(((\" ] .", "sh:pattern"),
        "a path list that loops": (
            head + "sh:property [ sh:path _:l ; sh:minCount 1 ] .\n_:l <" + RDF_NS + "first> "
            "ex:p ; <" + RDF_NS + "rest> _:l .", "loops back"),
        "a query that does not parse": (head + 'sh:sparql [ sh:select "SELECT $this WHERE '
                                        '{ FILTER( }" ] .', "not a valid SPARQL query"),
    }


def test_shapes_that_would_fetch_write_or_fail_are_refused_on_reading(
        tmp_path: Path, listener: tuple[str, list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A shapes file is read as a query file is: its SPARQL read-only and local, its prefix
    declarations and patterns well-formed, its lists finite. Both engines ran these before
    (rdflib fetched FROM and SERVICE, Oxigraph SERVICE, pySHACL its SPARQL targets; the
    others ended in tracebacks); now each is one line naming the file and the shape."""
    url, hits = listener
    kg = metrograph.load(store="memory")
    for n, (name, (text, needle)) in enumerate(hostile_shapes(url).items()):
        path = tmp_path / f"shapes-{n}.ttl"
        path.write_text(text, encoding="utf-8")
        assert main(["validate", "--shapes", str(path)]) == 2, name
        [line] = capsys.readouterr().err.strip().splitlines()
        assert str(path) in line and "<http://x/" in line and needle in line, (name, line)
        for engine in ("fast", "pyshacl"):
            with pytest.raises(InputError, match=needle):
                kg.validate(shapes=[path], engine=engine)
        count("hostile shapes files (SPARQL, prefixes, patterns, lists) refused")
    assert hits == [], hits
