"""The Oxigraph store's fast answer route (metrograph.stores.oxigraph_answers): answers read through
Oxigraph's TSV serialiser equal those read solution by solution, row for row and in order; the
store leaves the garbage collector alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

import metrograph
from metrograph.graph import KnowledgeGraph
from metrograph.sparql.library import catalogue
from metrograph.stores import oxigraph_answers
from metrograph.stores.oxigraph import OxigraphStore
from metrograph.stores.oxigraph_answers import (
    Undecodable,
    decode_tsv,
)
from metrograph.testing.synthetic import write

from .conftest import MULTICYCLE

EX = "http://example.org/"
#: a row bound larger than any answer here: it sends the store down its solution-by-solution
#: route, with Oxigraph's own ORDER BY
SLOW = {"max_rows": 10**9}

_TRICKY = [
    Literal("plain"), Literal(""), Literal("tab\tnew\nline\rcr"), Literal('quote " and \\ slash'),
    Literal("control \x01\x1f\x7f"), Literal("accents éàü and 😀 and \u2028 sep"),
    Literal("bonjour", lang="fr"), Literal("hello", lang="en-GB"), Literal("x", lang="zh-Hant-TW"),
    Literal("42", datatype=XSD.integer), Literal("-7", datatype=XSD.integer),
    Literal("007", datatype=XSD.integer), Literal("1", datatype=XSD.int),
    Literal("1.50", datatype=XSD.decimal), Literal("2", datatype=XSD.decimal),
    Literal(".5", datatype=XSD.decimal), Literal("1e3", datatype=XSD.double),
    Literal("NaN", datatype=XSD.double), Literal("INF", datatype=XSD.double),
    Literal("-0.0", datatype=XSD.float), Literal("true", datatype=XSD.boolean),
    Literal("0", datatype=XSD.boolean), Literal("2019-01-31", datatype=XSD.date),
    Literal("2019-01-31Z", datatype=XSD.date), Literal("2020", datatype=XSD.gYear),
    Literal("2019-01-31T10:00:00", datatype=XSD.dateTime),
    Literal("not a number", datatype=XSD.integer), Literal("odd", datatype=URIRef(EX + "dt")),
    Literal("with\ttab", datatype=URIRef(EX + "dt")), Literal("string", datatype=XSD.string),
    URIRef(EX + "iri"), URIRef("urn:x:é/ü?q=1#f"), URIRef("http://example.org/a%20b"),
    BNode("b1"), BNode(),
]


@pytest.fixture(scope="module")
def tricky() -> OxigraphStore:
    store = OxigraphStore()
    g = Graph()
    for i, value in enumerate(_TRICKY):
        g.add((URIRef(f"{EX}s{i:02d}"), URIRef(EX + "p"), value))
        g.add((URIRef(f"{EX}s{i:02d}"), URIRef(EX + "n"), Literal(i % 5)))
    store.add(g, URIRef(EX + "graph"))
    return store


def test_tsv_route_reads_every_kind_of_term_as_the_solution_route_does(tricky: OxigraphStore
                                                                       ) -> None:
    query = (f"SELECT ?s ?o ?none WHERE {{ ?s <{EX}p> ?o "
             f"OPTIONAL {{ ?s <{EX}missing> ?none }} }}")
    fast = tricky.select(query)
    slow = tricky.select(query, **SLOW)
    assert fast.variables == slow.variables == ["s", "o", "none"]
    assert len(fast.rows) == len(_TRICKY)
    assert sorted(map(repr, fast.rows)) == sorted(map(repr, slow.rows))
    # the same objects, with the same types, datatypes and languages
    for a, b in zip(sorted(fast.rows, key=repr), sorted(slow.rows, key=repr), strict=True):
        for x, y in zip(a, b, strict=True):
            assert type(x) is type(y)
            if isinstance(x, Literal):
                assert (x.language, x.datatype, str(x)) == (y.language, y.datatype, str(y))


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 22])
def test_decoding_chunk_by_chunk_changes_nothing(tricky: OxigraphStore, chunk: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The TSV text is decoded a few megabytes at a time, cut at row ends (multi-byte UTF-8
    characters, empty rows and one-column answers included)."""
    monkeypatch.setattr(oxigraph_answers, "CHUNK", chunk)
    for query in (f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s",
                  f"SELECT ?none WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}x> ?none }} }}",
                  f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}"):
        fast = tricky.select(query)
        assert sorted(map(repr, fast.rows)) == sorted(map(repr, tricky.select(query, **SLOW).rows))
        assert len(fast.rows) == len(_TRICKY)


def test_one_column_answers_with_unbound_rows_keep_their_rows(tricky: OxigraphStore) -> None:
    query = f"SELECT ?none WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}missing> ?none }} }}"
    assert tricky.select(query).rows == [(None,)] * len(_TRICKY)
    assert tricky.select(f"SELECT ?o WHERE {{ <{EX}nobody> <{EX}p> ?o }}").rows == []


def test_decoder_refuses_what_it_does_not_read() -> None:
    with pytest.raises(Undecodable):
        decode_tsv(b"?a\n<< <a> <b> <c> >>\n", ["a"])
    with pytest.raises(Undecodable):
        decode_tsv(b"?a\t?b\n<x>\n", ["a", "b"])
    with pytest.raises(Undecodable):
        decode_tsv(b"?a\n", [])
    with pytest.raises(Undecodable):
        decode_tsv(b"?b\n<x>\n", ["a"])


def test_queries_leave_the_garbage_collector_alone(tricky: OxigraphStore) -> None:
    """Issue 13.4: library code has no process-wide side effect."""
    import gc

    assert gc.isenabled()
    tricky.select(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o ?s")
    assert gc.isenabled()
    gc.disable()
    try:
        tricky.select(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}")
        assert not gc.isenabled()  # nor turned back on behind a caller's back
    finally:
        gc.enable()


# ---------------------------------------------------------------------- shipped queries


def _params(kg: KnowledgeGraph, name: str) -> dict[str, object]:
    if name != "measure-drilldown":
        return {}
    return {"measure": kg.sparql("SELECT ?m WHERE { ?m a <https://w3id.org/metrograph/ontology#"
                                 "Measure> } ORDER BY ?m LIMIT 1").rows[0][0]}


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    path: Path = tmp_path_factory.mktemp("answers") / "network.ttl"
    write(path, 30000, seed=5, defect_rate=0.01)
    return metrograph.load(path, bundled_data=False, store="oxigraph")


@pytest.fixture(scope="module")
def fixture_graph() -> KnowledgeGraph:
    return metrograph.load(*MULTICYCLE, store="oxigraph")


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_shipped_query_answers_alike_on_both_routes(
        name: str, network: KnowledgeGraph, fixture_graph: KnowledgeGraph) -> None:
    """Row for row, in order: the shipped queries' ORDER BYs are total, so the order is the
    query's, not the engine's."""
    query = catalogue()[name]
    for kg in (network, fixture_graph):
        bindings = query.bindings(_params(kg, name))
        fast = kg.store.select(query.text, bindings)
        slow = kg.store.select(query.text, bindings, **SLOW)
        assert fast.variables == slow.variables
        assert fast.rows == slow.rows, name
