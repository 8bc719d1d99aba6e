"""From one laptop to a shared server: a generated network loaded into an Oxigraph server and
into Virtuoso with each server's own bulk loader, then every shipped query asked through
``metrograph query NAME --endpoint URL`` (a new process per question: process start, HTTP and
the server's evaluation included).

    python benchmarks/servers.py --triples 10000000
    python benchmarks/servers.py --network /tmp/bench/net10000000.nt --servers oxigraph

The data is what a partner loads: the bundled ontology, vocabularies, organisations and plan
(each file in the named graph metrograph gives it) and the network in a named graph of its own.

- Oxigraph: ``oxigraph load`` (its bulk loader) into a new location, then
  ``oxigraph serve-read-only --union-default-graph``.
- Virtuoso: a new database (buffers sized for 4 GB, a row limit above the largest answer and a
  10-minute query time, as a server holding a network would be configured), loaded with
  ``ld_add`` + ``rdf_loader_run()`` + ``checkpoint``, the bulk loader of its documentation.

Prints a Markdown table: load wall time and peak memory, then each query's wall time and rows.
``--json FILE`` keeps the numbers. Needs the ``oxigraph`` command (``pip install '.[test]'``)
and Virtuoso (``scripts/install-test-tools.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

GRAPH_BASE = "https://w3id.org/metrograph/graph/"
NETWORK_GRAPH = GRAPH_BASE + "user/network"

#: Virtuoso's configuration for a network (tests/servers.py has the tests' own, on purpose
#: different: buffers for 4 GB here, a row limit above the largest answer, 10-minute queries)
VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{sql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = ., {d}, {data}
NumberOfBuffers      = 340000
MaxDirtyBuffers      = 250000
ThreadsPerQuery      = 2
MaxQueryMem          = 2G

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {d}/vsp
MaxClientConnections = 10
ServerThreads        = 10
Charset              = UTF-8
EnabledGzipContent   = 0

[SPARQL]
ResultSetMaxRows           = 5000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 600
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _oxigraph() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("the oxigraph server is not installed (pip install '.[test]')")
    return found


def _metrograph() -> str:
    beside = Path(sys.executable).parent / "metrograph"
    return str(beside) if beside.is_file() else "metrograph"


def _run(args: list[str], timeout: float, out: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit status of ``args`` (its output written to ``out``, or
    discarded)."""
    sink = out.open("wb") if out else subprocess.DEVNULL
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=sink, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            return timeout, usage.ru_maxrss / 1024, -9
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if out:
        sink.close()  # type: ignore[union-attr]
    code = os.waitstatus_to_exitcode(status)
    if code:
        err = child.stderr.read().decode(errors="replace").strip() if child.stderr else ""
        print(f"    ({' '.join(args[:3])}… exited {code}: {err[-300:]})", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, code


def _post(url: str, query: str, timeout: float = 600) -> Any:
    body = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(url, data=body, headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            _post(url, "ASK {}", timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _parts() -> list[tuple[Path, str]]:
    """The bundled files and the named graph each goes into (as ``load_bundled`` names them)."""
    from metrograph.resources import bundled_parts

    out = []
    for name, part in bundled_parts():
        out.append((Path(str(part)), GRAPH_BASE + name.removesuffix(".ttl")))
    return out


def _questions(query_url: str) -> list[tuple[str, list[str]]]:
    """Every shipped query, with a value for each required parameter taken from the data."""
    from metrograph.sparql.library import catalogue

    measure = _post(query_url, "SELECT ?m WHERE { ?m a "
                    "<https://w3id.org/metrograph/ontology#Measure> } ORDER BY ?m LIMIT 1")
    values = {"measure": measure["results"]["bindings"][0]["m"]["value"]}
    out = []
    for name, q in sorted(catalogue().items()):
        params = []
        for p in q.parameters:
            if p.required:
                params += ["--param", f"{p.name}={values[p.name]}"]
        out.append((name, params))
    return out


def _ask_all(server: str, query_url: str, timeout: float) -> list[dict[str, Any]]:
    rows = []
    for name, params in _questions(query_url):
        args = [_metrograph(), "query", name, *params, "--endpoint", query_url, "-q",
                "--format", "tsv", "--http-timeout", str(timeout)]
        out = Path(tempfile.gettempdir()) / f"metrograph-answer-{os.getpid()}.tsv"
        wall, peak, code = _run(args, timeout + 30, out)
        with out.open("rb") as f:
            lines = sum(1 for _ in f) - 1 if code == 0 else None
        out.unlink()
        rows.append({"server": server, "step": f"query {name}", "seconds": round(wall, 3),
                     "peak_mb": round(peak), "rows": lines, "ok": code == 0})
        print(f"  {server:<9} query {name:<32} {wall:7.2f} s  rows {lines}", flush=True)
    return rows


def bench_oxigraph(network: Path, folder: Path, timeout: float) -> list[dict[str, Any]]:
    """Oxigraph's bulk loader, then its read-only server with the union default graph."""
    location = folder / "oxigraph"
    start = time.perf_counter()
    peak = 0.0
    for path, graph in [*_parts(), (network, NETWORK_GRAPH)]:
        _, mb, code = _run([_oxigraph(), "load", "--location", str(location), "--file", str(path),
                            "--graph", graph], 3600)
        if code:
            raise SystemExit(f"oxigraph load {path} failed")
        peak = max(peak, mb)
    load = time.perf_counter() - start
    print(f"  oxigraph  load {load:7.1f} s  peak RSS {peak:6.0f} MB", flush=True)
    rows: list[dict[str, Any]] = [{"server": "oxigraph", "step": "bulk load",
                                   "seconds": round(load, 1), "peak_mb": round(peak)}]
    port = _port()
    proc = subprocess.Popen([_oxigraph(), "serve-read-only", "--location", str(location),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/query"
        _wait(url, proc)
        rows += _ask_all("oxigraph", url, timeout)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    return rows


def _vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_virtuoso(network: Path, folder: Path, timeout: float) -> list[dict[str, Any]]:
    """A new Virtuoso database loaded with its bulk loader, queried at ``/sparql``."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql-v")
    if not server or not isql:
        raise SystemExit("Virtuoso is not installed (scripts/install-test-tools.sh)")
    d = folder / "virtuoso"
    (d / "vsp").mkdir(parents=True)
    data = folder / "virtuoso-data"
    data.mkdir()
    files = []
    for i, (path, graph) in enumerate([*_parts(), (network, NETWORK_GRAPH)]):
        copy = data / f"{i:02d}-{path.name}"
        os.symlink(path.resolve(), copy)
        files.append((copy, graph))
    sql_port, http_port = _port(), _port()
    ini = d / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=d, data=data, sql_port=sql_port, http_port=http_port))
    proc = subprocess.Popen([server, "+foreground", "+configfile", str(ini)], cwd=d,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{http_port}/sparql"
        _wait(url, proc)
        script = "".join(f"ld_add('{p}', '{g}');" for p, g in files)
        script += "rdf_loader_run(); checkpoint;"
        start = time.perf_counter()
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={script}"],
                              capture_output=True, timeout=7200, check=False)
        load = time.perf_counter() - start
        errors = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba",
                                 "exec=SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST "
                                 "WHERE ll_error IS NOT NULL;"],
                                capture_output=True, timeout=60, check=False)
        if done.returncode or b".nt" in errors.stdout or b".ttl" in errors.stdout:
            raise SystemExit(f"Virtuoso's bulk load failed: {done.stdout[-500:]!r} "
                             f"{errors.stdout[-500:]!r}")
        peak = _vm_hwm(proc.pid)
        print(f"  virtuoso  load {load:7.1f} s  server peak RSS {peak:6.0f} MB", flush=True)
        rows: list[dict[str, Any]] = [{"server": "virtuoso", "step": "bulk load",
                                       "seconds": round(load, 1), "peak_mb": round(peak)}]
        rows += _ask_all("virtuoso", url, timeout)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="generate a network of about N triples (seed 0)")
    parser.add_argument("--network", type=Path, help="an N-Triples network file to use instead")
    parser.add_argument("--servers", default="oxigraph,virtuoso")
    parser.add_argument("--query-timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="metrograph-servers-") as tmp:
        folder = Path(tmp)
        network = args.network
        if network is None:
            from metrograph.testing.synthetic import write

            network = folder / "network.nt"
            write(network, args.triples, fmt="nt")
        lines = sum(1 for line in network.open("rb") if line.strip()[:1] not in (b"", b"#"))
        print(f"network: {network} ({lines} triples); machine: {platform.platform()}, "
              f"{os.cpu_count()} cores", flush=True)
        rows: list[dict[str, Any]] = []
        for name in args.servers.split(","):
            bench = {"oxigraph": bench_oxigraph, "virtuoso": bench_virtuoso}[name.strip()]
            rows += bench(network, folder, args.query_timeout)
    print("\n| server | step | seconds | peak MB | rows |\n|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['server']} | {r['step']} | {r['seconds']} | {r['peak_mb']} | "
              f"{r.get('rows', '')} |")
    if args.json:
        args.json.write_text(json.dumps({"triples": lines, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
