"""Benchmark ``metrograph push`` into a local Oxigraph server.

    python benchmarks/push.py --triples 200000
    python benchmarks/push.py --triples 1000000 --runs 1

A synthetic network of about N triples (seed 0) is split into eight named graphs and written as a
release TriG file; an Oxigraph server (the ``oxigraph`` command of the PyPI package, beside this
Python or on PATH) is started on 127.0.0.1 with an empty store; then, in a subprocess of its own
each, the file is pushed (staged upload and MOVE, the CLI's defaults), pushed again (the same
release: counts must not change), and the server's own ``PUT`` of the same data is timed for
comparison. Prints wall time and the peak memory (``ru_maxrss``) of the pushing process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _release(triples: int, folder: Path) -> tuple[Path, int]:
    import pyoxigraph as ox

    from metrograph.testing.synthetic import write

    nt = folder / "network.nt"
    write(nt, triples, fmt="nt")
    quads = []
    with nt.open("rb") as f:
        for i, t in enumerate(ox.parse(f, format=ox.RdfFormat.N_TRIPLES)):
            g = ox.NamedNode(f"https://example.org/release/graph/{i % 8}")
            quads.append(ox.Quad(t.subject, t.predicate, t.object, g))
    trig = folder / "metrograph.trig"
    with trig.open("wb") as out:
        ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)
    nq = trig.with_suffix(".nq")
    trig.rename(nq)
    return nq, len(quads)


def _oxigraph() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("the oxigraph server is not installed (pip install '.[test]')")
    return found


def _count(base: str) -> int:
    q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"})
    req = urllib.request.Request(f"{base}/query", data=q.encode(), headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return int(json.load(resp)["results"]["bindings"][0]["n"]["value"])


def _timed_child(code: str) -> tuple[float, float]:
    """Wall seconds and peak MB of ``python -c code``."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the child failed ({child.returncode})")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        release, n = _release(args.triples, folder)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([_oxigraph(), "serve", "--location", str(folder / "db"),
                                   "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    _count(base)
                    break
                except OSError:
                    time.sleep(0.1)
            push = ("from metrograph.publishing.push import push; "
                    f"push({str(release)!r}, {base + '/store'!r}, "
                    f"update_url={base + '/update'!r}, query_url={base + '/query'!r}, "
                    "timeout=600)")
            print(f"push of {n} quads ({release.stat().st_size / 1e6:.0f} MB N-Quads, "
                  "8 graphs) into an Oxigraph server")
            for label in ("first push", "same release again"):
                wall, peak = _timed_child(push)
                print(f"  {label:<22} {wall:6.1f} s   peak RSS {peak:6.0f} MB   "
                      f"server holds {_count(base)} quads")
            put = ("import urllib.request; "
                   f"req = urllib.request.Request({base + '/store'!r}, "
                   f"data=open({str(release)!r}, 'rb'), method='PUT', "
                   "headers={'Content-Type': 'application/n-quads'}); "
                   "urllib.request.urlopen(req, timeout=600).read()")
            wall, _ = _timed_child(put)
            print(f"  {'server PUT (baseline)':<22} {wall:6.1f} s")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
