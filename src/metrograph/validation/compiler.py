"""SHACL validation that scales: the shapes compiled to SPARQL SELECT queries run by the store.

pySHACL walks the data focus node by focus node in Python, running each SPARQL constraint once
per focus node: many minutes at a million triples. Here every shape becomes a few whole-graph
SELECT queries that the :class:`Store` answers in one pass each, with pySHACL's results, result
for result (``tests/test_shapes.py`` on ``tests/shapes/``, ``tests/test_scale.py`` on generated
data with injected defects):

- targets (``sh:targetClass`` with subclasses, ``sh:targetNode``, ``sh:targetSubjectsOf``,
  ``sh:targetObjectsOf``, ``sh:SPARQLTarget``) become a ``SELECT DISTINCT ?this`` sub-query;
- ``sh:nodeKind`` of a node shape, ``sh:minCount``, ``sh:maxCount``, ``sh:uniqueLang`` become
  one exact query each;
- value-node constraints (datatype, pattern, class, in, languageIn, nodeKind, bounds, lengths,
  ``sh:or`` of classes) become one query returning every value that *might* fail (SPARQL
  regexes and comparisons are not Python's), each then decided by pySHACL's own rules in
  Python: the verdict is pySHACL's, the Python work proportional to the failures;
- ``sh:sparql`` constraints: the ``SELECT`` as written, with its ``sh:prefixes``, the target
  joined first in its ``WHERE`` (``$this`` is ``?this``), rows de-duplicated like pySHACL's.

Any other shape (``sh:node``, ``sh:qualifiedValueShape``, complex paths...) is validated by
pySHACL, that shape only (:attr:`CompiledShapes.fallback`, with a warning). The shipped shapes
all compile. Only the constraints the shapes file states are run (efficient forms are written
in ``shapes/`` itself, so every SHACL engine runs the same SPARQL); the one rewrite is the
equivalent one of ``FILTER (NOT) EXISTS`` into joins (below): at 100k triples,
mgsh:DeliverableStatusRecordedShape takes 44 s in Oxigraph as written, 0.1 s rewritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import logging
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from metrograph.errors import InputError, QueryError, UnsupportedShapeError
from metrograph.progress import SILENT, Reporter
from metrograph.validation.dependencies import _tokens
from metrograph.validation.literals import one_line_literal_warnings
from metrograph.validation.report import (
    ValidationReport,
    ValidationResult,
    first_message,
    regex_flags,
    result_order,
    results_of,
    run_pyshacl,
)
from metrograph.validation.report import shapes_graph as load_shapes

if TYPE_CHECKING:
    from metrograph.stores.base import Store

__all__ = ["CompiledShapes", "UnsupportedShapeError", "compile_shapes", "compiled_shapes",
           "report_graph", "run_unit", "run_units", "validate_fast"]

_LOG = logging.getLogger(__name__)
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
#: parameters a node or property shape may carry that this compiler understands
_SUPPORTED = {
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target,
    SH.property,
    SH.path, SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group,
    SH.minCount, SH.maxCount, SH.datatype, SH.pattern, SH.flags, SH["class"], SH["in"],
    SH.uniqueLang, SH.languageIn, SH["or"], SH.nodeKind, SH.sparql, SH.minInclusive,
    SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.minLength, SH.maxLength,
    SH.deactivated, RDF.type, RDFS.label, RDFS.comment,
}
# Strict lexical forms: a literal of one of these datatypes that does not match is a candidate,
# decided in Python by rdflib's own parsing (the verdict pySHACL gives).
_LEXICAL = {
    XSD.integer: r"^[+-]?[0-9]+$",
    XSD.decimal: r"^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$",
    XSD.date: r"^-?[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD.gYear: r"^-?[0-9]{4}(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD.boolean: r"^(true|false|0|1)$",
}
# XSD datatypes whose cast function the SPARQL engines implement: a value the cast refuses is
# ill-typed (a date that does not exist, an integer out of range) and is a candidate too. Where an
# engine lacks a cast, the cast is an error and every value of that datatype is a candidate.
_CASTS = {XSD.integer, XSD.decimal, XSD.float, XSD.double, XSD.boolean, XSD.dateTime, XSD.date,
          XSD.time, XSD.gYear}
#: the Python value a well-typed literal of these datatypes has (pySHACL's test)
_PYTHON_TYPE: dict[Node, type | UnionType] = {
    XSD.string: str | bytes, RDF.langString: str | bytes, XSD.integer: int, XSD.float: float,
    XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: dt.date, XSD.time: dt.time,
    XSD.dateTime: dt.datetime,
}
_NODE_KIND_SPARQL = {
    SH.IRI: "isIRI(?v)", SH.BlankNode: "isBlank(?v)", SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "(isIRI(?v) || isBlank(?v))",
    SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))",
}
#: the bounds and the lengths: their SPARQL comparison and the Python one
_RANGES = {SH.minInclusive: (">=", operator.ge), SH.maxInclusive: ("<=", operator.le),
           SH.minExclusive: (">", operator.gt), SH.maxExclusive: ("<", operator.lt)}
_LENGTHS = {SH.minLength: (">=", operator.ge), SH.maxLength: ("<=", operator.le)}


def _component(param: Node) -> URIRef:
    """The constraint component of a parameter (``sh:in``: ``sh:InConstraintComponent``)."""
    name = str(param).removeprefix(str(SH))
    return SH[name[0].upper() + name[1:] + "ConstraintComponent"]


def _instance_of(cls: Node) -> str:
    """``EXISTS { ?v rdf:type/rdfs:subClassOf* cls }`` written as a union: the same meaning,
    but Virtuoso 7.2 answers the path form wrongly under a negation (``NOT EXISTS``,
    ``!EXISTS``: false for typed values; tests/differential reproduces it), and this form
    right."""
    return (f"EXISTS {{ {{ ?v <{RDF.type}> {cls.n3()} }} UNION "
            f"{{ ?v <{RDF.type}> ?vt . ?vt <{RDFS.subClassOf}>+ {cls.n3()} }} }}")


# ---------------------------------------------------------------------- Python verdicts


def _datatype_ok(v: Node, rule: Node) -> bool:
    """pySHACL's sh:datatype test (DatatypeConstraintComponent)."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == rule:
        return getattr(v, "ill_typed", None) is not True and isinstance(
            v.value, _PYTHON_TYPE.get(rule, object))
    if rule == RDFS.Literal or (rule == RDFS.Datatype and v.datatype):
        return True
    if v.datatype is None and v.language is None and rule == XSD.string:
        return isinstance(v.value, str | bytes)
    return bool(rule == RDF.langString and v.language and isinstance(v.value, str | bytes))


def _range_ok(v: Node, bound: Literal, test: Callable[[int, int], bool]) -> bool:
    """pySHACL's sh:minInclusive... test (its rdfutil.compare_literal): ``test(cmp, 0)``."""
    if not isinstance(v, Literal) or isinstance(v.value, str) != isinstance(bound.value, str):
        return False
    try:
        cmp = 0 if v.eq(bound) else 1 if v > bound else -1 if v < bound else None
    except (TypeError, NotImplementedError):
        return False
    return cmp is not None and test(cmp, 0)


def _lang_in_ok(v: Node, langs: set[str]) -> bool:
    if not isinstance(v, Literal) or not v.language:
        return False
    lang = str(v.language).lower()
    return "*" in langs or lang in langs or lang.split("-")[0] in langs


def _pattern_ok(v: Node, regex: re.Pattern[str]) -> bool:
    return not isinstance(v, BNode) and bool(regex.search(str(v)))


def _length_ok(v: Node, limit: int, test: Callable[[int, int], bool]) -> bool:
    return not isinstance(v, BNode) and test(len(str(v)), limit)


# ---------------------------------------------------------------------- compiled units


@dataclass(frozen=True)
class _Unit:
    """One query and how to turn its rows into results."""

    query: str
    shape: Node
    severity: str
    message: str
    component: Node | None
    path: Node | None
    kind: str  # "focus" (rows: this), "value" (this, v), "sparql" (any projection)
    check: Callable[[Node], bool] | None = None  # value units: True when the value conforms


@dataclass
class CompiledShapes:
    """The shapes as queries (``units``), and the shapes left to pySHACL (``fallback``)."""

    units: list[_Unit]
    fallback: list[Node]
    shapes: Graph = field(repr=False)
    reasons: dict[Node, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A fingerprint of what is validated (every query, message, severity, and the shapes
        left to pySHACL): two reports with the same digest were made by the same constraints."""
        parts = sorted(repr((u.query, str(u.shape), u.severity, u.message, str(u.component),
                             str(u.path), u.kind)) for u in self.units)
        parts += sorted(f"fallback {s}" for s in self.fallback)
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


class _Compiler:
    def __init__(self, sg: Graph) -> None:
        self.sg = sg
        #: per shape, the PREFIX lines its SPARQL target needs
        self.extra_prefixes: dict[Node, set[str]] = {}

    def one(self, node: Node, prop: URIRef) -> Node | None:
        values = list(self.sg.objects(node, prop))
        if len(values) > 1:
            raise UnsupportedShapeError(f"several {prop.n3()} on {node}")
        return values[0] if values else None

    def severity(self, shape: Node) -> str:
        sev = self.one(shape, SH.severity) or SH.Violation
        if sev not in _SEVERITY:
            raise UnsupportedShapeError(f"severity {sev}")
        return _SEVERITY[sev]  # type: ignore[index]

    def message(self, shape: Node) -> str:
        return first_message(self.sg.objects(shape, SH.message), "")

    def node_kind(self, shape: Node) -> str | None:
        """The SPARQL test of the shape's ``sh:nodeKind`` on ``?v``, if it has one."""
        kind = self.one(shape, SH.nodeKind)
        if kind is not None and kind not in _NODE_KIND_SPARQL:
            raise UnsupportedShapeError(f"node kind {kind}")
        return None if kind is None else _NODE_KIND_SPARQL[kind]  # type: ignore[index]

    def path(self, shape: Node) -> tuple[Node, str]:
        path = self.one(shape, SH.path)
        if isinstance(path, URIRef):
            return path, path.n3()
        if path is not None:
            inverse = self.one(path, SH.inversePath)
            if isinstance(inverse, URIRef):
                return path, f"^{inverse.n3()}"
        raise UnsupportedShapeError(f"path of {shape} is not an IRI or an inverse IRI")

    def target(self, shape: Node) -> str | None:
        """A ``{ SELECT DISTINCT ?this ... }`` group for the shape's targets (None: none)."""
        parts = []
        for cls in self.sg.objects(shape, SH.targetClass):
            parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {cls.n3()} .")
        nodes = list(self.sg.objects(shape, SH.targetNode))
        if nodes:
            parts.append("VALUES ?this { " + " ".join(n.n3() for n in nodes) + " }")
        for prop in self.sg.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {prop.n3()} ?_o .")
        for prop in self.sg.objects(shape, SH.targetObjectsOf):
            parts.append(f"?_s {prop.n3()} ?this .")
        for custom in self.sg.objects(shape, SH.target):
            parts.append(self.sparql_target(shape, custom))
        if (shape, RDF.type, RDFS.Class) in self.sg:
            raise UnsupportedShapeError("implicit class target")
        if not parts:
            return None
        union = " UNION ".join("{ " + p + " }" for p in parts)
        return "{ SELECT DISTINCT ?this WHERE { " + union + " } }"

    def sparql_target(self, shape: Node, target: Node) -> str:
        """A SPARQL-based target (``sh:SPARQLTarget``): its SELECT as a sub-query."""
        if set(self.sg.predicates(target, None)) - {RDF.type, SH.select, SH.prefixes}:
            raise UnsupportedShapeError("SPARQL target types and parameters")
        select = self.one(target, SH.select)
        if select is None or not re.match(r"\s*SELECT\b", str(select), re.IGNORECASE):
            raise UnsupportedShapeError("a SPARQL target without a SELECT")
        self.extra_prefixes.setdefault(shape, set()).update(
            self.prefix_text(target).splitlines())
        return "{ " + str(select) + " }"

    def prefix_text(self, constraint: Node, shape: Node | None = None) -> str:
        lines = set(self.extra_prefixes.get(shape, set())) if shape is not None else set()
        for decl_owner in self.sg.objects(constraint, SH.prefixes):
            for decl in self.sg.objects(decl_owner, SH.declare):
                prefix = self.one(decl, SH.prefix)
                ns = self.one(decl, SH.namespace)
                if prefix is None or ns is None:
                    raise UnsupportedShapeError("incomplete sh:declare")
                lines.add(f"PREFIX {prefix}: <{ns}>")
        return "\n".join(sorted(lines))

    def check_parameters(self, shape: Node) -> None:
        for p in set(self.sg.predicates(shape, None)):
            if p not in _SUPPORTED:
                raise UnsupportedShapeError(f"{p.n3()} is not compiled")
        if self.one(shape, SH.deactivated) == Literal(True):
            raise UnsupportedShapeError("deactivated shapes are left to pySHACL")

    def root(self, shape: Node) -> list[_Unit]:
        """Units for a shape with targets (a node shape, or a property shape with targets)."""
        units = self.units(shape)
        prefixes = "\n".join(sorted(self.extra_prefixes.get(shape, ())))
        if not prefixes:
            return units
        return [u if u.kind == "sparql" else replace(u, query=prefixes + "\n" + u.query)
                for u in units]

    def units(self, shape: Node) -> list[_Unit]:
        self.check_parameters(shape)
        target = self.target(shape)
        units: list[_Unit] = []
        if target is None:
            return units
        if self.one(shape, SH.path) is not None:
            return self.property(shape, target)
        sev, msg = self.severity(shape), self.message(shape)
        kind = self.node_kind(shape)
        if kind is not None:
            units.append(_Unit(
                f"SELECT ?this ?v WHERE {{ {target} BIND(?this AS ?v) FILTER(!{kind}) }}",
                shape, sev, msg, SH.NodeKindConstraintComponent, None, "value"))
        for param in (SH.datatype, SH.pattern, SH["class"], SH["in"], SH.languageIn,
                      SH.minCount, SH.maxCount, SH.uniqueLang, SH["or"], SH.minInclusive):
            if self.one(shape, param) is not None:
                raise UnsupportedShapeError(f"{param.n3()} on a node shape")
        for sparql in self.sg.objects(shape, SH.sparql):
            units.append(self.sparql(shape, sparql, target, sev, msg))
        for prop in self.sg.objects(shape, SH.property):
            self.check_parameters(prop)
            if self.target(prop) is not None:
                raise UnsupportedShapeError("a nested property shape with targets of its own")
            units += self.property(prop, target)
        return units

    def property(self, prop: Node, target: str) -> list[_Unit]:
        path, sparql_path = self.path(prop)
        sev, msg = self.severity(prop), self.message(prop)
        units: list[_Unit] = []

        def focus_unit(where: str, component: Node, having: str = "",
                       select: str = "?this") -> None:
            units.append(_Unit(f"SELECT {select} WHERE {{ {target} {where} }} {having}",
                               prop, sev, msg, component, path, "focus"))

        min_count = self.one(prop, SH.minCount)
        if min_count is not None:
            n = _whole(min_count, prop, SH.minCount)
            if n == 1:
                focus_unit(f"FILTER NOT EXISTS {{ ?this {sparql_path} ?_v }}",
                           SH.MinCountConstraintComponent)
            elif n > 1:
                focus_unit(f"OPTIONAL {{ ?this {sparql_path} ?_v }}",
                           SH.MinCountConstraintComponent,
                           f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) < {n})")
        max_count = self.one(prop, SH.maxCount)
        if max_count is not None:
            n = _whole(max_count, prop, SH.maxCount)
            focus_unit(f"?this {sparql_path} ?_v .", SH.MaxCountConstraintComponent,
                       f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) > {n})")
        if self.one(prop, SH.uniqueLang) == Literal(True):
            focus_unit(f"?this {sparql_path} ?_v . FILTER(isLiteral(?_v) && lang(?_v) != \"\") "
                       "BIND(LCASE(lang(?_v)) AS ?lang)", SH.UniqueLangConstraintComponent,
                       "GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?_v) > 1)", "?this ?lang")

        for param, (suspect, check) in self.value_tests(prop).items():
            units.append(_Unit(
                f"SELECT DISTINCT ?this ?v WHERE {{ {target} ?this {sparql_path} ?v . "
                f"FILTER({suspect}) }}",
                prop, sev, msg, _component(param), path, "value", check))
        for sparql in self.sg.objects(prop, SH.sparql):
            raise UnsupportedShapeError(f"sh:sparql on the property shape {prop} ({sparql})")
        return units

    def value_tests(self, shape: Node) -> dict[Node, tuple[str, Callable[[Node], bool]]]:
        """Per value constraint of ``shape``: a SPARQL condition on ``?v`` true for every value
        that might fail (a superset), and the exact Python test (True: conforms)."""
        tests: dict[Node, tuple[str, Callable[[Node], bool]]] = {}
        dtype = self.one(shape, SH.datatype)
        if dtype is not None:
            lexical = _LEXICAL.get(dtype)  # type: ignore[call-overload]
            ok = f"isLiteral(?v) && datatype(?v) = {dtype.n3()}"
            if lexical:
                ok += f" && REGEX(STR(?v), \"{lexical}\")"
            if dtype in _CASTS:  # the cast fails on an ill-typed value ("2031-02-30")
                ok += f" && isLiteral({dtype.n3()}(STR(?v)))"
            if dtype == XSD.string:
                ok = f"isLiteral(?v) && datatype(?v) = <{XSD.string}> && lang(?v) = \"\""
            tests[SH.datatype] = (f"!COALESCE({ok}, false)",
                                  functools.partial(_datatype_ok, rule=dtype))
        pattern = self.one(shape, SH.pattern)
        if pattern is not None:
            flags = str(self.one(shape, SH.flags) or "")
            regex = re.compile(str(pattern), regex_flags(flags))
            tests[SH.pattern] = (
                f"isBlank(?v) || !COALESCE(REGEX(STR(?v), {Literal(str(pattern)).n3()}, "
                f"{Literal(flags).n3()}), false)",
                functools.partial(_pattern_ok, regex=regex))
        cls = list(self.sg.objects(shape, SH["class"]))
        if len(cls) > 1:
            raise UnsupportedShapeError("several sh:class")
        if cls:
            tests[SH["class"]] = (f"NOT {_instance_of(cls[0])}", lambda v: False)
        members = self.one(shape, SH["in"])
        if members is not None:
            allowed = list(Collection(self.sg, members))
            cond = " || ".join(f"sameTerm(?v, {a.n3()})" for a in allowed) or "false"
            tests[SH["in"]] = (f"!({cond})", frozenset(allowed).__contains__)
        langs_head = self.one(shape, SH.languageIn)
        if langs_head is not None:
            langs = {str(x).lower() for x in Collection(self.sg, langs_head)}
            listed = ", ".join(Literal(x).n3() for x in sorted(langs))
            tagged = "lang(?v) != \"\"" if "*" in langs else (
                f"isLiteral(?v) && lang(?v) != \"\" && (LCASE(lang(?v)) IN ({listed}) || "
                f"LCASE(STRBEFORE(CONCAT(lang(?v), \"-\"), \"-\")) IN ({listed}))")
            tests[SH.languageIn] = (f"!COALESCE({tagged}, false)",
                                    functools.partial(_lang_in_ok, langs=langs))
        kind = self.node_kind(shape)
        if kind is not None:
            tests[SH.nodeKind] = (f"!{kind}", lambda v: False)
        for op, (sparql_op, test) in _RANGES.items():
            bound = self.one(shape, op)
            if bound is None:
                continue
            if not isinstance(bound, Literal):
                raise UnsupportedShapeError(f"{op.n3()} is not a literal")
            tests[op] = (f"!COALESCE(isLiteral(?v) && ?v {sparql_op} {bound.n3()}, false)",
                         functools.partial(_range_ok, bound=bound, test=test))
        for op, (sparql_op, test) in _LENGTHS.items():
            limit = self.one(shape, op)
            if limit is not None:
                n = _whole(limit, shape, op)
                tests[op] = (f"isBlank(?v) || !(STRLEN(STR(?v)) {sparql_op} {n})",
                             functools.partial(_length_ok, limit=n, test=test))
        alternatives = self.one(shape, SH["or"])
        if alternatives is not None:
            conds: list[str] = []
            for member in Collection(self.sg, alternatives):
                member_class = list(self.sg.objects(member, SH["class"]))
                others = set(self.sg.predicates(member, None)) - {
                    SH["class"], RDF.type}
                if others or len(member_class) != 1:
                    raise UnsupportedShapeError("sh:or members other than one sh:class each")
                conds.append(_instance_of(member_class[0]))
            tests[SH["or"]] = (f"!({' || '.join(conds) or 'false'})", lambda v: False)
        return tests

    def sparql(self, shape: Node, constraint: Node, target: str, sev: str,
               msg: str) -> _Unit:
        select = self.one(constraint, SH.select)
        if select is None:
            raise UnsupportedShapeError("sh:sparql without sh:select")
        if self.one(constraint, SH.deactivated) == Literal(True):
            raise UnsupportedShapeError("deactivated SPARQL constraint")
        text = str(select)
        if re.search(r"\$(PATH|currentShape|shapesGraph|value)\b", text):
            raise UnsupportedShapeError("pre-bound $PATH, $value, $currentShape or $shapesGraph")
        where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
        if where is None:
            raise UnsupportedShapeError("no WHERE block")
        head = text[: where.start()]
        if not re.search(r"[?$]this\b", head) and "*" not in head:
            raise UnsupportedShapeError("the SELECT does not project $this")
        body = text[: where.end()] + f" {target} " + text[where.end():]
        with contextlib.suppress(UnsupportedShapeError):  # else evaluated as written
            body = _rewrite_exists(body)
        english = [str(m) for m in self.sg.objects(constraint, SH.message)
                   if isinstance(m, Literal) and m.language in (None, "en")]
        return _Unit(self.prefix_text(constraint, shape) + "\n" + body, shape, sev,
                     (english or [msg])[0], SH.SPARQLConstraintComponent, None, "sparql")


# ---------------------------------------------------------------------- SPARQL rewriting
#
# Oxigraph evaluates FILTER EXISTS / NOT EXISTS as a nested loop that re-runs the inner pattern
# (with hash joins inside it) for every outer solution: quadratic, minutes at 20k triples. The
# same conditions written as an anti-join (OPTIONAL ... FILTER(!BOUND)) or a semi-join (a
# SELECT DISTINCT sub-query joined on the shared variables) are hash joins, milliseconds. The
# rewrite is made only where it is equivalent: every variable the inner pattern shares with the
# rest of the query must be bound by the enclosing group itself (so that joining on it is the
# same as substituting it); otherwise the text is left as it is.

_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
_EXISTS = re.compile(r"FILTER\s*(NOT\s+)?EXISTS\s*$", re.IGNORECASE)


@dataclass
class _Group:
    """A ``{ ... }`` block: text and nested groups, in order."""

    items: list[str | _Group] = field(default_factory=list)

    def text(self) -> str:
        return "{" + "".join(i if isinstance(i, str) else i.text() for i in self.items) + "}"

    def own_text(self) -> str:
        """The group's text without its nested groups."""
        return " ".join(i for i in self.items if isinstance(i, str))


def _parse_group(text: str) -> tuple[_Group, str]:
    """``text`` (starting with ``{``) as its first group and what follows it."""
    stack: list[_Group] = []
    root: _Group | None = None
    rest: list[str] = []
    for tok in (t.text for t in _tokens(text)):  # strings, IRIs, comments whole
        if root is not None:
            rest.append(tok)
        elif tok == "{":
            group = _Group()
            if stack:
                stack[-1].items.append(group)
            stack.append(group)
        elif tok == "}":
            if not stack:
                raise UnsupportedShapeError("unbalanced braces")
            done = stack.pop()
            if not stack:
                root = done
        elif stack:
            stack[-1].items.append(tok)
        elif tok.strip():
            raise UnsupportedShapeError("text before the WHERE block")
    if root is None:
        raise UnsupportedShapeError("unbalanced braces")
    return root, "".join(rest)


def _merge_text(items: list[str | _Group]) -> list[str | _Group]:
    out: list[str | _Group] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + item
        else:
            out.append(item)
    return out


def _strip_filters(text: str) -> str:
    """``text`` without its ``FILTER (...)`` expressions (their variables bind nothing)."""
    out, i = [], 0
    for m in re.finditer(r"FILTER\s*\(", text, re.IGNORECASE):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        out.append(text[i:m.start()])
        i = j
    out.append(text[i:])
    return "".join(out)


def _vars(text: str) -> set[str]:
    return set(_VAR.findall(text))


def _rewrite(group: _Group, outside: str, counter: Iterator[int]) -> _Group:
    """``group`` with its EXISTS filters rewritten (``outside``: the rest of the query;
    ``counter`` numbers the variables added)."""
    items = _merge_text(group.items)
    out: list[str | _Group] = []
    tail: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, _Group):
            out.append(item)
            continue
        others = [i for j, i in enumerate(items) if j != index]
        rest = outside + " " + " ".join(i if isinstance(i, str) else i.text() for i in others)
        inner = _rewrite(item, rest, counter)
        prev = out[-1] if out and isinstance(out[-1], str) else ""
        m = _EXISTS.search(prev)
        if m is None:
            out.append(inner)
            continue
        shared = _vars(inner.text()) & _vars(rest)
        # variables the enclosing group binds itself: its triple patterns and BINDs, and
        # the projections of its sub-queries (not FILTERs, OPTIONALs, MINUS or UNIONs)
        own_text = _strip_filters(" ".join(i for i in others if isinstance(i, str)))
        own = _vars(own_text)
        for j, sub in enumerate(items):
            if j == index or not isinstance(sub, _Group):
                continue
            before = items[j - 1] if j else ""
            lead = before if isinstance(before, str) else ""
            if sub.own_text().lstrip().upper().startswith("SELECT") and not re.search(
                    r"(OPTIONAL|MINUS|UNION|EXISTS|GRAPH|SERVICE)\s*$", lead, re.IGNORECASE):
                own |= _vars(sub.own_text().split("WHERE")[0])
        if not shared <= own:
            out.append(inner)  # not provably equivalent: keep it as written
            continue
        negated = bool(m.group(1))
        if not negated and (not shared or not shared <= _vars(
                _strip_filters(inner.own_text()))):
            out.append(inner)
            continue
        number = next(counter)
        out[-1] = prev[: m.start()]
        if negated:  # anti-join, at the end of the group (a FILTER sees the whole group)
            flag = f"?_mgx{number}"
            tail.append(f" OPTIONAL {{ {inner.text()[1:-1]} BIND(1 AS {flag}) }} "
                        f"FILTER(!BOUND({flag})) ")
        else:  # semi-join on the shared variables
            projection = " ".join(f"?{v}" for v in sorted(shared))
            out.append(f" {{ SELECT DISTINCT {projection} WHERE {inner.text()} }} ")
    return _Group(_merge_text(out + list(tail)))


def _rewrite_exists(select: str) -> str:
    """``select`` with its FILTER EXISTS / NOT EXISTS turned into joins where equivalent."""
    if not re.search(r"\bEXISTS\b", select, re.IGNORECASE):
        return select
    where = re.search(r"\bWHERE\s*\{", select, re.IGNORECASE)
    if where is None:
        return select
    head = select[: where.end() - 1]
    group, after = _parse_group(select[where.end() - 1:])
    return head + _rewrite(group, head + " " + after, itertools.count(1)).text() + after


def _shapes(sg: Graph) -> list[Node]:
    """Every shape that is validated on its own (has targets), in a stable order."""
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    return sorted({s for prop in targets for s in sg.subjects(prop, None)}, key=str)


def _whole(value: Node, shape: Node, prop: URIRef) -> int:
    """A count of a shape (``sh:minCount``...); :class:`InputError` for an ill-formed shapes
    graph (SHACL requires an ``xsd:integer``, zero or more)."""
    number = value.toPython() if isinstance(value, Literal) else None
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise InputError(f"ill-formed shapes: {shape.n3()} has {prop.n3()} {value.n3()}, "
                         "not a whole number, zero or more")
    return number


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile every shape with targets; those that cannot be compiled go to ``fallback``."""
    compiler = _Compiler(shapes)
    units: list[_Unit] = []
    reasons: dict[Node, str] = {}  # the shapes left to pySHACL, in order
    for shape in _shapes(shapes):
        try:
            units += compiler.root(shape)
        except UnsupportedShapeError as exc:
            reasons[shape] = str(exc)
            _LOG.warning("shape %s is not compiled to SPARQL (%s): pySHACL validates it",
                         shape.n3(), exc)
    return CompiledShapes(units, list(reasons), shapes, reasons)


# ---------------------------------------------------------------------- running


_UNBOUND = {"focus": "a focus node", "value": "a focus node and a value",
            "sparql": "a focus node ($this)"}
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(message: str, values: dict[str, Node | None]) -> str:
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        return m.group(0) if v is None else str(v)

    return _TEMPLATE.sub(sub, message)


def run_unit(store: Store, unit: _Unit) -> list[ValidationResult]:
    """The results of one compiled constraint on ``store``; :class:`InputError` naming the
    shape when its SPARQL cannot be run (an ill-formed ``sh:select`` in a shapes file)."""
    name = unit.shape.n3() if isinstance(unit.shape, URIRef) else "a shape without an IRI"
    component = str(unit.component).rsplit("#", 1)[-1]
    try:
        result = store.select(unit.query)
    except QueryError as exc:
        raise InputError(f"the SPARQL of the shape {name} ({component}) cannot be run: "
                         f"{exc}") from None

    out: list[ValidationResult] = []
    for row in dict.fromkeys(result.rows):  # distinct rows, in order
        if unit.kind == "sparql":
            values = dict(zip(result.variables, row, strict=True))
            focus, path, message = values.get("this"), values.get("path"), _fill(
                unit.message, values)
            value = values.get("value") or focus
        else:
            focus, path, message = row[0], unit.path, unit.message
            value = row[1] if unit.kind == "value" else None
        if focus is None or (unit.kind == "value" and value is None):
            # a sh:select that does not project $this, or a remote server's answer leaving it out
            raise InputError(f"the SPARQL of the shape {name} ({component}) gave a result "
                             f"without {_UNBOUND[unit.kind]}")
        if unit.check is not None and value is not None and unit.check(value):
            continue
        out.append(ValidationResult(focus, unit.severity, message, unit.shape, path, value,
                                    unit.component))
    return out


def run_units(store: Store, units: Sequence[_Unit], workers: int,
              progress: Reporter) -> list[ValidationResult]:
    """The results of ``units`` on ``store``, ``workers`` at once where the store allows it
    (Oxigraph evaluates queries outside the GIL); ``progress`` advances by one per unit."""
    results: list[ValidationResult] = []
    with contextlib.ExitStack() as stack:
        chunks: Iterable[list[ValidationResult]] = map(functools.partial(run_unit, store), units)
        if workers > 1 and len(units) > 1 and store.concurrent_reads():
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
            chunks = pool.map(functools.partial(run_unit, store), units)
        for chunk in chunks:
            results += chunk
            progress.advance(1)
    return results


def _fallback(store: Store, compiled: CompiledShapes) -> list[ValidationResult]:
    """pySHACL for the shapes that were not compiled, those only."""
    if not compiled.fallback:
        return []

    keep = Graph()
    sg = compiled.shapes
    # the fallback shapes, what they reference (property shapes, lists, blank nodes), and the
    # prefix declarations
    todo = [*compiled.fallback, *sg.subjects(SH.declare, None)]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in sg.predicate_objects(node):
            keep.add((node, p, o))
            if isinstance(o, BNode) or p in (SH.property, SH.node, SH.prefixes):
                todo.append(o)
    # the results of the fallback shapes and of their property shapes
    wanted = {p for s in compiled.fallback for p in sg.objects(s, SH.property)}
    wanted |= set(compiled.fallback)
    return [r for r in results_of(run_pyshacl(store.dataset(), keep)) if r.source_shape in wanted]


def report_graph(results: Sequence[ValidationResult]) -> Graph:
    g = Graph()
    g.bind("sh", SH)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(not results)))
    severities = {v: k for k, v in _SEVERITY.items()}
    for r in results:
        node = BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus))
        g.add((node, SH.resultSeverity, severities[r.severity]))
        g.add((node, SH.resultMessage, Literal(r.message)))
        for prop, value in ((SH.sourceShape, r.source_shape), (SH.resultPath, r.path),
                            (SH.value, r.value), (SH.sourceConstraintComponent, r.constraint)):
            if value is not None:
                g.add((node, prop, value))
    return g


@functools.cache
def _shipped() -> CompiledShapes:
    return compile_shapes(load_shapes())


def compiled_shapes(shapes_graph: Graph | None = None,
                    extra_shapes: Iterable[str | Path] = ()) -> CompiledShapes:
    """The shipped shapes compiled (once per process), or ``shapes_graph``, plus the
    ``extra_shapes`` files, compiled."""
    extra = list(extra_shapes)
    if shapes_graph is None:
        return compile_shapes(load_shapes(extra)) if extra else _shipped()
    sg = Graph()
    sg += shapes_graph
    if extra:
        sg += load_shapes(extra) - load_shapes()
    return compile_shapes(sg)


def validate_fast(store: Store, shapes_graph: Graph | None = None,
                  extra_shapes: Iterable[str | Path] = (), workers: int = 2,
                  with_graph: bool = True, progress: Reporter = SILENT) -> ValidationReport:
    """Validate the union of ``store``'s graphs against the shipped shapes (or ``shapes_graph``,
    plus ``extra_shapes`` files) with compiled SPARQL queries; the store is not modified.

    Results are those pySHACL gives (same focus nodes, paths, source shapes, severities), sorted
    like :func:`metrograph.validation.report.validate_dataset`'s. ``workers`` queries run at once
    (Oxigraph evaluates them outside the GIL). ``with_graph=False`` skips building the SHACL
    report graph (``report.graph`` is then empty), for speed on very large reports.
    ``progress`` is told the compiled constraints validated of their number.
    """
    compiled = compiled_shapes(shapes_graph, extra_shapes)
    progress.step("validating", total=len(compiled.units) + 1, unit="constraints")
    with one_line_literal_warnings():
        results = run_units(store, compiled.units, workers, progress) + _fallback(store, compiled)
        progress.advance(1)
    results.sort(key=result_order)
    return ValidationReport(results=results,
                            graph=report_graph(results) if with_graph else Graph(),
                            shapes_digest=compiled.digest)
