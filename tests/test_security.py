"""Hardening: untrusted SPARQL is read-only and local by default, bounded on demand, and
parameters cannot change a query's meaning. Each test counts and names what it tried."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

import metrograph
from metrograph.cli import main
from metrograph.errors import (
    InputError,
    QueryError,
    QueryParameterError,
    QueryRefusedError,
    QueryTimeoutError,
    ResultTooLargeError,
)
from metrograph.graph import KnowledgeGraph
from metrograph.sparql.library import catalogue
from metrograph.sparql.limits import QueryLimits

from .conftest import M18
from .tally import count

REFUSED = {
    "INSERT DATA": "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
    "DELETE WHERE": "DELETE WHERE { ?s ?p ?o }",
    "DELETE/INSERT": "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "LOAD": "LOAD <http://127.0.0.1:9/evil.ttl>",
    "CLEAR": "CLEAR ALL",
    "DROP": "DROP ALL",
    "CREATE": "CREATE GRAPH <http://x/g>",
    "ADD": "ADD DEFAULT TO <http://x/g>",
    "MOVE": "MOVE DEFAULT TO <http://x/g>",
    "COPY": "COPY DEFAULT TO <http://x/g>",
    "SERVICE": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SERVICE SILENT": "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "FROM": "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
    "FROM NAMED": "SELECT * FROM NAMED <http://127.0.0.1:9/d.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_by_default(kg: KnowledgeGraph, name: str) -> None:
    before = len(kg)
    with pytest.raises(QueryRefusedError):
        kg.sparql(REFUSED[name])
    assert len(kg) == before
    count(f"refused operations ({kg.store.name} store)")


def test_refused_operations_are_counted(kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    refused = 0
    for name, text in sorted(REFUSED.items()):
        rq = tmp_path / f"{len(name)}-{refused}.rq"
        rq.write_text(text, encoding="utf-8")
        assert main(["query", "--file", str(rq)]) == 2, name
        refused += 1
    err = capsys.readouterr().err.replace(str(tmp_path), "")  # each line names its file
    assert err.count("refused") == refused
    print(f"refused operations tried: {refused} ({', '.join(sorted(REFUSED))}); all refused")


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", hits
    server.shutdown()


def test_service_makes_no_request_unless_allowed(listener: tuple[str, list[str]]) -> None:
    url, hits = listener
    kg = metrograph.load(bundled=False)
    text = f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}"
    with pytest.raises(QueryRefusedError):
        kg.sparql(text)
    with pytest.raises(QueryRefusedError):
        kg.sparql(f"SELECT * FROM <{url}data.ttl> WHERE {{ ?s ?p ?o }}")
    assert hits == []
    # what the guard prevents: rdflib itself would call the server
    with pytest.raises(QueryError):
        kg.sparql(text, limits=QueryLimits(allow_service=True))
    assert hits, "with SERVICE allowed, rdflib does send the request"


def test_updates_only_when_allowed() -> None:
    kg = metrograph.load(bundled=False)
    update = "INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> <http://x/c> } }"
    with pytest.raises(QueryRefusedError):
        kg.update(update)
    assert len(kg) == 0
    kg.update(update, allow_update=True)
    assert len(kg) == 1
    with pytest.raises(QueryError):
        kg.update("SELECT * WHERE { ?s ?p ?o }", allow_update=True)


HEAVY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . "
         "FILTER(STRLEN(STR(?b)) + STRLEN(STR(?d)) > STRLEN(STR(?f))) }")


def test_time_bound(kg: KnowledgeGraph) -> None:
    with pytest.raises(QueryTimeoutError, match=r"longer than 0\.5 s"):
        kg.sparql(HEAVY, limits=QueryLimits(timeout=0.5))
    # the store is still usable afterwards
    assert len(kg.query("plans").rows) == 1


def test_row_bound(kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str]) -> None:
    text = "SELECT ?s WHERE { ?s a <https://w3id.org/metrograph/ontology#Deliverable> }"
    assert len(kg.sparql(text, limits=QueryLimits(max_rows=65))) == 65
    with pytest.raises(ResultTooLargeError, match="more than 64 rows"):
        kg.sparql(text, limits=QueryLimits(max_rows=64))
    with pytest.raises(ResultTooLargeError):
        kg.run_query("deliverables-without-status", limits=QueryLimits(max_rows=10))
    assert main(["query", "components", "--max-rows", "5"]) == 2
    assert "more than 5 rows" in capsys.readouterr().err


INJECTIONS = [
    'x" } ?s ?p ?o { "',
    "x' } ?s ?p ?o { '",
    'x"""} DELETE WHERE { ?s ?p ?o } #',
    "x\n} UNION { ?s ?p ?o }",
    "}",
    "<https://w3id.org/metrograph/id/metropolis/plan/2018-2020>",
    '"L1M1D1"@fr',
    "L1M1D1\"@en",
    "?plan",
    "\u202eL1\u202c",
    "x\\u0022 } ?s ?p ?o",
]


def _typical(kind: str) -> object:
    return {"iri": M18, "string": "L1M1D1", "integer": 1, "date": "2020-12-31",
            "year": 2020}[kind]


def test_injection_through_every_parameter(kg: KnowledgeGraph) -> None:
    """Every parameter of every query receives each hostile value: an IRI parameter refuses
    it, any other either refuses it or treats it as an opaque value; the query's meaning (its
    projected variables, and no row where a plain non-matching value gives none) holds."""
    tried = refused = 0
    for name, q in sorted(catalogue().items()):
        for p in q.parameters:
            base = {x.name: _typical(x.type) for x in q.parameters if x.required}
            for value in INJECTIONS:
                tried += 1
                try:
                    result = kg.run_query(name, {**base, p.name: value})
                except QueryParameterError:
                    refused += 1
                    continue
                assert p.type == "string", (name, p.name, value)
                assert result.variables == kg.run_query(name, base).variables
                baseline = kg.run_query(name, {**base, p.name: "no such value"})
                assert len(result) == len(baseline), (name, p.name, value)
    assert tried > 100
    count("injection attempts through query parameters", tried)
    print(f"injection attempts: {tried}; refused as invalid values: {refused}; "
          f"the rest ran with unchanged meaning")


def test_sparql_bindings_are_terms_not_text(kg: KnowledgeGraph) -> None:
    text = "SELECT ?item ?code WHERE { ?item <http://www.w3.org/2004/02/skos/core#notation> ?code }"
    for value in INJECTIONS:
        assert len(kg.sparql(text, {"code": Literal(value)})) == 0
        count("injection attempts through raw bindings")
    assert len(kg.sparql(text, {"code": Literal("L1M1D1")})) == 1
    evil_iri = URIRef("http://x/> } ?s ?p ?o { <http://y/")
    with pytest.raises(QueryParameterError):
        kg.sparql("SELECT ?item ?o WHERE { ?item ?p ?o }", {"item": evil_iri})


MALFORMED = {
    "turtle.ttl": b"@prefix x: <http://x/> .\nx:a x:b \"unterminated .\n",
    "trig.trig": b"<http://x/g> { <http://x/a> <http://x/b> <http://x/c> \n",
    "jsonld.jsonld": b'{"@context": {}, "@graph": [{"@id": "http://x/a", ',
    "ntriples.nt": b"<http://x/a> <http://x/b> <http://x/c>\n",
    "rdfxml.rdf": b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Desc",
    "nquads.nq": b"<http://x/a> <http://x/b> <http://x/c> <http://x/g> <http://x/h> .\n",
    "empty.ttl": b"",
    "blank.ttl": b"  \n\n ",
    "latin1.ttl": "<http://x/a> <http://x/b> \"caf\xe9\" .".encode("latin-1"),
    "bom-garbage.jsonld": b"\xef\xbb\xbf{]",
    "unknown.format": b"<http://x/a> <http://x/b> <http://x/c> .",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_exit_2_naming_the_file(name: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    count("malformed input files")


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from metrograph.rdfio.writers import write_atomic

    target = tmp_path / "report.md"
    target.write_text("previous report\n", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InputError, match="disk full"):  # one clear line naming the file
        write_atomic(target, b"new report, never complete")
    assert target.read_text(encoding="utf-8") == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary left behind
    count("interrupted writes (previous file kept)")


def test_an_interrupted_export_leaves_the_previous_file_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import metrograph.rdfio.writers as export

    target = tmp_path / "kg.ttl"
    target.write_text("# previous export\n", encoding="utf-8")

    def interrupted(*_args: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "turtle_text", interrupted)
    assert main(["export", "--format", "ttl", "-o", str(target)]) == 130  # 128 + SIGINT
    assert capsys.readouterr().err.strip().endswith("metrograph: error: stopped by SIGINT")
    assert target.read_text(encoding="utf-8") == "# previous export\n"
    count("interrupted writes (previous file kept)")
