"""Progress of long operations (loading, validating, pushing, writing), drawn by ``rich``.

Library functions that can take long accept a ``progress`` :class:`Reporter` (default
:data:`SILENT`). The command line passes a :class:`Progress`, a live line on standard error
(refreshed by rich's own thread, so it moves while a long parse runs), drawn only on a terminal
and without ``--quiet``: redirected output, pipes and CI logs stay clean::

    with Progress("loading", quiet=args.quiet) as progress:
        kg = metrograph.load(*files, progress=progress)   # bytes parsed of each file
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Any, Protocol, TextIO

__all__ = ["SILENT", "Progress", "Reporter"]


class Reporter(Protocol):
    """What a long operation tells about its progress."""

    def step(self, label: str, total: float | None = None, unit: str = "") -> None:
        """Start a phase called ``label`` of ``total`` units (``"bytes"``, ``"shapes"``,
        ``"graphs"``, ``"files"``...; ``None`` when its size is not known)."""

    def advance(self, n: float = 1, detail: str | None = None) -> None:
        """Count ``n`` more units done (and show ``detail``, e.g. the current file's name)."""

    def reader(self, raw: IO[bytes]) -> IO[bytes]:
        """``raw``, its reads counted as units done (bytes)."""


class _Silent:
    """A :class:`Reporter` that reports nothing."""

    def step(self, label: str, total: float | None = None, unit: str = "") -> None:
        """Nothing."""

    def advance(self, n: float = 1, detail: str | None = None) -> None:
        """Nothing."""

    def reader(self, raw: IO[bytes]) -> IO[bytes]:
        """``raw`` itself."""
        return raw


#: the reporter library functions use when none is given
SILENT: Reporter = _Silent()


class _Reader:
    """A binary file whose reads advance a reporter by the bytes read."""

    def __init__(self, raw: IO[bytes], reporter: Reporter) -> None:
        self._raw = raw
        self._reporter = reporter

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._reporter.advance(len(chunk))
        return chunk

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._reporter.advance(n or 0)
        return int(n or 0)

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class Progress:
    """Progress of one operation on a terminal's standard error (silent elsewhere)."""

    def __init__(self, label: str, total: float | None = None, *, unit: str = "",
                 quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty())
        self.label = label
        self._bar: Any = None
        self._task: Any = None
        if self.enabled:
            from rich import progress as rp
            from rich.console import Console

            self._bar = rp.Progress(rp.SpinnerColumn(), rp.TextColumn("{task.description}"),
                                    rp.BarColumn(), _CountColumn(), rp.TimeElapsedColumn(),
                                    rp.TextColumn("{task.fields[detail]}"),
                                    console=Console(file=self.stream, force_terminal=True),
                                    refresh_per_second=8, transient=False)
            self._task = self._bar.add_task(label, total=total, unit=unit, detail="")

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failed=exc_type is not None)

    def step(self, label: str, total: float | None = None, unit: str = "") -> None:
        """Start a new phase of the same operation (the line restarts its count)."""
        self.label = label
        if self._bar is not None:
            self._bar.update(self._task, description=label, total=total, completed=0,
                             unit=unit, detail="")

    def advance(self, n: float = 1, detail: str | None = None) -> None:
        """Count ``n`` more units done (and show ``detail``)."""
        if self._bar is not None:
            fields = {} if detail is None else {"detail": detail}
            self._bar.update(self._task, advance=n, **fields)

    def reader(self, raw: IO[bytes]) -> IO[bytes]:
        """``raw`` with every read counted as progress (bytes read)."""
        return _Reader(raw, self)  # type: ignore[return-value]

    def close(self, failed: bool = False) -> None:
        """Stop drawing and end the line with the phase's outcome."""
        if self._bar is None:
            return
        self._bar.update(self._task, description=f"{self.label}: "
                         + ("failed" if failed else "done"), detail="")
        self._bar.stop()
        self._bar = None


def _CountColumn() -> Any:
    from rich.filesize import decimal
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """``12.3 MB/45.6 MB`` for bytes, ``3/17 shapes`` otherwise."""

        def render(self, task: Task) -> Text:
            unit = task.fields.get("unit", "")
            if unit == "bytes":
                done = decimal(int(task.completed))
                return Text(done if task.total is None else f"{done}/{decimal(int(task.total))}")
            count = f"{int(task.completed)}" + ("" if task.total is None
                                                else f"/{int(task.total)}")
            return Text(f"{count} {unit}".rstrip() if task.completed or task.total else "")

    return CountColumn()
