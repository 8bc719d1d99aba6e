"""metrograph benchmarks: load, validate, reason, every shipped query and export, each against
its baseline in the same run, at several sizes of generated partner networks.

    python benchmarks/run.py --sizes 10000,100000,1000000
    python benchmarks/run.py --sizes 2000 --quick          # CI: the smallest size, < 60 s

For each size a network is generated (deterministic: seed 0, defect rate 0.001) into a cache
folder, then every candidate runs in a subprocess of its own, so that times and peak memory
(``ru_maxrss`` of that process) do not contaminate each other:

- load: rdflib's Turtle parser into an in-memory graph vs ``OxigraphStore.load``;
- validate: pySHACL (``metrograph.validation.report``) vs
  ``metrograph.validation.compiler.validate_fast``
  on Oxigraph (pySHACL is given ``--pyshacl-timeout`` seconds, and skipped at larger sizes
  once it has timed out);
- reason: owlrl's OWL-RL closure vs ``metrograph.reasoning.rules.materialise`` (owlrl gets
  ``--owlrl-timeout`` seconds, skipped at larger sizes once it has timed out);
- every query of ``queries/``, through metrograph's stores (``MemoryStore`` vs
  ``OxigraphStore``), each rdflib query under a ``--query-timeout`` (recorded as "> N s"),
  answers compared row for row;
- export to N-Triples: ``KnowledgeGraph.export`` (rdflib serialiser) vs Oxigraph's own dump.

Then ``metrograph validate`` + ``metrograph report`` on the bundled plan from a cold start, and
the import time of ``metrograph``. Prints a Markdown table; ``--json FILE`` keeps the numbers.
Validation and reasoning load the packaged ontology, schemes and organisations with the
network (``metrograph.load(network, bundled_data=False)``), as a user would.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# ---------------------------------------------------------------------- measurements (child side)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _load_kg(path: str, store: str) -> Any:
    import metrograph

    return metrograph.load(path, bundled_data=False, store=store)


def task_load_rdflib(path: str) -> Row:
    from rdflib import Graph

    g = Graph()
    seconds, _ = _timed(lambda: g.parse(path, format="turtle"))
    return {"seconds": seconds, "triples": len(g)}


def task_load_oxigraph(path: str) -> Row:
    from rdflib import URIRef

    from metrograph.rdfio.formats import FORMATS
    from metrograph.stores.oxigraph import OxigraphStore

    store = OxigraphStore()
    data = Path(path).read_bytes()
    seconds, n = _timed(lambda: store.load(data, fmt=FORMATS["ttl"],
                                           graph=URIRef(Path(path).resolve().as_uri()),
                                           source=path))
    return {"seconds": seconds, "triples": n}


def task_validate_pyshacl(path: str) -> Row:
    kg = _load_kg(path, "memory")
    seconds, report = _timed(kg.validate)
    return {"seconds": seconds, "results": _result_keys(report)}


def task_validate_fast(path: str) -> Row:
    from metrograph.validation.compiler import validate_fast

    kg = _load_kg(path, "oxigraph")
    seconds, report = _timed(lambda: validate_fast(kg.store))
    return {"seconds": seconds, "results": _result_keys(report)}


def _result_keys(report: Any) -> list[list[str]]:
    keys = sorted([str(r.focus) if r.focus.__class__.__name__ != "BNode" else "_:b",
                   str(r.path), str(r.source_shape), r.severity] for r in report.results)
    return keys


def task_reason_owlrl(path: str) -> Row:
    from metrograph.reasoning.owlrl import owl_rl_closure

    kg = _load_kg(path, "memory")
    dataset = kg.store.dataset()
    seconds, inferred = _timed(lambda: owl_rl_closure(dataset))
    return {"seconds": seconds, "inferred": len(inferred)}


def task_reason_rules(path: str, profile: str = "queries") -> Row:
    from metrograph.reasoning.rules import materialise

    kg = _load_kg(path, "oxigraph")
    seconds, added = _timed(lambda: materialise(kg.store, profile=profile))
    return {"seconds": seconds, "inferred": added}


def task_reason_rules_full(path: str) -> Row:
    return task_reason_rules(path, "full")


class _Timeout(BaseException):  # not Exception: the stores wrap those
    pass


def task_queries(path: str, store: str, timeout: float) -> Row:
    import signal

    from metrograph.sparql.library import catalogue

    kg = _load_kg(path, store)
    measure = kg.sparql("PREFIX mg: <https://w3id.org/metrograph/ontology#> "
                        "SELECT ?m WHERE { ?m a mg:Measure } ORDER BY ?m LIMIT 1").rows
    params: dict[str, dict[str, object]] = {"measure-drilldown": {"measure": measure[0][0]}
                                            if measure else {}}

    def alarm(_signum: int, _frame: object) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, alarm)
    out: dict[str, Any] = {}
    for name in sorted(catalogue()):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            def run(n: str = name) -> Any:
                return kg.query(n, **params.get(n, {}))

            seconds, result = _timed(run)
            signal.setitimer(signal.ITIMER_REAL, 0)
            rows = sorted(json.dumps([None if v is None else str(v) for v in row])
                          for row in result.raw.rows)
            out[name] = {"seconds": seconds, "rows": len(rows),
                         "digest": hash_rows(rows)}
        except _Timeout:
            out[name] = {"seconds": None, "timeout": timeout}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return {"queries": out}


def hash_rows(rows: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:16]


def task_export_rdflib(path: str) -> Row:
    kg = _load_kg(path, "memory")
    seconds, text = _timed(lambda: kg.export("nt"))
    return {"seconds": seconds, "bytes": len(text.encode("utf-8"))}


def task_export_oxigraph(path: str) -> Row:
    import pyoxigraph as ox

    kg = _load_kg(path, "oxigraph")
    native = kg.store.native
    seconds, data = _timed(lambda: native.dump(format=ox.RdfFormat.N_QUADS))
    return {"seconds": seconds, "bytes": len(data)}


TASKS: dict[str, Callable[..., Row]] = {
    "load-rdflib": task_load_rdflib, "load-oxigraph": task_load_oxigraph,
    "validate-pyshacl": task_validate_pyshacl, "validate-fast": task_validate_fast,
    "reason-owlrl": task_reason_owlrl, "reason-rules": task_reason_rules,
    "reason-rules-full": task_reason_rules_full,
    "queries-memory": lambda p, t: task_queries(p, "memory", t),
    "queries-oxigraph": lambda p, t: task_queries(p, "oxigraph", t),
    "export-rdflib": task_export_rdflib, "export-oxigraph": task_export_oxigraph,
}


def child(task: str, path: str, query_timeout: float) -> None:
    """Run one task in this process and print its row as JSON (with the peak memory)."""
    args: list[Any] = [path]
    if task.startswith("queries-"):
        args.append(query_timeout)
    row = TASKS[task](*args)
    row["peak_mb"] = _peak_mb()
    print(json.dumps(row))


# ---------------------------------------------------------------------- orchestration (parent)


def run_task(task: str, path: Path, timeout: float, query_timeout: float = 60) -> Row:
    """``task`` in a subprocess; ``{"timeout": s}`` if it does not finish in ``timeout`` s."""
    cmd = [sys.executable, __file__, "--child", task, "--file", str(path),
           "--query-timeout", str(query_timeout)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "timeout": timeout}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"seconds": None, "error": proc.stderr.strip().splitlines()[-1:]}
    row: Row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["wall"] = wall
    return row


def generate(size: int, folder: Path) -> tuple[Path, float, int]:
    from metrograph.testing.synthetic import write

    path = folder / f"network-{size}.ttl"
    start = time.perf_counter()
    gen = write(path, size, seed=0, defect_rate=0.001)
    return path, time.perf_counter() - start, gen.triples


_FAST_VALIDATE = ("import sys, metrograph; "
                  "from metrograph.validation.compiler import validate_fast; "
                  "kg = metrograph.load(store='oxigraph'); r = validate_fast(kg.store); "
                  "print(r.summary()); sys.exit(0 if r.conforms else 1)")


def cold_start(cli_validate_timeout: float) -> Row:
    """``metrograph validate`` then ``metrograph report`` on the bundled plan, each a fresh
    process with the defaults (Oxigraph store, shapes compiled to SPARQL); ``validate_fast``
    called from Python; and the import time of ``metrograph``."""
    exe = [sys.executable, "-m", "metrograph"]
    out: Row = {}
    for name, cmd in (("validate", [*exe, "validate"]), ("report", [*exe, "report"]),
                      ("validate_fast", [sys.executable, "-c", _FAST_VALIDATE])):
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                  timeout=cli_validate_timeout)
            out[name] = time.perf_counter() - start
            out[f"{name}_exit"] = proc.returncode
        except subprocess.TimeoutExpired:
            out[name] = None
            out[f"{name}_timeout"] = cli_validate_timeout
    bare = min(_wall([sys.executable, "-c", "pass"]) for _ in range(3))
    imported = min(_wall([sys.executable, "-c", "import metrograph"]) for _ in range(3))
    out["import"] = max(0.0, imported - bare)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import metrograph"],
                          capture_output=True, text=True, check=False)
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "metrograph":
            out["import_cumulative_us"] = int(parts[1])
    return out


def _wall(cmd: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - start


def machine() -> Row:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("metrograph", "rdflib", "pyoxigraph", "pyshacl", "owlrl"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = "-"
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": cpu,
            "python": platform.python_version(), "packages": versions}


def _fmt(row: Row | None) -> str:
    if row is None:
        return "skipped"
    if "queries" in row:
        return f"{len(row['queries'])} queries in {row.get('wall', 0.0):.1f} s (with load)"
    if row.get("seconds") is None:
        if "timeout" in row:
            return f"> {row['timeout']:.0f} s"
        return "error"
    return f"{row['seconds']:.3f} s"


def _mem(row: Row | None) -> str:
    return "" if row is None or "peak_mb" not in row else f"{row['peak_mb']:.0f} MB"


def _ratio(base: Row | None, cand: Row | None) -> str:
    if cand is None or cand.get("seconds") is None or base is None:
        return ""
    cs = max(cand["seconds"], 1e-4)
    if base.get("seconds") is None:
        return f"> {base['timeout'] / cs:.0f}x" if "timeout" in base else ""
    return f"{base['seconds'] / cs:.1f}x"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated triple counts")
    parser.add_argument("--quick", action="store_true",
                        help="short timeouts for the baselines (for CI)")
    parser.add_argument("--pyshacl-timeout", type=float, default=None)
    parser.add_argument("--owlrl-timeout", type=float, default=None)
    parser.add_argument("--query-timeout", type=float, default=None)
    parser.add_argument("--baseline-timeout", type=float, default=None,
                        help="time limit of rdflib's load and export (default: an hour)")
    parser.add_argument("--data-dir", default=None, help="where generated networks go")
    parser.add_argument("--json", default=None, help="write the numbers to this file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    query_timeout = args.query_timeout or (2.0 if quick else 60.0)
    if args.child:
        child(args.child, args.file, query_timeout)
        return 0
    pyshacl_timeout = args.pyshacl_timeout or (5.0 if quick else 600.0)
    owlrl_timeout = args.owlrl_timeout or (8.0 if quick else 300.0)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    folder = Path(args.data_dir or Path(tempfile.gettempdir()) / "metrograph-bench")
    folder.mkdir(parents=True, exist_ok=True)
    results: Row = {"machine": machine(), "sizes": {}}
    give_up: set[str] = set()
    big = 3600.0
    for size in sizes:
        path, gen_seconds, triples = generate(size, folder)
        print(f"# size {size}: {triples} triples generated in {gen_seconds:.1f} s ({path})",
              file=sys.stderr, flush=True)
        rows: dict[str, Row | None] = {}
        baseline = args.baseline_timeout or big
        plan = [("load-rdflib", baseline), ("load-oxigraph", big),
                ("validate-pyshacl", pyshacl_timeout), ("validate-fast", big),
                ("reason-owlrl", owlrl_timeout), ("reason-rules", big),
                ("reason-rules-full", big),
                ("queries-memory", big), ("queries-oxigraph", big),
                ("export-rdflib", baseline), ("export-oxigraph", big)]
        for task, timeout in plan:
            if task in give_up:
                rows[task] = None
                continue
            if task == "queries-memory":
                timeout = query_timeout * 25 + 600
            rows[task] = run_task(task, path, timeout, query_timeout)
            row = rows[task]
            if row is not None and row.get("seconds") is None and task in (
                    "validate-pyshacl", "reason-owlrl"):
                give_up.add(task)
            print(f"#   {task}: {_fmt(row)} {_mem(row)}", file=sys.stderr, flush=True)
        results["sizes"][str(size)] = {"triples": triples, "generate": gen_seconds, "rows": rows}
    results["cold_start"] = cold_start(10.0 if quick else 600.0)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


def _same(a: Row | None, b: Row | None, key: str) -> str:
    if not a or not b or key not in a or key not in b:
        return ""
    return "yes" if a[key] == b[key] else "NO"


def table(results: Row) -> str:
    """The results as Markdown."""
    lines = ["| size (triples) | operation | baseline | time | peak memory | candidate | time | "
             "peak memory | speed-up | same answers |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    pairs = [("load", "rdflib Graph.parse (Turtle)", "load-rdflib", "OxigraphStore.load",
              "load-oxigraph", "triples"),
             ("validate", "pySHACL", "validate-pyshacl", "validate_fast (Oxigraph)",
              "validate-fast", "results"),
             ("reason", "owlrl OWL-RL closure", "reason-owlrl",
              "rules.materialise, profile queries (Oxigraph)", "reason-rules", ""),
             ("reason", "owlrl OWL-RL closure", "reason-owlrl",
              "rules.materialise, profile full (Oxigraph)", "reason-rules-full", ""),
             ("export (N-Triples)", "KnowledgeGraph.export (rdflib)", "export-rdflib",
              "Oxigraph dump", "export-oxigraph", "")]
    for size, entry in results["sizes"].items():
        rows = entry["rows"]
        n = entry["triples"]
        for op, bname, bkey, cname, ckey, same in pairs:
            b, c = rows.get(bkey), rows.get(ckey)
            lines.append(f"| {size} ({n}) | {op} | {bname} | {_fmt(b)} | {_mem(b)} | {cname} | "
                         f"{_fmt(c)} | {_mem(c)} | {_ratio(b, c)} | "
                         f"{_same(b, c, same) if same else ''} |")
        qm, qo = rows.get("queries-memory"), rows.get("queries-oxigraph")
        if qm and qo and "queries" in qm and "queries" in qo:
            worst_ox = max((q["seconds"] or 0.0) for q in qo["queries"].values())
            lines.append(f"| {size} ({n}) | queries (peak memory, slowest Oxigraph query "
                         f"{worst_ox:.3f} s) | MemoryStore | | {_mem(qm)} | OxigraphStore | | "
                         f"{_mem(qo)} | | |")
            for name in sorted(qo["queries"]):
                bq, cq = qm["queries"].get(name), qo["queries"][name]
                lines.append(f"| {size} ({n}) | query {name} | rdflib | {_fmt(bq)} | | "
                             f"Oxigraph | {_fmt(cq)} | | {_ratio(bq, cq)} | "
                             f"{_same(bq, cq, 'digest')} |")
    cold = results.get("cold_start", {})
    if cold:
        def secs(key: str) -> str:
            value = cold.get(key)
            return f"> {cold[key + '_timeout']:.0f} s" if value is None else f"{value:.2f} s"

        report = cold.get("report") or 0.0
        lines.append("")
        lines.append(f"Cold start, bundled 2018-2020 plan, defaults: `metrograph validate` "
                     f"{secs('validate')} + `metrograph report` {secs('report')} = "
                     f"{(cold.get('validate') or 0.0) + report:.2f} s wall clock "
                     f"(`validate_fast` from Python: {secs('validate_fast')}); "
                     f"`import metrograph` {cold['import']:.3f} s "
                     f"(-X importtime: {cold.get('import_cumulative_us', 0) / 1e6:.3f} s).")
    m = results["machine"]
    lines.append("")
    lines.append(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
                 + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
