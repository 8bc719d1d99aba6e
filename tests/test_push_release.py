"""A published release pushed into Oxigraph servers: the raw ``queries/*.rq`` files, sent by
plain HTTP (``urllib``, not metrograph), answer as the embedded store does on a server whose
default graph is a graph of its own; pushing the same release twice counts nothing twice;
``prune`` removes the graphs a newer release no longer has that metrograph pushed, and only
those."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

import metrograph
from metrograph.graph import KnowledgeGraph
from metrograph.publishing.push import push
from metrograph.stores.base import SelectResult
from metrograph.stores.remote import comparable_rows

from . import servers
from .servers import Server

oxigraph_scratch = servers.oxigraph_scratch  # union default graph

QUERIES = sorted((Path(metrograph.__file__).parent / "queries").glob("*.rq")) or sorted(
    (Path(__file__).parent.parent / "queries").glob("*.rq"))
PLAN = "https://w3id.org/metrograph/graph/data/metropolis/2018-2020/plan"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh Oxigraph server whose default graph is a graph of its own (its default)."""
    server = servers.start_oxigraph(tmp_path_factory.mktemp("oxigraph-rq"), union=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bundled() -> KnowledgeGraph:
    return metrograph.load()


@pytest.fixture(scope="module")
def release(bundled: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release folder as ``metrograph publish`` writes it (its TriG file is what is pushed)."""
    folder = tmp_path_factory.mktemp("release")
    (folder / "metrograph.trig").write_text(bundled.export("trig"), encoding="utf-8")
    return folder


def _term(value: dict[str, str]) -> Node:
    if value["type"] == "uri":
        return URIRef(value["value"])
    if value["type"] == "bnode":
        return BNode(value["value"])
    return Literal(value["value"], lang=value.get("xml:lang"),
                   datatype=None if "xml:lang" in value else value.get("datatype"))


def _raw(url: str, text: str) -> SelectResult:
    """``text`` POSTed to ``url`` as any SPARQL client would, the answer read with json."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode({"query": text}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        data = json.load(resp)
    names = data["head"]["vars"]
    return SelectResult(names, [tuple(_term(b[n]) if n in b else None for n in names)
                                for b in data["results"]["bindings"]])


def _push(release: Path, server: Server, **options: object) -> object:
    return push(release, server.gsp_url, update_url=server.update_url,
                query_url=server.query_url, **options)  # type: ignore[arg-type]


def _count(server: Server, text: str) -> int:
    [[n]] = _raw(server.query_url, text).rows
    return int(str(n))


def test_raw_query_files_after_a_push(plain: Server, release: Path,
                                      bundled: KnowledgeGraph) -> None:
    report = _push(release, plain)
    assert report.default_union  # type: ignore[attr-defined]
    distinct = _count(plain, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o "
                             "{ GRAPH ?g { ?s ?p ?o } } }")
    for attempt in range(2):  # the same release twice: nothing counted twice
        if attempt:
            _push(release, plain)
        assert _count(plain, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == distinct
        answered = 0
        for path in QUERIES:
            text = path.read_text(encoding="utf-8")
            want = comparable_rows(bundled.store.select(text))
            got = comparable_rows(_raw(plain.query_url, text))
            assert got == want, path.name
            answered += bool(want)
        assert answered > len(QUERIES) // 2  # the comparisons are not vacuous
    [plans] = [p for p in QUERIES if p.name == "plans.rq"]
    assert len(_raw(plain.query_url, plans.read_text(encoding="utf-8")).rows) == 1


def test_prune_removes_what_a_newer_release_no_longer_has(plain: Server, release: Path,
                                                          bundled: KnowledgeGraph) -> None:
    from rdflib import Dataset

    _push(release, plain)
    newer, whole = Dataset(), bundled.store.dataset()
    for name in bundled.store.graph_names():
        if str(name) != PLAN:
            newer.graph(name).__iadd__(whole.graph(name))
    other = URIRef("urn:test:someone-else")
    newer_other = Dataset()
    newer_other.graph(other).add((other, other, Literal("kept")))
    push(newer_other, plain.gsp_url, update_url=plain.update_url, query_url=plain.query_url)
    # a graph in metrograph's namespace that someone else wrote (no push record)
    foreign = "https://w3id.org/metrograph/graph/user/partner-b"
    put = urllib.request.Request(
        f"{plain.gsp_url}?{urllib.parse.urlencode({'graph': foreign})}", method="PUT",
        data=b'<urn:b:s> <urn:b:p> "partner B data" .\n',
        headers={"Content-Type": "application/n-triples"})
    with urllib.request.urlopen(put, timeout=60) as resp:
        assert resp.status in (200, 201, 204)
    report = push(newer, plain.gsp_url, update_url=plain.update_url, query_url=plain.query_url,
                  prune=True)
    assert report.pruned == [URIRef(PLAN)] and f"{PLAN}: pruned" in report.summary()
    left = {str(r[0]) for r in _raw(plain.query_url, "SELECT DISTINCT ?g "
                                    "{ GRAPH ?g { ?s ?p ?o } }").rows}
    assert PLAN not in left and str(other) in left and foreign in left
    # the default graph follows: no deliverable of the pruned plan is left in it
    assert _count(plain, "PREFIX mg: <https://w3id.org/metrograph/ontology#> "
                         "SELECT (COUNT(*) AS ?n) { ?d a mg:Deliverable }") == 0


def test_a_union_server_keeps_its_default_graph(oxigraph_scratch: Server,
                                                release: Path) -> None:
    report = _push(release, oxigraph_scratch)
    assert not report.default_union  # type: ignore[attr-defined]
