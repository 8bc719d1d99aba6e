"""Incremental validation (:mod:`metrograph.validation.incremental`): after a file is added to a
validated store, validating what it touches gives the results of a full run, result for result,
on the bundled data and on a generated network, for each kind of addition; reports saved as JSON
read back equal."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

import metrograph
from metrograph.errors import InputError
from metrograph.graph import GRAPH_BASE, KnowledgeGraph
from metrograph.rdfio.formats import FORMATS
from metrograph.testing.synthetic import generate
from metrograph.validation.compiler import _shipped
from metrograph.validation.incremental import IncrementalStats, validate_added
from metrograph.validation.report import (
    ValidationReport,
    ValidationResult,
    load_report,
    save_report,
)

MGSH = Namespace("https://w3id.org/metrograph/shapes#")
PLAN = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"
PREFIXES = """
@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix mgs: <https://w3id.org/metrograph/vocab/status/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
"""


def _counted(results: list[ValidationResult]) -> collections.Counter[ValidationResult]:
    return collections.Counter(results)


class Session:
    """A store validated once; each addition is validated incrementally from the last report
    and compared with a full run."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.report = kg.validate()
        self.count = 0

    def add(self, turtle: str) -> tuple[ValidationReport, IncrementalStats]:
        self.count += 1
        graph = URIRef(f"{GRAPH_BASE}user/added-{self.count}")
        self.kg.store.load((PREFIXES + turtle).encode("utf-8"), fmt=FORMATS["ttl"],
                           graph=graph, source=f"added-{self.count}")
        stats = IncrementalStats()
        incremental = validate_added(self.kg.store, self.report, [graph], stats=stats)
        full = self.kg.validate()
        assert _counted(incremental.results) == _counted(full.results), (
            f"incremental only: {sorted(map(str, set(incremental.results) - set(full.results)))}"
            f"\nfull only: {sorted(map(str, set(full.results) - set(incremental.results)))}")
        assert incremental.shapes_digest == full.shapes_digest
        self.report = incremental
        return incremental, stats


def _assessment(item: str, day: str, status: str = "done", source: bool = True,
                name: str | None = None) -> str:
    iri = f"{item}/assessment/{name or day}"
    text = (f"<{iri}> a mg:StatusAssessment ; mg:assessedItem <{item}> ; "
            f'mg:status mgs:{status} ; mg:asOf "{day}"^^xsd:date')
    return text + (" ; dcterms:source <https://example.org/review> .\n" if source else " .\n")


# ---------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled() -> Iterator[Session]:
    yield Session(metrograph.load(store="oxigraph"))


def test_a_statuses_file_validates_only_what_it_touches(bundled: Session) -> None:
    items = [f"{PLAN}/L1M1D1", f"{PLAN}/L1M1D2", f"{PLAN}/L2M1D1"]
    before = {r.focus for r in bundled.report.results}
    assert all(URIRef(i) in before for i in items)  # no status yet: a warning each
    report, stats = bundled.add("".join(_assessment(i, "2020-12-31") for i in items))
    assert not ({URIRef(i) for i in items} & {r.focus for r in report.results})
    assert stats.full_shapes == {}
    assert stats.units_run < len(_shipped().units) / 3
    # the shapes that count statuses are re-run on the plan's reported progress, if any
    assert MGSH.DeliverableStatusRecordedShape in stats.focus


def test_a_file_that_introduces_violations(bundled: Session) -> None:
    item = f"{PLAN}/L1M2D1"
    text = (_assessment(item, "2019-06-30", status="unknown", source=False, name="a")
            + _assessment(item, "2019-06-30", name="b")  # the same date twice
            + _assessment(item, "2015-01-01", name="c"))  # before the plan began
    report, stats = bundled.add(text)
    shapes = {r.source_shape for r in report.violations}
    assert {MGSH.AssessmentStatusShape, MGSH.AssessmentSourceShape,
            MGSH.AssessmentDateUniqueShape, MGSH.AssessmentBeforePlanShape} <= shapes
    assert stats.full_shapes == {}


def test_a_file_that_repairs_a_violation(bundled: Session) -> None:
    item = f"{PLAN}/L1M2D1"
    broken = URIRef(f"{item}/assessment/a")
    assert any(r.focus == broken and r.source_shape == MGSH.AssessmentSourceShape
               for r in bundled.report.results)
    report, _stats = bundled.add(f"<{broken}> dcterms:source <https://example.org/review> .\n")
    assert not any(r.focus == broken and r.source_shape == MGSH.AssessmentSourceShape
                   for r in report.results)


def test_a_file_that_touches_the_plans_totals(bundled: Session) -> None:
    reported = f"{PLAN}/reported-extra"
    text = (f"<{reported}> a mg:ReportedProgress ; mg:reportedFor <{PLAN}> ; "
            f"mg:reportedTotal 64 ; dcterms:source <https://example.org/review> ; "
            f"mg:statusCount <{reported}/done> .\n"
            f"<{reported}/done> a mg:StatusCount ; mg:status mgs:done ; mg:count 63 .\n")
    report, _stats = bundled.add(text)
    found = {r.source_shape for r in report.results if r.focus == URIRef(reported)}
    assert {MGSH.ReportedTotalSumShape, MGSH.ReportedTotalMatchesPlanShape} <= found
    # a new deliverable changes the count the reported total is compared with
    report, stats = bundled.add(
        f"<{PLAN}/L1M1D9> a mg:Deliverable ; mg:parent <{PLAN}/L1M1> ; skos:notation \"L1M1D9\" ;"
        f' skos:prefLabel "Livrable"@fr ; mg:translatedLabel "Deliverable"@en ;'
        f" schema:position 9 .\n")
    assert URIRef(reported) in {r.focus for r in report.results}
    assert stats.focus.get(MGSH.ReportedTotalMatchesPlanShape, 0) >= 1


def test_the_same_triples_added_twice(bundled: Session) -> None:
    text = _assessment(f"{PLAN}/L3M1D1", "2020-06-30")
    first, _ = bundled.add(text)
    second, stats = bundled.add(text)  # the store keeps one copy: nothing new
    assert _counted(first.results) == _counted(second.results)
    assert stats.added == 0 and stats.units_run == 0
    # given as triples rather than graphs, the same again
    triples = Graph().parse(data=PREFIXES + text, format="turtle")
    again = validate_added(bundled.kg.store, second, triples)
    assert _counted(again.results) == _counted(second.results)


def test_a_report_saved_and_read_back_is_the_same(bundled: Session, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    save_report(bundled.report, path)
    loaded = load_report(path)
    assert _counted(loaded.results) == _counted(bundled.report.results)
    assert loaded.shapes_digest == bundled.report.shapes_digest
    assert len(loaded.graph) == len(bundled.report.graph)
    # ... and the incremental run goes on from it, through the API users call
    graph = URIRef(f"{GRAPH_BASE}user/saved-then-added")
    bundled.kg.store.load((PREFIXES + _assessment(f"{PLAN}/L3M1D2", "2020-06-30")).encode(),
                          fmt=FORMATS["ttl"], graph=graph, source="added")
    report = bundled.kg.validate(since=loaded, added=[graph])
    assert _counted(report.results) == _counted(bundled.kg.validate().results)


def test_a_file_that_is_not_a_saved_report_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"results": []}), encoding="utf-8")
    with pytest.raises(InputError, match=r"report\.json"):
        load_report(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match=r"report\.json"):
        load_report(path)


def test_a_report_of_other_shapes_gives_a_full_run(bundled: Session) -> None:
    stale = ValidationReport(results=[], graph=Graph(), shapes_digest="other")
    stats = IncrementalStats()
    report = validate_added(bundled.kg.store, stale, [], stats=stats)
    assert _counted(report.results) == _counted(bundled.kg.validate().results)
    assert stats.full_shapes


def test_a_shape_that_cannot_be_bounded_is_validated_fully(tmp_path: Path) -> None:
    # a constraint reading a triple unrelated to $this: any focus node may change
    extra = tmp_path / "extra.ttl"
    extra.write_text("""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix mg: <https://w3id.org/metrograph/ontology#> .
        @prefix ex: <https://example.org/shapes#> .
        ex:FrozenShape a sh:NodeShape ;
            sh:targetClass mg:Deliverable ;
            sh:severity sh:Info ;
            sh:message "The network is frozen" ;
            sh:sparql [ a sh:SPARQLConstraint ; sh:select
                "SELECT $this WHERE { ?x <https://example.org/frozen> true . }" ] .
    """, encoding="utf-8")
    kg = metrograph.load(store="oxigraph")
    before = kg.validate(shapes=[extra])
    graph = URIRef(f"{GRAPH_BASE}user/frozen")
    kg.store.load(b"<https://example.org/net> <https://example.org/frozen> true .",
                  fmt=FORMATS["ttl"], graph=graph, source="frozen")
    stats = IncrementalStats()
    report = validate_added(kg.store, before, [graph], extra_shapes=[extra], stats=stats)
    assert URIRef("https://example.org/shapes#FrozenShape") in stats.full_shapes
    after = kg.validate(shapes=[extra])
    assert _counted(report.results) == _counted(after.results)
    assert len([r for r in after.results if str(r.source_shape).endswith("FrozenShape")]) == 65


# ---------------------------------------------------------------------- a generated network


@pytest.fixture(scope="module")
def network() -> Iterator[Session]:
    kg = KnowledgeGraph("oxigraph").load_bundled(data=False)
    kg.store.load("".join(generate(4000, seed=5, defect_rate=0.05)).encode("utf-8"),
                  fmt=FORMATS["ttl"], graph=URIRef(GRAPH_BASE + "synthetic"), source="synthetic")
    yield Session(kg)


def _some(kg: KnowledgeGraph, cls: str, n: int) -> list[str]:
    rows = kg.sparql(f"SELECT ?x WHERE {{ ?x a <https://w3id.org/metrograph/ontology#{cls}> }} "
                     f"ORDER BY ?x LIMIT {n}").rows
    return [str(r[0]) for r in rows]


def test_generated_network_statuses_file(network: Session) -> None:
    assert network.report.has_violations  # injected defects
    items = _some(network.kg, "Deliverable", 12)
    _report, stats = network.add("".join(
        _assessment(d, f"20{10 + i % 15:02d}-11-{1 + i:02d}", name=f"n{i}")
        for i, d in enumerate(items)))
    assert stats.full_shapes == {}
    assert stats.units_run < len(_shipped().units)


def test_generated_network_new_deliverable_and_repairs(network: Session) -> None:
    measure = _some(network.kg, "Measure", 1)[0]
    code = measure.rsplit("/", 1)[1]
    network.add(f"<{measure}D99> a mg:Deliverable ; mg:parent <{measure}> ; "
                f'skos:notation "{code}D99" ; skos:prefLabel "Nouveau"@fr ; '
                f"schema:position 99 .\n")
    # the defects injected into the network, repaired one by one where a file can repair them
    missing = [r.focus for r in network.report.results
               if r.source_shape in (MGSH.ComponentLabelShape, MGSH.EnglishTranslationShape)]
    assert missing
    lines = []
    for focus in missing[:5]:
        lines.append(f'<{focus}> skos:prefLabel "Réparé"@fr ; mg:translatedLabel "Fixed"@en .\n')
    network.add("".join(lines))
    sums = [r.focus for r in network.report.results
            if r.source_shape == MGSH.ReportedTotalSumShape]
    for focus in sums[:2]:
        network.add(f"<{focus}/extra> a mg:StatusCount ; mg:status mgs:done ; mg:count 1 .\n"
                    f"<{focus}> mg:statusCount <{focus}/extra> .\n")
