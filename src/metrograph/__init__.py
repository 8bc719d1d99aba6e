"""metrograph: organisations' action plans as a knowledge graph.

>>> import metrograph
>>> kg = metrograph.load()                     # bundled ontology, schemes and 2018-2020 plan
>>> len(kg.deliverables(status="not-recorded"))
65
>>> kg.query("progress-by-guideline").rows[0]["notRecorded"]
19

Nothing here touches the network; heavy modules are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("metrograph")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    # the knowledge graph
    "load": "graph", "open_store": "graph", "KnowledgeGraph": "graph", "QueryResult": "graph",
    "QueryStream": "graph",
    # the model's types
    "Component": "model", "Deliverable": "model", "Guideline": "model", "Measure": "model",
    "Plan": "model", "ProgressRow": "model", "ReportedComparison": "model", "Status": "model",
    "StatusRecord": "model",
    # queries and validation
    "QueryLimits": "sparql.limits",
    "ValidationReport": "validation.report", "ValidationResult": "validation.report",
    # stores
    "Store": "stores", "MemoryStore": "stores", "OxigraphStore": "stores",
    "RemoteStore": "stores.remote",
    # errors
    **{name: "errors" for name in (
        "MetrographError", "InputError", "AuthoringError", "DataError", "NotFoundError",
        "QueryError", "QueryParameterError", "QueryRefusedError", "QueryTimeoutError",
        "RemoteError", "ResultTooLargeError", "StoreError", "UnknownQueryError")},
}

__all__ = ["AuthoringError", "Component", "DataError", "Deliverable", "Guideline", "InputError",
           "KnowledgeGraph", "Measure", "MemoryStore", "MetrographError", "NotFoundError",
           "OxigraphStore", "Plan", "ProgressRow", "QueryError", "QueryLimits",
           "QueryParameterError", "QueryRefusedError", "QueryResult", "QueryStream",
           "QueryTimeoutError", "RemoteError", "RemoteStore", "ReportedComparison",
           "ResultTooLargeError", "Status", "StatusRecord", "Store", "StoreError",
           "UnknownQueryError", "ValidationReport", "ValidationResult", "__version__", "load",
           "open_store"]

if TYPE_CHECKING:
    from metrograph.errors import (
        AuthoringError,
        DataError,
        InputError,
        MetrographError,
        NotFoundError,
        QueryError,
        QueryParameterError,
        QueryRefusedError,
        QueryTimeoutError,
        RemoteError,
        ResultTooLargeError,
        StoreError,
        UnknownQueryError,
    )
    from metrograph.graph import KnowledgeGraph, QueryResult, QueryStream, load, open_store
    from metrograph.model import (
        Component,
        Deliverable,
        Guideline,
        Measure,
        Plan,
        ProgressRow,
        ReportedComparison,
        Status,
        StatusRecord,
    )
    from metrograph.sparql.limits import QueryLimits
    from metrograph.stores import MemoryStore, OxigraphStore, Store
    from metrograph.stores.remote import RemoteStore
    from metrograph.validation.report import ValidationReport, ValidationResult


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"metrograph.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'metrograph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
