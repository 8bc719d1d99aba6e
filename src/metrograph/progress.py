"""A tiny progress reporter for long operations (loading, validating, publishing large files).

Writes one self-overwriting line to standard error, and only when standard error is a terminal
and the user did not ask for quiet: redirected output, pipes and CI logs stay clean. No
dependency, no thread, rate-limited (at most one redraw per ``interval`` seconds)::

    from metrograph.progress import Progress

    with Progress("loading", total=len(files), quiet=args.quiet) as progress:
        for f in files:
            kg.load_file(f)
            progress.advance(1, detail=f.name)

    with Progress("validating", quiet=args.quiet):     # no total: a spinner and elapsed time
        report = kg.validate()

``Progress.step(label)`` names a new phase without a count (``"loading"``, then
``"validating"``); the line ends with the elapsed time when the block closes.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_SPINNER = "|/-\\"


class Progress:
    """Progress of one operation on a terminal's standard error (silent elsewhere)."""

    def __init__(self, label: str, total: int | None = None, *, quiet: bool = False,
                 stream: TextIO | None = None, interval: float = 0.1) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.detail = ""
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty())
        self._start = time.monotonic()
        self._last = 0.0
        self._ticks = 0
        self._width = 0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failed=exc_type is not None)

    def advance(self, n: int = 1, detail: str | None = None) -> None:
        """Count ``n`` more units done (and show ``detail``, e.g. the current file's name)."""
        self.done += n
        if detail is not None:
            self.detail = detail
        self._draw()

    def step(self, label: str, total: int | None = None) -> None:
        """Start a new phase of the same operation."""
        self.label, self.total, self.done, self.detail = label, total, 0, ""
        self._draw(force=True)

    def elapsed(self) -> float:
        """Seconds since the reporter was created."""
        return time.monotonic() - self._start

    def line(self) -> str:
        """The text of the progress line as it would be drawn now."""
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 20)
            count = f"[{bar:<20}] {self.done}/{self.total} ({share:4.0%})"
        else:
            count = _SPINNER[self._ticks % len(_SPINNER)] + (f" {self.done}" if self.done else "")
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.label}: {count} {self.elapsed():.1f}s{detail}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self._ticks += 1
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self, failed: bool = False) -> None:
        """End the line (with the elapsed time), or leave nothing when disabled."""
        if not self.enabled:
            return
        end = "failed" if failed else "done"
        text = f"{self.label}: {end} in {self.elapsed():.1f}s"
        self.stream.write("\r" + text + " " * max(0, self._width - len(text)) + "\n")
        self.stream.flush()
        self.enabled = False
