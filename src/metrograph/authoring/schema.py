"""The spreadsheet authoring format, described once: ``csv-metadata.json``, a W3C CSVW metadata
document (https://www.w3.org/TR/tabular-metadata/) shipped beside this module. Every file of a
plan folder is a table of it, every column has a datatype (base, format) and a description, and
a simple column says what it stands for in RDF (``propertyUrl``, ``valueUrl``, ``lang``). The
reader checks cells against it, the importer and exporter map simple columns with it, the
writers take their headers from it, and the template's README is generated from it.

Cells are parsed as CSVW 6.4 says: whitespace around a value is dropped unless the base is
``string``, an empty cell takes the column's ``default``, a ``separator`` makes a list,
``format`` is a regular expression the whole value must match (ECMAScript, so compiled
ASCII-only: ``\\d`` is ``[0-9]``), and an IRI must be one Oxigraph accepts (:func:`iri_problem`).
metrograph's own conventions: a cell starting with ``'`` then a formula character (or more
``'`` and then one) loses its first ``'`` (:func:`unescape`), so text a spreadsheet would run as
a formula comes back exactly; ``propertyUrl`` and ``valueUrl`` use metrograph's prefixes; which
files are required and how many rows they hold are annotations
(``https://w3id.org/metrograph/csv#required``, ``#rows``).

Why not the ``csvw`` package (4.1, on the 2021-2023 fixture folder): it reports an invalid cell
as a ``UserWarning`` with neither row nor column and passes the value through; an unbalanced
quote ends the file with no row; it does not know the ``token`` and ``language`` bases (so
identifiers keep their spaces); it brings nine dependencies; and it read the folder in 50 ms,
where this module and the reader take 19 ms with the RDF mapping.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import pyoxigraph
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from metrograph.namespaces import PREFIXES

__all__ = ["METADATA", "Column", "Table", "escape", "iri_problem", "metadata_bytes", "readme",
           "tables", "unescape"]

#: The file name of the metadata document, in the package and in every template folder.
METADATA = "csv-metadata.json"
_MG_CSV = "https://w3id.org/metrograph/csv#"
#: Characters that make a spreadsheet read a cell as a formula (OWASP's list, and the
#: full-width forms some spreadsheets also accept).
FORMULA = frozenset("=+-@\t\r＝＋－＠")
_HINTS = {"string": "free text", "date": "a date YYYY-MM-DD", "gYear": "a year such as 2021",
          "nonNegativeInteger": "a whole number ≥ 0"}
_FORMATS = {"date": r"\d{4}-\d{2}-\d{2}", "gYear": r"\d{4}", "nonNegativeInteger": r"\d+"}


def _formula_after_quotes(text: str) -> bool:
    """Whether ``text``, past its leading ``'``, starts with a formula character."""
    return text.lstrip("'")[:1] in FORMULA


def escape(text: str) -> str:
    """``text`` as a spreadsheet cell that is never a formula (OWASP: prefix ``'``). Text that
    starts with a formula character, or with ``'`` and then one (``'=x``), gets a ``'``;
    other text (``''Tis``) is written as it is, and :func:`unescape` leaves it so."""
    return "'" + text if _formula_after_quotes(text) else text


def unescape(cell: str) -> str:
    """The text of a cell written by :func:`escape`: a ``'`` before a formula character (or
    before more ``'`` and then one) is dropped; other cells are returned unchanged."""
    return cell[1:] if cell[:1] == "'" and _formula_after_quotes(cell[1:]) else cell


def iri_problem(iri: str) -> str | None:
    """Why ``iri`` is not an IRI Oxigraph accepts (RFC 3987, checked as the stores check it:
    a ``%`` escape of two hex digits, one ``#``, a valid host), or None if it is one."""
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError as exc:
        return f"{iri!r} is not a valid IRI ({exc})"
    return None


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, what it holds and the datatype every cell must have."""

    name: str
    description: str
    base: str
    pattern: re.Pattern[str] | None
    hint: str
    required: bool = False
    default: str = ""
    separator: str | None = None
    property: URIRef | None = None
    value_url: str = ""
    lang: str | None = None

    def term(self, value: str) -> Node:
        """The RDF term a checked ``value`` of this column stands for (CSVW ``valueUrl``,
        ``lang``, ``datatype``)."""
        if self.value_url:
            return URIRef(_expand(re.sub(r"\{\+?\w+\}", lambda _m: value, self.value_url)))
        if self.lang:
            return Literal(value, lang=self.lang)
        if self.base == "nonNegativeInteger":
            return Literal(int(value))
        return Literal(value, datatype=XSD[self.base] if self.base in ("date", "gYear") else None)

    def cell(self, node: Node) -> str | None:
        """The cell ``node`` is written as in this column, or None if it does not fit."""
        if self.value_url:
            head, _, tail = _expand(re.sub(r"\{\+?\w+\}", "\x00", self.value_url)).partition("\x00")
            text = str(node)
            if isinstance(node, URIRef) and text.startswith(head) and text.endswith(tail):
                return text[len(head):len(text) - len(tail)]
            return None
        if isinstance(node, Literal) and (self.lang is None or node.language == self.lang):
            return str(node)
        return None

    def parse(self, cell: str) -> tuple[list[str], str | None]:
        """The values of ``cell`` (one, none, or several for a list column) and the problem
        with it, if any (the values are then the column's default)."""
        cell = unescape(cell)
        items = cell.split(self.separator) if self.separator else [cell]
        if self.base != "string":
            items = [item.strip() for item in items]
        default = [self.default] if self.default else []
        values = [item for item in items if item] or default
        if not values:
            return [], "the cell is empty: " + self.description if self.required else None
        for value in values:
            if self.pattern is not None and not self.pattern.fullmatch(value):
                return default, f"{value!r} is not {self.hint}"
            if self.base == "anyURI" or self.value_url:
                iri = str(self.term(value)) if self.value_url else value
                if (problem := iri_problem(iri)) is not None:
                    return default, problem
            if self.base == "date":
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    return default, f"{value!r} is not a date that exists (YYYY-MM-DD)"
        return values, None


@dataclass(frozen=True)
class Table:
    """One file of a plan folder."""

    file: str
    description: str
    columns: tuple[Column, ...]
    required: bool
    rows: str

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        """The column called ``name``."""
        return next((c for c in self.columns if c.name == name), None)


def metadata_bytes() -> bytes:
    """The CSVW metadata document, as shipped."""
    return files("metrograph.authoring").joinpath(METADATA).read_bytes()


def _expand(name: str) -> str:
    """``name`` with a metrograph prefix (``mgo:``, ``dcterms:``...) expanded."""
    prefix, colon, local = name.partition(":")
    return PREFIXES[prefix] + local if colon and prefix in PREFIXES else name


def _column(spec: dict[str, object]) -> Column:
    datatype = spec.get("datatype", "string")
    dt_spec: dict[str, str] = ({"base": datatype} if isinstance(datatype, str)
                               else dict(datatype))  # type: ignore[call-overload]
    base = dt_spec.get("base", "string")
    regex = _FORMATS.get(base, dt_spec.get("format"))
    return Column(name=str(spec["name"]), description=str(spec.get("dc:description", "")),
                  base=base, pattern=re.compile(regex, re.ASCII) if regex else None,
                  hint=dt_spec.get("dc:description") or _HINTS.get(base, base),
                  required=bool(spec.get("required", False)), default=str(spec.get("default", "")),
                  separator=str(spec["separator"]) if "separator" in spec else None,
                  property=URIRef(_expand(str(spec["propertyUrl"]))) if "propertyUrl" in spec
                  else None, value_url=str(spec.get("valueUrl", "")),
                  lang=str(spec["lang"]) if "lang" in spec else None)


@cache
def tables() -> dict[str, Table]:
    """The tables of the format, by file name, in the metadata's order."""
    doc = json.loads(metadata_bytes())
    return {t["url"]: Table(file=t["url"], description=t.get("dc:description", ""),
                            columns=tuple(_column(c) for c in t["tableSchema"]["columns"]),
                            required=bool(t.get(_MG_CSV + "required", False)),
                            rows=t.get(_MG_CSV + "rows", "any"))
            for t in doc["tables"]}


def readme() -> str:
    """The column guide for spreadsheet users, in plain text, generated from the metadata."""
    doc = json.loads(metadata_bytes())
    lines = [doc["dc:title"], "=" * len(doc["dc:title"]), "",
             textwrap.fill(doc["dc:description"], 96), "",
             f"The same description, machine-readable (W3C CSVW): {METADATA}.", ""]
    for table in tables().values():
        need = "required" if table.required else "optional"
        lines += [f"{table.file} ({need}; rows: {table.rows})", f"    {table.description}"]
        for c in table.columns:
            flags = [c.hint] + (["required"] if c.required else [])
            flags += [f"default {c.default}"] if c.default else []
            flags += [f"list separated by {c.separator}"] if c.separator else []
            lines.append(f"  {c.name:<21} {c.description} [{'; '.join(flags)}]")
        lines.append("")
    return "\n".join(lines)
