"""Folders written whole: built beside their target under a scratch name, then renamed into
place, so a failed or killed run never leaves a half-written folder where the old one was.

Scratch folders are named ``.{name}.{pid}.*.new`` / ``.old``: the next write to the same target
removes those whose process is gone (a run killed midway). A folder that is not empty is
replaced only when it carries the writer's marker file (a release's ``.metrograph-release``, a
site's ``.metrograph-site``) and the caller allows it (``--force``): nothing else is deleted.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from metrograph.errors import InputError

__all__ = ["clean_stale", "fsync_dir", "move_into_place", "occupied", "process_alive",
           "replaceable", "scratch", "write_synced", "write_whole"]


def occupied(folder: Path) -> bool:
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError("exists and is not a folder", source=str(folder))
    return folder.is_dir() and any(folder.iterdir())


def replaceable(folder: Path, overwrite: bool, marker: str, kind: str) -> None:
    """Raise unless ``folder`` may be written: absent or empty, or (with ``overwrite``) a
    folder this writer made, recognised by its ``marker`` file; ``kind`` names it in messages
    ("release", "site")."""
    if not occupied(folder):
        return
    if not (folder / marker).is_file():
        raise InputError(f"the folder is not empty and is not a metrograph {kind} (no "
                         f"{marker}); refusing to replace it, even with --force",
                         source=str(folder))
    if not overwrite:
        raise InputError(f"the folder holds a {kind}; give overwrite=True (--force) to "
                         "replace it", source=str(folder))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (its scratch files are then still in use)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def clean_stale(target: Path, suffix: str = "new|old") -> None:
    """Remove the scratch folders beside ``target`` (``.{name}.{pid}.*.new`` / ``.old``; with
    ``suffix="tmp"``, the temporary files ``.{name}.{pid}.*.tmp``) left by runs whose process
    is gone (killed while writing)."""
    pattern = re.compile(re.escape(f".{target.name}.")
                         + rf"(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.(?:{suffix})\Z")
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or process_alive(int(match["pid"])):
            continue
        if suffix == "tmp" and not entry.is_dir():
            entry.unlink(missing_ok=True)
        elif suffix != "tmp" and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def scratch(target: Path, suffix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix,
                                 dir=target.parent))


def write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one step where the system can (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``); False where it cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):  # not Linux (glibc 2.28+)
        return False
    result: int = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                            _RENAME_EXCHANGE)
    return result == 0


def move_into_place(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``. A ``target`` that is not empty (checked replaceable by
    the caller) is swapped with ``new`` in one step where the system can, so a reader sees
    the old folder or the new one, never none; elsewhere it is renamed aside first (and put
    back if the second rename fails). The old folder is then deleted."""
    if not occupied(target):
        if target.is_dir():
            target.rmdir()
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # the old folder, now
        return
    old = scratch(target, ".old")
    old.rmdir()
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_whole(files: Mapping[str, bytes], target: Path, *, what: str, mode: int = 0o755,
                synced: bool = True, check: Callable[[Path], None] | None = None) -> None:
    """Write ``files`` (names relative to ``target``) as the folder ``target``, whole: in a
    scratch folder beside it, checked by ``check`` (given the scratch folder), then moved into
    place. ``synced`` writes each file through to the disk (a site's thousands of pages skip
    it: the folder is synced). Any failure removes the scratch folder and leaves ``target`` as
    it was; a write error is :class:`~metrograph.errors.InputError` ``cannot write {what}``."""
    work: Path | None = None
    try:
        clean_stale(target)
        work = scratch(target, ".new")
        for name, data in files.items():
            path = work / name
            if path.parent != work:
                path.parent.mkdir(parents=True, exist_ok=True)
            if synced:
                write_synced(path, data)
            else:
                path.write_bytes(data)
        work.chmod(mode)
        fsync_dir(work)
        if check is not None:
            check(work)
        move_into_place(work, target)
    except BaseException as exc:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {what}: {exc.strerror}; the folder is unchanged",
                             source=str(target)) from None
        raise
    fsync_dir(target.parent)
