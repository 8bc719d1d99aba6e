"""Fuzzing for a bounded time: each reader and the query runner get generated and mutated
inputs; the only outcome besides success is the documented error type
(:class:`~metrograph.errors.InputError` for files, :class:`~metrograph.errors.QueryError` for
queries). The counts of cases tried are printed."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metrograph
from metrograph.authoring.csv_format import import_folder
from metrograph.errors import InputError, QueryError
from metrograph.graph import KnowledgeGraph
from metrograph.rdfio.writers import serialize

from .tally import count

SAMPLE = metrograph.load(bundled=False)
SAMPLE.load_bundled(data=False)
SEEDS = {fmt: serialize(SAMPLE.store.dataset(), fmt)[:3000] for fmt in ("ttl", "nt", "trig",
                                                                       "nq", "jsonld")}
SEEDS["xml"] = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
                'syntax-ns#"><rdf:Description rdf:about="http://x/a"><rdf:type rdf:resource='
                '"http://x/B"/></rdf:Description></rdf:RDF>')
TRIED = {"files": 0, "queries": 0, "folders": 0}
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[fmt].encode("utf-8"))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at: at + draw(st.integers(1, 200))]
        elif action == "insert":
            data[at:at] = draw(st.binary(max_size=20)) + draw(st.sampled_from(
                [b"", b"<", b'"', b"}", b"\\u", b"@prefix", b"\x00", b"\xff\xfe", b"{{"]))
        else:
            data[at:at] = data[max(0, at - 50): at]
    return fmt, bytes(data)


@FUZZ
@given(case=mutated())
def test_readers_fail_only_with_input_error(case: tuple[str, bytes]) -> None:
    fmt, data = case
    suffix = {"ttl": ".ttl", "nt": ".nt", "trig": ".trig", "nq": ".nq", "jsonld": ".jsonld",
              "xml": ".rdf"}[fmt]
    for store in ("memory", "oxigraph"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"fuzz{suffix}"
            path.write_bytes(data)
            kg = KnowledgeGraph(store)
            before = len(kg)
            try:
                kg.load_file(path)
            except InputError as exc:
                assert str(path) in str(exc)
                assert len(kg) == before  # nothing half-loaded
        TRIED["files"] += 1
        count("fuzzed files (mutated RDF, both stores)")


@FUZZ
@given(data=st.binary(max_size=300), fmt=st.sampled_from(sorted(SEEDS)))
def test_readers_on_random_bytes(data: bytes, fmt: str) -> None:
    suffix = {"ttl": ".ttl", "nt": ".nt", "trig": ".trig", "nq": ".nq", "jsonld": ".json",
              "xml": ".xml"}[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"random{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(InputError):
            metrograph.load(path, bundled=False)
    TRIED["files"] += 1
    count("fuzzed files (random bytes)")


QUERY_PARTS = ["SELECT", "*", "?s", "?p", "?o", "WHERE", "{", "}", ".", "FILTER(", ")",
               "OPTIONAL", "UNION", "GRAPH", "<http://x/a>", '"x"', "@en", "^^", "COUNT(",
               "GROUP BY", "ORDER BY", "LIMIT", "1", "a", ";", ",", "BIND(", "AS", "VALUES",
               "(", "NOT EXISTS", "MINUS", "SERVICE", "INSERT", "DATA", "DELETE", "PREFIX",
               "mg:", "<https://w3id.org/metrograph/ontology#parent>", "+", "*", "/", "|",
               "^", "?x", "REGEX(", "STR(", "LANG(", "1.5e3", "'", '"""']


@FUZZ
@given(parts=st.lists(st.sampled_from(QUERY_PARTS), min_size=1, max_size=25),
       noise=st.text(max_size=10))
def test_query_runner_fails_only_with_query_error(parts: list[str], noise: str) -> None:
    text = " ".join(parts) + noise
    with contextlib.suppress(QueryError):
        SAMPLE.sparql(text)
    TRIED["queries"] += 1
    count("fuzzed queries")


CSV_FILES = ["plan.csv", "guidelines.csv", "measures.csv", "deliverables.csv", "statuses.csv",
             "sdg-links.csv", "links.csv", "reported.csv", "sources.csv", "organisations.csv"]


@FUZZ
@given(files=st.dictionaries(st.sampled_from(CSV_FILES),
                             st.text(alphabet=st.sampled_from(list('code,label"\n\r;L1M2D3éx ')),
                                     max_size=120), max_size=6))
def test_authoring_import_fails_only_with_input_error(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        with contextlib.suppress(InputError):
            import_folder(tmp)
    TRIED["folders"] += 1
    count("fuzzed plan folders (CSV)")


def test_fuzz_counts_are_reported() -> None:
    print(f"fuzzed cases: {TRIED['files']} files, {TRIED['queries']} queries, "
          f"{TRIED['folders']} plan folders; none raised anything but the documented errors")
