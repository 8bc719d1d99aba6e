"""SHACL validation with pySHACL, returned as typed results a person can read."""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from metrograph.rdfio.formats import read_graph
from metrograph.resources import shape_files

if TYPE_CHECKING:
    from metrograph.stores.base import Store

__all__ = ["Severity", "ValidationReport", "ValidationResult", "blank_node_description",
           "check_shapes", "first_message", "load_report", "regex_flags", "report_json",
           "result_order", "results_of", "run_pyshacl", "save_report", "shapes_graph",
           "term_json", "validate_dataset"]

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
    #: the fingerprint of the compiled constraints that made it
    #: (:attr:`metrograph.validation.compiler.CompiledShapes.digest`); "" when unknown
    shapes_digest: str = ""

    @property
    def conforms(self) -> bool:
        """``sh:conforms`` as the SHACL specification defines it: True only when there is no
        validation result at all (a warning or an info makes it False)."""
        return not self.results

    @property
    def has_violations(self) -> bool:
        """True when some result has severity Violation (what makes ``metrograph validate``
        exit 1; warnings and infos alone do not)."""
        return bool(self.violations)

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
        """One line: conforms, no violations (but other results), or violations; the counts by
        severity."""
        verdict = ("conforms" if self.conforms else
                   "no violations" if not self.has_violations else "violations")
        return (f"{verdict}: {len(self.violations)} violation(s), {len(self.warnings)} "
                f"warning(s), {len(self.infos)} info(s)")


def shapes_graph(extra: Sequence[str | Path] = ()) -> Graph:
    """The shipped shapes, plus extra shape files."""
    g = Graph()
    for f in shape_files():
        g.parse(data=f.read_text(encoding="utf-8"), format="turtle")
    for path in extra:
        # read as every input is read: a regular file, nothing fetched or expanded
        shapes = read_graph(path)
        check_shapes(shapes, str(path))
        g += shapes
    return g


#: the SHACL properties whose values are SPARQL that a validator runs
_SPARQL = (SH.select, SH.ask, SH.construct, SH.update)
_PREFIX = re.compile(r"(?:[A-Za-z][\w.-]*)?")
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def regex_flags(flags: str) -> int:
    """The :mod:`re` flags of an ``sh:flags`` value (the letters Python's ``re`` shares)."""
    return functools.reduce(operator.or_, (_FLAGS.get(ch, 0) for ch in flags), 0)


def _shape_of(graph: Graph, node: Node) -> str:
    """``node``, or the first IRI found above it (a blank node is named by its shape)."""
    seen = {node}
    for _ in range(8):
        if isinstance(node, URIRef):
            return f"<{node}>"
        owner = next((s for s, p in graph.subject_predicates(node)
                      if p != RDF.rest and s not in seen), None)
        if owner is None:
            break
        node = owner
        seen.add(node)
    return "a shape without an IRI"


def check_shapes(graph: Graph, source: str) -> None:
    """Refuse (:class:`~metrograph.errors.InputError` naming ``source`` and the shape) a shapes
    graph that would make a validator fetch URLs, write, or fail midway: every ``sh:select``,
    ``sh:ask``, ``sh:construct``, ``sh:update`` must be a valid read-only query without
    ``SERVICE`` or ``FROM`` (:func:`~metrograph.sparql.limits.check_query`: run by pySHACL or
    by rdflib, they would fetch URLs); every ``sh:declare`` a prefix name and an IRI (they
    are written into the query text); every ``sh:pattern`` a regular expression; every RDF
    list (paths, ``sh:in``, ``sh:or``...) a list, not a cycle or a branch."""
    from metrograph.errors import InputError, QueryError
    from metrograph.sparql.limits import check_query

    def refuse(node: Node, what: str) -> InputError:
        shape = _shape_of(graph, node)
        return InputError(f"{what} (in {shape})" if shape.startswith("a ") else
                          f"the shape {shape}: {what}", source=source)

    for prop in _SPARQL:
        for owner, text in sorted(graph.subject_objects(prop)):
            try:
                check_query(str(text))
            except QueryError as exc:
                raise refuse(owner, f"its {prop.n3(graph.namespace_manager)}: {exc}") from None
    for prop, pattern in ((SH.prefix, _PREFIX), (SH.namespace, _NAMESPACE)):
        for owner, value in sorted(graph.subject_objects(prop)):
            if not pattern.fullmatch(str(value)):
                raise refuse(owner, f"{prop.n3(graph.namespace_manager)} {str(value)!r} is "
                                    f"not {'a prefix name' if prop == SH.prefix else 'an IRI'}")
    for owner, value in sorted(graph.subject_objects(SH.pattern)):
        try:
            re.compile(str(value), regex_flags(str(graph.value(owner, SH.flags) or "")))
        except re.error as exc:
            raise refuse(owner, f"sh:pattern {str(value)!r} is not a regular expression "
                                f"({exc})") from None
    _check_lists(graph, refuse)


def _check_lists(graph: Graph, refuse: Callable[[Node, str], Exception]) -> None:
    """Every ``rdf:rest`` chain of ``graph`` ends (in linear time: each node walked once)."""
    rests: dict[Node, Node] = {}
    for item, rest in graph.subject_objects(RDF.rest):
        if rests.setdefault(item, rest) != rest:
            raise refuse(item, "an RDF list item has two rdf:rest")
    walked: set[Node] = set()
    heads = [n for n in rests if (None, RDF.rest, n) not in graph]
    # from each head, then from whatever no head reaches (a cycle)
    for head in sorted(heads, key=str) + sorted(rests, key=str):
        node: Node = head
        path: set[Node] = set()
        while node in rests and node not in walked:
            if node in path:
                break
            path.add(node)
            node = rests[node]
        if node in path:
            raise refuse(head, "an RDF list loops back on itself (rdf:rest)")
        walked |= path


def run_pyshacl(dataset: Dataset, shapes: Graph) -> Graph:
    """pySHACL's report graph for the union of ``dataset``'s graphs (a copy is validated: the
    caller's data is not touched); ``sh:conforms`` as the specification defines it."""
    import warnings

    from pyshacl import validate

    from metrograph.errors import InputError, MetrographError
    from metrograph.validation.literals import one_line_literal_warnings

    with one_line_literal_warnings(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = Graph()
        for s, p, o, _g in dataset.quads((None, None, None, None)):
            data.add((s, p, o))
        try:
            _conforms, report, _text = validate(
                data, shacl_graph=shapes, inference="none", advanced=True,
                allow_warnings=False, inplace=True)
        except MetrographError:
            raise
        except Exception as exc:  # rdflib raises a bare Exception (an undeclared prefix)
            # the shapes passed check_shapes; what pySHACL still cannot run, in one line
            message = " ".join(str(exc).split())[:500]
            raise InputError(f"pySHACL cannot validate with these shapes: {message}",
                             source="shapes") from None
    for warning in {str(w.message).splitlines()[0] for w in caught}:
        logging.getLogger(__name__).warning("pySHACL: %s", warning)
    return report  # type: ignore[no-any-return]


def first_message(messages: Iterable[Node], default: str) -> str:
    """The first English (or untagged) message, else the first one, else ``default``."""
    texts = list(messages)
    english = [str(m) for m in texts if isinstance(m, Literal) and m.language in (None, "en")]
    return (english or [str(m) for m in texts] or [default])[0]


def results_of(report: Graph) -> list[ValidationResult]:
    """The results of a SHACL report graph, as :class:`ValidationResult`, sorted."""
    results = []
    for node in report.subjects(SH.resultSeverity, None):
        severity = report.value(node, SH.resultSeverity)
        results.append(ValidationResult(
            focus=report.value(node, SH.focusNode),  # type: ignore[arg-type]
            severity=str(severity).rsplit("#", 1)[-1],
            message=first_message(report.objects(node, SH.resultMessage), "(no message)"),
            source_shape=report.value(node, SH.sourceShape),
            path=report.value(node, SH.resultPath),
            value=report.value(node, SH.value),
            constraint=report.value(node, SH.sourceConstraintComponent)))
    results.sort(key=result_order)
    return results


def result_order(r: ValidationResult) -> tuple[int, str, str, str, str, str]:
    """The order of results in a report: severity, focus node, message, shape, path, value."""
    return ({"Violation": 0, "Warning": 1, "Info": 2}.get(r.severity, 3), str(r.focus),
            r.message, str(r.source_shape), str(r.path), str(r.value))


def validate_dataset(dataset: Dataset, extra_shapes: Sequence[str | Path] = ()) -> ValidationReport:
    """Validate the union of ``dataset``'s graphs with pySHACL (a copy: the caller's data is not
    touched)."""
    report = run_pyshacl(dataset, shapes_graph(extra_shapes))
    return ValidationReport(results=results_of(report), graph=report)


# ---------------------------------------------------------------------- JSON


def blank_node_description(store: Store, node: BNode, limit: int = 12) -> str:
    """``node`` described by what is said about it, in Turtle (``[ <p> <o> ; ... ]``, sorted,
    nested blank nodes as ``[]``, at most ``limit`` statements): the same text whatever label
    the store gave the node."""
    query = files("metrograph.validation").joinpath("blank-node-description.rq").read_text(
        encoding="utf-8")
    pairs = sorted(f"{p.n3()} {'[]' if isinstance(o, BNode) else o.n3()}"
                   for _node, p, o in store.select(query, {"node": node}).rows
                   if p is not None and o is not None)
    shown = pairs[:limit] + (["..."] if len(pairs) > limit else [])
    return "[ " + " ; ".join(shown) + " ]" if shown else "[]"


def term_json(node: Node | None, describe: Callable[[BNode], str] | None = None
              ) -> dict[str, str] | None:
    """An RDF term as in SPARQL 1.1 JSON results (``type``, ``value``, ``datatype``,
    ``xml:lang``), plus ``n3``, its N-Triples form. A blank node's ``value`` is a stable label
    derived from ``describe(node)`` (what is said about it), and ``n3`` is that description."""
    if node is None:
        return None
    if isinstance(node, BNode):
        text = describe(node) if describe is not None else "[]"
        label = "b" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return {"type": "bnode", "value": label, "n3": text}
    if isinstance(node, Literal):
        out = {"type": "literal", "value": str(node), "n3": node.n3()}
        if node.language:
            out["xml:lang"] = node.language
        else:
            out["datatype"] = str(node.datatype or XSD.string)
        return out
    return {"type": "uri", "value": str(node), "n3": node.n3()}


def report_json(report: ValidationReport, describe: Callable[[BNode], str] | None = None
                ) -> dict[str, Any]:
    """The report as JSON: ``conforms`` (the SHACL definition), ``hasViolations``, counts by
    severity, and each result with the fields of a SHACL validation result."""
    return {
        "conforms": report.conforms,
        "hasViolations": report.has_violations,
        "counts": {"Violation": len(report.violations), "Warning": len(report.warnings),
                   "Info": len(report.infos)},
        "results": [{
            "focusNode": term_json(r.focus, describe),
            "resultPath": term_json(r.path, describe),
            "value": term_json(r.value, describe),
            "sourceShape": term_json(r.source_shape, describe),
            "sourceConstraintComponent": term_json(r.constraint, describe),
            "resultSeverity": r.severity,
            "resultMessage": r.message,
        } for r in report.results],
    }


# ---------------------------------------------------------------------- saved reports

_SAVED_FORMAT = "metrograph-validation-report"


def _n3(node: Node | None) -> str | None:
    return None if node is None else node.n3()


def _from_n3(text: object, where: str) -> Node | None:
    from rdflib.util import from_n3

    from metrograph.errors import InputError

    if text is None:
        return None
    if not isinstance(text, str):
        raise InputError(f"not a saved validation report: {where} is not a term",
                         source=where)
    term = from_n3(text)
    if not isinstance(term, URIRef | Literal | BNode):
        raise InputError(f"not a saved validation report: {text!r} is not a term",
                         source=where)
    return term


def save_report(report: ValidationReport, path: str | Path) -> None:
    """Write ``report`` as JSON to ``path`` (atomically), losslessly: every term in
    N-Triples form (a blank node by the store's own label, which an on-disk store keeps),
    with the fingerprint of the shapes that made it; :func:`load_report` reads it back."""
    import json

    from metrograph.rdfio.writers import write_atomic

    doc = {
        "format": _SAVED_FORMAT, "version": 1, "shapesDigest": report.shapes_digest,
        "results": [{"focus": _n3(r.focus), "severity": r.severity, "message": r.message,
                     "shape": _n3(r.source_shape), "path": _n3(r.path),
                     "value": _n3(r.value), "constraint": _n3(r.constraint)}
                    for r in report.results]}
    write_atomic(Path(path), json.dumps(doc, ensure_ascii=False, indent=0).encode("utf-8"))


def load_report(path: str | Path) -> ValidationReport:
    """The report :func:`save_report` wrote to ``path`` (its report graph rebuilt); a file
    that is not one raises :class:`~metrograph.errors.InputError` naming it."""
    import json

    from metrograph.errors import InputError

    where = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the saved validation report: {exc}", source=where) from None
    if not isinstance(doc, dict) or doc.get("format") != _SAVED_FORMAT or doc.get("version") != 1:
        raise InputError("not a saved validation report (format "
                         f"{_SAVED_FORMAT!r}, version 1)", source=where)
    results = []
    for row in doc.get("results", []):
        if not isinstance(row, dict) or row.get("severity") not in ("Violation", "Warning",
                                                                    "Info"):
            raise InputError("not a saved validation report: a result without a severity",
                             source=where)
        focus = _from_n3(row.get("focus"), where)
        if focus is None:
            raise InputError("not a saved validation report: a result without a focus node",
                             source=where)
        results.append(ValidationResult(
            focus=focus, severity=row["severity"], message=str(row.get("message", "")),
            source_shape=_from_n3(row.get("shape"), where), path=_from_n3(row.get("path"), where),
            value=_from_n3(row.get("value"), where),
            constraint=_from_n3(row.get("constraint"), where)))
    results.sort(key=result_order)
    from metrograph.validation.compiler import report_graph

    return ValidationReport(results=results, graph=report_graph(results),
                            shapes_digest=str(doc.get("shapesDigest", "")))
