"""metrograph's exceptions: one small hierarchy, so callers can catch :class:`MetrographError`."""

from __future__ import annotations

__all__ = [
    "InputError",
    "MetrographError",
    "NotFoundError",
    "QueryError",
    "QueryParameterError",
    "UnknownQueryError",
]


class MetrographError(Exception):
    """Base class of every error metrograph raises on purpose."""


class InputError(MetrographError):
    """A file or value given to metrograph cannot be read: the message names the file and,
    where known, the line and column."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        where = source or ""
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.line = line
        self.column = column


class NotFoundError(MetrographError, LookupError):
    """No resource has the code or IRI asked for."""


class QueryError(MetrographError):
    """A SPARQL query is malformed or could not be run."""


class UnknownQueryError(QueryError, LookupError):
    """No query of that name is in the query library."""


class QueryParameterError(QueryError, ValueError):
    """A query parameter is unknown, missing, or of the wrong type."""
