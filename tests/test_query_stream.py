"""Large answers streamed: ``metrograph query`` writes csv / tsv / json rows as the store produces
them, so a 200,000-row answer leaves the process's peak memory about where a one-row answer
does, well below what the same answer built whole needs; ``--limit`` / ``--offset`` pages
concatenate to the whole answer; bad values exit 2; time and row bounds still apply; the
stores hand over the same rows streamed as whole."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import metrograph
from metrograph.cli.app import main
from metrograph.errors import QueryTimeoutError, ResultTooLargeError
from metrograph.graph import KnowledgeGraph
from metrograph.testing.synthetic import write

ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }\n"
TRIPLES = 200_000


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stream")
    path = folder / "network.nt"
    write(path, TRIPLES, fmt="nt")
    (folder / "all.rq").write_text(ALL, encoding="utf-8")
    return path


#: runs ``-m MODULE ARGS`` or ``-c CODE`` and prints the process's own peak RSS (``VmHWM``, which
#: starts afresh at exec) to standard error at exit; ``ru_maxrss`` from ``wait4`` would not do:
#: Linux carries the parent's high-water mark into a child across fork and exec
PEAK = """
import atexit, runpy, sys
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("VMHWM " + line.split()[1] + "\\n")
atexit.register(_hwm)
mode, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if mode == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    exec(compile(target, "<c>", "exec"), {"__name__": "__main__"})
"""


def _peak(args: list[str], timeout: float = 300) -> tuple[int, float]:
    """Exit code and peak RSS (MB) of a child process (``args[0]`` is this Python)."""
    done = subprocess.run([args[0], "-c", PEAK, *args[1:]], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)
    kb = [int(line.split()[1]) for line in done.stderr.decode(errors="replace").splitlines()
          if line.startswith("VMHWM ")]
    assert kb, done.stderr[-2000:]
    return done.returncode, kb[-1] / 1024


def test_a_large_answer_streams_in_bounded_memory(network: Path, tmp_path: Path) -> None:
    query = str(network.parent / "all.rq")
    cli = [sys.executable, "-m", "metrograph", "query", "--file", query, "--data", str(network),
           "--no-bundled-data", "--quiet"]
    out = tmp_path / "all.csv"
    code, streamed = _peak([*cli, "--format", "csv", "-o", str(out)])
    assert code == 0
    rows = out.read_bytes().count(b"\r\n") - 1
    assert rows >= TRIPLES * 0.95
    code, one = _peak([*cli, "--format", "csv", "--limit", "1", "-o", str(tmp_path / "1.csv")])
    assert code == 0
    whole = tmp_path / "whole.csv"
    built = ("import metrograph; kg = metrograph.load("
             f"{str(network)!r}, bundled_data=False); "
             f"open({str(whole)!r}, 'w', newline='').write(kg.query_file({query!r})"
             ".serialize('csv'))")
    code, materialised = _peak([sys.executable, "-c", built])
    # the same answer (the query has no ORDER BY: rows compared as a multiset)
    assert code == 0
    assert sorted(whole.read_bytes().split(b"\r\n")) == sorted(out.read_bytes().split(b"\r\n"))
    # streaming costs a few MB over a one-row answer; the answer built whole costs far more
    assert streamed - one < 0.25 * (materialised - one), (one, streamed, materialised)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["query", "--quiet", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_pages_concatenate_to_the_whole_answer(capsys: pytest.CaptureFixture[str],
                                               fmt: str) -> None:
    code, whole, _ = _cli(capsys, "components", "--format", fmt)
    assert code == 0
    kg = metrograph.load()
    total = len(kg.query("components"))
    assert total > 50
    if fmt == "json":
        import json

        pages = []
        for offset in range(0, total + 20, 20):
            code, out, _ = _cli(capsys, "components", "--format", "json", "--limit", "20",
                                "--offset", str(offset))
            pages += json.loads(out)["results"]["bindings"]
        assert pages == json.loads(whole)["results"]["bindings"]
        return
    if fmt == "table":
        code, out, _ = _cli(capsys, "components", "--format", "table", "--limit", "5")
        assert out.rstrip().endswith("(5 rows)")
        return
    sep = "\r\n" if fmt == "csv" else "\n"
    head, *rows = whole.split(sep)
    got = []
    for offset in range(0, total + 20, 20):
        code, out, _ = _cli(capsys, "components", "--format", fmt, "--limit", "20",
                            "--offset", str(offset))
        page_head, *page = out.split(sep)
        assert code == 0 and page_head == head
        got += page[:-1]
    assert got == rows[:-1] and len(got) == total


@pytest.mark.parametrize("args", [["--limit", "-1"], ["--offset", "x"], ["--limit", "1.5"],
                                  ["--offset", ""]])
def test_bad_page_values_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = _cli(capsys, "components", *args)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and args[0] in err


def test_a_row_bound_while_streaming_writes_no_file(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("before\n")
    code, _, err = _cli(capsys, "components", "--format", "csv", "--max-rows", "10",
                        "-o", str(target))
    assert code == 2 and "more than 10 rows" in err
    assert target.read_text() == "before\n" and os.listdir(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_time_bound_holds_before_the_first_row(store: str, tmp_path: Path) -> None:
    """One long step of the engine before any row (a count over a three-way join: minutes)
    is stopped by --timeout as the time is up, not when the step ends: exit 2, one line, no
    file. Each run is a process, so the step Oxigraph cannot cancel ends with it."""
    import time

    query = tmp_path / "count.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n",
                     encoding="utf-8")
    target = tmp_path / "out.csv"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "metrograph", "query", "--store", store,
                           "--file", str(query), "--timeout", "0.5", "--format", "csv",
                           "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 20, "the bound waited for the step to end"
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "longer than 0.5 s" in line
    assert sorted(os.listdir(tmp_path)) == ["count.rq"]


def test_a_timed_out_stream_stops_its_worker() -> None:
    """The memory store's abandoned evaluation stops at once (rdflib is Python code): no thread
    is left computing for a reader that is gone; an early close stops it too."""
    import threading
    import time

    from metrograph.sparql.limits import QueryLimits

    kg = metrograph.load(store="memory")
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    def workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "metrograph-query-rows"]

    from metrograph.sparql.limits import deadline_check as _deadline_check

    stream = kg.store.select_iter(text, check=_deadline_check(0.3))
    with pytest.raises(QueryTimeoutError):
        list(stream.rows)
    deadline = time.monotonic() + 5
    while workers() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not workers()
    rows = kg.store.select_iter("SELECT ?s WHERE { ?s ?p ?o }", check=_deadline_check(60)).rows
    assert next(rows)
    rows.close()  # type: ignore[attr-defined]
    while workers() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not workers()
    assert len(kg.sparql("SELECT ?s WHERE { ?s a ?c } LIMIT 2",
                         limits=QueryLimits(timeout=5))) == 2  # the store still answers


@pytest.fixture(scope="module")
def big(network: Path) -> KnowledgeGraph:
    return metrograph.load(network, bundled_data=False)


def test_limits_apply_while_streaming(big: KnowledgeGraph, network: Path) -> None:
    from metrograph.sparql.limits import QueryLimits

    query = network.parent / "all.rq"
    with pytest.raises(ResultTooLargeError):
        for _ in big.stream_file(query, limits=QueryLimits(max_rows=1000)):
            pass
    stream = big.stream_file(query, limits=QueryLimits(timeout=0.05))
    with pytest.raises(QueryTimeoutError):
        for _ in stream:
            pass
    # a page far into the answer, without the rows before it in memory
    page = list(big.stream_file(query, offset=150_000, limit=3).terms())
    assert len(page) == 3


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_streamed_rows_are_the_rows(store: str) -> None:
    kg = metrograph.load(store=store)
    for name in ("components", "deliverables-without-status"):
        whole = kg.query(name)
        streamed = kg.iter_query(name)
        assert streamed.variables == whole.variables
        assert list(streamed) == whole.rows
        buf = io.StringIO()
        kg.stream_query(name).write("tsv", buf)
        assert buf.getvalue() == whole.serialize("tsv")
