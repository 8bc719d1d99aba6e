"""Argument types of the command line: every number and input path is checked by argparse, so
that a bad one ends the command with exit 2 and one line naming it, before anything is read.

Input paths must be what the option reads (a regular file of bounded size, or a folder), so a
named pipe, a device such as ``/dev/zero`` or a folder given for a file is refused before any
read could block or run without end (:func:`metrograph.rdfio.inputs.check_input_path`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from pathlib import Path

from metrograph.errors import InputError
from metrograph.rdfio.inputs import check_input_path

__all__ = ["MAX_SECONDS", "input_file", "input_folder", "input_path", "iso_date", "row_count",
           "seconds", "status_target"]

#: the longest duration accepted (about 115 days): timers overflow on larger numbers
MAX_SECONDS = 10_000_000


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+")


def _checked(value: str, folder: bool | None) -> str:
    if not value:
        raise argparse.ArgumentTypeError("an empty path")
    try:
        check_input_path(value, folder=folder)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def input_file(value: str) -> str:
    """A regular file that can be read."""
    return _checked(value, False)


def input_folder(value: str) -> str:
    """A folder that can be read."""
    return _checked(value, True)


def input_path(value: str) -> str:
    """A regular file or a folder (a plan folder in the authoring format, a release)."""
    return _checked(value, None)


def store_dir(value: str) -> str:
    """A store directory's path: not empty (an empty one fell back silently to loading the
    bundled graph, or to ``METROGRAPH_STORE_DIR``)."""
    if not value:
        raise argparse.ArgumentTypeError("an empty path")
    return value


def status_target(value: str) -> str:
    """Where ``status set`` records: an existing regular file or folder, or a new file in an
    existing folder."""
    if not value:
        raise argparse.ArgumentTypeError("an empty path")
    path = Path(value)
    target = path.resolve() if path.is_symlink() else path  # a link is written through
    if target.exists():
        return _checked(value, None)
    if not target.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value}: the folder does not exist: {str(target.parent)!r}")
    return value


def seconds(value: str) -> float:
    """A duration in seconds: a finite number above zero, at most :data:`MAX_SECONDS`."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"a number of seconds above zero and at most {MAX_SECONDS:,} is needed, "
            f"not {value!r}")
    return number


def _whole(value: str, least: int, unit: str, needed: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number{unit}: {value!r}") from None
    if number < least:
        raise argparse.ArgumentTypeError(f"{needed}, not {value!r}")
    return number


def row_count(value: str) -> int:
    """A number of rows: a whole number, zero or more."""
    return _whole(value, 0, "", "a number of rows, zero or more")


def byte_count(value: str) -> int:
    """A number of bytes: a whole number above zero."""
    return _whole(value, 1, " of bytes", "a number of bytes above zero")


def iso_date(value: str) -> str:
    """A calendar date written YYYY-MM-DD."""
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None
    if len(value) != 10:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}")
    return value


def version(value: str) -> str:
    """A release version: some text, without control characters."""
    if not value.strip() or not value.isprintable():
        raise argparse.ArgumentTypeError(f"not a version (some text without control "
                                         f"characters): {value!r}")
    return value


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host that the HTTP client accepts."""
    import httpx

    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a URL: {value!r} ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host or any(c.isspace() for c in value):
        raise argparse.ArgumentTypeError(f"not an http(s) URL with a host: {value!r}")
    return value


def iri(value: str) -> str:
    """An absolute IRI (a scheme, no spaces or characters IRIs exclude)."""
    if not _IRI.fullmatch(value):
        raise argparse.ArgumentTypeError(f"not an absolute IRI: {value!r}")
    return value


def status_name(value: str) -> str:
    """A status: done, in-progress, not-elaborated, V, O, X or a French label."""
    from metrograph.model import Status

    try:
        status = Status.parse(value)
    except ValueError:
        status = None
    if status is None or status is Status.NOT_RECORDED:
        raise argparse.ArgumentTypeError(
            f"not a status: {value!r} (done, in-progress, not-elaborated, or V, O, X)")
    return value
