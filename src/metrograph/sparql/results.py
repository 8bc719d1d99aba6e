"""SELECT results as Python values, SPARQL 1.1 JSON / CSV / TSV, and a plain-text table; and
:class:`QueryStream`, an answer read row by row and written as it comes (JSON, CSV, TSV)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from metrograph.namespaces import ID, PREFIXES
from metrograph.stores.base import SelectResult, SelectStream
from metrograph.terminal import printable

__all__ = ["QueryStream", "python_rows", "to_csv", "to_json", "to_python", "to_table", "to_tsv",
           "write_rows"]


def to_python(term: Node | None) -> Any:
    """A Python value for an RDF term: literals become ``int``, ``str``, ``date``...; IRIs stay
    :class:`~rdflib.URIRef` (a ``str``); unbound is ``None``."""
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    return term


def python_rows(result: SelectResult) -> list[dict[str, Any]]:
    """The rows as dictionaries of Python values keyed by variable name."""
    return [{v: to_python(t) for v, t in zip(result.variables, row, strict=True)}
            for row in result.rows]


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"not an RDF term: {term!r}")


def _bindings(variables: list[str], row: tuple[Node | None, ...]) -> dict[str, dict[str, str]]:
    return {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}


def to_json(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    bindings = [_bindings(result.variables, row) for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=2) + "\n"


def _written(fmt: str, result: SelectResult) -> str:
    buf = io.StringIO()
    write_rows(fmt, result.variables, iter(result.rows), buf)
    return buf.getvalue()


def to_csv(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results CSV (plain values, CRLF line ends)."""
    return _written("csv", result)


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def to_tsv(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results TSV (terms in Turtle/N-Triples syntax)."""
    return _written("tsv", result)


_COMPACT = sorted([*PREFIXES.items(), ("id", str(ID))], key=lambda kv: -len(kv[1]))


def _short(term: Node | None, width: int) -> str:
    if term is None:
        return ""
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, ns in _COMPACT:
            if text.startswith(ns):
                text = prefix + ":" + text[len(ns):]
                break
    text = printable(" ".join(text.split()), keep="")
    return text if len(text) <= width else text[: width - 1] + "…"


def to_table(result: SelectResult, width: int = 48) -> str:
    """A fixed-width text table for a terminal (long values are cut to ``width``; control
    characters shown as escapes, :func:`~metrograph.terminal.printable`: a value cannot move
    the cursor or send the terminal an escape sequence)."""
    cells = [[_short(t, width) for t in row] for row in result.rows]
    names = [printable(v, keep="") for v in result.variables]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(names)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*names), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def write_rows(fmt: str, variables: list[str], rows: Iterator[tuple[Node | None, ...]],
               out: TextIO) -> int:
    """Write ``rows`` to ``out`` as SPARQL 1.1 ``json``, ``csv`` or ``tsv`` results, each row
    as it comes (the same text as :func:`to_json`, :func:`to_csv`, :func:`to_tsv`); return the
    rows written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow(["" if t is None else str(t) for t in row])
            count += 1
    elif fmt == "tsv":
        out.write("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_term(t) for t in row) + "\n")
            count += 1
    elif fmt == "json":
        head = json.dumps({"vars": variables}, ensure_ascii=False)
        out.write(f'{{"head": {head}, "results": {{"bindings": [')
        for count, row in enumerate(rows, 1):
            text = json.dumps(_bindings(variables, row), ensure_ascii=False)
            out.write(("\n" if count == 1 else ",\n") + text)
        out.write("\n]}}\n")
    else:
        raise ValueError(f"not a streamed results format: {fmt!r}")
    return count


class QueryStream:
    """An answer read once, row by row, in bounded memory: iterate it for rows of Python values
    (as :attr:`metrograph.graph.QueryResult.rows`), :meth:`terms` for RDF terms, or
    :meth:`write` it; the query's time and row bounds are checked (and raised) as it is read.
    ``offset`` rows are skipped (still evaluated) and at most ``limit`` handed over: pages are
    stable when the query's ``ORDER BY`` tells every row apart."""

    def __init__(self, name: str, stream: SelectStream, *, offset: int = 0,
                 limit: int | None = None) -> None:
        self.name = name
        self.variables = list(stream.variables)
        # islice takes positions up to sys.maxsize: beyond, no answer has that many rows
        offset = min(offset, sys.maxsize)
        stop = None if limit is None or offset + limit >= sys.maxsize else offset + limit
        self._rows = itertools.islice(stream.rows, offset, stop)

    def terms(self) -> Iterator[tuple[Node | None, ...]]:
        """The rows as tuples of RDF terms (``None`` where unbound), in :attr:`variables`'
        order."""
        return self._rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            yield {v: to_python(t) for v, t in zip(self.variables, row, strict=True)}

    def write(self, fmt: str, out: TextIO) -> int:
        """Write the rows to ``out`` as ``json``, ``csv`` or ``tsv`` (SPARQL 1.1 results) as
        they come; return how many were written."""
        return write_rows(fmt, self.variables, self._rows, out)

    def collect(self) -> SelectResult:
        """The remaining rows, held in memory."""
        return SelectResult(self.variables, list(self._rows))
