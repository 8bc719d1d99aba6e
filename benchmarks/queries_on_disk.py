"""Every shipped query on Oxigraph's on-disk store, through the API as a user calls it.

    python benchmarks/queries_on_disk.py --network /tmp/bench/net1000000.nt \\
        --store /tmp/queryspeed/store1m
    python benchmarks/queries_on_disk.py --store /tmp/queryspeed/store1m plans components

The first run builds the store directory: the bundled ontology, schemes and data (each file
into the named graph ``KnowledgeGraph.load_bundled`` gives it), then the network bulk-loaded
(``pyoxigraph.Store.bulk_load``) into a named graph of its own, then ``flush()`` and
``optimize()``. Later runs open the directory read-only. Each query is timed as
``KnowledgeGraph(OxigraphStore(path)).query(name).rows`` (best of ``--repeat`` runs; the first
run of a query also pays for reading its pages from disk) and prints its time and rows.

``--answers FILE`` writes a digest of each query's rows (JSON: name -> rows, SHA-256); with
``--compare FILE`` the digests are checked against an earlier run, so that a rewritten query is
shown to give the same rows on the large network too. Benchmarks print figures: this is not a
timed test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

NETWORK_GRAPH = "https://w3id.org/metrograph/graph/user/network"

#: the parameters a query needs (the first measure of a generated network)
REQUIRED = {"measure-drilldown": {
    "measure": "https://w3id.org/metrograph/id/aurora-0000/plan/2015-2017/L1M1"}}


def build(store_dir: Path, network: Path) -> None:
    """Create ``store_dir``: the bundled parts, then ``network`` bulk-loaded."""
    import pyoxigraph as ox

    from metrograph.graph import KnowledgeGraph
    from metrograph.stores.oxigraph import OxigraphStore

    start = time.perf_counter()
    store = OxigraphStore(str(store_dir))
    KnowledgeGraph(store).load_bundled()
    store.native.bulk_load(path=str(network), format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(NETWORK_GRAPH))
    store.native.flush()
    store.native.optimize()
    print(f"built {store_dir}: {len(store)} quads in {time.perf_counter() - start:.1f} s",
          flush=True)


def digest(rows: list[dict[str, object]]) -> str:
    """SHA-256 of the rows in order (each cell as its N-Triples-like text)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(sorted((k, None if v is None else (type(v).__name__, str(v)))
                             for k, v in row.items())).encode())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/queryspeed/store1m"))
    parser.add_argument("--network", type=Path, help="N-Triples file to build the store from")
    parser.add_argument("--repeat", type=int, default=1, help="runs per query (best is kept)")
    parser.add_argument("--answers", type=Path, help="write the rows' digests to this file")
    parser.add_argument("--compare", type=Path, help="check the digests against this file")
    parser.add_argument("queries", nargs="*", help="query names (default: every shipped query)")
    args = parser.parse_args(argv)

    from metrograph.graph import KnowledgeGraph
    from metrograph.sparql.library import catalogue
    from metrograph.stores.oxigraph import OxigraphStore

    if not args.store.exists():
        if args.network is None:
            parser.error(f"{args.store} does not exist: give --network to build it")
        build(args.store, args.network)
    kg = KnowledgeGraph(OxigraphStore.open_read_only(str(args.store)))
    names = args.queries or sorted(catalogue())
    expected = json.loads(args.compare.read_text()) if args.compare else {}
    answers: dict[str, list[object]] = {}
    total = 0.0
    differ = 0
    for name in names:
        best = float("inf")
        rows: list[dict[str, object]] = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            rows = kg.query(name, **REQUIRED.get(name, {})).rows
            best = min(best, time.perf_counter() - start)
        total += best
        answers[name] = [len(rows), digest(rows)]
        note = ""
        if name in expected:
            same = expected[name] == answers[name]
            differ += not same
            note = "  same rows" if same else f"  DIFFERENT ROWS (was {expected[name][0]})"
        print(f"{name:32s} {best:8.3f} s {len(rows):8d} rows{note}", flush=True)
    print(f"{'total':32s} {total:8.3f} s", flush=True)
    if args.answers:
        args.answers.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
