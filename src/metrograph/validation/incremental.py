"""Incremental validation: after triples are added to a validated store, validate only the focus
nodes they can affect, and merge with the previous report.

:func:`validate_added` takes the store (the additions already in it), the previous full report
(:func:`~metrograph.validation.report.save_report`) and what was added (named graphs, or an
rdflib graph). For each compiled constraint (:mod:`metrograph.validation.compiler`):

1. its query, target included, is analysed into triple patterns
   (:mod:`metrograph.validation.dependencies`);
2. each pattern an added triple matches (its predicate and the group's filters on its
   variables, evaluated by Oxigraph on the added triples alone) gives *seeds*; the shortest
   chain of patterns that must hold with it, from it to ``$this``, evaluated in the store with
   the seeds as a ``VALUES`` block, gives the focus nodes whose results may change (a new
   assessment -> its deliverable -> the deliverable's plan -> the plan's reported progress);
3. every constraint of a shape with affected focus nodes is run again on those only (a
   ``VALUES ?this`` block; see :func:`_restricted` for the exception), and the report is the
   previous results minus those of the affected (shape, focus node) pairs, plus the new ones.

Measured on a 1M-triple on-disk Oxigraph store (2 busy cores), after adding a 1,000-triple
statuses file: 26 s instead of 150-190 s for a full run, results equal; 24.5 s of it are
mgsh:RecordedEqualsReportedShape and mgsh:RecordedNotAboveReportedShape run whole
(``benchmarks/validate_on_disk.py``).

A shape whose dependencies cannot be bounded (a constraint the analysis does not read, a pattern
with no chain to ``$this``, a blank node among the added or affected terms, shapes validated by
pySHACL) is validated fully: :attr:`IncrementalStats.full_shapes` names each with the reason,
logged at INFO. Other shapes than the previous report's (another digest) make the whole run a
full one. The results equal a full run's (``tests/test_validation_incremental.py``). Only
additions are handled: after removing or replacing data, validate fully.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from metrograph.errors import UnsupportedShapeError
from metrograph.progress import SILENT, Reporter
from metrograph.validation.compiler import (
    CompiledShapes,
    _fallback,
    _Unit,
    compiled_shapes,
    report_graph,
    run_units,
    validate_fast,
)
from metrograph.validation.dependencies import Atom, Bind, Dependencies, analyse, term_text
from metrograph.validation.literals import one_line_literal_warnings
from metrograph.validation.report import ValidationReport, ValidationResult, result_order

if TYPE_CHECKING:
    from metrograph.stores.base import Store

__all__ = ["IncrementalStats", "affected_focus_nodes", "validate_added"]

_LOG = logging.getLogger(__name__)


@dataclass
class IncrementalStats:
    """What an incremental run did: the added triples, the focus nodes re-validated per shape,
    the shapes validated fully (with the reason), the constraints run, the seconds taken."""

    added: int = 0
    focus: dict[Node, int] = field(default_factory=dict)
    full_shapes: dict[Node, str] = field(default_factory=dict)
    units_run: int = 0
    seconds: float = 0.0


class _Unbounded(Exception):
    """A unit whose affected focus nodes cannot be bounded (the reason in ``args[0]``)."""


def _triples(store: Store, added: Iterable[URIRef | str] | Graph) -> Graph:
    if isinstance(added, Graph):
        return added
    query = files("metrograph.validation").joinpath("graph-triples.rq").read_text(
        encoding="utf-8")
    delta = Graph()
    for name in added:
        for s, p, o in store.select(query, {"graph": URIRef(str(name))}).rows:
            if s is not None and p is not None and o is not None:
                delta.add((s, p, o))
    return delta


def _n3(node: Node) -> str:
    if isinstance(node, BNode):
        raise _Unbounded("a blank node among the added or affected terms")
    return node.n3()


def _values(variables: Sequence[str], rows: Iterable[tuple[Node | None, ...]]) -> str:
    body = " ".join("(" + " ".join("UNDEF" if v is None else _n3(v) for v in row) + ")"
                    for row in rows)
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {body} }}"


class _Finder:
    """Affected focus nodes per unit, with the queries on the added triples and on the store
    cached by their text (units share targets)."""

    def __init__(self, store: Store, delta: Graph) -> None:
        from metrograph.stores.oxigraph import OxigraphStore

        self.store = store
        self.delta = OxigraphStore()
        self.delta.add(delta, URIRef("urn:metrograph:added"))
        self.predicates = {p.n3() for p in delta.predicates(None, None)}
        self.nodes = {t for s, _p, o in delta for t in (s, o)}
        added = self.delta  # not self: a cache holding self would keep it in a cycle
        self.seeds = functools.cache(lambda query: added.select(query).rows)
        self.focus = functools.cache(lambda query: {
            row[0] for row in store.select(query).rows if row[0] is not None})

    def affected(self, deps: Dependencies) -> set[Node]:
        found: set[Node] = set()
        for atom in deps.atoms:
            zero_length = (atom.mod in ("*", "?") and atom.s[0] == "var"
                           and atom.o[0] == "var")
            if atom.mod != "var" and atom.pred not in self.predicates and not zero_length:
                continue
            found |= self.atom(deps, atom)
        return found

    def atom(self, deps: Dependencies, atom: Atom) -> set[Node]:
        names = sorted(atom.variables())
        closure = atom.mod in ("+", "*", "?")
        if closure:
            seed_vars = ["_mgseeds", "_mgseedo"]
            seed_query = (f"SELECT DISTINCT ?_mgseeds ?_mgseedo WHERE {{ ?_mgseeds {atom.pred} "
                          f"?_mgseedo }}")
        else:
            if not names:
                raise _Unbounded("an added triple matches a pattern without variables")
            seed_vars = names
            filters = " ".join(f"FILTER {f}" for f in deps.local_filters(atom))
            seed_query = (f"{deps.prologue}\nSELECT DISTINCT "
                          f"{' '.join('?' + n for n in names)} WHERE {{ {atom.text()} "
                          f"{filters} }}")
        rows = self.seeds(seed_query)
        if not rows and not (closure and atom.mod != "+"):
            return set()
        chain = deps.chain(atom)
        if chain is None:
            raise _Unbounded("a pattern that no chain of patterns links to $this")
        atoms, binds = chain
        atoms = atoms + [a for a in deps.neighbours(atom) if a not in atoms]
        out: set[Node] = set()
        if not closure and not atoms and not binds and "this" in names:
            column = names.index("this")
            return {n for n in (row[column] for row in rows) if n is not None}
        link = (f"{term_text(atom.s)} {atom.pred}* ?_mgseeds . ?_mgseedo {atom.pred}* "
                f"{term_text(atom.o)} ." if closure else "")
        body = self.body(atoms, binds, set(seed_vars) | (atom.variables() if closure else set()))
        if rows:
            query = (f"{deps.prologue}\nSELECT DISTINCT ?this WHERE {{ "
                     f"{_values(seed_vars, rows)} {link} {body} }}")
            out |= self.focus(query)
        if closure and atom.mod != "+" and atom.s[0] == "var" and atom.o[0] == "var":
            # zero-length matches: a node new to the graph matches ?s p* ?s
            nodes = sorted(self.nodes, key=str)
            if nodes:
                zero = [atom.s[1]] if atom.s == atom.o else [atom.s[1], atom.o[1]]
                rows0 = [tuple([n] * len(zero)) for n in nodes]
                if zero == ["this"] or (zero[0] == "this" and not atoms and not binds):
                    return out | set(nodes)
                query = (f"{deps.prologue}\nSELECT DISTINCT ?this WHERE {{ "
                         f"{_values(zero, rows0)} "
                         f"{self.body(atoms, binds, set(zero))} }}")
                out |= self.focus(query)
        return out

    @staticmethod
    def body(atoms: list[Atom], binds: list[Bind], bound: set[str]) -> str:
        """The chain's atoms, then its BINDs (a BIND whose variable is bound already is
        written into a fresh one, compared with sameTerm)."""
        parts = [a.text() for a in atoms]
        bound = bound | {n for a in atoms for n in a.variables()}
        pending = list(binds)
        counter = 0
        while pending:
            bind = next((b for b in pending if b.inputs <= bound), pending[0])
            pending.remove(bind)
            if bind.var in bound:
                counter += 1
                fresh = f"?_mgbind{counter}"
                parts.append(f"BIND ({bind.expr} AS {fresh}) FILTER (sameTerm({fresh}, "
                             f"?{bind.var}))")
            else:
                parts.append(f"BIND ({bind.expr} AS ?{bind.var})")
                bound.add(bind.var)
        return " ".join(parts)


def affected_focus_nodes(store: Store, compiled: CompiledShapes, delta: Graph
                         ) -> tuple[dict[Node, set[Node]], dict[Node, str]]:
    """Per shape (the units' source shape), the focus nodes whose results the triples of
    ``delta`` (already in ``store``) may change; and the shapes to validate fully, with the
    reason."""
    finder = _Finder(store, delta)
    focus: dict[Node, set[Node]] = {}
    full: dict[Node, str] = dict.fromkeys(compiled.fallback, "validated by pySHACL")
    for unit in compiled.units:
        if unit.shape in full:
            continue
        try:
            found = finder.affected(_analysed(unit.query))
            if any(isinstance(n, BNode) for n in found):
                raise _Unbounded("a blank node among the affected focus nodes")
        except (_Unbounded, UnsupportedShapeError) as exc:
            full[unit.shape] = str(exc)
            focus.pop(unit.shape, None)
            continue
        if found:
            focus.setdefault(unit.shape, set()).update(found)
    return focus, full


_analysed = functools.cache(analyse)  # per query text


def _restricted(unit: _Unit, nodes: set[Node]) -> _Unit:
    """``unit`` run on ``nodes`` only: a ``VALUES ?this`` block in its query and in every
    sub-query that projects ``?this`` (its target's first).

    A constraint with an ``OPTIONAL`` group that joins on another variable than ``$this`` is
    run whole instead (its results are then kept for ``nodes`` only): Oxigraph evaluates such
    a group whole whatever the focus nodes, and measured at 1M triples, with a few focus nodes
    in a ``VALUES`` block, it does so once per row (mgsh:RecordedEqualsReportedShape: 200 s on
    3 focus nodes, 30 s whole)."""
    if _analysed(unit.query).optional_apart():
        return unit
    values = "VALUES ?this { " + " ".join(sorted(n.n3() for n in nodes)) + " }"
    return replace(unit, query=_analysed(unit.query).restricted(unit.query, values))


def validate_added(store: Store, previous: ValidationReport,
                   added: Iterable[URIRef | str] | Graph, *,
                   shapes_graph: Graph | None = None, extra_shapes: Iterable[str | Path] = (),
                   workers: int = 2, progress: Reporter = SILENT,
                   stats: IncrementalStats | None = None) -> ValidationReport:
    """The report a full validation of ``store`` would give, computed from ``previous`` (the
    full report before ``added``) by validating only what ``added`` can affect.

    ``added`` names the named graphs that were just loaded (their triples are read from the
    store), or is an rdflib graph of the triples added. The shapes are the shipped ones (or
    ``shapes_graph``), plus ``extra_shapes``, as for
    :func:`~metrograph.validation.compiler.validate_fast`; a ``previous`` report made by other
    shapes (its ``shapes_digest`` differs) gives a full validation. ``stats``, when given, is
    filled with what was done."""
    started = time.perf_counter()
    stats = stats if stats is not None else IncrementalStats()
    compiled = compiled_shapes(shapes_graph, extra_shapes)
    if previous.shapes_digest != compiled.digest:
        _LOG.info("the previous report was made by other shapes: validating fully")
        stats.full_shapes = {u.shape: "other shapes" for u in compiled.units}
        report = validate_fast(store, shapes_graph, extra_shapes, workers, progress=progress)
        stats.seconds = time.perf_counter() - started
        return report
    delta = _triples(store, added)
    stats.added = len(delta)
    focus, full = affected_focus_nodes(store, compiled, delta) if len(delta) else ({}, {})
    for shape, reason in full.items():
        _LOG.info("shape %s is validated fully: %s", shape.n3(), reason)
    todo = [u if u.shape in full else _restricted(u, focus[u.shape])
            for u in compiled.units if u.shape in full or u.shape in focus]
    progress.step("validating", total=len(todo) + 1, unit="constraints")
    with one_line_literal_warnings():
        results = run_units(store, todo, workers, progress)
        if any(s in full for s in compiled.fallback):
            results += _fallback(store, compiled)
    progress.advance(1)
    # property shapes of the pySHACL-validated shapes -> their shape
    owned: dict[Node | None, Node] = {prop: shape for shape in compiled.fallback
                                      for prop in compiled.shapes.objects(shape, SH.property)}

    def revalidated(r: ValidationResult) -> bool:
        """A result of what was validated again: previous ones are dropped, new ones kept."""
        return (r.source_shape in full or owned.get(r.source_shape) in full
                or r.focus in focus.get(r.source_shape, ()))  # type: ignore[arg-type]

    merged = sorted([r for r in previous.results if not revalidated(r)]
                    + [r for r in results if revalidated(r)], key=result_order)
    stats.focus = {s: len(n) for s, n in focus.items()}
    stats.full_shapes = dict(full)
    stats.units_run = len(todo)
    stats.seconds = time.perf_counter() - started
    return ValidationReport(results=merged, graph=report_graph(merged),
                            shapes_digest=compiled.digest)
