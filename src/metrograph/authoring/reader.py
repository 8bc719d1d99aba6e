"""Reading one CSV file of a plan folder: every cell checked against the CSVW metadata, every
problem located by file, row (the spreadsheet's: the header is row 1) and column.

Python's ``csv`` module reads the files (strict quoting). One unbalanced quote can still make a
cell swallow the rows below it when a later quote happens to close it; such a cell spans several
lines, one of which starts with a key of the table (a code, an id) and holds as many delimiters
as a whole row: that is reported, not imported. (So a label cannot hold a line such as
``L1M2D3,a,b,c,d``; any other text can.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from metrograph.authoring.schema import Table, tables

__all__ = ["Problem", "Row", "read_table"]


@dataclass(frozen=True)
class Problem:
    """One problem in a plan folder: where it is and what to fix."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Row:
    """One row's checked values: ``row["col"]`` is a single value ("" if none), ``row.list``
    the values of a list column."""

    number: int
    values: dict[str, list[str]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return next(iter(self.values.get(name, [])), "")

    def list(self, name: str) -> list[str]:
        """The values of list column ``name``."""
        return self.values.get(name, [])


def _records(table: Table, text: str,
             problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    """The CSV records of ``text`` with their row numbers (None after a problem)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            out.append((len(out) + 1, cells))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            message = (f"a cell is longer than {csv.field_size_limit():,} characters (a "
                       "spreadsheet cell holds at most 32,767): is a quote (\") unbalanced?")
        else:
            message = f"not valid CSV (line {reader.line_num}: {exc}); is a quote (\") unbalanced?"
        problems.append(Problem(table.file, len(out) + 1, None, message))
        return None
    # a swallowed row has as many delimiters as the file's own header (not the metadata's: a
    # file may leave optional columns out)
    width, key = len(out[0][1]) - 1 if out else 0, table.columns[0].pattern
    for number, cells in out:
        for name, cell in zip(out[0][1] if number > 1 else [], cells, strict=False):
            swallowed = [line for line in cell.splitlines()[1:] if line.count(",") >= width
                         and key and key.fullmatch(line.split(",", 1)[0].strip(' "'))]
            if swallowed:
                problems.append(Problem(
                    table.file, number, name.strip(),
                    f"the cell runs over {cell.count(chr(10)) + 1} lines and holds what looks "
                    f"like a row ({swallowed[0][:40]!r}): is a quote (\") unbalanced?"))
                return None
    return out


def _where(prefix: bytes) -> tuple[int | None, str | None]:
    """The row (a record of the file) and the column, by its header, of the byte that follows
    ``prefix`` (valid UTF-8)."""
    try:
        records = list(csv.reader(io.StringIO(prefix.decode("utf-8-sig") + "x", newline="")))
    except csv.Error:
        return None, None
    header = [h.strip() for h in records[0]] if len(records) > 1 else []
    index = len(records[-1]) - 1
    return len(records), header[index] if index < len(header) and header[index] else str(index + 1)


def read_table(folder: Path, file: str, problems: list[Problem],
               text: str | None = None) -> list[Row]:
    """The checked rows of ``folder/file`` (or of ``text`` in its place); problems are appended
    to ``problems`` (a cell with a problem holds its column's default, or nothing)."""
    table = tables()[file]
    path = folder / file
    if text is None:
        if not path.exists():
            if table.required:
                problems.append(Problem(file, None, None,
                                        "the file is missing (see `metrograph template`)"))
            return []
        if not path.is_file():
            problems.append(Problem(file, None, None, "not a regular file (a folder, a device "
                                    "or a pipe?): a plan folder holds CSV files"))
            return []
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            at, column = _where(raw[:exc.start])
            problems.append(Problem(file, at, column, f"not UTF-8 (byte {exc.start}, "
                                    f"{raw[exc.start:exc.end]!r}): save it as UTF-8 CSV"))
            return []
        except OSError as exc:
            problems.append(Problem(file, None, None, f"cannot read: {exc.strerror}"))
            return []
    records = _records(table, text, problems)
    if not records:
        if records is not None:
            problems.append(Problem(file, 1, None, "the header row is missing"))
        return []
    header = [h.strip() for h in records[0][1]]
    for i, h in enumerate(header):
        if h and table.column(h) is None:
            problems.append(Problem(file, 1, h, "unknown column; the columns are: "
                                    + ", ".join(table.names)))
        elif h and header.count(h) > 1 and header.index(h) == i:  # said once
            problems.append(Problem(file, 1, h, "the column appears twice"))
    for i, h in enumerate(header):
        filled = next(((n, cells[i]) for n, cells in records[1:]
                       if i < len(cells) and cells[i].strip()), None)
        if not h and filled:
            problems.append(Problem(file, 1, f"{i + 1} (no name)", "the header cell is empty, "
                                    f"but row {filled[0]} has {filled[1][:40]!r} below it: name "
                                    "the column or empty it"))
    for c in table.columns:
        if c.required and c.name not in header:
            problems.append(Problem(file, 1, c.name, "the column is missing"))
    out = []
    for number, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(Problem(file, number, None,
                                    f"{len(cells)} cells but {len(header)} columns in the header"))
        row, broken = Row(number), False
        for c in table.columns:
            cell = cells[header.index(c.name)] if c.name in header[:len(cells)] else ""
            values, problem = c.parse(cell)
            if problem:
                problems.append(Problem(file, number, c.name, problem))
                broken = broken or c.required
            row.values[c.name] = values
        if not broken:
            out.append(row)
    return out
