"""Reading Oxigraph's SELECT answers fast, for the embedded store.

Two costs dominate a large answer (tens of thousands of rows) once Oxigraph has evaluated it:

- **building one Python object per solution and per term** through pyoxigraph's bindings
  (~1 µs each). :func:`decode_tsv` instead takes the answer serialised by Oxigraph itself in
  SPARQL 1.1 TSV (one call into Rust, which releases the GIL) and decodes each *distinct* cell
  once into an rdflib term, giving exactly what :func:`metrograph.stores.oxigraph.from_ox` gives
  for the same term;
- **Oxigraph's ORDER BY**, which decodes both terms from its dictionary at every comparison (1 s
  to sort 80k IRIs). :func:`final_order` finds a query's final ``ORDER BY`` when it only names
  variables; the store then evaluates the query without it and :func:`sort_rows` sorts the
  decoded rows in Python, by SPARQL's ordering (unbound < IRIs < literals; IRIs and strings by
  code point, numbers by value, dates and booleans by value). Where that ordering is not fully
  defined by the specification (blank nodes, language-tagged strings, strings mixed with
  numbers, other datatypes), :func:`sort_rows` declines and the store lets Oxigraph order the
  answer as written. Sorts are stable, like Oxigraph's, so rows that tie keep the engine's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from metrograph.sparql.binding import tokenize

__all__ = ["Decoded", "OrderKey", "Undecodable", "decode_tsv", "final_order", "has_zoned_dates",
           "sort_rows"]

#: one ORDER BY condition: the variable's name and whether it is descending
OrderKey = tuple[str, bool]


class Undecodable(ValueError):
    """A TSV cell this module does not read (an RDF-star triple term...): use the slow path."""


# ---------------------------------------------------------------------- TSV answers

_LITERAL = re.compile(r'"(?P<body>.*)"(?:@(?P<lang>[A-Za-z0-9-]+)|\^\^<(?P<dt>[^<>]*)>)?\Z',
                      re.DOTALL)
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+\Z")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+\Z")
_ECHAR = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
           "\\": "\\"}
_XSD_STRING = str(XSD.string)


def _unescape_match(m: re.Match[str]) -> str:
    if m.group(1) or m.group(2):
        return chr(int(m.group(1) or m.group(2), 16))
    char = m.group(3)
    if char not in _ECHARS:
        raise Undecodable(f"unknown escape \\{char}")
    return _ECHARS[char]


def _cell_term(cell: str) -> Node | None:
    """One TSV cell as the rdflib term :func:`~metrograph.stores.oxigraph.from_ox` gives."""
    if not cell:
        return None
    first = cell[0]
    if first == "<" and cell[-1] == ">" and not cell.startswith("<<"):
        # Oxigraph only holds valid IRIs: skip rdflib's check (a fifth of the decoding time)
        return str.__new__(URIRef, cell[1:-1])
    if first == '"':
        m = _LITERAL.match(cell)
        if m is None:
            raise Undecodable(f"not a literal: {cell[:40]!r}")
        body = m.group("body")
        if "\\" in body:
            body = _ECHAR.sub(_unescape_match, body)
        if m.group("lang"):
            return Literal(body, lang=m.group("lang"))
        datatype = m.group("dt")
        if datatype is None or datatype == _XSD_STRING:
            return Literal(body)
        return Literal(body, datatype=URIRef(datatype))
    if cell.startswith("_:"):
        return BNode(cell[2:])
    if cell in ("true", "false"):
        return Literal(cell, datatype=XSD.boolean)
    if _INTEGER.match(cell):
        return Literal(cell, datatype=XSD.integer)
    if _DECIMAL.match(cell):
        return Literal(cell, datatype=XSD.decimal)
    if _DOUBLE.match(cell):
        return Literal(cell, datatype=XSD.double)
    raise Undecodable(f"not a term: {cell[:40]!r}")


@dataclass(frozen=True)
class Decoded:
    """A decoded TSV answer: its rows, and whether a date among them had a time zone."""

    rows: list[tuple[Node | None, ...]]
    zoned_dates: bool


#: bytes of TSV decoded at a time: the cells of one chunk exist as strings together, not those
#: of the whole answer
CHUNK = 1 << 22


def decode_tsv(data: bytes, variables: Sequence[str]) -> Decoded:
    """The rows of a SPARQL 1.1 TSV answer written by Oxigraph for ``variables`` (which must
    not be empty: a TSV answer without columns cannot tell its rows apart). Each distinct cell
    is decoded once; the text is split a few megabytes at a time. Raises :class:`Undecodable`
    for a cell it does not read."""
    if not variables:
        raise Undecodable("an answer without variables")
    header_end = data.find(b"\n")
    if data[:header_end].decode("utf-8") != "\t".join(f"?{v}" for v in variables):
        raise Undecodable("unexpected TSV header")
    if not data.endswith(b"\n"):
        raise Undecodable("unterminated TSV answer")
    width = len(variables)
    terms: dict[str, Node | None] = {}
    rows: list[tuple[Node | None, ...]] = []
    zoned = False
    pos, last = header_end + 1, len(data) - 1
    while pos <= last:
        cut = data.find(b"\n", min(pos + CHUNK, last))  # a row's end (UTF-8 safe)
        part = data[pos:cut].decode("utf-8")
        cells = part.replace("\n", "\t").split("\t")
        if len(cells) != width * (part.count("\n") + 1):
            raise Undecodable("TSV rows of the wrong width")
        fresh = set(cells).difference(terms)
        terms.update((cell, _cell_term(cell)) for cell in fresh)
        zoned = zoned or has_zoned_dates(fresh)
        column = iter(map(terms.__getitem__, cells))
        rows.extend(zip(*([column] * width), strict=False))
        pos = cut + 1
    return Decoded(rows, zoned)


_TEMPORAL = tuple(f'"^^<{XSD[name]}>' for name in ("date", "dateTime", "gYear"))
_ZONE = re.compile(r'(?:Z|[+-][0-9]{2}:[0-9]{2})"\^\^<[^<>]*>\Z')


def has_zoned_dates(cells: Iterable[str]) -> bool:
    """Whether TSV ``cells`` hold a date, dateTime or gYear with a time zone: rdflib drops a
    date's zone from its text, so such answers are left to Oxigraph to order."""
    return any(cell.endswith(_TEMPORAL) and _ZONE.search(cell) for cell in cells)


# ---------------------------------------------------------------------- final ORDER BY

def final_order(query: str) -> tuple[str, list[OrderKey]] | None:
    """``(query without its final ORDER BY, the ORDER BY's keys)`` when ``query`` ends with an
    ``ORDER BY`` whose conditions are all ``?var``, ``ASC(?var)`` or ``DESC(?var)`` (nothing
    after it: no LIMIT, OFFSET or VALUES); ``None`` otherwise."""
    tokens = tokenize(query)
    sig = [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment")]
    depth = 0
    start = -1
    for n, i in enumerate(sig):
        text = tokens[i].text
        if text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
        elif (depth == 0 and tokens[i].kind == "word" and text.upper() == "ORDER"
              and n + 1 < len(sig) and tokens[sig[n + 1]].text.upper() == "BY"):
            start = n
    if start < 0:
        return None
    keys: list[OrderKey] = []
    rest = [tokens[i] for i in sig[start + 2:]]
    k = 0
    while k < len(rest):
        tok = rest[k]
        if tok.kind == "var":
            keys.append((tok.text[1:], False))
            k += 1
        elif (tok.kind == "word" and tok.text.upper() in ("ASC", "DESC") and k + 3 < len(rest)
              and rest[k + 1].text == "(" and rest[k + 2].kind == "var"
              and rest[k + 3].text == ")"):
            keys.append((rest[k + 2].text[1:], tok.text.upper() == "DESC"))
            k += 4
        else:
            return None
    if not keys:
        return None
    head = "".join(t.text for t in tokens[:sig[start]])
    return head, keys


_NUMERIC = {str(XSD[name]) for name in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte")}
# value-ordered datatypes whose lexical order is their value order for these shapes (no time
# zone, four-digit years, no fractional seconds)
_LEXICAL = {str(XSD.date): re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
            str(XSD.dateTime):
                re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\Z"),
            str(XSD.gYear): re.compile(r"[0-9]{4}\Z")}


class _Unordered(Exception):
    pass


def _literal_key(term: Literal) -> tuple[str, Any]:
    """(category, comparable value) of a literal; :class:`_Unordered` where SPARQL's order is
    not one this module reproduces."""
    if term.language:
        raise _Unordered
    datatype = None if term.datatype is None else str(term.datatype)
    lexical = str(term)
    if datatype is None or datatype == _XSD_STRING:
        return "string", lexical
    if datatype in _NUMERIC:
        try:
            value = Decimal(lexical.strip())
        except InvalidOperation:
            raise _Unordered from None
        if not value.is_finite():
            raise _Unordered
        return "number", value
    if datatype == str(XSD.boolean):
        if lexical not in ("true", "false", "1", "0"):
            raise _Unordered
        return "boolean", lexical in ("true", "1")
    pattern = _LEXICAL.get(datatype)
    if pattern is not None and pattern.match(lexical):
        return datatype, lexical
    raise _Unordered


def sort_rows(rows: list[tuple[Node | None, ...]], variables: Sequence[str],
              keys: Sequence[OrderKey]) -> list[tuple[Node | None, ...]] | None:
    """``rows`` sorted by ``keys`` as SPARQL's ORDER BY sorts them, stably; ``None`` when a key
    is not a column of the answer or its values are not all of kinds whose order this module
    reproduces (IRIs, unbound, and literals of one category per column: strings, numbers,
    booleans, or one of xsd:date, xsd:dateTime, xsd:gYear without time zone)."""
    columns = []
    for name, descending in keys:
        if name not in variables:
            return None
        columns.append((variables.index(name), descending))
    per_column: list[list[int]] = []
    for column, descending in columns:
        values = list(map(itemgetter(column), rows))
        # distinct objects by identity (rdflib hashes terms in Python; decoded answers share
        # one object per distinct term), ranked by value: equal values share a position
        distinct = {id(term): term for term in values}
        category = None
        ranked: list[tuple[tuple[int, Any], int]] = []
        for ident, term in distinct.items():
            if term is None:
                rank: tuple[int, Any] = (0, "")
            elif isinstance(term, URIRef):
                rank = (2, str.__str__(term))
            elif isinstance(term, Literal):
                try:
                    kind, value = _literal_key(term)
                except _Unordered:
                    return None
                if category not in (None, kind):
                    return None
                category = kind
                rank = (3, value)
            else:  # blank nodes: their order is the engine's own
                return None
            ranked.append((rank, ident))
        ranked.sort(key=itemgetter(0))
        sign = -1 if descending else 1  # negated positions sort DESC
        position: dict[int, int] = {}
        previous: tuple[int, Any] | None = None
        index = -1
        for rank, ident in ranked:
            if rank != previous:
                index += 1
                previous = rank
            position[ident] = sign * index
        per_column.append(list(map(position.__getitem__, map(id, values))))
    sort_keys: Sequence[Any] = (per_column[0] if len(per_column) == 1
                                else list(zip(*per_column, strict=True)))
    order = sorted(range(len(rows)), key=sort_keys.__getitem__)
    return [rows[i] for i in order]
