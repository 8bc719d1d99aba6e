"""``push`` records what it pushed (a digest and a count per graph, on the server): an unchanged
graph is not sent again, a changed one is; a graph changed on the server behind metrograph's back
is sent again when its count changed, and ``force`` sends everything; on a server whose default
graph is a graph of its own, a push that failed before rebuilding it leaves a mark that the next
push acts on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from metrograph.errors import PushError
from metrograph.publishing.push import push
from metrograph.stores.remote import RemoteStore
from metrograph.stores.remote.state import STATE

from . import servers
from .servers import FakeServer, Reply, Request, Server

fake = servers.fake
oxigraph_scratch = servers.oxigraph_scratch
oxigraph_plain = servers.oxigraph_plain
virtuoso_limited = servers.virtuoso_limited

EX = "urn:test:state:"
SERVERS = ["oxigraph_scratch", "virtuoso_limited"]


def _graph(tag: str, size: int = 20) -> Graph:
    g = Graph()
    for i in range(size):
        g.add((URIRef(f"{EX}item/{i}"), URIRef(EX + "label"), Literal(f"{tag} {i}", lang="fr")))
    return g


def _blank_graph(tag: str) -> Graph:
    """A graph with blank-node structures (a parser labels them anew at each reading)."""
    g = Graph()
    for i in range(5):
        node, inner = BNode(), BNode()
        g.add((URIRef(f"{EX}item/{i}"), URIRef(EX + "count"), node))
        g.add((node, URIRef(EX + "value"), Literal(f"{tag} {i}")))
        g.add((node, URIRef(EX + "part"), inner))
        g.add((inner, URIRef(EX + "value"), Literal(i)))
    return g


def _release(prefix: str, **graphs: Graph) -> Dataset:
    ds = Dataset()
    for name, g in graphs.items():
        ds.graph(URIRef(prefix + name)).__iadd__(g)
    return ds


def _push_via(proxy: FakeServer, server: Server, source: Dataset, **options: object) -> dict[
        str, str]:
    """Push through ``proxy``; the method of each graph by its last name segment."""
    base = server.query_url.rsplit("/", 1)[0]
    report = push(source, proxy.base + server.gsp_url[len(base):],
                  update_url=proxy.base + server.update_url[len(base):],
                  query_url=proxy.base + server.query_url[len(base):],
                  **options)  # type: ignore[arg-type]
    return {str(r.graph).rsplit("/", 1)[-1]: r.method for r in report.graphs}


def _uploads(proxy: FakeServer) -> int:
    """Graph Store uploads and SPARQL Update writes of data the proxy saw."""
    return sum(1 for r in proxy.requests if r.method in ("PUT", "POST")
               and (r.path.endswith(("store", "crud")) or "INSERT DATA" in
                    " ".join(r.form().get("update", [])).replace(STATE, "")))


def _remote(server: Server, name: str) -> Graph:
    return RemoteStore(server.query_url, graphs=[name]).dataset().graph(URIRef(name))


@pytest.mark.parametrize("which", SERVERS)
def test_unchanged_graphs_are_not_sent_again(request: pytest.FixtureRequest, which: str,
                                             fake: Callable[..., FakeServer]) -> None:
    server: Server = request.getfixturevalue(which)
    prefix = f"{EX}{which}/same/"
    proxy = fake(lambda r: None, forward_to=server.query_url.rsplit("/", 1)[0])
    first = _release(prefix, a=_graph("a"), b=_graph("b"), c=_blank_graph("c"))
    assert _push_via(proxy, server, first) == {"a": "graph-store", "b": "graph-store",
                                               "c": "graph-store"}
    sent = _uploads(proxy)
    assert sent >= 3
    # the same release read again (its blank nodes labelled anew): nothing is sent
    again = Dataset()
    again.parse(data=first.serialize(format="trig"), format="trig")
    assert _push_via(proxy, server, again) == {"a": "unchanged", "b": "unchanged",
                                               "c": "unchanged"}
    assert _uploads(proxy) == sent  # nothing sent
    second = _release(prefix, a=_graph("a"), b=_graph("b2"), c=_blank_graph("c"))
    assert _push_via(proxy, server, second) == {"a": "unchanged", "b": "graph-store",
                                                "c": "unchanged"}
    assert isomorphic(_remote(server, prefix + "b"), _graph("b2"))
    assert isomorphic(_remote(server, prefix + "a"), _graph("a"))
    # the records are bookkeeping, not facts: metrograph's client does not count them
    store = RemoteStore(server.query_url)
    assert URIRef(STATE) not in store.graph_names()


@pytest.mark.parametrize("which", SERVERS)
def test_a_graph_changed_behind_metrographs_back(request: pytest.FixtureRequest,
                                                 which: str) -> None:
    server: Server = request.getfixturevalue(which)
    prefix = f"{EX}{which}/behind/"
    name = prefix + "a"
    release = _release(prefix, a=_graph("a"))
    urls = {"update_url": server.update_url, "query_url": server.query_url}
    push(release, server.gsp_url, **urls)
    remote = RemoteStore(server.query_url, server.update_url)
    # a triple added: the count differs, the graph is sent again and put right
    remote.update(f"INSERT DATA {{ GRAPH <{name}> {{ <{EX}x> <{EX}y> 'extra' }} }}")
    [result] = push(release, server.gsp_url, **urls).graphs
    assert result.method == "graph-store" and isomorphic(_remote(server, name), _graph("a"))
    # the graph dropped: sent again
    remote.update(f"DROP SILENT GRAPH <{name}>")
    [result] = push(release, server.gsp_url, **urls).graphs
    assert result.method == "graph-store" and isomorphic(_remote(server, name), _graph("a"))
    # a triple replaced by another keeps the count: not seen (documented); force sends it
    remote.update(f"DELETE DATA {{ GRAPH <{name}> {{ <{EX}item/0> <{EX}label> 'a 0'@fr }} }} ;"
                  f"INSERT DATA {{ GRAPH <{name}> {{ <{EX}x> <{EX}y> 'swapped' }} }}")
    [result] = push(release, server.gsp_url, **urls).graphs
    assert result.method == "unchanged"
    [result] = push(release, server.gsp_url, force=True, **urls).graphs
    assert result.method == "graph-store" and isomorphic(_remote(server, name), _graph("a"))


def test_adding_forgets_the_record(oxigraph_scratch: Server) -> None:
    prefix = f"{EX}add/"
    release = _release(prefix, a=_graph("a"))
    urls = {"update_url": oxigraph_scratch.update_url, "query_url": oxigraph_scratch.query_url}
    push(release, oxigraph_scratch.gsp_url, **urls)
    push(_release(prefix, a=_graph("more", 3)), oxigraph_scratch.gsp_url, replace=False, **urls)
    [result] = push(release, oxigraph_scratch.gsp_url, **urls).graphs
    assert result.method == "graph-store"
    assert isomorphic(_remote(oxigraph_scratch, prefix + "a"), _graph("a"))


def _default_count(server: Server) -> int:
    [[n]] = RemoteStore(server.query_url, graphs=[]).select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    return int(str(n))


def test_a_failed_default_graph_rebuild_is_done_by_the_next_push(
        oxigraph_plain: Server, fake: Callable[..., FakeServer]) -> None:
    """On a server whose default graph is its own: the push that changed a graph but failed to
    rebuild the default graph leaves a mark; the next push, with nothing to send, rebuilds."""
    prefix = f"{EX}default/"
    server = oxigraph_plain
    push(_release(prefix, a=_graph("a")), server.gsp_url, update_url=server.update_url,
         query_url=server.query_url)
    before = _default_count(server)

    def refuse_rebuild(r: Request) -> Reply | None:
        text = " ".join(r.form().get("update", []))
        return Reply(503, {}, b"busy") if "TO DEFAULT" in text or "FILTER NOT EXISTS {\n" \
            "    GRAPH ?g" in text else None

    proxy = fake(refuse_rebuild, forward_to=server.query_url.rsplit("/", 1)[0])
    changed = _release(prefix, a=_graph("a", 30))
    with pytest.raises(PushError, match="every graph was pushed, but then"):
        _push_via(proxy, server, changed, retries=0)
    assert _default_count(server) == before  # the default graph was not rebuilt
    report = push(changed, server.gsp_url, update_url=server.update_url,
                  query_url=server.query_url)
    assert [r.method for r in report.graphs] == ["unchanged"] and report.default_union
    assert _default_count(server) > before
    again = push(changed, server.gsp_url, update_url=server.update_url,
                 query_url=server.query_url)
    assert not again.default_union  # nothing changed, nothing to rebuild


def test_the_command_line_skips_unchanged_graphs_unless_forced(
        oxigraph_scratch: Server, tmp_path: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from metrograph.cli.app import main

    release = Path(str(tmp_path)) / "release.trig"
    release.write_text(_release(f"{EX}cli/", a=_graph("a")).serialize(format="trig"),
                       encoding="utf-8")
    server = oxigraph_scratch
    args = ["push", str(release), "--quiet", "--graph-store", server.gsp_url,
            "--update", server.update_url, "--query", server.query_url]
    outputs = []
    for extra in ([], [], ["--force"]):
        assert main([*args, *extra]) == 0
        outputs.append(capsys.readouterr().out)
    assert "(graph-store, one transaction)" in outputs[0]  # an empty graph, on Oxigraph
    assert "(unchanged)" in outputs[1]
    assert "(graph-store, staged)" in outputs[2]


def test_a_published_release_pushed_again_from_a_new_process_sends_nothing(
        oxigraph_scratch: Server, tmp_path: pytest.TempPathFactory) -> None:
    """The bundled release (its plan graph holds blank nodes) pushed by two processes: the
    second finds every graph unchanged."""
    import subprocess
    import sys
    from pathlib import Path

    release = Path(str(tmp_path)) / "release"
    run = [sys.executable, "-m", "metrograph"]
    done = subprocess.run([*run, "publish", "-o", str(release), "-q"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    server = oxigraph_scratch
    args = [*run, "push", str(release), "--graph-store", server.gsp_url, "--update",
            server.update_url, "--query", server.query_url]
    outputs = []
    for _ in range(2):
        done = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    graphs = [line for line in outputs[1].splitlines() if "/graph/" in line]
    assert len(graphs) >= 4 and all("(unchanged)" in line for line in graphs), outputs[1]
    assert "2018-2020" in outputs[1]


@pytest.mark.parametrize("failure", ["500-on-put", "wrong-count", "dies-on-put"])
def test_a_failed_write_into_an_empty_graph_leaves_it_empty(
        oxigraph_scratch: Server, fake: Callable[..., FakeServer], failure: str) -> None:
    """On Oxigraph an empty graph is written by one transactional PUT: a failure leaves it
    empty (and no staging graph behind)."""
    name = f"{EX}direct/{failure}"
    behaviours: dict[str, Callable[[Request], Reply | None]] = {
        "500-on-put": lambda r: Reply(500, {}, b"boom") if r.method == "PUT" else None,
        "dies-on-put": lambda r: Reply(close=True) if r.method == "PUT" else None,
        "wrong-count": lambda r: servers.json_reply(
            '{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", '
            '"value": "3"}}]}}') if "COUNT" in " ".join(r.form().get("query", [])) and any(
                q.method == "PUT" for q in proxy.requests) else None,
    }
    proxy = fake(behaviours[failure], forward_to=oxigraph_scratch.query_url.rsplit("/", 1)[0])
    with pytest.raises(PushError) as info:
        _push_via(proxy, oxigraph_scratch, _release(f"{EX}direct/", **{failure: _graph("d")}),
                  retries=0)
    message = str(info.value)
    assert name in message
    assert ("empty again" if failure == "wrong-count" else "is unchanged") in message
    assert len(_remote(oxigraph_scratch, name)) == 0
    names = RemoteStore(oxigraph_scratch.query_url).graph_names()
    assert not [g for g in names if str(g).startswith("urn:metrograph:staging:")]
