"""SHACL validation with pySHACL, returned as typed results a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from metrograph.errors import InputError
from metrograph.rdfio.formats import format_for
from metrograph.resources import shape_files

__all__ = ["Severity", "ValidationReport", "ValidationResult", "shapes_graph", "validate_dataset"]

Severity = str  # "Violation", "Warning" or "Info"


@dataclass(frozen=True)
class ValidationResult:
    """One problem: which resource, which rule, what to fix, how serious."""

    focus: Node
    severity: Severity
    message: str
    source_shape: Node | None
    path: Node | None = None
    value: Node | None = None
    constraint: Node | None = None

    def __str__(self) -> str:
        where = f" ({self.path.n3()})" if isinstance(self.path, URIRef) else ""
        return f"{self.severity}: {self.focus}{where}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation; ``graph`` is the SHACL report graph itself."""

    results: list[ValidationResult]
    graph: Graph = field(repr=False)

    @property
    def conforms(self) -> bool:
        """True when there is no result of severity Violation (warnings and infos allowed)."""
        return not self.violations

    @property
    def violations(self) -> list[ValidationResult]:
        """Results of severity Violation."""
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        """Results of severity Warning."""
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def infos(self) -> list[ValidationResult]:
        """Results of severity Info."""
        return [r for r in self.results if r.severity == "Info"]

    def summary(self) -> str:
        """One line: conforms or not, and the counts by severity."""
        verdict = "conforms" if self.conforms else "does not conform"
        return (f"{verdict}: {len(self.violations)} violation(s), {len(self.warnings)} "
                f"warning(s), {len(self.infos)} info(s)")


def shapes_graph(extra: Sequence[str | Path] = ()) -> Graph:
    """The shipped shapes, plus extra shape files."""
    g = Graph()
    for f in shape_files():
        g.parse(data=f.read_text(encoding="utf-8"), format="turtle")
    for path in extra:
        fmt = format_for(path)
        try:
            g.parse(str(path), format=fmt.rdflib_name)
        except Exception as exc:
            raise InputError(f"cannot read shapes: {exc}", source=str(path)) from None
    return g


def _one(report: Graph, node: Node, prop: URIRef) -> Node | None:
    return next(iter(report.objects(node, prop)), None)


def validate_dataset(dataset: Dataset, extra_shapes: Sequence[str | Path] = ()) -> ValidationReport:
    """Validate the union of ``dataset``'s graphs (a copy: the caller's data is not touched)."""
    from pyshacl import validate

    data = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        data.add((s, p, o))
    _conforms, report, _text = validate(
        data, shacl_graph=shapes_graph(extra_shapes), inference="none", advanced=True,
        allow_warnings=True, inplace=True)
    results = []
    for node in report.subjects(SH.resultSeverity, None):
        severity = _one(report, node, SH.resultSeverity)
        messages = [str(m) for m in report.objects(node, SH.resultMessage)]
        english = [str(m) for m in report.objects(node, SH.resultMessage)
                   if isinstance(m, Literal) and m.language in (None, "en")]
        results.append(ValidationResult(
            focus=_one(report, node, SH.focusNode),  # type: ignore[arg-type]
            severity=str(severity).rsplit("#", 1)[-1],
            message=(english or messages or ["(no message)"])[0],
            source_shape=_one(report, node, SH.sourceShape),
            path=_one(report, node, SH.resultPath),
            value=_one(report, node, SH.value),
            constraint=_one(report, node, SH.sourceConstraintComponent)))
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    results.sort(key=lambda r: (order.get(r.severity, 3), str(r.focus), r.message))
    return ValidationReport(results=results, graph=report)
