"""The :class:`Store` interface and the helpers its implementations share.

:class:`Store` is all the rest of metrograph asks of a triple store: load RDF into named graphs,
answer SELECT / ASK / CONSTRUCT queries with values passed as bindings, and hand back a copy of
its quads.
"""

from __future__ import annotations

import ctypes
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol, runtime_checkable

from rdflib import XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Identifier, Node, Variable

from metrograph.errors import QueryError, QueryParameterError, ResultTooLargeError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.formats import Format, parse_into

__all__ = ["RdflibTermStore", "SelectResult", "SelectStream", "Store", "TripleAccess",
           "bind_text", "bounded_rows", "canonical_bindings", "canonical_literals",
           "checked_stream", "load_through_rdflib", "rdflib_bindings", "select_star",
           "star_columns", "star_extra", "star_order", "triple_access"]


@dataclass(frozen=True)
class SelectResult:
    """The answer to a SELECT: the projected variable names and rows of RDF terms
    (``None`` where a variable is unbound)."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return iter(self.rows)

    def dicts(self) -> list[dict[str, Node | None]]:
        """The rows as dictionaries keyed by variable name."""
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class SelectStream:
    """The answer to a SELECT read row by row, as the store produces it: the projected
    variable names, and an iterator of rows (read once). A row bound or time bound given to
    :meth:`Store.select_iter` is checked as the rows are read, and its error raised there."""

    variables: list[str]
    rows: Iterator[tuple[Node | None, ...]]

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return self.rows


@runtime_checkable
class Store(Protocol):
    """What metrograph needs from a triple store."""

    name: str

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str,
             progress: Reporter = SILENT) -> int:
        """Parse ``data`` (triples into the named graph ``graph``); return the distinct triples
        added (those already held are not added again). Raises
        :class:`~metrograph.errors.InputError` naming ``source``; adds nothing then.
        ``progress`` is advanced by the bytes parsed."""

    def add(self, graph: Graph, into: URIRef) -> None:
        """Add ``graph``'s triples to the named graph ``into``."""

    def add_dataset(self, dataset: Dataset) -> None:
        """Add every quad of ``dataset``."""

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        """Run a SELECT query; ``bindings`` give variables their values before evaluation.
        More than ``max_rows`` rows raise :class:`~metrograph.sparql.limits.ResultTooLargeError`;
        ``check`` is called between rows (it raises when a time bound is past)."""

    def select_iter(self, query: str, bindings: Mapping[str, Node] | None = None, *,
                    max_rows: int | None = None,
                    check: Callable[[], None] | None = None) -> SelectStream:
        """Run a SELECT query and hand its rows over one at a time, without holding the
        answer (where the store can: see each store). ``max_rows`` and ``check`` as for
        :meth:`select`, applied as the rows are read."""

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query."""

    def concurrent_reads(self) -> bool:
        """True when :meth:`select` may run in several threads at once."""

    def update(self, update: str) -> None:
        """Run a SPARQL Update (callers check that updates are allowed)."""

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query."""

    def dataset(self) -> Dataset:
        """A copy of every quad, named graphs kept."""

    def graph_names(self) -> list[URIRef]:
        """The names of the non-empty named graphs."""

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every distinct triple of the union of the graphs, as rdflib terms."""

    def write_ntriples(self, out: BinaryIO) -> None:
        """Write every distinct triple to ``out`` as N-Triples; the same graph gives the same
        bytes."""

    def copy(self) -> Store:
        """A writable copy of the graph, in a store of the same kind (reasoning adds to it)."""

    def __len__(self) -> int:
        """The number of distinct triples."""


class TripleAccess:
    """A store's triples read by predicate and instances by class, and triples added in one
    batch (for :mod:`metrograph.reasoning.rules`): through SELECT and :meth:`Store.add`, as
    rdflib terms. A store may do it natively, in its own terms (see :meth:`term`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def term(self, iri: URIRef) -> Any:
        """``iri`` as the store's own term."""
        return iri

    def is_literal(self, node: Any) -> bool:
        """Whether ``node`` (a term of the store's own) is a literal."""
        return isinstance(node, Literal)

    def rows(self, query: str, bindings: Mapping[str, Node]) -> Iterable[tuple[Any, ...]]:
        """The rows of a SELECT, in the store's own terms."""
        return self.store.select(query, bindings).rows

    def pairs(self, p: URIRef) -> set[tuple[Any, Any]]:
        """The (subject, object) pairs of ``p``."""
        return {(s, o) for s, o in self.rows("SELECT ?s ?o WHERE { ?s ?p ?o }", {"p": p})}

    def instances(self, c: URIRef) -> set[Any]:
        """The instances of ``c`` (stated)."""
        return {s for (s,) in self.rows("SELECT ?s WHERE { ?s a ?c }", {"c": c})}

    def untyped(self, p: URIRef, c: URIRef, position: str) -> set[Any]:
        """The subjects (``position="s"``) or non-literal objects (``"o"``) of ``p`` that are
        not stated instances of ``c``, found by the store."""
        node = "?s" if position == "s" else "?o"
        literal = "" if position == "s" else "FILTER(!isLiteral(?o))"
        query = (f"SELECT DISTINCT {node} WHERE {{ ?s ?p ?o . {literal} "
                 f"MINUS {{ {node} a ?c }} }}")
        return {row[0] for row in self.rows(query, {"p": p, "c": c})}

    def add(self, triples: list[tuple[Any, Any, Any]], into: URIRef) -> None:
        """Add ``triples`` (the store's own terms) to the named graph ``into``, in one batch."""
        graph = Graph()
        graph += triples
        if len(graph):
            self.store.add(graph, into)


def triple_access(store: Store) -> TripleAccess:
    """How :mod:`metrograph.reasoning.rules` reads and adds ``store``'s triples: the store's own
    ``triple_access()`` where it has one (Oxigraph's, on its native terms), else through SELECT
    and :meth:`Store.add` (any store following the protocol)."""
    own = getattr(store, "triple_access", None)
    return own() if callable(own) else TripleAccess(store)


class RdflibTermStore:
    """What the stores that hand rdflib terms over share (the memory and remote stores)."""

    def write_ntriples(self: Store, out: BinaryIO) -> None:
        """Every distinct triple as N-Triples: copied into a scratch Oxigraph store, then
        written as the in-memory Oxigraph store writes them
        (:func:`metrograph.stores.oxigraph.write_sorted_lines`: one sorted line per triple,
        Oxigraph's escapes, blank nodes by RDFC-1.0), so every store gives the same bytes."""
        import pyoxigraph as ox

        from metrograph.rdfio.canonical import to_ox
        from metrograph.stores.oxigraph import write_sorted_lines

        scratch = ox.Store()
        graph = ox.DefaultGraph()
        quads = []
        generalised = []  # a literal subject (owlrl's closure): no RDF term for Oxigraph
        for s, p, o in self.triples():
            if isinstance(s, Literal) or isinstance(p, Literal | BNode):
                generalised.append(f"{s.n3()} {p.n3()} {o.n3()} .\n".encode())
            else:
                quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph))
        scratch.bulk_extend(quads)
        write_sorted_lines(scratch, out, extra=generalised)


def canonical_bindings(bindings: Mapping[str, Node] | None) -> dict[str, Node]:
    """``bindings`` with each literal in the form both stores hold it
    (:func:`canonical_literals`): ``"1"^^xsd:int`` is ``"1"^^xsd:integer``, ``"x"^^xsd:string``
    is ``"x"``, so a value matches the same triples on every store."""
    values = dict(bindings or {})
    canonical = canonical_literals(values.values())
    return {k: canonical.get(v, v) for k, v in values.items()}


def rdflib_bindings(bindings: Mapping[str, Node] | None) -> dict[str, Identifier]:
    return {str(Variable(k)): v for k, v in canonical_bindings(bindings).items()
            if isinstance(v, Identifier)}


def bind_text(query: str, bindings: Mapping[str, Node] | None) -> tuple[str, bool]:
    """``query`` with ``bindings`` substituted into its text (SEP-0007, sub-SELECTs included:
    :func:`metrograph.sparql.binding.substitute`), and whether its top-level projection is
    ``SELECT *`` (the substituted variables must then be added back to each row). Blank nodes
    cannot be written into a query: with one among the values, the text is returned unchanged
    (``(query, False)``) and the store binds the values its own way."""
    if not bindings or any(isinstance(v, BNode) for v in bindings.values()):
        return query, False
    from metrograph.sparql.binding import analyse, render_term, tokenize

    try:
        terms = {str(Variable(k)): render_term(v)
                 for k, v in canonical_bindings(bindings).items()}
    except QueryError as exc:
        raise QueryParameterError(f"invalid parameter value: {exc}") from None
    sub = analyse(tokenize(query), terms)
    return sub.text, sub.star


def star_extra(variables: list[str], bindings: Mapping[str, Node] | None,
               star: bool) -> list[tuple[str, Node]]:
    """The columns :func:`star_columns` adds to a ``SELECT *`` answer (name and value)."""
    if not star:
        return []
    return [(str(Variable(k)), v) for k, v in (bindings or {}).items()
            if str(Variable(k)) not in variables]


def select_star(query: str) -> bool:
    """Whether ``query``'s top-level projection is ``SELECT *``."""
    from metrograph.sparql.binding import analyse, tokenize

    try:
        return analyse(tokenize(query), {}).star
    except QueryError:
        return False


def star_order(variables: list[str], star: bool) -> list[int] | None:
    """For a ``SELECT *`` answer (``star``), the column order that sorts its variables by name,
    as Oxigraph gives them (rdflib's order changes from process to process; servers' vary);
    None when there is nothing to reorder."""
    order = sorted(range(len(variables)), key=variables.__getitem__)
    return order if star and order != list(range(len(variables))) else None


class _Abandoned(BaseException):
    """Raised inside a :func:`checked_stream` worker that its reader has left."""


def _abandon(worker: threading.Thread) -> None:
    """Stop ``worker`` at its next Python step (a native step, such as one call into
    Oxigraph, ends first): its frames, and what they hold, are freed in it."""
    if worker.is_alive() and worker.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident),
                                                   ctypes.py_object(_Abandoned))


def checked_stream(start: Callable[[], tuple[list[str], Iterable[tuple[Node | None, ...]]]],
                   check: Callable[[], None] | None,
                   hand_over: Callable[[BaseException], BaseException] = lambda e: e,
                   ) -> SelectStream:
    """The answer ``start()`` makes (its variables and rows; each store's ``select_iter``),
    read as it comes without ``check``. With it, the answer is made in a worker thread and
    handed over through a short queue, while the reader calls ``check`` between rows and every
    50 ms: a time bound then holds even during one long step of the engine (an aggregate, the
    sort before the first row), where checking between rows would wait for the step to end.
    Errors of ``start`` are raised here, those of its rows as they are read (each passed
    through ``hand_over`` in the worker). When the reader stops (``check`` raised, the rows
    were closed or are gone), the worker is stopped: memory stays bounded, and the engine's
    objects are made, read and freed in that one thread."""
    if check is None:
        variables, made = start()
        return SelectStream(variables, iter(made))
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=256)
    left = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not left.is_set():
            try:
                items.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            try:
                variables, rows = start()
                if put("variables", variables):
                    for row in rows:
                        if not put("row", row):
                            return
                    put("end", None)
            except _Abandoned:
                return
            except BaseException as exc:  # handed over to the reader
                put("error", hand_over(exc))
        except _Abandoned:  # arrived while handing over
            return

    worker = threading.Thread(target=work, name="metrograph-query-rows", daemon=True)
    worker.start()

    def leave() -> None:
        left.set()
        worker.join(0.1)
        _abandon(worker)

    def take() -> tuple[str, Any]:
        while True:
            try:
                return items.get(timeout=0.05)
            except queue.Empty:
                try:
                    check()
                except BaseException:
                    leave()
                    raise

    kind, value = take()
    if kind == "error":
        leave()
        raise value
    if kind != "variables":  # pragma: no cover - the worker's protocol
        raise AssertionError(kind)

    def rows() -> Iterator[tuple[Node | None, ...]]:
        try:
            while True:
                kind, row = take()
                if kind == "end":
                    return
                if kind == "error":
                    raise row
                check()
                yield row
        finally:
            leave()

    return SelectStream(list(value), rows())


def bounded_rows(rows: Iterable[tuple[Node | None, ...]], max_rows: int | None,
                 check: Callable[[], None] | None,
                 extra: Sequence[Node] = ()) -> Iterator[tuple[Node | None, ...]]:
    """``rows`` (each followed by the ``extra`` values), calling ``check`` before each and
    raising :class:`~metrograph.errors.ResultTooLargeError` instead of row ``max_rows + 1``."""
    tail = tuple(extra)
    for count, row in enumerate(rows, 1):
        if check is not None:
            check()
        if max_rows is not None and count > max_rows:
            raise ResultTooLargeError(f"the query returned more than {max_rows} rows; narrow "
                                      "it (parameters, LIMIT) or raise the bound")
        yield row + tail if tail else row


def star_columns(result: SelectResult, bindings: Mapping[str, Node] | None,
                 star: bool) -> SelectResult:
    """Add to a ``SELECT *`` answer (``star``) the bound variables its text no longer
    mentions; any other answer is returned as it is."""
    order = star_order(result.variables, star)
    if order is not None:
        result = SelectResult([result.variables[i] for i in order],
                              [tuple(row[i] for i in order) for row in result.rows])
    extra = star_extra(result.variables, bindings, star)
    if not extra:
        return result
    return SelectResult(result.variables + [k for k, _ in extra],
                        [row + tuple(v for _, v in extra) for row in result.rows])


def load_through_rdflib(store: Store, data: bytes, *, fmt: Format, graph: URIRef,
                        source: str) -> int:
    """:meth:`Store.load` for stores without a parser of their own: parse ``data`` with rdflib
    into a scratch dataset (errors name ``source``; nothing reaches ``store`` then), then add
    it; return the statements parsed."""
    scratch = Dataset()
    count = parse_into(scratch, data, source=source, fmt=fmt, graph=graph)
    store.add_dataset(scratch)
    return count


def canonical_literals(terms: Iterable[Node]) -> dict[Node, Node]:
    """The literals among ``terms`` that Oxigraph holds in another form, mapped to that form:
    ``"x"^^xsd:string`` is ``"x"``, a language tag is lower case, a number or boolean is
    canonical (``"065"^^xsd:integer`` is ``"65"``, ``"1.50"`` is ``"1.5"``, an ``xsd:int`` is
    an ``xsd:integer``). Read back from a scratch Oxigraph store, so the form is Oxigraph's
    own; a literal Oxigraph cannot hold (ill-formed) stays as it is."""
    import pyoxigraph as ox

    from metrograph.rdfio.canonical import from_ox, to_ox

    todo: list[Literal] = []
    out: dict[Node, Node] = {}
    for term in set(terms):
        if not isinstance(term, Literal):
            continue
        if term.datatype == XSD.string:
            out[term] = Literal(str(term))
        elif term.language:
            if term.language != term.language.lower():
                out[term] = Literal(str(term), lang=term.language.lower())
        elif term.datatype is not None:
            todo.append(term)
    if todo:
        scratch = ox.Store()
        subject = ox.NamedNode("urn:metrograph:canonical")
        for number, term in enumerate(todo):
            try:
                scratch.add(ox.Quad(subject, ox.NamedNode(f"urn:metrograph:{number}"),
                                    to_ox(term), ox.DefaultGraph()))
            except (ValueError, TypeError):
                continue
        for quad in scratch:
            original = todo[int(quad.predicate.value.rsplit(":", 1)[1])]
            held = from_ox(quad.object)
            if isinstance(held, Literal) and (held != original or str(held) != str(original)
                                              or held.datatype != original.datatype):
                out[original] = held
    return out
