"""Benchmark ``metrograph push`` into an Oxigraph server and into Virtuoso.

    python benchmarks/push.py --triples 200000
    python benchmarks/push.py --triples 1000000 --servers oxigraph
    python benchmarks/push.py --triples 200000 --src /path/to/older/src   # another version

A synthetic network of about N triples (seed 0) is split into eight named graphs under
metrograph's graph namespace and written as an N-Quads release file. For each server, a fresh
one is started on 127.0.0.1 with an empty store (Oxigraph: the ``oxigraph`` command of the PyPI
package, its default graph a graph of its own, so the push also rebuilds it; Virtuoso:
``virtuoso-t`` as ``tests/servers.py`` starts it), then, in a subprocess of its own each, the file
is pushed (staged upload and put in place, the CLI's defaults), pushed again (the same release:
nothing may change), and pushed with one graph changed. Beside these, the server's own bulk load
of the same file into a fresh server: Oxigraph's bulk loader over HTTP
(``POST /store?no_transaction``), Virtuoso's ``ld_dir`` + ``rdf_loader_run()`` through
``isql``. Prints wall time and the peak memory (``ru_maxrss``) of the pushing process. Figures,
not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/servers.py starts the servers as the tests do

GRAPHS = 8
BASE = "https://w3id.org/metrograph/graph/bench/"


def _release(triples: int, folder: Path) -> tuple[Path, int]:
    """An N-Quads release of about ``triples`` triples in eight graphs, and a copy with the
    first graph changed (one triple in ten of it rewritten)."""
    import pyoxigraph as ox

    from metrograph.testing.synthetic import write

    nt = folder / "network.nt"
    write(nt, triples, fmt="nt")
    quads, changed = [], []
    with nt.open("rb") as f:
        for i, t in enumerate(ox.parse(f, format=ox.RdfFormat.N_TRIPLES)):
            g = ox.NamedNode(f"{BASE}{i % GRAPHS}")
            quads.append(ox.Quad(t.subject, t.predicate, t.object, g))
            if i % GRAPHS == 0 and i % (10 * GRAPHS) == 0:
                t = ox.Triple(t.subject, t.predicate, ox.Literal(f"changed {i}"))
            changed.append(ox.Quad(t.subject, t.predicate, t.object, g))
    release = folder / "release" / "metrograph.nq"
    release.parent.mkdir()
    ox.serialize(quads, str(release), format=ox.RdfFormat.N_QUADS)
    other = folder / "changed" / "metrograph.nq"
    other.parent.mkdir()
    ox.serialize(changed, str(other), format=ox.RdfFormat.N_QUADS)
    nt.unlink()
    return release, len(quads)


def _count(query_url: str) -> int:
    q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } "
                                         f"FILTER(STRSTARTS(STR(?g), '{BASE}')) }}"})
    req = urllib.request.Request(query_url, data=q.encode(), headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=900) as resp:
        return int(json.load(resp)["results"]["bindings"][0]["n"]["value"])


def _timed_child(code: str, src: str | None) -> tuple[float, float]:
    """Wall seconds and peak MB of ``python -c code`` (with ``src`` first on its path)."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the child failed ({os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_maxrss / 1024


@contextmanager
def _server(kind: str, folder: Path) -> Iterator[object]:
    from tests import servers

    folder.mkdir(parents=True)
    server = (servers.start_oxigraph(folder, union=False) if kind == "oxigraph"
              else servers.start_virtuoso(folder))
    try:
        yield server
    finally:
        server.stop()


def _oxigraph_bulk(server: object, release: Path) -> None:
    url = server.gsp_url + "?no_transaction"  # type: ignore[attr-defined]
    with release.open("rb") as body:
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/n-quads",
            "Content-Length": str(release.stat().st_size)})
        urllib.request.urlopen(req, timeout=900).read()


def _virtuoso_bulk(server: object, release: Path) -> None:
    from tests import servers

    folder: Path = server.folder  # type: ignore[attr-defined]
    ini = (folder / "virtuoso.ini").read_text()
    port = ini.split("ServerPort           = ", 1)[1].split("\n", 1)[0]
    copy = folder / "load" / release.name
    copy.parent.mkdir()
    os.link(release, copy) if release.stat().st_dev == folder.stat().st_dev else \
        copy.write_bytes(release.read_bytes())
    _, isql = servers.virtuoso_binaries()
    sql = (f"ld_dir('{copy.parent}', '{copy.name}', '{BASE}default'); rdf_loader_run(); "
           "checkpoint;")
    subprocess.run([isql, port, "dba", servers.VIRTUOSO_DBA_PASSWORD, f"exec={sql}"],
                   check=True, capture_output=True, timeout=1800)


BULK: dict[str, Callable[[object, Path], None]] = {"oxigraph": _oxigraph_bulk,
                                                     "virtuoso": _virtuoso_bulk}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=200_000)
    parser.add_argument("--servers", default="oxigraph,virtuoso")
    parser.add_argument("--src", help="a metrograph source folder to measure instead of the "
                                      "installed one (before/after figures)")
    parser.add_argument("--write-release", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_release:  # in a child: this process stays small, so its children's peaks
        print(_release(args.triples, Path(args.write_release))[1])  # are theirs alone
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = subprocess.run([sys.executable, __file__, "--triples", str(args.triples),
                               "--write-release", tmp], check=True, capture_output=True)
        release, n = folder / "release" / "metrograph.nq", int(made.stdout)
        changed = folder / "changed" / release.name
        print(f"push of {n} quads ({release.stat().st_size / 1e6:.0f} MB N-Quads, {GRAPHS} "
              f"graphs){' with ' + args.src if args.src else ''}")
        for kind in args.servers.split(","):
            with _server(kind, folder / f"{kind}-push") as server:
                urls = {k: getattr(server, k) for k in ("gsp_url", "update_url", "query_url")}
                for label, source in (("first push", release), ("same release again", release),
                                      ("one graph changed", changed)):
                    code = ("from metrograph.publishing.push import push; "
                            f"push({str(source)!r}, {urls['gsp_url']!r}, "
                            f"update_url={urls['update_url']!r}, "
                            f"query_url={urls['query_url']!r}, timeout=1800)")
                    wall, peak = _timed_child(code, args.src)
                    print(f"  {kind:<9} {label:<20} {wall:7.1f} s   peak RSS {peak:6.0f} MB   "
                          f"server holds {_count(urls['query_url'])} triples", flush=True)
            with _server(kind, folder / f"{kind}-bulk") as server:
                start = time.perf_counter()
                BULK[kind](server, release)
                wall = time.perf_counter() - start
                print(f"  {kind:<9} {'own bulk load':<20} {wall:7.1f} s   "
                      f"{'':24} server holds {_count(server.query_url)} triples",  # type: ignore[attr-defined]
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
