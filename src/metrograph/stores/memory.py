"""rdflib's in-memory dataset behind the :class:`~metrograph.stores.base.Store` interface."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rdflib import Dataset, Graph, URIRef
from rdflib.query import Result
from rdflib.term import Node

from metrograph.errors import MetrographError, QueryError
from metrograph.rdfio.formats import Format, default_graph_id
from metrograph.stores.base import (
    SelectResult,
    bind_text,
    collect_rows,
    load_through_rdflib,
    rdflib_bindings,
    star_columns,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """rdflib's in-memory dataset; queries see the union of all named graphs."""

    name = "memory"

    def __init__(self) -> None:
        self._ds = Dataset(default_union=True)

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str) -> int:
        return load_through_rdflib(self, data, fmt=fmt, graph=graph, source=source)

    def add(self, graph: Graph, into: URIRef) -> None:
        target = self._ds.graph(into)
        for triple in graph:
            target.add(triple)

    def add_dataset(self, dataset: Dataset) -> None:
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = g if isinstance(g, URIRef) else default_graph_id(dataset)
            self._ds.graph(name).add((s, p, o))

    def _run(self, query: str, bindings: Mapping[str, Node] | None) -> Result:
        return self._run_text(query, bindings, bind_text(query, bindings)[0])

    def _run_text(self, query: str, bindings: Mapping[str, Node] | None, text: str) -> Result:
        try:
            if text is not query:  # the values are in the text now
                return self._ds.query(text)
            return self._ds.query(query, initBindings=rdflib_bindings(bindings))
        except Exception as exc:  # rdflib's SPARQL parser raises pyparsing errors, among others
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        text, star = bind_text(query, bindings)
        result = self._run_text(query, bindings, text)
        if result.type != "SELECT":
            raise QueryError(f"expected a SELECT query, got {result.type}")
        variables = [str(v) for v in (result.vars or [])]
        try:
            rows = collect_rows((tuple(row) for row in result  # type: ignore[arg-type]
                                 ), max_rows, check)
        except MetrographError:
            raise
        except Exception as exc:  # evaluation is lazy in rdflib: errors surface here
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
        return star_columns(SelectResult(variables, rows), bindings, star)

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
        for triple in result.graph:
            out.add(triple)
        return out

    def update(self, update: str) -> None:
        try:
            self._ds.update(update)
        except Exception as exc:
            raise QueryError(f"update failed: {' '.join(str(exc).split())}") from exc

    def dataset(self) -> Dataset:
        copy = Dataset()
        for s, p, o, g in self._ds.quads((None, None, None, None)):
            if isinstance(g, URIRef):
                copy.graph(g).add((s, p, o))
        return copy

    def graph_names(self) -> list[URIRef]:
        return sorted(
            c.identifier for c in self._ds.contexts()
            if isinstance(c.identifier, URIRef) and len(c) > 0
            and c.identifier != default_graph_id(self._ds)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self._ds.quads((None, None, None, None)))
