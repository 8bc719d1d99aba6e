"""Storage behind one small interface (:class:`Store`): rdflib's in-memory dataset
(:class:`MemoryStore`), an embedded Oxigraph store (:class:`OxigraphStore`, the default) and a
remote SPARQL endpoint (:class:`RemoteStore`). Nothing outside this package asks which store it
has: a store says what it can do through the interface."""

from __future__ import annotations

from metrograph.errors import QueryError
from metrograph.stores.base import SelectResult, Store
from metrograph.stores.memory import MemoryStore
from metrograph.stores.oxigraph import OxigraphStore

__all__ = ["STORES", "MemoryStore", "OxigraphStore", "SelectResult", "Store", "make_store"]


STORES = ("oxigraph", "memory")


def make_store(kind: str | Store | None = None) -> Store:
    """A new store: ``"oxigraph"`` (pyoxigraph, the default: it serves every feature, and the
    test suite runs every query, API call and validation on both stores) or ``"memory"``
    (rdflib's in-memory dataset), or the given :class:`Store` itself."""
    if kind == "memory":
        return MemoryStore()
    if kind is None or kind == "oxigraph":
        return OxigraphStore()
    if isinstance(kind, str):
        raise QueryError(f"unknown store {kind!r} (choose: {', '.join(STORES)})")
    return kind
