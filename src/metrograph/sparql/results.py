"""SELECT results as Python values, SPARQL 1.1 JSON / CSV / TSV, and a plain-text table."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from metrograph.namespaces import ID, PREFIXES
from metrograph.stores.base import SelectResult

__all__ = ["python_rows", "to_csv", "to_json", "to_python", "to_table", "to_tsv"]


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


def to_json(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row, strict=True)
                 if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=2) + "\n"


def to_csv(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results CSV (plain values, CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else str(t) for t in row])
    return buf.getvalue()


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def to_tsv(result: SelectResult) -> str:
    """SPARQL 1.1 Query Results TSV (terms in Turtle/N-Triples syntax)."""
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


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
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def to_table(result: SelectResult, width: int = 48) -> str:
    """A fixed-width text table for a terminal (long values are cut to ``width``)."""
    cells = [[_short(t, width) for t in row] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*result.variables), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines) + "\n"
