"""The Oxigraph store's fast answer route (metrograph.stores.oxigraph_answers): answers read through
Oxigraph's TSV serialiser equal those read solution by solution, and a final ORDER BY sorted in
Python gives Oxigraph's own order."""

from __future__ import annotations

import itertools
import random
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
    final_order,
    has_zoned_dates,
    sort_rows,
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


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s", [("s", False)]),
    ("SELECT * WHERE { ?s ?p ?o }\norder by desc(?o) ASC( ?s ) ?p # done\n",
     [("o", True), ("s", False), ("p", False)]),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 2 } } ORDER BY ?s",
     [("s", False)]),
])
def test_final_order_reads_plain_variable_keys(query: str,
                                               expected: list[tuple[str, bool]]) -> None:
    found = final_order(query)
    assert found is not None
    head, keys = found
    assert keys == expected
    assert "ORDER BY ?s LIMIT 2" in head or "LIMIT" not in query
    assert head.rstrip().endswith("}")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 1",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY STR(?s)",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY xsd:integer(?o)",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY (?o + 1)",
    "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s } }",
    "SELECT * WHERE { ?s ?p \"ORDER BY ?s\" }  # ORDER BY ?s",
])
def test_final_order_declines_anything_else(query: str) -> None:
    assert final_order(query) is None


_POOL = [None, URIRef(EX + "b"), URIRef(EX + "a"), URIRef(EX + "a/é"), URIRef("urn:z"),
         Literal("b"), Literal("B"), Literal("a"), Literal(""), Literal("é"), Literal("ab")]
_NUMBERS = [None, Literal(3), Literal(-1), Literal("2.5", datatype=XSD.decimal),
            Literal("1e1", datatype=XSD.double), Literal(0), Literal("2.50", datatype=XSD.decimal)]
_DATES = [None, Literal("2019-12-31", datatype=XSD.date), Literal("2020-01-01", datatype=XSD.date),
          Literal("2018-06-15", datatype=XSD.date)]


def _random_store(seed: int) -> OxigraphStore:
    rng = random.Random(seed)
    g = Graph()
    for i in range(300):
        row = URIRef(f"{EX}row{i:03d}")
        g.add((row, URIRef(EX + "id"), Literal(i)))
        for prop, pool in (("k", _POOL), ("n", _NUMBERS), ("d", _DATES)):
            value = rng.choice(pool)
            if value is not None:
                g.add((row, URIRef(EX + prop), value))
    store = OxigraphStore()
    store.add(g, URIRef(EX + "graph"))
    return store


@pytest.mark.parametrize("order", [
    "?k ?id", "DESC(?k) ?id", "?n ?id", "DESC(?n) DESC(?id)", "?d ?k ?n ?id",
    "ASC(?d) DESC(?n) ?id", "?k", "DESC(?d)",
])
def test_python_order_equals_oxigraphs(order: str) -> None:
    store = _random_store(len(order))
    query = (f"SELECT ?row ?id ?k ?n ?d WHERE {{ ?row <{EX}id> ?id "
             f"OPTIONAL {{ ?row <{EX}k> ?k }} OPTIONAL {{ ?row <{EX}n> ?n }} "
             f"OPTIONAL {{ ?row <{EX}d> ?d }} }} ORDER BY {order}")
    fast = store.select(query)
    slow = store.select(query, **SLOW)
    found = final_order(query)
    assert found is not None
    keys = [fast.variables.index(name) for name, _ in found[1]]

    def key_columns(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [tuple(row[i] for i in keys) for row in rows]

    # the same sequence of sort keys; rows that tie (when ?id is not a key) as the same set
    assert key_columns(fast.rows) == key_columns(slow.rows)
    for _, group in itertools.groupby(zip(key_columns(fast.rows), fast.rows, slow.rows,
                                          strict=True), key=lambda t: t[0]):
        block = list(group)
        assert sorted(repr(b[1]) for b in block) == sorted(repr(b[2]) for b in block)
    if "?id" in order:
        assert fast.rows == slow.rows


def test_orders_it_does_not_reproduce_are_left_to_oxigraph(tricky: OxigraphStore) -> None:
    rows: list[tuple[object, ...]] = [(Literal("a"),), (Literal(1),)]
    assert sort_rows(rows, ["x"], [("x", False)]) is None  # strings mixed with numbers
    assert sort_rows([(BNode(),), (URIRef(EX),)], ["x"], [("x", False)]) is None
    assert sort_rows([(Literal("a", lang="fr"),)], ["x"], [("x", False)]) is None
    assert sort_rows([(URIRef(EX),)], ["x"], [("y", False)]) is None
    # the store then lets Oxigraph order the answer, as written
    query = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o ?s"
    assert tricky.select(query).rows == tricky.select(query, **SLOW).rows
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert has_zoned_dates([f'"2019-01-01Z"^^<{xsd}date>'])
    assert has_zoned_dates(["<x>", f'"2019-01-01T00:00:00-05:00"^^<{xsd}dateTime>'])
    assert has_zoned_dates([f'"2019+01:00"^^<{xsd}gYear>'])
    assert not has_zoned_dates([f'"2019-01-01"^^<{xsd}date>', '"Z"', f'"1Z"^^<{xsd}string>'])


def test_dates_with_time_zones_keep_oxigraphs_order() -> None:
    """rdflib drops a date's zone from its text ("2019-01-01Z" reads "2019-01-01"): such answers
    are ordered by Oxigraph."""
    g = Graph()
    for i, lexical in enumerate(["2019-01-02", "2019-01-01Z", "2019-01-01+13:00", "2018-12-31",
                                 "2019-01-01-12:00", "2019-01-01"]):
        g.add((URIRef(f"{EX}s{i}"), URIRef(EX + "on"), Literal(lexical, datatype=XSD.date)))
    store = OxigraphStore()
    store.add(g, URIRef(EX + "graph"))
    query = f"SELECT ?s ?on WHERE {{ ?s <{EX}on> ?on }} ORDER BY ?on ?s"
    assert store.select(query).rows == store.select(query, **SLOW).rows


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
