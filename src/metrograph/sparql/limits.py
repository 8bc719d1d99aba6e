"""Guards for SPARQL that users type: read-only by default, no remote fetches, bounded.

rdflib evaluates ``SERVICE`` clauses and ``FROM`` / ``FROM NAMED`` dataset clauses by fetching
the IRIs over HTTP, and runs ``LOAD`` updates the same way; metrograph refuses all of them unless
the caller allows them explicitly. Queries can also be bounded in time and in result rows.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from metrograph.errors import QueryError, QueryRefusedError, QueryTimeoutError, ResultTooLargeError

__all__ = [
    "SAFE",
    "QueryLimits",
    "QueryRefusedError",
    "QueryTimeoutError",
    "ResultTooLargeError",
    "check_query",
    "deadline_check",
    "time_limit",
]

#: the longest time bound, in seconds (as the command line's --timeout)
MAX_TIMEOUT = 10_000_000


@dataclass(frozen=True)
class QueryLimits:
    """What a user query may do. The defaults are safe: read-only, local, unbounded."""

    allow_update: bool = False
    allow_service: bool = False
    timeout: float | None = None  # seconds
    max_rows: int | None = None

    def __post_init__(self) -> None:
        """Refuse values that are not what they say (:class:`~metrograph.errors.InputError`):
        a ``timeout`` is seconds above 0, at most 10,000,000 (a number, not text); ``max_rows``
        a whole number, 0 or more; the ``allow_*`` flags booleans."""
        from metrograph.errors import InputError

        for name in ("allow_update", "allow_service"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"QueryLimits({name}=...) is True or False, not "
                                 f"{getattr(self, name)!r}")
        timeout = self.timeout
        if timeout is not None and (
                isinstance(timeout, bool) or not isinstance(timeout, int | float)
                or not 0 < timeout <= MAX_TIMEOUT):  # NaN fails the comparison too
            raise InputError(f"QueryLimits(timeout=...) is seconds above 0, at most "
                             f"{MAX_TIMEOUT:,}, or None for no bound; not {timeout!r}")
        rows = self.max_rows
        if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int)
                                 or rows < 0):
            raise InputError("QueryLimits(max_rows=...) is a whole number of rows, 0 or more, "
                             f"or None for no bound; not {rows!r}")


#: the default limits: read-only, no remote fetches, no time or row bound
SAFE = QueryLimits()


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)
    elif hasattr(node, "items") and hasattr(node, "asList"):  # pyparsing ParseResults
        for value in node.values() if hasattr(node, "values") else []:
            yield from _walk(value)
        for value in list(node):
            yield from _walk(value)


def _names(tree: Any) -> set[str]:
    return {getattr(n, "name", "") for n in _walk(tree) if getattr(n, "name", None)}


def check_query(text: str, limits: QueryLimits = SAFE) -> str:
    """Classify ``text`` as ``"query"`` or ``"update"`` and refuse what ``limits`` do not allow:
    SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY), ``SERVICE``, and
    ``FROM`` / ``FROM NAMED`` / ``LOAD`` of remote IRIs. Raises :class:`QueryRefusedError` or
    :class:`QueryError` (syntax)."""
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        tree: Any = parseQuery(text)
        kind = "query"
    except Exception as query_error:
        try:
            tree = parseUpdate(text)
        except Exception:
            message = " ".join(str(query_error).split())
            raise QueryError(f"not a valid SPARQL query: {message}") from None
        kind = "update"
    names = _names(tree)
    if kind == "update" and not limits.allow_update:
        raise QueryRefusedError(
            "SPARQL Update is refused: user queries are read-only unless updates are allowed "
            "explicitly (allow_update=True)")
    if not limits.allow_service:
        if "ServiceGraphPattern" in names:
            raise QueryRefusedError(
                "SERVICE is refused: it makes the query fetch data from another server; allow "
                "it explicitly (allow_service=True) if you trust the query")
        if "DatasetClause" in names or "Load" in names or "UsingClause" in names:
            raise QueryRefusedError(
                "FROM / FROM NAMED / USING / LOAD of IRIs is refused: rdflib would fetch them "
                "over the network; load files with metrograph instead, or allow remote "
                "fetches explicitly (allow_service=True)")
    return kind


def deadline_check(seconds: float | None) -> Callable[[], None] | None:
    """A ``check()`` raising :class:`QueryTimeoutError` once ``seconds`` have passed (None
    without a bound), for answers read row by row: unlike :func:`time_limit`, no timer or
    signal is left behind when the reader stops early."""
    if not seconds:
        return None
    deadline = time.monotonic() + seconds

    def check() -> None:
        if time.monotonic() > deadline:
            raise QueryTimeoutError(f"the query ran longer than {seconds:g} s and was stopped")

    return check


@contextmanager
def time_limit(seconds: float | None) -> Iterator[Callable[[], None]]:
    """Bound a block in time. In the main thread a timer interrupts pure-Python work (rdflib);
    elsewhere, and for native engines, the returned ``check()`` raises once the time is up and
    is called between result rows."""
    check = deadline_check(seconds) or (lambda: None)
    if (not seconds or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        yield check
        return

    def on_alarm(_signum: int, _frame: object) -> None:
        raise QueryTimeoutError(f"the query ran longer than {seconds:g} s and was stopped")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield check
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
