"""rdflib's in-memory dataset behind the :class:`~metrograph.stores.base.Store` interface."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID as DEFAULT_GRAPH
from rdflib.query import Result
from rdflib.term import IdentifiedNode, Node

from metrograph.errors import MetrographError, QueryError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.formats import Format
from metrograph.stores.base import (
    RdflibTermStore,
    SelectResult,
    SelectStream,
    bind_text,
    bounded_rows,
    canonical_literals,
    checked_stream,
    load_through_rdflib,
    rdflib_bindings,
    select_star,
    star_extra,
    star_order,
)

__all__ = ["MemoryStore"]


class MemoryStore(RdflibTermStore):
    """rdflib's in-memory dataset; queries see the union of all graphs.

    The graph model is :class:`~metrograph.stores.oxigraph.OxigraphStore`'s: each distinct
    triple is held once, in the first graph that brought it (within one batch, the graph whose
    name sorts first), blank-node structures labelled by content
    (:func:`~metrograph.rdfio.canonical.content_labelled`)."""

    name = "memory"

    def __init__(self) -> None:
        self._ds = Dataset(default_union=True)

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str,
             progress: Reporter = SILENT) -> int:
        """Parse ``data`` with rdflib into the named graph ``graph``; return the distinct
        triples added."""
        before = len(self)
        load_through_rdflib(self, data, fmt=fmt, graph=graph, source=source)
        progress.advance(len(data))  # rdflib parses from memory in one call
        return len(self) - before

    def add(self, graph: Graph, into: URIRef) -> None:
        self._insert([(s, p, o, into) for s, p, o in graph])

    def add_dataset(self, dataset: Dataset) -> None:
        self._insert([(s, p, o, g if isinstance(g, URIRef) else DEFAULT_GRAPH)
                      for s, p, o, g in dataset.quads((None, None, None, None))])

    def _insert(self, quads: list[tuple[Node, Node, Node, URIRef]]) -> None:
        """Add ``quads``, blank nodes labelled by content, each triple kept once: a triple
        already held, or held by a graph of the batch whose name sorts first, is not added.
        Literals are held in the form Oxigraph holds them (:func:`.canonical_literals`), so
        that both stores hold the same triples whatever path brought them."""
        _check_terms(quads)
        canonical = canonical_literals(o for _s, _p, o, _g in quads)
        quads = [(s, p, canonical.get(o, o), g) for s, p, o, g in quads]
        blank = [q for q in quads if isinstance(q[0], BNode) or isinstance(q[2], BNode)]
        if blank:
            import pyoxigraph

            from metrograph.rdfio.canonical import content_labelled, from_ox, to_ox

            try:
                ox = content_labelled([pyoxigraph.Quad(*map(to_ox, q)) for q in blank])
            except TypeError:  # generalised RDF (a literal subject, from owlrl): kept as is
                pass
            else:
                quads = [q for q in quads
                         if not (isinstance(q[0], BNode) or isinstance(q[2], BNode))]
                quads += [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object),
                           URIRef(q.graph_name.value)) for q in ox]  # type: ignore[misc]
        for s, p, o, g in sorted(quads, key=lambda q: str(q[3])):
            if next(self._ds.quads((s, p, o, None)), None) is None:
                self._ds.graph(g).add((s, p, o))

    def _run(self, query: str, bindings: Mapping[str, Node] | None) -> Result:
        return self._run_text(query, bindings, bind_text(query, bindings)[0])

    def _run_text(self, query: str, bindings: Mapping[str, Node] | None, text: str) -> Result:
        try:
            if text is not query:  # the values are in the text now
                return self._ds.query(text)
            return self._ds.query(query, initBindings=rdflib_bindings(bindings))
        except Exception as exc:  # rdflib's SPARQL parser raises pyparsing errors, among others
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

    def _answer(self, query: str, bindings: Mapping[str, Node] | None, max_rows: int | None,
                check: Callable[[], None] | None,
                ) -> tuple[list[str], Iterator[tuple[Node | None, ...]]]:
        """The variables and rows of a SELECT, bounded by ``max_rows`` and ``check``."""
        text, star = bind_text(query, bindings)
        result = self._run_text(query, bindings, text)
        if result.type != "SELECT":
            raise QueryError(f"expected a SELECT query, got {result.type}")
        variables = [str(v) for v in (result.vars or [])]
        order = star_order(variables, star or select_star(query))
        if order is not None:
            variables = [variables[i] for i in order]
        extra = star_extra(variables, bindings, star)

        def rows() -> Iterator[tuple[Node | None, ...]]:
            try:
                for row in result:
                    values: tuple[Node | None, ...] = tuple(row)  # type: ignore[arg-type]
                    yield tuple(values[i] for i in order) if order else values
            except MetrographError:
                raise
            except Exception as exc:  # evaluation is lazy in rdflib: errors surface here
                raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

        return (variables + [k for k, _ in extra],
                bounded_rows(rows(), max_rows, check, [v for _, v in extra]))

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        variables, rows = self._answer(query, bindings, max_rows, check)
        return SelectResult(variables, list(rows))

    def select_iter(self, query: str, bindings: Mapping[str, Node] | None = None, *,
                    max_rows: int | None = None,
                    check: Callable[[], None] | None = None) -> SelectStream:
        """Run a SELECT and hand its rows over through rdflib's result iterator (rdflib keeps
        the solutions of a SELECT in a list as it evaluates: this store is for small graphs;
        use the Oxigraph store for answers that must flow in bounded memory). With ``check``
        (a time bound) the answer is made in a worker thread, stopped once the time is up
        (:func:`~metrograph.stores.base.checked_stream`)."""
        return checked_stream(lambda: self._answer(query, bindings, max_rows, None), check)

    def concurrent_reads(self) -> bool:
        """False: rdflib's SPARQL engine is not known to be thread-safe."""
        return False

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        result = self._run(query, bindings)
        if result.type != "ASK":
            raise QueryError(f"expected an ASK query, got {result.type}")
        return bool(result.askAnswer)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        result = self._run(query, bindings)
        if result.type not in ("CONSTRUCT", "DESCRIBE") or result.graph is None:
            raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got {result.type}")
        out = Graph()
        out += result.graph
        return out

    def update(self, update: str) -> None:
        """Run a SPARQL Update as Oxigraph does: its default graph is the store's default
        graph (where ``INSERT DATA`` without ``GRAPH`` writes), named graphs are reached with
        ``GRAPH``. What it wrote is then held as :meth:`_insert` holds it: literals in
        Oxigraph's canonical form, each triple once (in the named graph whose name sorts
        first, else the default graph, as Oxigraph keeps it)."""
        import rdflib.plugins.sparql as rdflib_sparql

        # with rdflib's default graph the union of the graphs (its global default), INSERT DATA
        # into the default graph fails ("not enough values to unpack") and a WHERE without
        # GRAPH sees every graph: the update runs with the default graph alone, as Oxigraph's
        union = rdflib_sparql.SPARQL_DEFAULT_GRAPH_UNION
        rdflib_sparql.SPARQL_DEFAULT_GRAPH_UNION = False
        try:
            self._ds.update(update)
        except Exception as exc:
            raise QueryError(f"update failed: {' '.join(str(exc).split())}") from exc
        finally:
            rdflib_sparql.SPARQL_DEFAULT_GRAPH_UNION = union
        # Oxigraph's order: the named graphs by name, then the default graph
        contexts = sorted(self._ds.contexts(),
                          key=lambda c: (c.identifier == DEFAULT_GRAPH, str(c.identifier)))
        quads = [(s, p, o, c.identifier) for c in contexts
                 for s, p, o in c.triples((None, None, None))]
        canonical = canonical_literals(o for _s, _p, o, _g in quads)
        held: dict[tuple[Node, Node, Node], IdentifiedNode] = {}  # each in its first graph
        for s, p, o, g in quads:
            held.setdefault((s, p, canonical.get(o, o)), g)
        if len(held) == len(quads) and not any(o in canonical for _s, _p, o, _g in quads):
            return
        # rebuilt rather than edited: rdflib's indexes keep the first spelling of a language
        # tag they met ("y"@EN) for the same term in another case ("y"@en)
        self._ds = Dataset(default_union=True)
        for (s, p, o), g in held.items():
            (self._ds.default_context if g == DEFAULT_GRAPH else self._ds.graph(g)).add((s, p, o))

    def dataset(self) -> Dataset:
        copy = Dataset()
        for s, p, o, g in self._ds.quads((None, None, None, None)):
            name = getattr(g, "identifier", g)
            # triples an update wrote outside any named graph stay in the default graph
            target = copy.graph(name) if isinstance(name, URIRef) and name != DEFAULT_GRAPH \
                else copy.default_context
            target.add((s, p, o))
        return copy

    def copy(self) -> MemoryStore:
        """A copy of every quad, in a new in-memory store."""
        copy = MemoryStore()
        copy.add_dataset(self.dataset())
        return copy

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every distinct triple (each is held in one graph only)."""
        for s, p, o, _g in self._ds.quads((None, None, None, None)):
            yield s, p, o

    def graph_names(self) -> list[URIRef]:
        return sorted(
            c.identifier for c in self._ds.contexts()
            if isinstance(c.identifier, URIRef) and len(c) > 0
            and c.identifier != DEFAULT_GRAPH
        )

    def __len__(self) -> int:
        """The number of distinct triples."""
        return len(set(self._ds.triples((None, None, None))))


def _check_terms(quads: list[tuple[Node, Node, Node, URIRef]]) -> None:
    """:class:`InputError` for an IRI or language tag that Oxigraph refuses (rdflib accepts a
    relative IRI, or a subtag over eight letters): the memory store holds only what the
    Oxigraph store would, so every writer and every engine can read it back."""
    from metrograph.rdfio.canonical import to_ox

    seen: set[Node] = set()
    for quad in quads:
        for term in quad:
            if term not in seen and (isinstance(term, URIRef) or (
                    isinstance(term, Literal) and term.language)):
                seen.add(term)
                to_ox(term)
