"""An embedded Oxigraph store (pyoxigraph): the same :class:`~metrograph.stores.base.Store`
interface,
with Oxigraph's Rust parsers and SPARQL engine for large graphs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from metrograph.errors import InputError, QueryError, QueryParameterError
from metrograph.rdfio.formats import TERM_TOO_LONG, Format, default_graph_id
from metrograph.rdfio.guards import check_safe
from metrograph.stores.base import SelectResult, bind_text, collect_rows, star_columns
from metrograph.stores.oxigraph_answers import (
    Undecodable,
    decode_tsv,
    final_order,
    no_gc,
    sort_rows,
)

__all__ = ["OxigraphStore", "from_ox", "to_ox"]

_LANG_STRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)


def _ox() -> Any:
    try:
        import pyoxigraph
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise QueryError("the Oxigraph store needs pyoxigraph: pip install 'metrograph[oxigraph]'"
                         ) from exc
    return pyoxigraph


def to_ox(term: Node) -> Any:
    """An rdflib term as a pyoxigraph term."""
    ox = _ox()
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an Oxigraph term")


def from_ox(term: Any) -> Node | None:
    """A pyoxigraph term as an rdflib term (``None`` stays ``None``)."""
    if term is None:
        return None
    ox = _ox()
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def _bounded(work: Callable[[], SelectResult], check: Callable[[], None]) -> SelectResult:
    """Run ``work`` in a worker thread (Oxigraph releases the GIL while it evaluates) and call
    ``check`` every 50 ms; when ``check`` raises (time is up), stop waiting. Oxigraph cannot
    cancel a running query: the abandoned evaluation ends on its own in the background."""
    box: list[SelectResult | BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed over to the waiting thread
            box.append(exc)

    worker = threading.Thread(target=run, name="metrograph-oxigraph-query", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if worker.is_alive():
            check()
    outcome = box[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _term(term: Any) -> Node:
    node = from_ox(term)
    if node is None:
        raise TypeError("unexpected unbound term")
    return node


_MISSING = object()

_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "trig": "TRIG",
            "nq": "N_QUADS", "xml": "RDF_XML"}


class OxigraphStore:
    """pyoxigraph's store (in memory, or on disk when ``path`` is given); queries see the
    union of all named graphs."""

    name = "oxigraph"

    def __init__(self, path: str | None = None) -> None:
        ox = _ox()
        self._store = ox.Store(path) if path else ox.Store()

    @property
    def native(self) -> Any:
        """The underlying ``pyoxigraph.Store``."""
        return self._store

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str) -> int:
        """Parse ``data`` with Oxigraph's parser into the named graph ``graph``. Triples are
        parsed straight into the store (``Store.load`` is transactional: a syntax error adds
        nothing); a quad format goes through a scratch store first, so that its default graph
        can be renamed ``graph``."""
        ox = _ox()
        check_safe(data, fmt.name, source)
        before = len(self._store)
        name = ox.NamedNode(str(graph))
        kwargs: dict[str, Any] = {"format": getattr(ox.RdfFormat, _FORMATS[fmt.name]),
                                  "base_iri": str(graph)}
        target = ox.Store() if fmt.quads else self._store
        if not fmt.quads:
            kwargs["to_graph"] = name
        try:
            target.load(data, **kwargs)
        except SyntaxError as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "offset", None)
            raise InputError(f"not valid {fmt.name}: {exc.msg if hasattr(exc, 'msg') else exc}",
                             source=source, line=line, column=col) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"not valid {fmt.name}: {exc}", source=source) from None
        except MemoryError:  # "Reached the buffer maximal size of 16777216": one long token
            raise InputError(TERM_TOO_LONG, source=source) from None
        if fmt.quads:
            self._store.extend(
                ox.Quad(q.subject, q.predicate, q.object, name)
                if isinstance(q.graph_name, ox.DefaultGraph) else q
                for q in target)
        return len(self._store) - before

    def add(self, graph: Graph, into: URIRef) -> None:
        ox = _ox()
        g = ox.NamedNode(str(into))
        self._store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in graph)

    def add_dataset(self, dataset: Dataset) -> None:
        ox = _ox()
        default = default_graph_id(dataset)
        quads = []
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = ox.NamedNode(str(g if isinstance(g, URIRef) else default))
            quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name))
        self._store.extend(quads)

    def _prepare(self, query: str, bindings: Mapping[str, Node] | None
                 ) -> tuple[str, dict[Any, Any]]:
        """The text to evaluate (values written into it, :func:`~metrograph.stores.base.bind_text`,
        sub-SELECTs included) and, for blank-node values, Oxigraph substitutions."""
        ox = _ox()
        text, _star = bind_text(query, bindings)
        subs: dict[Any, Any] = {}
        if text is query:
            try:
                subs = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
            except ValueError as exc:
                raise QueryParameterError(f"invalid parameter value: {exc}") from None
        return text, subs

    def _execute(self, text: str, subs: dict[Any, Any]) -> Any:
        try:
            return self._store.query(text, use_default_graph_as_union=True,
                                     substitutions=subs or None)
        except SyntaxError as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
        except (OSError, ValueError, TypeError) as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

    def _run(self, query: str, bindings: Mapping[str, Node] | None) -> Any:
        return self._execute(*self._prepare(query, bindings))

    def _solutions(self, text: str, subs: dict[Any, Any]) -> Any:
        ox = _ox()
        result = self._execute(text, subs)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        return result

    def _select_tsv(self, text: str, subs: dict[Any, Any]) -> SelectResult | None:
        """The answer read through Oxigraph's TSV serialiser
        (:mod:`~metrograph.stores.oxigraph_answers`),
        a final ORDER BY on variables sorted in Python; ``None`` where that route does not
        apply (no variables, a term it does not read)."""
        ox = _ox()
        order = final_order(text)
        for attempt in ([order, None] if order else [None]):
            result = self._solutions(attempt[0] if attempt else text, subs)
            variables = [v.value for v in result.variables]
            if not variables:
                return None
            try:
                data = result.serialize(format=ox.QueryResultsFormat.TSV)
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
            with no_gc():
                try:
                    decoded = decode_tsv(data, variables)
                except Undecodable:
                    return None
                if attempt is None:
                    return SelectResult(variables, decoded.rows)
                ordered = (None if decoded.zoned_dates
                           else sort_rows(decoded.rows, variables, attempt[1]))
            if ordered is not None:
                return SelectResult(variables, ordered)
            # an order this module does not reproduce: Oxigraph orders it, as written
        return None

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        """Run a SELECT. Without a row bound, the answer is read through Oxigraph's TSV
        serialiser (see :mod:`metrograph.stores.oxigraph_answers`); with one, solution by solution,
        stopping past ``max_rows``."""

        def evaluate() -> SelectResult:
            text, subs = self._prepare(query, bindings)
            star = bind_text(query, bindings)[1]
            if max_rows is None:
                fast = self._select_tsv(text, subs)
                if fast is not None:
                    return star_columns(fast, bindings, star)
            result = self._solutions(text, subs)
            variables = [v.value for v in result.variables]
            # each distinct term converted once per answer (plans, classes, statuses and
            # parents repeat from row to row; rdflib's Literal constructor is the costly part)
            seen: dict[Any, Node | None] = {None: None}

            def convert(term: Any) -> Node | None:
                node = seen.get(term, _MISSING)
                if node is _MISSING:
                    node = seen[term] = from_ox(term)
                return node  # type: ignore[return-value]

            try:
                rows = collect_rows(
                    (tuple(convert(sol[v]) for v in variables) for sol in result), max_rows, None)
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                # evaluation is lazy: errors (a SERVICE call that failed...) surface here
                raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
            return star_columns(SelectResult(variables, rows), bindings, star)

        if check is None:
            return evaluate()
        return _bounded(evaluate, check)

    def update(self, update: str) -> None:
        try:
            self._store.update(update)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(f"update failed: {' '.join(str(exc).split())}") from exc

    def concurrent_reads(self) -> bool:
        """True: Oxigraph evaluates queries outside the GIL, safely."""
        return True

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        ox = _ox()
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        ox = _ox()
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        out = Graph()
        for t in result:
            out.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        return out

    def dataset(self) -> Dataset:
        ox = _ox()
        copy = Dataset()
        for quad in self._store:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                continue
            copy.graph(URIRef(quad.graph_name.value)).add(
                (_term(quad.subject), _term(quad.predicate), _term(quad.object)))
        return copy

    def graph_names(self) -> list[URIRef]:
        ox = _ox()
        return sorted(URIRef(g.value) for g in self._store.named_graphs()
                      if isinstance(g, ox.NamedNode)
                      and next(iter(self._store.quads_for_pattern(None, None, None, g)), None))

    def __len__(self) -> int:
        return len(self._store)
