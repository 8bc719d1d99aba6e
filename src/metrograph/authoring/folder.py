"""Writing a plan folder whole: every file is written into a new folder beside the target, which
then takes the target's place in one step (:func:`metrograph.rdfio.folders.move_into_place`:
Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames), so a reader sees the old folder
or the new one, never a mix, and no file of an earlier export survives into the new one. A
failed write (a full disk) leaves the target as it was. Cells a spreadsheet would run as
formulas are escaped (:func:`~metrograph.authoring.schema.escape`).
"""

from __future__ import annotations

import csv
import io
import os
from importlib.resources import files
from pathlib import Path

from metrograph.authoring.schema import METADATA, escape, metadata_bytes, readme, tables
from metrograph.errors import InputError
from metrograph.rdfio.folders import write_whole

__all__ = ["csv_text", "write_folder", "write_template"]

#: Files that may sit in a plan folder besides its CSV files.
EXTRAS = ("README.txt", METADATA)


def csv_text(file: str, rows: list[dict[str, str]]) -> str:
    """``rows`` as the CSV text of ``file``: the metadata's header, every cell escaped."""
    names = tables()[file].names
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; quotes a lone CR too
    writer.writerow(names)
    writer.writerows([escape(row.get(n, "")) for n in names] for row in rows)
    return buf.getvalue()


def _write_whole(files: dict[str, bytes], target: Path, *, overwrite: bool) -> list[Path]:
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        target = target.resolve()
    if target.exists() and not target.is_dir():
        raise InputError("exists and is not a folder", source=str(target))
    if not target.parent.is_dir():
        raise InputError("the folder it goes in does not exist", source=str(target.parent))
    if target.exists() and any(target.iterdir()):
        known = set(tables()) | set(EXTRAS)
        foreign = sorted(p.name for p in target.iterdir() if p.name not in known or p.is_dir())
        if not overwrite:
            raise InputError("the folder is not empty; use --force to replace the plan in it",
                             source=str(target))
        if foreign:
            names = ", ".join(foreign[:3])
            raise InputError(f"holds files that are not part of a plan folder ({names}); "
                             "not replaced", source=str(target))
    write_whole(files, target, what="the plan folder", mode=0o777 & ~_umask())
    return [target / name for name in files]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_folder(tables_: dict[str, list[dict[str, str]]], folder: str | Path,
                 *, overwrite: bool = False) -> list[Path]:
    """Write the authoring tables as the plan folder ``folder``, whole (see the module). A
    non-empty folder is replaced only with ``overwrite``, and only if it holds nothing but a
    plan's files."""
    files = {name: csv_text(name, rows).encode("utf-8") for name, rows in tables_.items()
             if rows or tables()[name].required}
    return _write_whole(files, Path(folder), overwrite=overwrite)


def write_template(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write an empty plan folder: every CSV with its header (an example row in those of
    ``template/``), the CSVW metadata and a README of every column."""
    examples = files("metrograph.authoring").joinpath("template")
    files_ = {name: (examples / name).read_bytes() if (examples / name).is_file()
              else csv_text(name, []).encode("utf-8") for name in tables()}
    files_[METADATA] = metadata_bytes()
    files_["README.txt"] = readme().encode("utf-8")
    target = Path(folder)
    if overwrite and target.is_dir():
        # --force replaces a template, never a plan filled in since (its rows would be lost)
        filled = sorted(p.name for p in target.iterdir() if p.name in tables() and p.is_file()
                        and p.read_bytes() != files_.get(p.name))
        if filled:
            raise InputError(f"holds a plan filled in ({', '.join(filled[:3])} differ from the "
                             "template's): not replaced, even with --force; write the template "
                             "into another folder", source=str(target))
    return _write_whole(files_, target, overwrite=overwrite)
