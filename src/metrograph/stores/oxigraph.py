"""An embedded Oxigraph store (pyoxigraph): the same :class:`~metrograph.stores.base.Store`
interface,
with Oxigraph's Rust parsers and SPARQL engine for large graphs."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from metrograph.errors import InputError, QueryError, QueryParameterError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.canonical import content_labelled, from_ox, has_blank, to_ox
from metrograph.rdfio.formats import TERM_TOO_LONG, Format, default_graph_id
from metrograph.rdfio.guards import check_safe
from metrograph.stores.base import SelectResult, bind_text, collect_rows, star_columns
from metrograph.stores.oxigraph_answers import Undecodable, decode_tsv

__all__ = ["OxigraphStore", "from_ox", "to_ox"]

def _ox() -> Any:
    try:
        import pyoxigraph
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise QueryError("the Oxigraph store needs pyoxigraph: pip install 'metrograph[oxigraph]'"
                         ) from exc
    return pyoxigraph


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


_WRITES = re.compile(r"\b(?:INSERT|LOAD|ADD|COPY|MOVE)\b", re.IGNORECASE)

#: The quads of one graph (given as the query's default graph) that mention a blank node: a fixed
#: text without values, run in Rust so that a large graph is not walked in Python.
_BLANK_QUADS = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }"


class OxigraphStore:
    """pyoxigraph's store (in memory, or on disk when ``path`` is given); queries see the
    union of all graphs.

    The graph model (the same as :class:`~metrograph.stores.memory.MemoryStore`'s): the graph
    is the *set* of distinct triples; each triple is held in one graph only, the first that
    brought it (within one load, the graph whose name sorts first), and blank-node structures
    are labelled by content (:func:`~metrograph.rdfio.canonical.content_labelled`). Loading a
    file twice, or a release on top of the data it was made from, adds nothing. Oxigraph's
    union default graph counts a triple once per graph that holds it (fixed upstream after
    0.5.13): with one copy of each triple, every figure counts distinct facts."""

    name = "oxigraph"

    def __init__(self, path: str | None = None, *, read_only: bool = False) -> None:
        """In memory, or the store directory ``path`` (created if missing); ``read_only`` opens
        an existing directory for reading only (``pyoxigraph.Store.read_only``)."""
        ox = _ox()
        if read_only:
            self._store = ox.Store.read_only(path)
        else:
            self._store = ox.Store(path) if path else ox.Store()

    @property
    def native(self) -> Any:
        """The underlying ``pyoxigraph.Store``."""
        return self._store

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str,
             progress: Reporter = SILENT) -> int:
        """Parse ``data`` with Oxigraph's parser into the named graph ``graph`` (a quad
        format's default graph becomes ``graph``); return the distinct triples added. A syntax
        error adds nothing. A triple format is parsed straight into the store (``Store.load`` is
        transactional), its blank nodes then relabelled by content; a quad format goes through
        a list first (its default graph renamed ``graph``)."""
        ox = _ox()
        check_safe(data, fmt.name, source)
        before = len(self._store)
        name = ox.NamedNode(str(graph))
        rdf_format = getattr(ox.RdfFormat, _FORMATS[fmt.name])
        try:
            if not fmt.quads:
                # Oxigraph reads the bytes as it parses them: the reader counts them as progress
                self._store.load(input=progress.reader(io.BytesIO(data)), format=rdf_format,
                                 base_iri=str(graph), to_graph=name)
                self._label_blank_nodes(name)
                if len(self._store) > before:  # nothing new cannot repeat a triple
                    self._deduplicate({name: len(self._store) - before})
                return len(self._store) - before
            quads = [q if isinstance(q.graph_name, ox.NamedNode)
                     else ox.Quad(q.subject, q.predicate, q.object, name)
                     for q in ox.parse(progress.reader(io.BytesIO(data)), format=rdf_format,
                                       base_iri=str(graph))]
        except SyntaxError as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "offset", None)
            raise InputError(f"not valid {fmt.name}: {exc.msg if hasattr(exc, 'msg') else exc}",
                             source=source, line=line, column=col) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"not valid {fmt.name}: {exc}", source=source) from None
        except MemoryError:  # "Reached the buffer maximal size of 16777216": one long token
            raise InputError(TERM_TOO_LONG, source=source) from None
        self._insert(quads)
        return len(self._store) - before

    def _label_blank_nodes(self, graph: Any) -> None:
        """Relabel by content the blank nodes of ``graph`` (already in the store)."""
        ox = _ox()
        blank = [ox.Quad(sol[0], sol[1], sol[2], graph)
                 for sol in self._store.query(_BLANK_QUADS, default_graph=graph)]
        if not blank:
            return
        for q in blank:
            self._store.remove(q)
        self._store.extend(content_labelled(blank))

    def _insert(self, quads: list[Any]) -> None:
        """Add ``quads``, blank nodes labelled by content, each triple kept once."""
        if any(has_blank(q) for q in quads):
            quads = content_labelled(quads)
        sizes: dict[Any, int] = {}
        for q in quads:
            sizes[q.graph_name] = sizes.get(q.graph_name, 0) + 1
        self._store.extend(quads)
        self._deduplicate(sizes)

    def _deduplicate(self, new: dict[Any, int]) -> None:
        """Remove from each graph of ``new`` (graph -> quads added) the triples another graph
        holds: a graph that was there before, or a new one whose name sorts first. The smaller
        side is walked (quads of the new graph, or of the others) and each quad looked up on
        the other side."""
        ox = _ox()
        total = len(self._store)
        graphs = [*self._store.named_graphs(), ox.DefaultGraph()]
        for g in sorted(new, key=str):
            others = [h for h in graphs if h != g and (h not in new or str(h) < str(g))]
            if not others:
                continue
            doomed = []
            if new[g] <= total - new[g]:
                for q in self._store.quads_for_pattern(None, None, None, g):
                    if any(hit.graph_name in others for hit in self._store.quads_for_pattern(
                            q.subject, q.predicate, q.object, None)):
                        doomed.append(q)
            else:
                for h in others:
                    for q in self._store.quads_for_pattern(None, None, None, h):
                        doomed.extend(self._store.quads_for_pattern(
                            q.subject, q.predicate, q.object, g))
            for q in doomed:
                self._store.remove(q)

    def add(self, graph: Graph, into: URIRef) -> None:
        ox = _ox()
        g = ox.NamedNode(str(into))
        self._insert([ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in graph])

    def add_dataset(self, dataset: Dataset) -> None:
        ox = _ox()
        default = default_graph_id(dataset)
        quads = []
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = ox.NamedNode(str(g if isinstance(g, URIRef) else default))
            quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name))
        self._insert(quads)

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
        (:mod:`~metrograph.stores.oxigraph_answers`); ``None`` where that route does not
        apply (no variables, a term it does not read)."""
        ox = _ox()
        result = self._solutions(text, subs)
        variables = [v.value for v in result.variables]
        if not variables:
            return None
        try:
            data = result.serialize(format=ox.QueryResultsFormat.TSV)
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
        try:
            return SelectResult(variables, decode_tsv(data, variables).rows)
        except Undecodable:
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
        """Run a SPARQL Update; a triple it wrote into a second graph is then kept once."""
        try:
            self._store.update(update)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(f"update failed: {' '.join(str(exc).split())}") from exc
        if _WRITES.search(update):  # a DELETE alone cannot make a second copy
            ox = _ox()
            self._deduplicate({g: 0 for g in [*self._store.named_graphs(), ox.DefaultGraph()]})

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
            # triples an update wrote outside any named graph stay in the default graph
            target = (copy.default_context if isinstance(quad.graph_name, ox.DefaultGraph)
                      else copy.graph(URIRef(quad.graph_name.value)))
            target.add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
        return copy

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every distinct triple (each is held in one graph only), read straight from
        Oxigraph, each distinct term converted once."""
        cache: dict[Any, Any] = {}

        def term(t: Any) -> Any:
            found = cache.get(t)
            if found is None:
                found = cache[t] = from_ox(t)
            return found

        for q in self._store:
            yield term(q.subject), term(q.predicate), term(q.object)

    def graph_names(self) -> list[URIRef]:
        ox = _ox()
        return sorted(URIRef(g.value) for g in self._store.named_graphs()
                      if isinstance(g, ox.NamedNode)
                      and next(iter(self._store.quads_for_pattern(None, None, None, g)), None))

    def __len__(self) -> int:
        """The number of distinct triples (each is held in one graph)."""
        return len(self._store)
