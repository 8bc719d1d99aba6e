"""Opening input files: regular files of bounded size only, with one clear error naming them.

``Path.read_bytes()`` blocks for ever on a named pipe (FIFO), reads without end from a link to
``/dev/zero`` and raises a different ``OSError`` for every other case. :func:`read_input` opens
without blocking, looks at what it opened (``fstat`` on the open descriptor, so a file swapped
after the check is still caught), refuses anything but a regular file, and reads at most the
size it saw. :func:`check_input_path` makes the same checks without reading, for the command
line's argument types.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from metrograph.errors import InputError

__all__ = ["MAX_INPUT_BYTES", "check_input_path", "read_input"]

#: the largest file metrograph reads (4 GiB): beyond it, parsing could not fit in memory anyway
MAX_INPUT_BYTES = 4 << 30


_KINDS = ((stat.S_ISDIR, "is a folder, not a file"),
          (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
          (stat.S_ISCHR, "is a device, not a regular file"),
          (stat.S_ISBLK, "is a device, not a regular file"),
          (stat.S_ISSOCK, "is a socket, not a regular file"))


def _check_regular(st: os.stat_result, shown: str, max_bytes: int) -> None:
    """Raise :class:`InputError` naming ``shown`` unless ``st`` is a regular file of at most
    ``max_bytes``."""
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS if test(st.st_mode)), "is not a regular file")
        raise InputError(kind, source=shown)
    if st.st_size > max_bytes:
        raise InputError(f"is {st.st_size:,} bytes, over the limit of {max_bytes:,} bytes",
                         source=shown)


def _os_message(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is not a folder"
    return f"cannot read: {exc.strerror or exc}"


def check_input_path(path: str | Path, *, folder: bool | None = False,
                     max_bytes: int = MAX_INPUT_BYTES) -> Path:
    """``path`` if it names something metrograph can read: a regular file of at most
    ``max_bytes`` (``folder=False``), a folder (``folder=True``), or either (``folder=None``).
    Symbolic links are followed. Raises :class:`InputError` naming the path otherwise."""
    p = Path(path)
    shown = str(path)  # as given: Path would fold "http://" into "http:/"
    try:
        st = os.stat(p)
    except OSError as exc:
        raise InputError(_os_message(exc), source=shown) from None
    if stat.S_ISDIR(st.st_mode):
        if folder is False:
            raise InputError("is a folder, not a file", source=shown)
        if not os.access(p, os.R_OK | os.X_OK):
            raise InputError("permission denied", source=shown)
        return p
    if folder is True:
        raise InputError("is not a folder", source=shown)
    _check_regular(st, shown, max_bytes)
    if not os.access(p, os.R_OK):
        raise InputError("permission denied", source=shown)
    return p


#: the UTF-8 byte order mark, dropped from the start of a file read
BOM = b"\xef\xbb\xbf"


def read_input(path: str | Path, *, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``; a leading UTF-8 byte
    order mark dropped). Never blocks on a pipe and never reads more than the file's size: a
    FIFO, device, socket or folder, a missing or unreadable file, one over the limit or one
    that grows while read raise :class:`InputError` naming it."""
    p = Path(path)
    shown = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except IsADirectoryError:
        raise InputError("is a folder, not a file", source=shown) from None
    except OSError as exc:
        raise InputError(_os_message(exc), source=shown) from None
    try:
        st = os.fstat(fd)
        _check_regular(st, shown, max_bytes)
        chunks: list[bytes] = []
        want = st.st_size + 1  # one byte more than the size seen tells a growing file
        while want > 0:
            try:
                chunk = os.read(fd, min(want, 1 << 24))
            except OSError as exc:
                raise InputError(_os_message(exc), source=shown) from None
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
        if want <= 0:
            raise InputError("grew while it was being read", source=shown)
        data = b"".join(chunks)
        # a UTF-8 byte order mark (editors on Windows write one) is not part of the text
        return data[len(BOM):] if data.startswith(BOM) else data
    finally:
        os.close(fd)
