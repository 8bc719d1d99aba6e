"""Every literal travels unchanged through export and publish, in every format, on both stores.

RDF 1.1 compares literals by their lexical form: ``"1"^^xsd:decimal`` and ``1.0`` are two terms.
rdflib's Turtle writer rewrote numbers in shorthand (``1.0``, ``1e+03``), and the release check
read the dumps with rdflib's parsers, which dropped a date's time zone: valid data was refused
by ``publish``. And an IRI that looks like a compact IRI of the JSON-LD context (``<mg:x>``) was
written as it is, so JSON-LD readers expanded it into another IRI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib import Dataset, Literal

import metrograph
from metrograph.graph import GRAPH_BASE
from metrograph.publishing.push import push
from metrograph.publishing.release import check_release, publish
from metrograph.stores.remote import RemoteStore

from . import servers
from .servers import Server

oxigraph_scratch = servers.oxigraph_scratch
virtuoso_limited = servers.virtuoso_limited

LITERALS = [
    '"2021-04-13T10:00:00Z"^^xsd:dateTime', '"1000"^^xsd:double', '"1e3"^^xsd:double',
    '"1.0"^^xsd:decimal', '"1"^^xsd:decimal', '"2020-01-01+02:00"^^xsd:date',
    '"1.5"^^xsd:float', '"INF"^^xsd:double', '"NaN"^^xsd:double', '"-0.0"^^xsd:double',
    '"true"^^xsd:boolean', '"065"^^xsd:integer', '"2024"^^xsd:gYear', '"x"@fr-CA',
    '"a\\u2028b"',
]


def _literals(path: Path, fmt: str) -> set[tuple[str, str | None, str | None]]:
    """The literals of a dump as written, read by rdflib without normalising them."""
    ds = Dataset()
    was, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        ds.parse(path, format=fmt)
    finally:
        rdflib.NORMALIZE_LITERALS = was
    return {(str(o), str(o.datatype) if o.datatype else None, o.language)
            for _s, p, o, _g in ds.quads((None, None, None, None))
            if isinstance(o, Literal) and str(p) == "http://example.org/p"}


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_every_dump_holds_the_literals_the_store_holds(store: str, tmp_path: Path) -> None:
    data = tmp_path / "d.ttl"
    data.write_text("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + "".join(
        f"<http://example.org/s{i}> <http://example.org/p> {lit} .\n"
        for i, lit in enumerate(LITERALS)), encoding="utf-8")
    kg = metrograph.load(data, store=store)
    held = {(str(o), str(o.datatype) if o.datatype else None, o.language)
            for _s, _p, o, _g in kg.store.dataset().quads(
                (None, rdflib.URIRef("http://example.org/p"), None, None))}
    # equal values in other forms are one term ("1e3" and "1000", "1.0" and "1")
    assert len(held) == len(LITERALS) - 2, held
    out = tmp_path / "release"
    publish(kg, out, version="1.0.0")
    check_release(out)
    for name, fmt in [("metrograph.ttl", "turtle"), ("metrograph.nt", "nt"),
                      ("metrograph.trig", "trig"), ("metrograph.nq", "nquads"),
                      ("metrograph.jsonld", "json-ld")]:
        assert _literals(out / name, fmt) == held, name
    exported = tmp_path / "export.ttl"
    kg.write(exported, "ttl")
    assert _literals(exported, "turtle") == held


@pytest.mark.parametrize("which", ["oxigraph_scratch", "virtuoso_limited"])
def test_a_server_answers_the_literals_the_store_holds(request: pytest.FixtureRequest,
                                                       which: str, tmp_path: Path) -> None:
    """A server's answers are read with each literal in its lexical form, then as Oxigraph holds
    it: rdflib's JSON parser dropped a date's time zone (another value) and wrote
    ``"1"^^xsd:double`` as ``"1.0"``."""
    server: Server = request.getfixturevalue(which)
    data = tmp_path / "d.ttl"
    data.write_text("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + "".join(
        f"<http://example.org/s{i}> <http://example.org/p> {lit} .\n"
        for i, lit in enumerate(LITERALS)), encoding="utf-8")
    kg = metrograph.load(data, bundled_data=False, graph_name=f"test-literals-{which}")
    push(kg, server.gsp_url, update_url=server.update_url, query_url=server.query_url)
    query = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s"
    remote = RemoteStore(server.query_url, graphs=[f"{GRAPH_BASE}user/test-literals-{which}"])
    answered = {row[0]: row[1].n3() for row in remote.select(query).rows if row[0] and row[1]}
    held = {row[0]: row[1].n3() for row in kg.store.select(query).rows if row[0] and row[1]}
    assert answered == held
    construct = "CONSTRUCT { ?s <http://example.org/p> ?o } WHERE { ?s <http://example.org/p> ?o }"
    assert ({o.n3() for o in remote.construct(construct).objects()}
            == {o.n3() for o in kg.store.construct(construct).objects()})


def test_an_iri_confused_with_a_context_prefix_is_refused_in_json_ld(tmp_path: Path) -> None:
    data = tmp_path / "d.nt"
    data.write_text("<http://example.org/s> <http://example.org/p> <mg:weird> .\n",
                    encoding="utf-8")
    for args in (["export", "--format", "jsonld", "-o", str(tmp_path / "d.jsonld")],
                 ["publish", "-o", str(tmp_path / "rel")]):
        done = subprocess.run([sys.executable, "-m", "metrograph", *args, "--data", str(data),
                               "-q"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "<mg:weird>" in lines[0] and "prefix 'mg:'" in lines[0]
    assert not (tmp_path / "d.jsonld").exists() and not (tmp_path / "rel").exists()
    # as N-Triples or Turtle the same graph is written as it is
    ok = subprocess.run([sys.executable, "-m", "metrograph", "export", "--format", "ttl",
                         "--data", str(data), "-o", str(tmp_path / "d.ttl"), "-q"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "<mg:weird>" in (tmp_path / "d.ttl").read_text(encoding="utf-8")
