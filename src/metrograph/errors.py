"""Every exception metrograph raises on purpose, in one hierarchy: catch
:class:`MetrographError` for all of them.

::

    MetrographError
    ├── InputError               a file or value cannot be read (file, line, column)
    │   ├── AuthoringError       a plan folder has problems (file, row, column each)
    │   └── UnsafeInputError     reading it would expand without bound or fetch elsewhere
    ├── NotFoundError            no resource has that code or IRI
    ├── QueryError               a SPARQL query is malformed or could not be run
    │   ├── UnknownQueryError    no query of that name in the library
    │   ├── QueryParameterError  a parameter is unknown, missing or ill-typed
    │   ├── QueryRefusedError    refused by default (an update, a remote fetch)
    │   ├── QueryTimeoutError    ran past its time bound
    │   ├── ResultTooLargeError  more rows than its bound allows
    │   └── TruncatedResultError the server cut the answer short
    ├── RemoteError              a SPARQL server could not be reached or refused a request
    │   └── PushError            a push failed part-way (the graphs already written listed)
    ├── ReleaseCheckError        a release failed its check (the file at fault named)
    ├── StoreError               a store directory is missing, damaged or not metrograph's,
    │                            or a store opened read-only was asked to change
    └── UnsupportedShapeError    a shape uses a feature the SHACL compiler does not handle
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["AuthoringError", "DataError", "InputError", "MetrographError", "NotFoundError",
           "PushError", "QueryError", "QueryParameterError", "QueryRefusedError",
           "QueryTimeoutError", "ReleaseCheckError", "RemoteError", "ResultTooLargeError",
           "StoreError", "TruncatedResultError", "UnknownQueryError", "UnsafeInputError",
           "UnsupportedShapeError"]


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


class UnsafeInputError(InputError):
    """An input file is refused because reading it would do more than read it: expand entities
    without bound, fetch a URL or read another file (:mod:`metrograph.rdfio.formats`)."""


class AuthoringError(InputError):
    """A plan folder has problems; ``problems`` lists each with file, row and column
    (:class:`metrograph.authoring.Problem`)."""

    def __init__(self, folder: Path, problems: Sequence[Any]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s); nothing was written:\n{lines}",
                         source=str(folder))


class DataError(MetrographError):
    """The loaded data break a rule of the shapes that the typed API relies on (an assessment's
    status outside the status scheme, an ``mg:asOf`` that is not a date): the message names
    the resource, the value and the shape; ``metrograph validate`` lists every violation. Also
    raised for data that a format cannot hold as it is (an IRI a JSON-LD reader would take for a
    compact IRI of the published context)."""


class NotFoundError(MetrographError, LookupError):
    """No resource has the code or IRI asked for."""


class QueryError(MetrographError):
    """A SPARQL query is malformed or could not be run."""


class UnknownQueryError(QueryError, LookupError):
    """No query of that name is in the query library."""


class QueryParameterError(QueryError, ValueError):
    """A query parameter is unknown, missing, or of the wrong type."""


class QueryRefusedError(QueryError):
    """The query does something refused by default (an update, a remote fetch)."""


class QueryTimeoutError(QueryError):
    """The query ran past its time bound and was stopped."""


class ResultTooLargeError(QueryError):
    """The query returned more rows than its bound allows."""


class TruncatedResultError(QueryError):
    """The server cut the answer short at its row limit (or its time limit, for Virtuoso's
    partial "anytime" answers): the rows received are not the whole answer."""


class RemoteError(MetrographError):
    """A SPARQL server could not be reached, answered past a bound, or refused a request."""


class PushError(RemoteError):
    """A push failed part-way: ``done`` lists the graphs already written (each complete); the
    message names the graph that failed, why, and whether it is unchanged."""

    def __init__(self, message: str, done: Sequence[Any]) -> None:
        super().__init__(message)
        self.done = list(done)


class ReleaseCheckError(MetrographError):
    """A release failed its check; ``file`` names the file at fault."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class StoreError(MetrographError):
    """A store directory (:mod:`metrograph.stores.directory`) cannot be used: it is missing,
    damaged or not a metrograph store; or a store opened read-only was asked to change. The
    message names the directory."""


class UnsupportedShapeError(MetrographError):
    """A shape uses a feature the SHACL compiler does not handle (validation falls back to
    pySHACL for it, with a logged warning)."""
