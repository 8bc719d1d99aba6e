"""Validation on Oxigraph's on-disk store: every compiled constraint timed, the full run, and an
incremental run after adding a statuses file.

    python benchmarks/validate_on_disk.py --store /tmp/incremental/store1m \\
        --network /tmp/bench/net1000000.nt              # builds the store once, then measures
    python benchmarks/validate_on_disk.py --store DIR --units   # each constraint timed alone
    python benchmarks/validate_on_disk.py --store DIR --report full.json --no-full
        # the incremental run alone, from a full report saved by an earlier run

The store is built once (the bundled ontology, schemes, organisations and plan, one named graph
per file as ``KnowledgeGraph.load_bundled`` names them, then the network bulk-loaded into the
named graph ``…/graph/user/network``; flushed and optimised) and reused by later runs. Then:

- ``--units``: each compiled constraint run alone, one after the other, slowest first;
- the full validation (``KnowledgeGraph.validate``), timed;
- a statuses file of ``--statuses`` assessments (5 triples each, new dates for existing
  deliverables of one member's plans, or of the whole network with ``--spread``) written,
  added into a graph of its own, validated incrementally
  (:func:`metrograph.validation.incremental.validate_added`) and fully, the two compared
  result for result; the added graph is then removed, so that the store is left as it was.

Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from rdflib import URIRef

NETWORK_GRAPH = "https://w3id.org/metrograph/graph/user/network"
STATUSES_GRAPH = "https://w3id.org/metrograph/graph/user/statuses-benchmark"
_MG = "https://w3id.org/metrograph/ontology#"


def build(store_dir: Path, network: Path) -> None:
    """The measurement store: bundled parts into their graphs, the network bulk-loaded."""
    import pyoxigraph as ox

    from metrograph.graph import KnowledgeGraph
    from metrograph.stores.oxigraph import OxigraphStore

    start = time.perf_counter()
    store = OxigraphStore(str(store_dir))
    KnowledgeGraph(store).load_bundled()
    before = len(store.native)
    store.native.bulk_load(path=str(network), format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(NETWORK_GRAPH))
    # one copy of each triple, as OxigraphStore.load keeps it (the bundled graphs come first)
    store._deduplicate({ox.NamedNode(NETWORK_GRAPH): len(store.native) - before})
    store.native.flush()
    store.native.optimize()
    print(f"built {store_dir}: {len(store.native)} triples in {time.perf_counter() - start:.1f} s",
          flush=True)


def statuses_file(store: Any, count: int, seed: int = 1, spread: bool = False) -> str:
    """N-Triples of ``count`` new status assessments (5 triples each) of existing
    deliverables, dated in their plan's cycle, one per deliverable and date: those of one
    organisation's plans (a statuses file as a member sends it), or with ``spread``, drawn
    from the whole network."""
    rng = random.Random(seed)
    query = (f"SELECT ?d ?start WHERE {{ ?d a <{_MG}Deliverable> ; <{_MG}parent>/<{_MG}parent>/"
             f"<{_MG}parent> ?plan . ?plan <{_MG}startYear> ?start ; "
             f"<http://purl.org/dc/terms/publisher> ?org }}")
    if spread:
        rows = rng.sample(store.select(query + f" LIMIT {count * 20}").rows, count)
    else:
        org = store.select(f"SELECT ?org WHERE {{ ?p a <{_MG}ActionPlan> ; "
                           f"<http://purl.org/dc/terms/publisher> ?org }} ORDER BY ?p LIMIT 1"
                           ).rows[0][0]
        rows = store.select(query + " ORDER BY ?d", {"org": org}).rows
    statuses = ["done", "in-progress", "not-elaborated"]
    lines = []
    for i in range(count):
        deliverable, start = rows[i % len(rows)]
        iri = f"{deliverable}/assessment/bench-{seed}-{i}"
        day = f"{int(str(start)) + 2}-{1 + (i // len(rows)) % 12:02d}-{1 + i % 28:02d}"
        lines += [
            f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{_MG}StatusAssessment> .",
            f"<{iri}> <{_MG}assessedItem> <{deliverable}> .",
            f"<{iri}> <{_MG}status> <https://w3id.org/metrograph/vocab/status/"
            f"{rng.choice(statuses)}> .",
            f'<{iri}> <{_MG}asOf> "{day}"^^<http://www.w3.org/2001/XMLSchema#date> .',
            f"<{iri}> <http://purl.org/dc/terms/source> <https://example.org/review/{seed}> .",
        ]
    return "\n".join(lines) + "\n"


def time_units(store: Any) -> None:
    """Each compiled constraint alone, slowest first."""
    from metrograph.validation.compiler import _shipped, run_unit

    times = []
    for unit in _shipped().units:
        start = time.perf_counter()
        found = len(run_unit(store, unit))
        component = str(unit.component).rsplit("#", 1)[-1]
        times.append((time.perf_counter() - start, str(unit.shape).rsplit("#", 1)[-1],
                      component, found))
    times.sort(reverse=True)
    print("| seconds | shape | component | results |\n|---:|---|---|---:|")
    for seconds, shape, component, found in times:
        print(f"| {seconds:.3f} | {shape} | {component} | {found} |")
    print(f"| {sum(t[0] for t in times):.2f} | (sum) | | |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="the store directory")
    parser.add_argument("--network", type=Path, help="N-Triples to build the store from")
    parser.add_argument("--units", action="store_true", help="time each constraint alone")
    parser.add_argument("--statuses", type=int, default=125,
                        help="assessments in the added statuses file (5 triples each)")
    parser.add_argument("--spread", action="store_true",
                        help="assess deliverables drawn from the whole network, not one member's")
    parser.add_argument("--report", type=Path,
                        help="the full report before the addition, kept in this file (made "
                             "and saved when the file does not exist)")
    parser.add_argument("--no-full", action="store_true", help="skip the full validations")
    args = parser.parse_args(argv)

    from metrograph.graph import KnowledgeGraph
    from metrograph.rdfio.formats import FORMATS
    from metrograph.stores.oxigraph import OxigraphStore
    from metrograph.validation.incremental import IncrementalStats, validate_added
    from metrograph.validation.report import load_report, save_report

    if not (args.store / "CURRENT").exists():
        if args.network is None:
            parser.error(f"{args.store} holds no store: give --network to build it")
        build(args.store, args.network)
    kg = KnowledgeGraph(OxigraphStore(str(args.store)))
    print(f"{len(kg)} triples in {args.store}", flush=True)
    if args.units:
        time_units(kg.store)
        return 0
    if args.report is not None and args.report.exists():
        full = load_report(args.report)
        print(f"full report read from {args.report}: {len(full.results)} results", flush=True)
    else:
        start = time.perf_counter()
        full = kg.validate()
        print(f"full validation: {time.perf_counter() - start:.2f} s, {len(full.results)} "
              "results", flush=True)
        if args.report is not None:
            save_report(full, args.report)
    data = statuses_file(kg.store, args.statuses, spread=args.spread)
    graph = URIRef(STATUSES_GRAPH)
    try:
        added = kg.store.load(data.encode("utf-8"), fmt=FORMATS["nt"], graph=graph,
                              source="statuses")
        print(f"added {added} triples into {graph}", flush=True)
        start = time.perf_counter()
        stats = IncrementalStats()
        incremental = validate_added(kg.store, full, [graph], stats=stats)
        took = time.perf_counter() - start
        print(f"incremental validation: {took:.2f} s, {len(incremental.results)} results "
              f"({incremental.summary()}); {stats.units_run} constraint runs, focus nodes per "
              f"shape: {sorted((str(k).rsplit('#', 1)[-1], v) for k, v in stats.focus.items())}"
              f"; validated fully: {stats.full_shapes or 'none'}", flush=True)
        if args.no_full:
            return 0
        start = time.perf_counter()
        again = kg.validate()
        print(f"full validation after the addition: {time.perf_counter() - start:.2f} s",
              flush=True)
        same = set(again.results) == set(incremental.results)
        print(f"incremental == full: {same}", flush=True)
        return 0 if same else 1
    finally:
        kg.store.update(f"DROP SILENT GRAPH <{graph}>")
        kg.store.native.flush()


if __name__ == "__main__":
    sys.exit(main())
