"""The SHACL shapes, tested with their examples, on both engines, and against the shipped data.

Data-driven: every file in ``shapes/valid/`` must give no validation result at all; every file
``shapes/invalid/<Shape>__<what>.ttl`` must be reported by ``mgsh:<Shape>``. Adding a case is adding
a file. Both engines, pySHACL and the shapes compiled to SPARQL (the default), must give the same
results, result for result (focus node, path, value, source shape, constraint component,
severity, message), on every example.

pySHACL needs seconds per graph whatever its size (it checks the packaged ontology, with the SDG
goals and targets, every time), so the examples are validated together, once per engine: one
graph in which each example's instance IRIs are moved under a prefix of its own
(``.../id/x12-example-org/...``), so that no two examples share a resource; each result is then
given back to its example by its focus node. Each example is loaded with the packaged ontology,
schemes and organisations (``metrograph.load(..., bundled_data=False)``), as a user's file is.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, SKOS
from rdflib.term import Node

import metrograph
from metrograph.graph import KnowledgeGraph
from metrograph.namespaces import MG
from metrograph.resources import ontology_files, shape_files
from metrograph.validation.report import (
    ValidationReport,
    ValidationResult,
    blank_node_description,
)

MGSH = Namespace("https://w3id.org/metrograph/shapes#")
EXAMPLES = Path(__file__).parent / "shapes"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))
ALL = VALID + INVALID
SHIPPED_DELIVERABLES = 65

#: a result, comparable across engines and stores (blank nodes by what is said about them)
Key = tuple[str, str, str, str, str, str, str]


def _graph(files: Iterable[Traversable]) -> Graph:
    graph = Graph()
    for file in files:
        graph.parse(data=file.read_text(encoding="utf-8"), format="turtle")
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return _graph(shape_files())


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _graph(ontology_files())


def _key(kg: KnowledgeGraph, r: ValidationResult) -> Key:
    def text(node: Node | None) -> str:
        if isinstance(node, BNode):
            return blank_node_description(kg.store, node)
        return "" if node is None else node.n3()

    return (r.severity, text(r.focus), text(r.path), text(r.value), text(r.source_shape),
            text(r.constraint), r.message)


class Examples:
    """Each example validated by both engines, on demand, once."""

    def __init__(self) -> None:
        self.runs: dict[Path, tuple[KnowledgeGraph, dict[str, ValidationReport]]] = {}

    def reports(self, example: Path) -> dict[str, ValidationReport]:
        if example not in self.runs:
            kg = metrograph.load(example, bundled_data=False)
            self.runs[example] = kg, {"pyshacl": kg.validate(engine="pyshacl"),
                                      "fast": kg.validate()}
        return self.runs[example][1]

    def keys(self, example: Path, engine: str) -> collections.Counter[Key]:
        report = self.reports(example)[engine]
        kg = self.runs[example][0]
        return collections.Counter(_key(kg, r) for r in report.results)


@contextlib.contextmanager
def sparql_parsed_once() -> Iterator[None]:
    """Within the block, rdflib parses each SPARQL text once.

    pySHACL hands rdflib the text of a SPARQL constraint once per focus node, and rdflib parses
    it every time (~30 ms; most of the seconds pySHACL takes on an example). The algebra is the
    one rdflib builds and is evaluated the same way (rdflib's own prepared queries are reused like
    this), so the results are pySHACL's."""
    from rdflib.plugins.sparql import processor

    parse, translate = processor.parseQuery, processor.translateQuery

    @functools.cache
    def parsed(text: str, base: str | None, ns: frozenset[tuple[str, Any]]) -> Any:
        return translate(parse(text), base, dict(ns))

    def query(self: Any, str_or_query: Any, initBindings: Any = None, initNs: Any = None,
              base: str | None = None, DEBUG: bool = False) -> Any:
        if isinstance(str_or_query, str):
            str_or_query = parsed(str_or_query, base, frozenset((initNs or {}).items()))
        return processor.evalQuery(self.graph, str_or_query, initBindings, base)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processor.SPARQLProcessor, "query", query)
        yield


@pytest.fixture(scope="module")
def examples() -> Iterator[Examples]:
    with sparql_parsed_once():
        yield Examples()


def _shape_of(example: Path) -> URIRef:
    return MGSH[example.stem.split("__")[0]]


def _declared_shapes(shapes: Graph) -> set[Node]:
    """The shapes typed sh:NodeShape or sh:PropertyShape."""
    return {s for kind in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, kind)}


def _used_shapes(shapes: Graph) -> set[Node]:
    """Every node used as a shape: it has a target or a SPARQL constraint, or is an sh:property."""
    used = set(shapes.objects(None, SH.property)) | set(shapes.subjects(SH.sparql, None))
    for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
        used |= set(shapes.subjects(target, None))
    return used


def _shape_of(example: Path) -> URIRef:
    return MGSH[example.stem.split("__")[0]]


@pytest.mark.parametrize("example", ALL, ids=lambda p: p.name)
def test_both_engines_agree_result_for_result(example: Path, examples: Examples) -> None:
    assert examples.keys(example, "fast") == examples.keys(example, "pyshacl")


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.name)
def test_valid_example_gives_no_result(example: Path, examples: Examples) -> None:
    for engine, report in examples.reports(example).items():
        assert report.results == [], engine
        assert report.conforms, engine


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.name)
def test_invalid_example_breaks_its_shape(example: Path, examples: Examples,
                                          shapes: Graph) -> None:
    shape = _shape_of(example)
    assert shape in _declared_shapes(shapes), f"{example.name} names no shape of the shapes file"
    violation = shapes.value(shape, SH.severity, default=SH.Violation) == SH.Violation
    for engine, report in examples.reports(example).items():
        assert shape in {r.source_shape for r in report.results}, f"{engine}: not by {shape}"
        assert not report.conforms
        assert report.has_violations or not violation, engine


def test_every_shape_has_an_invalid_example(shapes: Graph) -> None:
    exemplified = {_shape_of(example) for example in INVALID}
    assert sorted(_declared_shapes(shapes) - exemplified) == []


def test_every_shape_is_declared_named_with_a_message_and_a_severity(shapes: Graph) -> None:
    assert sorted(_used_shapes(shapes) - _declared_shapes(shapes)) == []
    for shape in _declared_shapes(shapes):
        assert isinstance(shape, URIRef) and shape.startswith(MGSH), shape
        assert any(m.language == "en" for m in shapes.objects(shape, SH.message)), shape
        assert shapes.value(shape, SH.severity) in {SH.Violation, SH.Warning, SH.Info}, shape


@pytest.mark.parametrize(
    ("path", "scheme"),
    [
        (MG.status, "https://w3id.org/metrograph/vocab/status"),
        (MG.theme, "https://w3id.org/metrograph/vocab/theme"),
        (MG.linkBasis, "https://w3id.org/metrograph/vocab/link-basis"),
    ],
)
def test_sh_in_lists_are_the_scheme(
    path: URIRef, scheme: str, shapes: Graph, ontology: Graph
) -> None:
    concepts = set(ontology.subjects(SKOS.inScheme, URIRef(scheme)))
    lists = [shapes.value(s, SH["in"]) for s in shapes.subjects(SH.path, path)]
    assert lists
    for head in lists:
        assert set(Collection(shapes, head)) == concepts


def test_shipped_data_has_only_the_no_status_warnings() -> None:
    kg = metrograph.load()
    deliverables = {str(d.iri) for d in kg.deliverables()}
    assert len(deliverables) == SHIPPED_DELIVERABLES
    for engine in ("fast", "pyshacl"):
        report = kg.validate(engine=engine)
        assert not report.has_violations and not report.conforms, engine  # warnings: SHACL
        assert {(str(r.source_shape), r.severity) for r in report.results} == {
            (str(MGSH.DeliverableStatusRecordedShape), "Warning")}
        assert sorted(str(r.focus) for r in report.results) == sorted(deliverables)
        assert (None, SH.conforms, Literal(False)) in report.graph


def test_conforms_is_the_shacl_definition(examples: Examples) -> None:
    results = examples.reports(EXAMPLES / "invalid" / "EnglishTranslationShape__missing.ttl")[
        "fast"].results
    warnings_only = [r for r in results if r.severity == "Warning"][:1]
    report = ValidationReport(results=warnings_only, graph=Graph())
    assert not report.conforms and not report.has_violations
    assert report.summary().startswith("no violations: 0 violation(s), 1 warning(s)")
    empty = ValidationReport(results=[], graph=Graph())
    assert empty.conforms and not empty.has_violations
    assert empty.summary().startswith("conforms")


# ---------------------------------------------------------------------- through the CLI


def _cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "metrograph", *args],
                          capture_output=True, text=True, timeout=180, env=env, check=False)


@pytest.mark.parametrize(("store", "engine"), [("memory", "pyshacl"), ("oxigraph", "fast")])
def test_an_ill_typed_literal_is_a_result_and_one_warning_line(store: str, engine: str) -> None:
    example = EXAMPLES / "invalid" / "AssessmentDateShape__impossible-date.ttl"
    proc = _cli("validate", str(example), "--store", store, "--engine", engine,
                "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        'metrograph: warning: ill-typed literal "2031-02-30"^^'
        "<http://www.w3.org/2001/XMLSchema#date> (day is out of range for month)"]
    doc = json.loads(proc.stdout)
    assert doc["conforms"] is False and doc["hasViolations"] is True
    [result] = doc["results"]
    assert result["sourceShape"]["value"] == str(MGSH.AssessmentDateShape)
    assert result["sourceConstraintComponent"]["value"] == str(SH.DatatypeConstraintComponent)
    assert result["resultPath"]["value"] == str(MG.asOf)
    assert result["value"] == {"type": "literal", "value": "2031-02-30",
                               "datatype": "http://www.w3.org/2001/XMLSchema#date",
                               "n3": '"2031-02-30"^^<http://www.w3.org/2001/XMLSchema#date>'}
    assert result["resultSeverity"] == "Violation" and result["resultMessage"]


def test_pyshacl_results_do_not_depend_on_the_hash_seed() -> None:
    # a reported progress with two counts for one status: the shapes comparing counts with
    # recorded statuses once sampled one of them (1 or 3 results, by PYTHONHASHSEED)
    example = EXAMPLES / "invalid" / "ReportedStatusUniqueShape__duplicate-status.ttl"
    docs = []
    for seed in ("1", "3"):
        proc = _cli("validate", str(example), "--engine", "pyshacl", "--format", "json",
                    seed=seed)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        docs.append(json.loads(proc.stdout))
    assert docs[0] == docs[1]
    assert docs[0]["hasViolations"] is True


def test_json_names_blank_nodes_by_what_is_said_about_them(tmp_path: Path) -> None:
    example = EXAMPLES / "invalid" / "DeliverableShape__blank-node.ttl"
    focus = []
    for store in ("oxigraph", "memory"):
        proc = _cli("validate", str(example), "--store", store, "--format", "json")
        assert proc.returncode == 1, proc.stderr
        results = json.loads(proc.stdout)["results"]
        [blank] = {json.dumps(r["focusNode"], sort_keys=True) for r in results
                   if r["sourceShape"]["value"] == str(MGSH.DeliverableShape)}
        focus.append(blank)
    assert focus[0] == focus[1]
    node = json.loads(focus[0])
    assert node["type"] == "bnode" and '"L1M1D1"' in node["n3"]


def test_a_shape_the_compiler_cannot_handle_falls_back_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text("""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix mg: <https://w3id.org/metrograph/ontology#> .
        @prefix ex: <https://example.org/shapes#> .
        ex:PlanNeedsAnOutcome a sh:NodeShape ;
            sh:targetClass mg:ActionPlan ;
            sh:node ex:HasOutcome .
        ex:HasOutcome a sh:NodeShape ;
            sh:property [ sh:path mg:expectedOutcome ; sh:minCount 1 ] .
    """, encoding="utf-8")
    kg = metrograph.load(EXAMPLES / "valid" / "complete-plan.ttl", bundled_data=False)
    with caplog.at_level("WARNING", logger="metrograph.validation.compiler"):
        report = kg.validate(shapes=[extra])
    assert any("ex:PlanNeedsAnOutcome" in m or "PlanNeedsAnOutcome" in m
               for m in caplog.messages), caplog.messages
    assert {str(r.source_shape) for r in report.violations} == {
        "https://example.org/shapes#PlanNeedsAnOutcome"}
