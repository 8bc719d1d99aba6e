"""``push``: a knowledge graph or a release goes to real servers (Oxigraph, Virtuoso) with the Graph
Store protocol or SPARQL Update; pushing twice changes nothing; replacing is never half-done; a
failed push leaves the previous graph intact, or says it wrote the new one whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

import metrograph
from metrograph.errors import InputError, PushError, QueryError
from metrograph.graph import KnowledgeGraph
from metrograph.publishing.push import push, read_release
from metrograph.stores.remote import RemoteStore

from . import servers
from .servers import FakeServer, Reply, Request, Server

# the fixtures of servers.py, visible to pytest in this module
fake = servers.fake
oxigraph_scratch = servers.oxigraph_scratch
virtuoso_limited = servers.virtuoso_limited

FakeFactory = Callable[..., FakeServer]
EX = "urn:test:push:"


@pytest.fixture(scope="module")
def bundled() -> KnowledgeGraph:
    return metrograph.load()


def _graph(version: int, size: int = 30) -> Graph:
    """A small graph with French text, a number and a blank node structure."""
    g = Graph()
    for i in range(size):
        s = URIRef(f"{EX}item/{i}")
        g.add((s, URIRef(EX + "label"), Literal(f"élément {i} « v{version} »", lang="fr")))
        g.add((s, URIRef(EX + "version"), Literal(version)))
    b = BNode()
    g.add((URIRef(EX + "item/0"), URIRef(EX + "note"), b))
    g.add((b, URIRef(EX + "text"), Literal(f'a "quoted"\nline {version}')))
    return g


def _remote_graph(server: Server, name: str) -> Graph:
    store = RemoteStore(server.query_url, graphs=[name])
    return store.dataset().graph(URIRef(name))


def _no_temporary_graphs(server: Server) -> None:
    names = RemoteStore(server.query_url).graph_names()
    assert not [g for g in names if str(g).startswith("urn:metrograph:staging:")], names


SERVERS = ["oxigraph_scratch", "virtuoso_limited"]


@pytest.mark.parametrize("which", SERVERS)
def test_push_then_push_again_changes_nothing(request: pytest.FixtureRequest, which: str,
                                              bundled: KnowledgeGraph) -> None:
    server: Server = request.getfixturevalue(which)
    report = push(bundled, server.gsp_url, update_url=server.update_url,
                  query_url=server.query_url)
    names = bundled.store.graph_names()
    assert [r.graph for r in report.graphs] == names
    # atomic: staged and moved into place, or (into an empty graph on Oxigraph) one transaction
    assert all(r.stored == r.triples and (r.staged or r.transactional)
               and r.method == "graph-store" for r in report.graphs)
    store = RemoteStore(server.query_url, graphs=[str(n) for n in names])
    first = store.dataset()
    again = push(bundled, server.gsp_url, update_url=server.update_url,
                 query_url=server.query_url)
    assert again.triples == report.triples == len(bundled)
    second = store.dataset()
    assert len(store) == len(bundled.store)
    want = bundled.store.dataset()
    for name in names:
        assert isomorphic(second.graph(name), first.graph(name)), name
        assert isomorphic(second.graph(name), want.graph(name)), name
    _no_temporary_graphs(server)


@pytest.mark.parametrize("which", SERVERS)
def test_replace_and_add(request: pytest.FixtureRequest, which: str) -> None:
    server: Server = request.getfixturevalue(which)
    name = EX + "replace/" + which
    for version in (1, 2):
        ds = Dataset()
        ds.graph(URIRef(name)).__iadd__(_graph(version))
        push(ds, server.gsp_url, update_url=server.update_url, query_url=server.query_url)
        assert isomorphic(_remote_graph(server, name), _graph(version))
    extra = Dataset()
    extra.graph(URIRef(name)).add((URIRef(EX + "x"), URIRef(EX + "y"), Literal("z")))
    push(extra, server.gsp_url, update_url=server.update_url, query_url=server.query_url,
         replace=False)
    got = _remote_graph(server, name)
    assert len(got) == len(_graph(2)) + 1
    empty = Dataset()
    empty.graph(URIRef(name))
    push(empty, None, update_url=server.update_url, graph=None)  # nothing named: no-op
    assert len(_remote_graph(server, name)) == len(got)
    _no_temporary_graphs(server)


@pytest.mark.parametrize("which", SERVERS)
def test_sparql_update_only_in_small_chunks(request: pytest.FixtureRequest, which: str,
                                            bundled: KnowledgeGraph) -> None:
    """Without a Graph Store URL: INSERT DATA in chunks (blank nodes in INSERT … WHERE {})."""
    server: Server = request.getfixturevalue(which)
    meta = URIRef("https://w3id.org/metrograph/graph/data/metropolis/2018-2020/plan-meta")
    # force: an earlier test may have pushed the same graph (it would be found unchanged)
    report = push(bundled, None, update_url=server.update_url, query_url=server.query_url,
                  graph=meta, chunk_size=10, force=True)
    [result] = report.graphs
    assert result.method == "update" and result.stored == result.triples
    want = bundled.store.dataset().graph(meta)
    assert any(isinstance(t, BNode) for t in want.subjects())  # a checksum's blank node
    assert isomorphic(_remote_graph(server, str(meta)), want)


def test_graph_store_missing_falls_back_to_update(fake: FakeFactory,
                                                  oxigraph_scratch: Server) -> None:
    real = oxigraph_scratch.query_url.rsplit("/", 1)[0]
    proxy = fake(lambda r: Reply(405, {"Allow": "GET"}) if r.path == "/store" else None,
                 forward_to=real)
    name = EX + "fallback"
    ds = Dataset()
    ds.graph(URIRef(name)).__iadd__(_graph(1))
    report = push(ds, proxy.base + "/store", update_url=proxy.base + "/update",
                  query_url=proxy.base + "/query")
    assert [r.method for r in report.graphs] == ["update"]
    assert proxy.count("PUT") == 1  # tried once, then SPARQL Update
    assert isomorphic(_remote_graph(oxigraph_scratch, name), _graph(1))


def test_graph_store_only_puts_in_place(oxigraph_scratch: Server) -> None:
    name = EX + "direct"
    ds = Dataset()
    ds.graph(URIRef(name)).__iadd__(_graph(3))
    [result] = push(ds, oxigraph_scratch.gsp_url, query_url=oxigraph_scratch.query_url).graphs
    assert (result.method, result.staged, result.stored) == ("graph-store", False, len(_graph(3)))
    assert isomorphic(_remote_graph(oxigraph_scratch, name), _graph(3))


def test_push_a_release_folder_and_one_graph(tmp_path: Path, bundled: KnowledgeGraph,
                                             oxigraph_scratch: Server) -> None:
    (tmp_path / "metrograph.trig").write_text(bundled.export("trig"), encoding="utf-8")
    plan = URIRef("https://w3id.org/metrograph/graph/data/metropolis/2018-2020/plan")
    report = push(tmp_path, oxigraph_scratch.gsp_url, update_url=oxigraph_scratch.update_url,
                  query_url=oxigraph_scratch.query_url, graph=plan)
    assert [r.graph for r in report.graphs] == [plan]
    assert isomorphic(_remote_graph(oxigraph_scratch, str(plan)),
                      bundled.store.dataset().graph(plan))
    assert len(read_release(tmp_path)) == len(bundled)
    assert "triples" in report.summary()


def test_default_graph_triples(oxigraph_scratch: Server) -> None:
    ds = Dataset()
    ds.add((URIRef(EX + "a"), URIRef(EX + "b"), Literal("default")))
    ds.graph(URIRef(EX + "named")).add((URIRef(EX + "a"), URIRef(EX + "b"), Literal("named")))
    kwargs = {"update_url": oxigraph_scratch.update_url,
              "query_url": oxigraph_scratch.query_url}
    report = push(ds, oxigraph_scratch.gsp_url, **kwargs)
    assert report.skipped_default_triples == 1 and "default graph" in report.summary()
    report = push(ds, oxigraph_scratch.gsp_url, default_graph=EX + "description", **kwargs)
    assert report.skipped_default_triples == 0
    assert len(_remote_graph(oxigraph_scratch, EX + "description")) == 1


def test_input_errors(tmp_path: Path, bundled: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="Graph Store URL"):
        push(bundled, None)
    with pytest.raises(InputError, match="no named graph <urn:none>"):
        push(bundled, "http://127.0.0.1:1/store", graph="urn:none")
    with pytest.raises(InputError, match=r"metrograph\.trig"):
        push(tmp_path, "http://127.0.0.1:1/store")
    with pytest.raises(InputError, match="not an http"):
        push(bundled, "file:///etc/passwd")


# ------------------------------------------------------------------ failures

def _dies_after(n: int) -> Callable[[Request], Reply | None]:
    """A proxy that forwards ``n`` requests, then drops every connection (a dead server)."""
    return lambda r: Reply(close=True) if r.index >= n else None


@pytest.mark.parametrize("which", SERVERS)
@pytest.mark.parametrize("failure", ["dies-during-upload", "500-on-move",
                                     "500-during-chunks", "wrong-count"])
def test_a_failed_push_leaves_the_previous_graph(request: pytest.FixtureRequest, which: str,
                                                 failure: str, fake: FakeFactory) -> None:
    server: Server = request.getfixturevalue(which)
    name = f"{EX}failure/{which}/{failure}"
    before = Dataset()
    before.graph(URIRef(name)).__iadd__(_graph(1))
    push(before, server.gsp_url, update_url=server.update_url, query_url=server.query_url)
    real = server.query_url.rsplit("/", 1)[0]

    def update_text(r: Request) -> str:
        return " ".join(r.form().get("update", []))

    behaviours: dict[str, Callable[[Request], Reply | None]] = {
        # the upload's first request goes through, then the server is gone
        "dies-during-upload": _dies_after(1),
        # everything works but the MOVE into place
        "500-on-move": lambda r: Reply(500, {}, b"boom") if (
            "MOVE" in update_text(r) or "DELETE" in update_text(r)) else None,
        # the third chunk of INSERT DATA fails (and its retries)
        "500-during-chunks": lambda r: Reply(503, {}, b"busy") if (
            "INSERT" in update_text(r) and sum("INSERT" in update_text(x)
                                               for x in proxy.requests) >= 3) else None,
        # the server says it stored fewer triples than were sent
        "wrong-count": lambda r: Reply(200, {"Content-Type": "application/sparql-results+json"},
                                       b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n":'
                                       b' {"type": "literal", "value": "3"}}]}}')
        if "COUNT" in " ".join(r.form().get("query", [])) else None,
    }
    proxy = fake(behaviours[failure], forward_to=real)
    path = server.query_url[len(real):]
    gsp = None if failure == "500-during-chunks" else proxy.base + server.gsp_url[len(real):]
    after = Dataset()
    after.graph(URIRef(name)).__iadd__(_graph(2, size=60))
    with pytest.raises(PushError) as info:
        push(after, gsp, update_url=proxy.base + server.update_url[len(real):],
             query_url=proxy.base + path, chunk_size=20, retries=1)
    message = str(info.value)
    assert name in message
    if failure == "500-on-move":
        assert "is unchanged" in message
    elif failure != "dies-during-upload":
        assert f"<{name}> is unchanged" in message
    else:
        assert "could not be dropped" in message and "urn:metrograph:staging:" in message
        leftover = message.split("the staging graph <", 1)[1].split(">", 1)[0]
        RemoteStore(server.query_url, server.update_url).update(f"DROP SILENT GRAPH <{leftover}>")
    assert isomorphic(_remote_graph(server, name), _graph(1))  # the previous graph, intact
    _no_temporary_graphs(server)


@pytest.mark.parametrize("which, step", [("oxigraph-plain", "record"),
                                         ("oxigraph-plain", "count"),
                                         ("virtuoso_limited", "record")])
def test_a_graph_written_but_not_recorded_is_said_so_and_repaired(
        request: pytest.FixtureRequest, tmp_path: Path, fake: FakeFactory, which: str,
        step: str) -> None:
    """The graph is written whole (Oxigraph's transactional PUT into an empty graph, Virtuoso's
    MOVE), then recording the push (or counting the graph) fails: the error says the graph was
    written, ``done`` lists it, and the next push records it and rebuilds the default graph."""
    if which == "oxigraph-plain":  # a fresh server whose default graph is a graph of its own
        server = servers.start_oxigraph(tmp_path, union=False)
        request.addfinalizer(server.stop)
    else:
        server = request.getfixturevalue(which)
    name = f"{EX}unrecorded/{which}/{step}"
    source = Dataset()
    source.graph(URIRef(name)).__iadd__(_graph(3))
    real = server.query_url.rsplit("/", 1)[0]

    def fails(r: Request) -> Reply | None:
        text = " ".join(r.form().get("update", []) + r.form().get("query", []))
        if step == "record" and "push:sha256" in text and "INSERT DATA" in text:
            return Reply(500, {"Content-Type": "text/plain"}, b"boom")
        if step == "count" and "COUNT" in text and any(x.method == "PUT"
                                                       for x in proxy.requests):
            return Reply(500, {"Content-Type": "text/plain"}, b"boom")
        return None

    proxy = fake(fails, forward_to=real)

    def via(url: str) -> str:
        return proxy.base + url[len(real):]

    with pytest.raises(PushError) as info:
        push(source, via(server.gsp_url), update_url=via(server.update_url),
             query_url=via(server.query_url), retries=0)
    message = str(info.value)
    assert f"<{name}> was written whole" in message and "the next push sends it again" in message
    assert [str(r.graph) for r in info.value.done] == [name]
    assert isomorphic(_remote_graph(server, name), _graph(3))
    store = RemoteStore(server.query_url, union_default_graph=True)
    recorded = ("ASK { GRAPH <urn:metrograph:push-state> { <urn:metrograph:push-state> "
                "<urn:metrograph:push:default-graph> \"stale\" } }")
    if which == "oxigraph-plain":  # marked stale before the write
        assert store.ask(recorded)
    report = push(source, server.gsp_url, update_url=server.update_url,
                  query_url=server.query_url)
    [again] = report.graphs
    assert again.method != "unchanged"  # no record: sent again, then recorded
    if which == "oxigraph-plain":
        assert report.default_union and not store.ask(recorded)
        default = store.select('SELECT ?s ?p ?o { ?s ?p ?o FILTER(!STRSTARTS(STR(?p), '
                               '"urn:metrograph:push:")) }')  # the records left out
        assert len(default.rows) == len(_graph(3))
    [third] = push(source, server.gsp_url, update_url=server.update_url,
                   query_url=server.query_url).graphs
    assert third.method == "unchanged"


def test_credentials_with_digest_auth_on_virtuoso(virtuoso_limited: Server,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso's authenticated Graph Store answers HTTP Digest challenges."""
    auth = virtuoso_limited.gsp_url + "-auth"
    name = EX + "digest"
    ds = Dataset()
    ds.graph(URIRef(name)).__iadd__(_graph(4))
    monkeypatch.delenv("METROGRAPH_USER", raising=False)
    monkeypatch.delenv("METROGRAPH_PASSWORD", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent")
    with pytest.raises(PushError, match=r"HTTP 401.*METROGRAPH_USER"):
        push(ds, auth, query_url=virtuoso_limited.query_url)
    monkeypatch.setenv("METROGRAPH_USER", "dba")
    monkeypatch.setenv("METROGRAPH_PASSWORD", "dba")
    [result] = push(ds, auth, query_url=virtuoso_limited.query_url).graphs
    assert result.stored == len(_graph(4))
    assert isomorphic(_remote_graph(virtuoso_limited, name), _graph(4))


def test_remote_store_refuses_updates_without_an_update_url(oxigraph_scratch: Server) -> None:
    with pytest.raises(QueryError, match="read-only"):
        RemoteStore(oxigraph_scratch.query_url).update("DROP ALL")
