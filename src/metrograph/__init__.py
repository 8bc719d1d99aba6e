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

__all__ = [
    "Deliverable",
    "Guideline",
    "InputError",
    "KnowledgeGraph",
    "Measure",
    "MemoryStore",
    "MetrographError",
    "NotFoundError",
    "Plan",
    "QueryError",
    "Status",
    "Store",
    "ValidationReport",
    "__version__",
    "load",
]

_LAZY = {
    "load": "graph", "KnowledgeGraph": "graph",
    "Deliverable": "model", "Guideline": "model", "Measure": "model", "Plan": "model",
    "Status": "model",
    "MemoryStore": "store", "Store": "store",
    "ValidationReport": "validation",
    "InputError": "errors", "MetrographError": "errors", "NotFoundError": "errors",
    "QueryError": "errors",
}

if TYPE_CHECKING:
    from .errors import InputError, MetrographError, NotFoundError, QueryError
    from .graph import KnowledgeGraph, load
    from .model import Deliverable, Guideline, Measure, Plan, Status
    from .store import MemoryStore, Store
    from .validation import ValidationReport


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'metrograph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
