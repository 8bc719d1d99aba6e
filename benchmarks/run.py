"""metrograph benchmarks: a partner network kept in a store directory (Oxigraph on disk), at
1M and 10M triples, each operation through the API as users call it, against its baseline in
the same run.

    python benchmarks/run.py --sizes 10000,1000000,10000000      # the real run
    python benchmarks/run.py --sizes 2000 --quick                 # CI: the smallest size

For each size a network is generated (deterministic: seed 0, defect rate 0.001, N-Triples) into
a cache folder, then every step runs in a subprocess of its own, so that times and peak memory
(``ru_maxrss`` of that process) do not contaminate each other:

- add: ``StoreDirectory.add`` (``metrograph add``) of the network into a new store directory
  (the packaged ontology, schemes and organisations come with it), against rdflib's N-Triples
  parser into an in-memory graph (time-boxed: ``--baseline-timeout``);
- the command line on the opened store, process start included: ``metrograph info`` and
  ``metrograph query plans``;
- validate: ``open_store(DIR).validate()`` (every shape, compiled to SPARQL), against pySHACL
  (``--pyshacl-timeout``; only at sizes up to ``--baseline-max``);
- incremental validation: a statuses file (125 assessments) added to the store, then
  ``validate(since=full_report, added=[graph])`` against a full run, results compared;
- reason: ``kg.reasoned("rules")`` (profile queries, on a checkpoint of the store) against
  owlrl's OWL-RL closure (``--owlrl-timeout``; up to ``--baseline-max``);
- every query of ``queries/``: ``kg.query(name).rows`` on the opened store, against the same
  query on rdflib's in-memory store (each under ``--query-timeout``; rdflib only up to
  ``--rdflib-max``), answers compared row for row;
- export: ``kg.write(path, "nt")`` (streamed) against rdflib's serialiser (up to
  ``--rdflib-max``).

Then ``metrograph validate`` + ``metrograph report`` on the bundled plan from a cold start, and
the import time of ``metrograph``. Prints a Markdown table; ``--json FILE`` keeps the numbers.
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


def _open(store_dir: str) -> Any:
    import metrograph

    return metrograph.open_store(store_dir)


def task_load_rdflib(path: str, store_dir: str) -> Row:
    from rdflib import Graph

    g = Graph()
    seconds, _ = _timed(lambda: g.parse(path, format="nt"))
    return {"seconds": seconds, "triples": len(g)}


def task_add(path: str, store_dir: str) -> Row:
    import shutil

    from metrograph.stores.directory import StoreDirectory

    shutil.rmtree(store_dir, ignore_errors=True)
    directory = StoreDirectory(store_dir)
    seconds, _ = _timed(lambda: directory.add([path], bundled_data=False))
    return {"seconds": seconds, "triples": len(_open(store_dir))}


def task_validate_pyshacl(path: str, store_dir: str) -> Row:
    kg = _load_kg(path, "memory")
    seconds, report = _timed(lambda: kg.validate(engine="pyshacl"))
    return {"seconds": seconds, "results": _result_keys(report)}


def task_validate_store(path: str, store_dir: str) -> Row:
    kg = _open(store_dir)
    seconds, report = _timed(kg.validate)
    return {"seconds": seconds, "results": _result_keys(report)}


def _result_keys(report: Any) -> list[list[str]]:
    keys = sorted([str(r.focus) if r.focus.__class__.__name__ != "BNode" else "_:b",
                   str(r.path), str(r.source_shape), r.severity] for r in report.results)
    return keys


def task_incremental(path: str, store_dir: str) -> Row:
    """A statuses file added to a copy of the store, validated incrementally and fully."""
    import shutil
    import tempfile

    from metrograph.stores.directory import StoreDirectory

    sys.path.insert(0, str(Path(__file__).parent))
    from validate_on_disk import statuses_file  # type: ignore[import-not-found]

    kg = _open(store_dir)
    full = kg.validate()
    data = statuses_file(kg.store, 125)
    del kg
    with tempfile.TemporaryDirectory(dir=Path(store_dir).parent) as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(store_dir, copy, copy_function=os.link,
                        ignore=shutil.ignore_patterns("*.lock"))
        for name in os.listdir(store_dir):
            if name.endswith(".lock"):
                (copy / name).touch()
        statuses = Path(tmp) / "statuses.nt"
        statuses.write_text(data, encoding="utf-8")
        added_seconds, _ = _timed(lambda: StoreDirectory(copy).add(
            [statuses], graph_name="statuses-benchmark"))
        after = _open(str(copy))
        from metrograph.graph import user_graph

        graph = user_graph("statuses-benchmark", b"")
        seconds, incremental = _timed(lambda: after.validate(since=full, added=[graph]))
        full_seconds, again = _timed(after.validate)
    return {"seconds": seconds, "full_seconds": full_seconds, "add_seconds": added_seconds,
            "added_triples": data.count("\n"), "results": _result_keys(incremental),
            "same": _result_keys(incremental) == _result_keys(again)}


def task_reason_owlrl(path: str, store_dir: str) -> Row:
    from metrograph.reasoning.owlrl import owl_rl_closure

    kg = _load_kg(path, "memory")
    dataset = kg.store.dataset()
    seconds, inferred = _timed(lambda: owl_rl_closure(dataset))
    return {"seconds": seconds, "inferred": len(inferred)}


def task_reason_store(path: str, store_dir: str) -> Row:
    kg = _open(store_dir)
    before = len(kg)
    seconds, reasoned = _timed(lambda: kg.reasoned("rules"))
    return {"seconds": seconds, "inferred": len(reasoned) - before}


class _Timeout(BaseException):  # not Exception: the stores wrap those
    pass


def task_queries(kg: Any, timeout: float) -> Row:
    import signal

    from metrograph.sparql.library import catalogue

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
                return kg.query(n, **params.get(n, {})).rows

            seconds, result = _timed(run)
            signal.setitimer(signal.ITIMER_REAL, 0)
            rows = sorted(json.dumps([None if v is None else str(v) for v in row.values()])
                          for row in result)
            out[name] = {"seconds": seconds, "rows": len(rows), "digest": hash_rows(rows)}
        except _Timeout:
            out[name] = {"seconds": None, "timeout": timeout}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return {"queries": out}


def hash_rows(rows: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:16]


def task_export_rdflib(path: str, store_dir: str) -> Row:
    kg = _load_kg(path, "memory")
    seconds, text = _timed(lambda: kg.export("nt"))
    return {"seconds": seconds, "bytes": len(text.encode("utf-8"))}


def task_export_store(path: str, store_dir: str) -> Row:
    import tempfile

    kg = _open(store_dir)
    with tempfile.TemporaryDirectory(dir=Path(store_dir).parent) as tmp:
        out = Path(tmp) / "export.nt"
        seconds, _ = _timed(lambda: kg.write(out, "nt"))
        size = out.stat().st_size
    return {"seconds": seconds, "bytes": size}


def task_cli(path: str, store_dir: str) -> Row:
    """Questions on the opened store from a new process each, process start included."""
    exe = Path(sys.executable).parent / "metrograph"
    out: Row = {}
    for name, args in (("info", ["info"]), ("query plans", ["query", "plans"])):
        best = None
        for _ in range(3 if Path(path).stat().st_size < 500_000_000 else 1):
            start = time.perf_counter()
            proc = subprocess.run([str(exe), *args, "--store-dir", store_dir, "-q"],
                                  capture_output=True, check=False, timeout=3600)
            wall = time.perf_counter() - start
            if proc.returncode:
                raise SystemExit(f"metrograph {name} failed: {proc.stderr[-300:]!r}")
            best = wall if best is None else min(best, wall)
        out[name] = best
    return {"seconds": out["query plans"], "cli": out}


TASKS: dict[str, Callable[..., Row]] = {
    "load-rdflib": task_load_rdflib, "add-store": task_add,
    "validate-pyshacl": task_validate_pyshacl, "validate-store": task_validate_store,
    "incremental-store": task_incremental,
    "reason-owlrl": task_reason_owlrl, "reason-store": task_reason_store,
    "queries-memory": lambda p, d, t: task_queries(_load_kg(p, "memory"), t),
    "queries-store": lambda p, d, t: task_queries(_open(d), t),
    "export-rdflib": task_export_rdflib, "export-store": task_export_store,
    "cli-store": task_cli,
}


def child(task: str, path: str, store_dir: str, query_timeout: float) -> None:
    """Run one task in this process and print its row as JSON (with the peak memory)."""
    args: list[Any] = [path, store_dir]
    if task.startswith("queries-"):
        args.append(query_timeout)
    row = TASKS[task](*args)
    row["peak_mb"] = _peak_mb()
    print(json.dumps(row))


# ---------------------------------------------------------------------- orchestration (parent)


def run_task(task: str, path: Path, store_dir: Path, timeout: float,
             query_timeout: float = 60) -> Row:
    """``task`` in a subprocess; ``{"timeout": s}`` if it does not finish in ``timeout`` s."""
    cmd = [sys.executable, __file__, "--child", task, "--file", str(path),
           "--store-dir", str(store_dir), "--query-timeout", str(query_timeout)]
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

    path = folder / f"network-{size}.nt"
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
    parser.add_argument("--sizes", default="10000,1000000,10000000",
                        help="comma-separated triple counts")
    parser.add_argument("--quick", action="store_true",
                        help="short timeouts for the baselines (for CI)")
    parser.add_argument("--pyshacl-timeout", type=float, default=None)
    parser.add_argument("--owlrl-timeout", type=float, default=None)
    parser.add_argument("--query-timeout", type=float, default=None)
    parser.add_argument("--baseline-timeout", type=float, default=None,
                        help="time limit of rdflib's load and export (default: 10 minutes)")
    parser.add_argument("--baseline-max", type=int, default=10000,
                        help="the largest size pySHACL and owlrl are run at (default 10000)")
    parser.add_argument("--rdflib-max", type=int, default=1000000,
                        help="the largest size rdflib's load, queries and export are run at")
    parser.add_argument("--candidate-timeout", type=float, default=7200.0,
                        help="time limit of each metrograph step (default: two hours)")
    parser.add_argument("--data-dir", default=None, help="where generated networks go")
    parser.add_argument("--json", default=None, help="write the numbers to this file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--store-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    query_timeout = args.query_timeout or (2.0 if quick else 60.0)
    if args.child:
        child(args.child, args.file, args.store_dir, query_timeout)
        return 0
    pyshacl_timeout = args.pyshacl_timeout or (5.0 if quick else 600.0)
    owlrl_timeout = args.owlrl_timeout or (8.0 if quick else 300.0)
    baseline = args.baseline_timeout or (30.0 if quick else 600.0)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    folder = Path(args.data_dir or Path(tempfile.gettempdir()) / "metrograph-bench")
    folder.mkdir(parents=True, exist_ok=True)
    results: Row = {"machine": machine(), "sizes": {}}
    big = args.candidate_timeout
    for size in sizes:
        path, gen_seconds, triples = generate(size, folder)
        store_dir = folder / f"store-{size}"
        print(f"# size {size}: {triples} triples generated in {gen_seconds:.1f} s ({path})",
              file=sys.stderr, flush=True)
        rows: dict[str, Row | None] = {}
        small, rdflib_ok = size <= args.baseline_max, size <= args.rdflib_max
        plan = [("load-rdflib", baseline, rdflib_ok), ("add-store", big, True),
                ("cli-store", big, True),
                ("validate-pyshacl", pyshacl_timeout, small), ("validate-store", big, True),
                ("incremental-store", big, True),
                ("reason-owlrl", owlrl_timeout, small), ("reason-store", big, True),
                ("queries-memory", query_timeout * 25 + baseline, rdflib_ok),
                ("queries-store", big, True),
                ("export-rdflib", baseline, rdflib_ok), ("export-store", big, True)]
        for task, timeout, wanted in plan:
            if not wanted:
                rows[task] = None
                continue
            rows[task] = row = run_task(task, path, store_dir, timeout, query_timeout)
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
    lines = ["| size (triples) | operation | baseline | time | peak memory | metrograph | time | "
             "peak memory | speed-up | same answers |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    pairs = [("load", "rdflib Graph.parse (N-Triples)", "load-rdflib",
              "`metrograph add` (store directory)", "add-store", ""),
             ("validate (every shape)", "pySHACL", "validate-pyshacl",
              "`open_store(DIR).validate()`", "validate-store", "results"),
             ("reason (queries profile)", "owlrl OWL-RL closure", "reason-owlrl",
              "`kg.reasoned(\"rules\")`", "reason-store", ""),
             ("export (N-Triples)", "KnowledgeGraph.export, rdflib store", "export-rdflib",
              "`kg.write(path, \"nt\")`, store directory", "export-store", "")]
    for size, entry in results["sizes"].items():
        rows = entry["rows"]
        n = entry["triples"]
        for op, bname, bkey, cname, ckey, same in pairs:
            b, c = rows.get(bkey), rows.get(ckey)
            lines.append(f"| {size} ({n}) | {op} | {bname} | {_fmt(b)} | {_mem(b)} | {cname} | "
                         f"{_fmt(c)} | {_mem(c)} | {_ratio(b, c)} | "
                         f"{_same(b, c, same) if same else ''} |")
        inc = rows.get("incremental-store")
        if inc and inc.get("seconds") is not None:
            lines.append(f"| {size} ({n}) | validate after adding {inc['added_triples']} "
                         f"triples | full run | {inc['full_seconds']:.3f} s | | "
                         f"`validate(since=, added=)` | {inc['seconds']:.3f} s | {_mem(inc)} | "
                         f"{inc['full_seconds'] / max(inc['seconds'], 1e-4):.1f}x | "
                         f"{'yes' if inc['same'] else 'NO'} |")
        elif inc:
            lines.append(f"| {size} ({n}) | incremental validation | | | | | {_fmt(inc)} | | | |")
        cli = rows.get("cli-store")
        if cli and "cli" in cli:
            lines.append(f"| {size} ({n}) | command line on the store, process start included "
                         f"| | | | `metrograph info` {cli['cli']['info']:.2f} s, `metrograph "
                         f"query plans` {cli['cli']['query plans']:.2f} s | | | | |")
        qm, qo = rows.get("queries-memory"), rows.get("queries-store")
        if qo and "queries" in qo:
            worst = max((q["seconds"] or q.get("timeout", 0.0)) for q in qo["queries"].values())
            lines.append(f"| {size} ({n}) | queries (peak memory; slowest {worst:.3f} s) | "
                         f"rdflib store | | {_mem(qm)} | store directory | | {_mem(qo)} | | |")
            for name in sorted(qo["queries"]):
                bq = qm["queries"].get(name) if qm and "queries" in qm else None
                cq = qo["queries"][name]
                lines.append(f"| {size} ({n}) | query {name} | rdflib | {_fmt(bq)} | | "
                             f"`kg.query(...).rows` | {_fmt(cq)} | | {_ratio(bq, cq)} | "
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
