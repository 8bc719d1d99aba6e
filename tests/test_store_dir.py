"""Store directories (``metrograph add``, ``--store-dir``, ``METROGRAPH_STORE_DIR``,
``metrograph.open_store``): each promise attacked with real processes on real files.

Loaded once, answered in a new process the same as a plain load; an unchanged file re-added
does nothing; a writer killed mid-load leaves the store as it was; readers running while files
are added see the state before or after, never an error or a partial count; concurrent adds
lose nothing; bad input changes nothing."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import metrograph
from metrograph.errors import StoreError

from .conftest import FIXTURES, MULTICYCLE
from .servers import Server, oxigraph_scratch  # noqa: F401

TIMEOUT = 120
MULTI_TTL = FIXTURES / "multicycle" / "example-network-2022-2024.ttl"
STATUSES = FIXTURES / "multicycle" / "statuses-2018-2020.ttl"
QUESTIONS = ["plans", "progress-by-guideline", "deliverables-without-status", "components"]

#: a reader process: opens the store again and again, prints "len count" per opening
READER = """
import sys, time, metrograph
store, until = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < until:
    kg = metrograph.open_store(store)
    [row] = kg.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    print(len(kg), int(row[0]), flush=True)
    del kg
"""


def cli(*args: str, env: dict[str, str] | None = None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``metrograph ARGS`` in a new process."""
    return subprocess.run([sys.executable, "-m", "metrograph", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def generations(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if p.is_dir() and p.name.startswith("gen-"))


def synthetic_nt(path: Path, triples: int, prefix: str = "s") -> Path:
    """An N-Triples file of ``triples`` distinct triples (no blank node)."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(triples):
            f.write(f'<http://example.org/{prefix}{i}> <http://example.org/p> "v{i}" .\n')
    return path


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def multi_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store made by `metrograph add` of the multi-cycle fixture (files and a plan folder)."""
    store = tmp_path_factory.mktemp("stores") / "multi"
    done = cli("add", "--store-dir", str(store), *map(str, MULTICYCLE), "-q")
    assert done.returncode == 0, done.stderr
    assert "created the store" in done.stdout
    return store


def test_answers_in_a_new_process_equal_a_plain_load(multi_store: Path) -> None:
    plain = metrograph.load(*MULTICYCLE)
    for name in QUESTIONS:
        from_store = cli("query", name, "--store-dir", str(multi_store), "--format", "json")
        assert from_store.returncode == 0, from_store.stderr
        assert json.loads(from_store.stdout) == json.loads(
            plain.query(name).serialize("json")), name
    manifest = json.loads((multi_store / "manifest.json").read_text())
    assert manifest["triples"] == len(plain) == len(metrograph.open_store(multi_store))
    info = json.loads(cli("info", "--store-dir", str(multi_store), "--format", "json").stdout)
    assert info["triples"] == len(plain)
    assert {Path(f["source"]).name for f in info["files"]} >= {p.name for p in MULTICYCLE}
    # the API: load(store_dir=) gives the same graph; the figures agree
    api = metrograph.load(*MULTICYCLE, store_dir=multi_store)
    assert api.counts() == plain.counts()


def test_distinct_triples_the_same_file_twice_or_under_two_names(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    before = json.loads((store / "manifest.json").read_text())["triples"]
    renamed = cli("add", "--store-dir", str(store), str(MULTI_TTL), "--graph-name", "again")
    assert renamed.returncode == 0, renamed.stderr
    assert "0 new triples" in renamed.stdout
    copy = tmp_path / "copy.ttl"
    copy.write_bytes(MULTI_TTL.read_bytes() + b"\n# the same triples, other bytes\n")
    assert cli("add", "--store-dir", str(store), str(copy)).returncode == 0
    assert len(metrograph.open_store(store)) == before
    assert len(metrograph.load(MULTI_TTL, copy, MULTI_TTL, graph_name=None)) == before


def test_an_add_compacts_the_store_once_enough_has_changed(tmp_path: Path) -> None:
    """Bulk loads leave RocksDB files whose key ranges overlap, and every index seek reads
    each of them: an add compacts the new generation once the triples loaded or cleared since
    the last compaction reach 5% of the store (at 10M triples, `plans` fell from 166 s to
    20 s), not for every small addition (compacting 10M triples takes 25 s)."""
    store = tmp_path / "s"

    def add(path: Path, *extra: str) -> tuple[int, int]:
        done = cli("add", "--store-dir", str(store), str(path), "-q", *extra)
        assert done.returncode == 0, done.stderr
        manifest = json.loads((store / "manifest.json").read_text())
        return manifest["uncompacted"], len(list((store / manifest["generation"]).glob("*.sst")))

    assert add(synthetic_nt(tmp_path / "a.nt", 3000, "a"))[0] == 0  # a new store: compacted
    pending, files = add(synthetic_nt(tmp_path / "b.nt", 10, "b"))
    assert pending == 10
    pending, more_files = add(synthetic_nt(tmp_path / "c.nt", 20, "c"))
    assert pending == 30 and more_files > files
    pending, compacted_files = add(synthetic_nt(tmp_path / "d.nt", 600, "d"))
    assert pending == 0 and compacted_files < more_files
    # a replaced graph counts what it held: its deletions are as costly to seek past
    assert add(synthetic_nt(tmp_path / "e.nt", 10, "e"), "--graph-name", "g")[0] == 10
    assert add(synthetic_nt(tmp_path / "f.nt", 10, "f"), "--graph-name", "g")[0] == 30
    # a manifest from before compaction was tracked: the next add compacts
    manifest = json.loads((store / "manifest.json").read_text())
    del manifest["uncompacted"]
    (store / "manifest.json").write_text(json.dumps(manifest))
    assert add(synthetic_nt(tmp_path / "h.nt", 1, "h"))[0] == 0
    kg = metrograph.open_store(store)
    assert len(kg) == len(metrograph.load()) + 3000 + 10 + 20 + 600 + 10 + 1


def test_unchanged_file_re_added_does_nothing(multi_store: Path) -> None:
    manifest = (multi_store / "manifest.json").read_bytes()
    gens = generations(multi_store)
    again = cli("add", "--store-dir", str(multi_store), str(MULTI_TTL))
    assert again.returncode == 0, again.stderr
    assert f"unchanged: {MULTI_TTL}" in again.stdout
    assert (multi_store / "manifest.json").read_bytes() == manifest
    assert generations(multi_store) == gens


def test_same_graph_name_with_other_content_replaces_the_graph(tmp_path: Path) -> None:
    store = tmp_path / "s"
    first = synthetic_nt(tmp_path / "a.nt", 30, "a")
    second = synthetic_nt(tmp_path / "b.nt", 20, "b")
    assert cli("add", "--store-dir", str(store), str(first), "--graph-name", "mine").returncode == 0
    done = cli("add", "--store-dir", str(store), str(second), "--graph-name", "mine")
    assert done.returncode == 0, done.stderr
    assert "replaced the graph <https://w3id.org/metrograph/graph/user/mine>" in done.stdout
    kg = metrograph.open_store(store)
    assert len(kg) == len(metrograph.load()) + 20
    files = [f for f in json.loads((store / "manifest.json").read_text())["files"]
             if f["kind"] != "bundled"]
    assert [Path(f["source"]).name for f in files] == ["b.nt"]


def test_a_writer_killed_mid_load_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    before = (store / "manifest.json").read_bytes()
    count = len(metrograph.open_store(store))
    big = synthetic_nt(tmp_path / "big.nt", 300_000)
    writer = subprocess.Popen([sys.executable, "-m", "metrograph", "add", "--store-dir",
                               str(store), str(big), "-q"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (store / "gen-000002").exists() and writer.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.3)  # into the load
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, "the load ended before it could be killed"
    assert (store / "manifest.json").read_bytes() == before
    assert len(metrograph.open_store(store)) == count
    assert cli("query", "plans", "--store-dir", str(store)).returncode == 0
    small = synthetic_nt(tmp_path / "small.nt", 10)
    done = cli("add", "--store-dir", str(store), str(small))
    assert done.returncode == 0, done.stderr
    assert len(metrograph.open_store(store)) == count + 10
    current = json.loads((store / "manifest.json").read_text())["generation"]
    assert generations(store) == [current] != ["gen-000001"]  # the leftover is gone
    assert not list(store.glob(".manifest-*"))


def test_a_file_changed_while_it_is_added_is_refused(tmp_path: Path) -> None:
    """A file rewritten while `add` loads it: exit 2 naming it, the store as it was (no
    checksum of other bytes recorded); added again once written, it is taken."""
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    before = (store / "manifest.json").read_bytes()
    big = synthetic_nt(tmp_path / "big.nt", 300_000)
    writer = subprocess.Popen([sys.executable, "-m", "metrograph", "add", "--store-dir",
                               str(store), str(big), "-q"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (store / "gen-000002").exists() and writer.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    synthetic_nt(big, 1000, prefix="other")  # rewritten in place, mid-load
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 2, err
    assert "changed while it was being added" in one_line(err) and str(big) in err
    assert (store / "manifest.json").read_bytes() == before
    done = cli("add", "--store-dir", str(store), str(big), "-q")
    assert done.returncode == 0, done.stderr
    entry = json.loads((store / "manifest.json").read_text())["files"][-1]
    assert entry["size"] == big.stat().st_size and entry["triples"] == 1000


def test_a_store_is_readable_as_the_umask_says_and_survives_a_killed_first_commit(
        tmp_path: Path) -> None:
    """manifest.json has the mode of the store's other files (0644 under umask 022); a first
    add killed before its manifest was renamed leaves a directory that the next add uses."""
    store = tmp_path / "s"
    old = os.umask(0o022)
    try:
        assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    finally:
        os.umask(old)
    assert (store / "manifest.json").stat().st_mode & 0o777 == 0o644
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "write.lock").touch()
    (fresh / ".manifest-x1y2z3.tmp").write_text("{", encoding="utf-8")  # as a killed writer
    (fresh / "gen-000001").mkdir()
    (fresh / "gen-000001.lock").touch()
    done = cli("add", "--store-dir", str(fresh), str(MULTI_TTL), "-q")
    assert done.returncode == 0, done.stderr
    assert not list(fresh.glob(".manifest-*"))
    assert len(metrograph.open_store(fresh)) == len(metrograph.open_store(store))


def test_a_file_added_again_with_other_content_is_said_and_a_graph_name_replaces_it(
        tmp_path: Path) -> None:
    """The same path added again after an edit: graphs are named by content, so the earlier
    triples stay, and add says so in a warning naming the file; added with one --graph-name,
    each version replaces the earlier one."""
    store = tmp_path / "s"
    a = tmp_path / "a.nt"
    synthetic_nt(a, 1200)
    assert cli("add", "--store-dir", str(store), str(a), "-q").returncode == 0
    base = len(metrograph.open_store(store)) - 1200
    synthetic_nt(a, 600, prefix="t")
    done = cli("add", "--store-dir", str(store), str(a), "-q")
    assert done.returncode == 0, done.stderr
    warning = one_line(done.stderr)
    assert warning.startswith("metrograph: warning: ") and str(a) in warning
    assert "--graph-name" in warning
    assert len(metrograph.open_store(store)) == base + 1800
    named = tmp_path / "named"
    for size in (1200, 600):
        synthetic_nt(a, size)
        done = cli("add", "--store-dir", str(named), str(a), "--graph-name", "a", "-q")
        assert done.returncode == 0 and not done.stderr, done.stderr
    assert len(metrograph.open_store(named)) == base + 600


def test_readers_see_the_state_before_or_after_never_a_partial_one(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    states = [len(metrograph.open_store(store))]
    files = [synthetic_nt(tmp_path / f"f{i}.nt", 5_000, f"f{i}-") for i in range(2)]
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(store), "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    first = [r.stdout.readline() for r in readers if r.stdout]  # every reader is reading
    try:
        for f in files:
            done = cli("add", "--store-dir", str(store), str(f), "-q")
            assert done.returncode == 0, done.stderr
            states.append(len(metrograph.open_store(store)))
    finally:
        for r in readers:
            r.send_signal(signal.SIGTERM)
    answers = [tuple(map(int, line.split())) for line in first]
    for r in readers:
        out, err = r.communicate(timeout=30)
        assert "Traceback" not in err and "Error" not in err, err
        answers += [tuple(map(int, line.split())) for line in out.splitlines()]
    assert len(answers) > 10, "the readers did not read"
    assert {n for n, _ in answers} <= set(states)
    assert all(n == count for n, count in answers)
    assert len({n for n, _ in answers}) >= 2, "no reader saw a change"
    # once no reader holds them, the next writer removes the old generations
    assert cli("add", "--store-dir", str(store), str(STATUSES), "-q").returncode == 0
    assert len(generations(store)) == 1


def test_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    files = [synthetic_nt(tmp_path / f"c{i}.nt", 2_000, f"c{i}-") for i in range(3)]
    writers = [subprocess.Popen([sys.executable, "-m", "metrograph", "add", "--store-dir",
                                 str(store), str(f), "-q"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for f in files]
    for w in writers:
        _out, err = w.communicate(timeout=TIMEOUT)
        assert w.returncode == 0, err
    manifest = json.loads((store / "manifest.json").read_text())
    assert {Path(f["source"]).name for f in manifest["files"]} >= {f.name for f in files}
    assert len(metrograph.open_store(store)) == len(metrograph.load(MULTI_TTL, *files))
    assert manifest["triples"] == len(metrograph.open_store(store))  # tracked, not counted


def test_bad_input_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    manifest = (store / "manifest.json").read_bytes()
    bad = tmp_path / "bad.nt"
    bad.write_text('<http://a> <http://b> "1" .\n<http://a> <http://b> "2\n', encoding="utf-8")
    for args in ([str(bad)], [str(STATUSES), str(bad)]):  # all or nothing
        done = cli("add", "--store-dir", str(store), *args)
        assert done.returncode == 2
        line = one_line(done.stderr)
        assert f"{bad}:2:" in line and "Traceback" not in line
        assert (store / "manifest.json").read_bytes() == manifest
        assert generations(store) == ["gen-000001"]


def test_a_damaged_or_foreign_directory_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    for args in (["add", str(MULTI_TTL)], ["query", "plans"], ["info"]):
        done = cli(*args, "--store-dir", str(foreign))
        assert done.returncode == 2 and "not a metrograph store" in one_line(done.stderr)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    damaged = tmp_path / "damaged"
    assert cli("add", "--store-dir", str(damaged), str(MULTI_TTL), "-q").returncode == 0
    (damaged / "manifest.json").write_text("{not json", encoding="utf-8")
    for args in (["add", str(STATUSES)], ["query", "plans"], ["info"]):
        done = cli(*args, "--store-dir", str(damaged))
        assert done.returncode == 2 and "damaged manifest" in one_line(done.stderr)
    missing = cli("info", "--store-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such store directory" in one_line(missing.stderr)


def test_the_environment_variable_works_like_the_option(multi_store: Path) -> None:
    env = {"METROGRAPH_STORE_DIR": str(multi_store)}
    by_env = cli("query", "plans", "--format", "json", env=env)
    by_option = cli("query", "plans", "--format", "json", "--store-dir", str(multi_store))
    assert by_env.returncode == 0, by_env.stderr
    assert json.loads(by_env.stdout) == json.loads(by_option.stdout)
    info = cli("info", env=env)
    assert f"store directory: {multi_store}" in info.stdout
    unchanged = cli("add", str(MULTI_TTL), env=env)
    assert unchanged.returncode == 0 and "unchanged" in unchanged.stdout
    refused = cli("query", "plans", "--data", str(MULTI_TTL), env=env)
    assert refused.returncode == 2 and "metrograph add" in one_line(refused.stderr)


def test_every_command_reads_a_store_directory(tmp_path: Path, multi_store: Path,
                                               oxigraph_scratch: Server) -> None:  # noqa: F811
    d = ["--store-dir", str(multi_store)]
    plain = metrograph.load(*MULTICYCLE)
    validated = cli("validate", *d, "--format", "json")
    expected = plain.validate()
    assert validated.returncode == (1 if expected.has_violations else 0), validated.stderr
    assert len(json.loads(validated.stdout)["results"]) == len(expected.results)
    refused = cli("validate", str(MULTI_TTL), *d)
    assert refused.returncode == 2 and "metrograph add" in one_line(refused.stderr)
    exported = cli("export", *d, "--format", "nt", "-o", str(tmp_path / "kg.nt"))
    assert exported.returncode == 0, exported.stderr
    assert len(metrograph.load(tmp_path / "kg.nt", bundled=False)) == len(plain)
    report = cli("report", *d, "-o", str(tmp_path / "report.md"))
    assert report.returncode == 0, report.stderr
    from metrograph.reports.markdown import markdown_report

    assert (tmp_path / "report.md").read_text() == markdown_report(plain)
    published = cli("publish", *d, "-o", str(tmp_path / "release"))
    assert published.returncode == 0, published.stderr
    assert f"({len(plain)} triples)" in published.stdout
    pushed = cli("push", *d, "--graph-store", oxigraph_scratch.gsp_url, "--update",
                 oxigraph_scratch.update_url, "--query", oxigraph_scratch.query_url)
    assert pushed.returncode == 0, pushed.stderr
    stored = [int(n) for n in re.findall(r", (\d+) stored", pushed.stdout)]
    assert sum(stored) == len(plain), pushed.stdout  # counted on the server
    status = tmp_path / "status.ttl"
    recorded = cli("status", "set", "L1M1D1", "done", "--as-of", "2024-01-01", "--source",
                   "https://example.org/report", "--file", str(status), "--plan",
                   "https://w3id.org/metrograph/id/metropolis/plan/2018-2020", *d)
    assert recorded.returncode == 0, recorded.stderr
    assert "metrograph add" in recorded.stdout
    assert len(metrograph.load(status, bundled=False)) > 0
    imported = cli("import", str(FIXTURES / "multicycle" / "metropolis-2021-2023"), *d,
                   "-o", str(tmp_path / "plan.ttl"))
    assert imported.returncode == 0, imported.stderr
    assert cli("queries", "--format", "json").returncode == 0


def test_a_store_opened_read_only_refuses_changes(multi_store: Path) -> None:
    kg = metrograph.open_store(multi_store)
    with pytest.raises(StoreError, match=r"read-only.*metrograph add"):
        kg.update("INSERT DATA { <http://a> <http://b> <http://c> }", allow_update=True)
    with pytest.raises(StoreError, match="read-only"):
        kg.load_file(MULTI_TTL)
    with pytest.raises(StoreError, match="not a metrograph store"):
        metrograph.open_store(multi_store / "gen-000001")


def test_blank_nodes_are_labelled_by_content_as_in_a_plain_load(tmp_path: Path) -> None:
    ttl = tmp_path / "b.ttl"
    ttl.write_text('@prefix ex: <http://example.org/> .\n'
                   'ex:a ex:p [ ex:q "1" ; ex:r ( 1 2 ) ] .\n', encoding="utf-8")
    nt = tmp_path / "b.nt"
    nt.write_text('<http://example.org/a> <http://example.org/p> _:x .\n'
                  '_:x <http://example.org/q> "1" .\n', encoding="utf-8")
    store = tmp_path / "s"
    kg = metrograph.load(ttl, nt, store_dir=store, bundled_data=False)
    plain = metrograph.load(ttl, nt, bundled_data=False)
    assert len(kg) == len(plain)
    assert set(kg.store.triples()) == set(plain.store.triples())
    relabelled = tmp_path / "c.nt"  # the same structure, other labels, another graph
    relabelled.write_text(nt.read_text(encoding="utf-8").replace("_:x", "_:other"),
                          encoding="utf-8")
    assert len(metrograph.load(relabelled, store_dir=store, graph_name="again")) == len(plain)


def test_replacing_a_graph_keeps_the_triples_other_files_share_with_it(tmp_path: Path) -> None:
    a, b, a2 = (tmp_path / n for n in ("a.nt", "b.nt", "a2.nt"))
    t = '<http://example.org/{}> <http://example.org/p> "x" .\n'
    a.write_text(t.format(1) + t.format(2), encoding="utf-8")
    b.write_text(t.format(2) + t.format(3), encoding="utf-8")  # 2: kept in a's graph only
    a2.write_text(t.format(1), encoding="utf-8")  # 2 leaves the graph: b brings it back
    store = tmp_path / "s"
    metrograph.load(a, store_dir=store, graph_name="mine", bundled_data=False)
    metrograph.load(b, store_dir=store, bundled_data=False)
    done = cli("add", "--store-dir", str(store), str(a2), "--graph-name", "mine")
    assert done.returncode == 0, done.stderr
    assert "replaced the graph" in done.stdout
    kg = metrograph.open_store(store)
    assert len(kg) == len(metrograph.load(a2, b, bundled_data=False))
    assert set(kg.store.triples()) == set(metrograph.load(a2, b, bundled_data=False)
                                          .store.triples())
    # a shared file that changed since cannot be loaded again: refused, nothing written
    other = tmp_path / "other"
    metrograph.load(a, store_dir=other, graph_name="mine", bundled_data=False)
    metrograph.load(b, store_dir=other, bundled_data=False)
    b.write_text(t.format(3), encoding="utf-8")
    before = (other / "manifest.json").read_bytes()
    refused = cli("add", "--store-dir", str(other), str(a2), "--graph-name", "mine")
    assert refused.returncode == 2 and "changed since it was added" in one_line(refused.stderr)
    assert (other / "manifest.json").read_bytes() == before
    assert generations(other) == ["gen-000002"]


def test_export_is_streamed_and_the_same_bytes_from_two_stores(tmp_path: Path) -> None:
    """N-Triples from a store directory: streamed by Oxigraph (a child process writing it to a
    file grows by much less than one holding the same export as text), the same bytes from two
    stores built alike and across processes, and the same triples as a plain load's export
    (blank-node labels aside)."""
    data = synthetic_nt(tmp_path / "big.nt", 200_000)
    stores = [tmp_path / "a", tmp_path / "b"]
    for store in stores:
        assert cli("add", "--store-dir", str(store), str(data), "-q").returncode == 0

    def grown_kb(store: Path, action: str) -> int:
        # VmHWM starts afresh at exec (ru_maxrss carries the parent's high-water mark)
        code = ("import sys, metrograph\n"
                "def hwm():\n"
                "    return int(next(l for l in open('/proc/self/status') "
                "if l.startswith('VmHWM:')).split()[1])\n"
                "kg = metrograph.open_store(sys.argv[1])\n"
                "before = hwm()\n"
                f"{action}\n"
                "print(hwm() - before)\n")
        done = subprocess.run([sys.executable, "-c", code, str(store), str(out)],
                              capture_output=True, text=True, timeout=TIMEOUT, check=True)
        return int(done.stdout.split()[-1])

    outs = []
    for i, store in enumerate([*stores, stores[0]]):
        out = tmp_path / f"out{i}.nt"
        streamed = grown_kb(store, "kg.write(sys.argv[2], 'nt')")
        outs.append(out.read_bytes())
    held = grown_kb(stores[0], "text = kg.export('nt')")
    assert held * 1024 > len(outs[0])  # the text is held whole: more than its size
    assert streamed < held / 2, (streamed, held)
    assert outs[0] == outs[1] == outs[2]
    plain = metrograph.load(data).export("nt").encode("utf-8")

    def content(text: bytes) -> set[bytes]:
        return {line for line in text.splitlines() if b"_:" not in line}

    assert content(outs[0]) == content(plain)
    assert len(outs[0].splitlines()) == len(plain.splitlines())


def test_reasoning_on_a_store_works_on_a_checkpoint(multi_store: Path) -> None:
    """kg.reasoned("rules") on an opened store: the store is unchanged (read-only, same
    manifest), the inferences equal those on a plain load, and the checkpoint is removed."""
    import gc

    manifest = (multi_store / "manifest.json").read_bytes()
    kg = metrograph.open_store(multi_store)
    reasoned = kg.reasoned("rules")
    plain = metrograph.load(*MULTICYCLE)
    assert len(reasoned) - len(kg) == len(plain.reasoned("rules")) - len(plain) > 0
    assert len(metrograph.open_store(multi_store)) == len(kg)
    del reasoned
    gc.collect()
    assert not [p for p in multi_store.iterdir() if p.name.startswith(".metrograph-copy-")]
    assert (multi_store / "manifest.json").read_bytes() == manifest


#: a process that holds a writable copy of a store directory (as reasoning does), then waits
HOLDER = """
import sys, time, metrograph
kg = metrograph.open_store(sys.argv[1])
copy = kg.store.copy()
print("ready", flush=True)
time.sleep(120)
"""


def test_copies_of_killed_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """A process killed while it holds a writable copy (reasoning on a store directory) leaves
    its ``.metrograph-copy-*`` folder; the next opening of the store removes it, never the
    copy of a process still alive, nor one so young that its process may be creating it."""
    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0

    def copies() -> list[Path]:
        return sorted(p for p in store.iterdir() if p.name.startswith(".metrograph-copy-"))

    def age(folder: Path) -> None:  # as if made two hours ago
        old = time.time() - 7200
        os.utime(folder, (old, old))

    holders = [subprocess.Popen([sys.executable, "-c", HOLDER, str(store)],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for holder in holders:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "ready"
        assert len(copies()) == 2
        for folder in copies():
            age(folder)
        holders[0].send_signal(signal.SIGKILL)
        holders[0].wait(timeout=30)
        young = store / ".metrograph-copy-starting"  # no owner lock yet, just made
        young.mkdir()
        orphan = store / ".metrograph-copy-orphan"  # no owner lock, old
        orphan.mkdir()
        age(orphan)
        assert cli("query", "plans", "--store-dir", str(store)).returncode == 0
        left = copies()
        assert young in left and orphan not in left
        assert len(left) == 2, left  # the live holder's copy and the young folder
        small = synthetic_nt(tmp_path / "small.nt", 10)
        assert cli("add", "--store-dir", str(store), str(small), "-q").returncode == 0
        assert len(copies()) == 2
        holders[1].send_signal(signal.SIGKILL)
        holders[1].wait(timeout=30)
        assert len(metrograph.open_store(store)) > 0
        assert copies() == [young]
    finally:
        for holder in holders:
            holder.kill()
            holder.wait(timeout=30)


def test_validate_keeps_its_report_and_validates_only_what_was_added(tmp_path: Path) -> None:
    """validate on a store directory: a full run first, the saved report on the same
    generation, an incremental run after an add (the same JSON as a full run made afresh),
    and a full run again after a graph is replaced."""
    store = tmp_path / "store"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0

    def validate(env: dict[str, str] | None = None) -> tuple[str, str]:
        done = cli("validate", "--store-dir", str(store), "--format", "json", "-q",
                   env=env or {"METROGRAPH_INCREMENTAL_MIN_TRIPLES": "0"})
        assert done.returncode in (0, 1), done.stderr
        how = re.search(r": (saved|incremental)\b", done.stderr)
        return done.stdout, how.group(1) if how else "full"

    first, how = validate()
    assert how == "full" and (store / "validation.json").is_file()
    assert validate() == (first, "saved")
    assert cli("add", "--store-dir", str(store), str(STATUSES), "-q").returncode == 0
    incremental, how = validate()
    assert how == "incremental"
    (store / "validation.json").unlink()
    assert validate() == (incremental, "full")
    assert incremental != first  # the statuses changed the results
    other = tmp_path / "other.ttl"
    other.write_text("<http://example.org/a> <http://example.org/p> 1 .\n", encoding="utf-8")
    for data, expected in ((STATUSES, "incremental"), (other, "full")):
        # the second file goes into the same graph name with other content: replaced
        assert cli("add", "--store-dir", str(store), str(data), "--graph-name", "g",
                   "-q").returncode == 0
        assert validate()[1] == expected
    assert validate()[1] == "saved"
    replaced, how = validate()
    (store / "validation.json").unlink()
    assert validate()[0] == replaced
    # by default, a store this small is validated fully after an add (it is faster)
    more = synthetic_nt(tmp_path / "more.nt", 5, prefix="more")
    assert cli("add", "--store-dir", str(store), str(more), "-q").returncode == 0
    assert validate({"METROGRAPH_INCREMENTAL_MIN_TRIPLES": "500000"})[1] == "full"


def test_a_report_is_saved_only_for_the_generation_it_was_made_on(tmp_path: Path) -> None:
    """A store opened, then a file added by another process, then validated: the report is
    that of the opened generation, and it is not saved as the newer generation's."""
    from metrograph.validation.stored import validate_store

    store = tmp_path / "store"
    assert cli("add", "--store-dir", str(store), str(MULTI_TTL), "-q").returncode == 0
    kg = metrograph.open_store(store)
    assert cli("add", "--store-dir", str(store), str(STATUSES), "-q").returncode == 0
    report, how = validate_store(kg, store)
    assert how == "full" and not (store / "validation.json").exists()
    fresh = metrograph.load(MULTI_TTL)
    assert len(report.results) == len(fresh.validate().results)
    del kg
    newer, how = validate_store(metrograph.open_store(store), store)
    assert how == "full" and (store / "validation.json").is_file()
    assert len(newer.results) != len(report.results)


def test_a_failed_first_add_leaves_no_directory_and_a_file_is_not_a_store(
        tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e.org/> .\nex:a ex:b .\n", encoding="utf-8")
    store = tmp_path / "new"
    done = cli("add", "--store-dir", str(store), str(bad))
    assert done.returncode == 2 and "bad.ttl:2" in one_line(done.stderr)
    assert not store.exists()
    a_file = tmp_path / "afile"
    a_file.touch()
    done = cli("query", "plans", "--store-dir", str(a_file))
    assert done.returncode == 2 and "not a folder" in one_line(done.stderr)


def test_a_first_add_that_fails_leaves_the_directory_to_an_add_waiting_for_it(
        tmp_path: Path) -> None:
    """A first add holds the write lock, another process waits for it (and says so, naming
    the holder), then the first fails: the directory it made is removed, and the waiting add
    creates the store instead of failing on a directory gone from under it."""
    from metrograph.stores.directory import StoreDirectory

    store = tmp_path / "new"
    waiting = None
    with pytest.raises(RuntimeError), StoreDirectory(store)._write_lock():
        waiting = subprocess.Popen([sys.executable, "-m", "metrograph", "add", "--store-dir",
                                    str(store), str(STATUSES), "-q"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert waiting.stderr is not None
        ready, _, _ = select.select([waiting.stderr], [], [], 20)
        line = waiting.stderr.readline() if ready else ""  # it waits, and says so
        if not ready:
            waiting.kill()
        assert "another add" in line and f"process {os.getpid()}" in line
        raise RuntimeError("the first add fails")
    assert waiting is not None
    _out, err = waiting.communicate(timeout=TIMEOUT)
    assert waiting.returncode == 0 and err == "", err
    assert json.loads((store / "manifest.json").read_text())["files"][-1]["source"] == str(
        STATUSES)


def test_a_graph_name_of_metrographs_own_graphs_is_refused(tmp_path: Path) -> None:
    """A --graph-name naming a bundled part's graph (or reasoning's, or a file's content
    graph) replaced it, and the next add put the bundled part back over the user's file."""
    from metrograph.errors import InputError
    from metrograph.stores.directory import StoreDirectory

    store = StoreDirectory(tmp_path / "s")
    store.add([MULTI_TTL], bundled_data=False)
    manifest = (store.path / "manifest.json").read_bytes()
    for name in ("https://w3id.org/metrograph/graph/ontology/metrograph",
                 "https://w3id.org/metrograph/graph/data/organisations",
                 "https://w3id.org/metrograph/graph/inferred",
                 "sha256-0123456789abcdef0123456789abcdef"):
        with pytest.raises(InputError, match="reserved for metrograph's own graphs"):
            store.add([STATUSES], graph_name=name)
        with pytest.raises(InputError, match="reserved"):
            metrograph.load(STATUSES, graph_name=name, bundled_data=False)
    assert (store.path / "manifest.json").read_bytes() == manifest


def test_a_saved_report_of_other_shapes_is_not_reused(tmp_path: Path) -> None:
    """validation.json made by another metrograph's shapes (another digest) on the same
    generation: validated again, not returned as saved."""
    from metrograph.stores.directory import StoreDirectory
    from metrograph.validation.stored import SAVED, validate_store

    StoreDirectory(tmp_path / "s").add([MULTI_TTL], bundled_data=False)
    kg = metrograph.open_store(tmp_path / "s")
    first, how = validate_store(kg, tmp_path / "s")
    assert how == "full" and validate_store(kg, tmp_path / "s")[1] == "saved"
    saved = tmp_path / "s" / SAVED
    doc = json.loads(saved.read_text(encoding="utf-8"))
    doc["shapesDigest"], doc["results"] = "0" * 64, []
    saved.write_text(json.dumps(doc), encoding="utf-8")
    again, how = validate_store(kg, tmp_path / "s")
    assert how == "full" and again.results == first.results
    assert validate_store(kg, tmp_path / "s")[1] == "saved"


def test_a_report_that_cannot_be_saved_is_still_given(tmp_path: Path) -> None:
    """A store directory where the report cannot be written (here its scratch name is taken
    by a folder; on a read-only mount the same): the report, unsaved, no error."""
    from metrograph.stores.directory import StoreDirectory
    from metrograph.validation.stored import SAVED, validate_store

    StoreDirectory(tmp_path / "s").add([MULTI_TTL], bundled_data=False)
    (tmp_path / "s" / f".{SAVED}.unsaved" / "x").mkdir(parents=True)
    report, how = validate_store(metrograph.open_store(tmp_path / "s"), tmp_path / "s")
    assert how == "full" and report.results and not (tmp_path / "s" / SAVED).exists()


def test_a_manifest_edited_with_wrong_types_is_refused(tmp_path: Path) -> None:
    """A manifest edited by hand with a value of the wrong type: refused as damaged, naming
    the field (a count given as text made a later add fail with a traceback)."""
    import shutil

    from metrograph.stores.directory import StoreDirectory

    made = StoreDirectory(tmp_path / "made")
    made.add([MULTI_TTL], graph_name="g", bundled_data=False)
    edits: list[tuple[Any, str]] = [
        (lambda m: m["files"][-1].update(triples="2"), 'triples is "2", not a count'),
        (lambda m: m["files"][0].update(shared=None), "files[0].shared is null"),
        (lambda m: m["files"][0].update(source=None), "files[0].source is null, not a string"),
        (lambda m: m["files"][0].pop("graph"), "files[0].graph is missing"),
        (lambda m: m.update(bundled_data="no"), 'bundled_data is "no", not true or false'),
        (lambda m: m.update(files={}), "files is {}, not a list"),
        (lambda m: m.update(files=["x"]), "files[0] is not an object"),
        (lambda m: m.update(triples=-1), "triples is -1"),
    ]
    for i, (edit, said) in enumerate(edits):
        store = StoreDirectory(shutil.copytree(made.path, tmp_path / f"s{i}"))
        manifest = json.loads((store.path / "manifest.json").read_text(encoding="utf-8"))
        edit(manifest)
        (store.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(StoreError, match=re.escape(said)):
            store.add([STATUSES], graph_name="g")
        with pytest.raises(StoreError, match="damaged manifest"):
            metrograph.open_store(store.path)


def test_a_full_disk_during_an_add_is_the_stores_error_not_the_files(tmp_path: Path) -> None:
    """The store cannot be written (a file size limit: RocksDB's "IO error", as on a full
    disk): exit 2 naming the store, not "FILE: not valid"; the store unchanged."""
    import resource

    store = tmp_path / "s"
    assert cli("add", "--store-dir", str(store), str(STATUSES), "-q").returncode == 0
    manifest = (store / "manifest.json").read_bytes()
    big = synthetic_nt(tmp_path / "big.nt", 30_000)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    done = subprocess.run([sys.executable, "-m", "metrograph", "add", "--store-dir",
                           str(store), str(big), "-q"], capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=limit)
    line = one_line(done.stderr)
    assert done.returncode == 2 and "cannot write the store" in line, line
    assert "not valid" not in line and "big.nt" not in line
    assert (store / "manifest.json").read_bytes() == manifest
    assert generations(store) == ["gen-000001"]


def test_add_and_info_show_control_characters_in_file_names_escaped(tmp_path: Path) -> None:
    evil = tmp_path / "evil\x1b[31m\x07.ttl"
    evil.write_bytes(STATUSES.read_bytes())
    store = tmp_path / "s"
    for args in (["add", str(evil), "--no-bundled-data"], ["info"]):
        done = cli(*args, "--store-dir", str(store), "-q")
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
        assert "evil\\x1b[31m\\x07.ttl" in done.stdout


def test_an_empty_store_dir_is_refused_not_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    """``--store-dir ""`` loaded the bundled graph (or took METROGRAPH_STORE_DIR) silently."""
    from metrograph.cli.app import main

    for args in (["query", "plans"], ["add", str(STATUSES)]):
        assert main([*args, "--store-dir", ""]) == 2
        assert "--store-dir: an empty path" in one_line(capsys.readouterr().err)


def test_a_file_given_twice_in_one_add_is_said(tmp_path: Path) -> None:
    """The same content given twice in one add (a link, a copy): added once, and each repeat
    said, not dropped from the outcome without a word."""
    from metrograph.stores.directory import StoreDirectory

    link, copy = tmp_path / "link.ttl", tmp_path / "copy.ttl"
    link.symlink_to(STATUSES)
    copy.write_bytes(STATUSES.read_bytes())
    store = StoreDirectory(tmp_path / "s")
    outcome = store.add([STATUSES, link, copy], bundled_data=False)
    assert [e.source for e in outcome.added if e.kind == "file"] == [str(STATUSES)]
    assert outcome.repeated == [(str(link), str(STATUSES)), (str(copy), str(STATUSES))]
    again = store.add([copy, STATUSES])
    assert again.unchanged == [str(copy)] and again.repeated == [(str(STATUSES), str(copy))]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_an_open_interrupted_midway_leaves_no_lock_on_the_generation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]) -> None:
    # Ctrl-C or an engine failure while a generation is opened: its shared lock is released,
    # so a writer can still remove the generation (a leaked lock would pin it for good)
    import fcntl

    from metrograph.stores.directory import StoreDirectory
    from metrograph.stores.oxigraph import OxigraphStore

    data = tmp_path / "a.nt"
    data.write_text("<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n")
    directory = StoreDirectory(tmp_path / "store")
    directory.add([str(data)], bundled_data=False)
    lock = tmp_path / "store" / f"{directory.manifest().generation}.lock"

    def fail(*_args: object, **_kwargs: object) -> OxigraphStore:
        raise failure()

    monkeypatch.setattr(OxigraphStore, "open_read_only", fail)
    with pytest.raises(failure):
        directory.open()
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if leaked
    finally:
        os.close(fd)
