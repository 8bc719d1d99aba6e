"""The SHACL shapes, tested with their examples and against the shipped data.

Data-driven: every file in ``shapes/valid/`` must give no validation result at all; every file
``shapes/invalid/<Shape>__<what>.ttl`` must be reported by ``mgsh:<Shape>``. Adding a case is adding
a file. Each example is merged with the packaged ontology (which holds the SKOS schemes and the SDG
goals and targets) and validated without inference. Shapes, ontology and data are read from the
installed package.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

import pyshacl
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, SKOS
from rdflib.term import Node

from metrograph.namespaces import MG
from metrograph.resources import data_files, ontology_files, shape_files

MGSH = Namespace("https://w3id.org/metrograph/shapes#")
EXAMPLES = Path(__file__).parent / "shapes"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))
SHIPPED_DELIVERABLES = 65


class Result(NamedTuple):
    shape: Node
    severity: Node
    focus: Node


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


def _validate(data: Graph, shapes: Graph) -> tuple[bool, list[Result]]:
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    results = [
        Result(
            report.value(r, SH.sourceShape),
            report.value(r, SH.resultSeverity),
            report.value(r, SH.focusNode),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return conforms, results


def _validate_example(path: Path, ontology: Graph, shapes: Graph) -> tuple[bool, list[Result]]:
    return _validate(ontology + Graph().parse(path, format="turtle"), shapes)


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


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.name)
def test_valid_example_gives_no_result(example: Path, ontology: Graph, shapes: Graph) -> None:
    conforms, results = _validate_example(example, ontology, shapes)
    assert conforms
    assert results == []


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.name)
def test_invalid_example_breaks_its_shape(example: Path, ontology: Graph, shapes: Graph) -> None:
    shape = _shape_of(example)
    assert shape in _declared_shapes(shapes), f"{example.name} names no shape of the shapes file"
    conforms, results = _validate_example(example, ontology, shapes)
    assert shape in {r.shape for r in results}, f"not reported by {shape}: {results}"
    if shapes.value(shape, SH.severity, default=SH.Violation) == SH.Violation:
        assert not conforms


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


def test_shipped_data_has_only_the_no_status_warnings(shapes: Graph) -> None:
    data = _graph([*ontology_files(), *data_files()])
    deliverables = set(data.subjects(RDF.type, MG.Deliverable))
    conforms, results = _validate(data, shapes)
    assert conforms
    assert [r for r in results if r.severity == SH.Violation] == []
    assert len(deliverables) == SHIPPED_DELIVERABLES
    assert {(r.shape, r.severity) for r in results} == {
        (MGSH.DeliverableStatusRecordedShape, SH.Warning)
    }
    assert sorted(r.focus for r in results) == sorted(deliverables)
