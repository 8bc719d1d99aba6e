"""Reading Oxigraph's SELECT answers fast, for the embedded store.

On a large answer, building one Python object per solution and per term through pyoxigraph's
bindings costs ~1 µs each. :func:`decode_tsv` instead takes the answer serialised by Oxigraph in
SPARQL 1.1 TSV (one call into Rust, which releases the GIL) and decodes each *distinct* cell once
into the rdflib term :func:`metrograph.rdfio.canonical.from_ox` gives.

Measured and removed (``benchmarks/run.py``'s query task, best of five, the same rows): a final
``ORDER BY`` sorted in Python rather than by Oxigraph (10,000 triples: 0.255 s vs 0.278 s;
100,000: 2.95 s vs 2.62 s; about 170 lines), and pausing the garbage collector while decoding
(100,000 triples: 3.33 s vs 3.29 s): no gain beyond the noise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

__all__ = ["Undecodable", "decode_tsv"]


class Undecodable(ValueError):
    """A TSV cell this module does not read (an RDF-star triple term...): use the slow path."""


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
    """One TSV cell as the rdflib term :func:`~metrograph.rdfio.canonical.from_ox` gives."""
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
        return Literal(body, datatype=URIRef(datatype), normalize=False)  # as from_ox does
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


#: bytes of TSV decoded at a time: the cells of one chunk exist as strings together, not those
#: of the whole answer
CHUNK = 1 << 22


def decode_tsv(data: bytes, variables: Sequence[str]) -> list[tuple[Node | None, ...]]:
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
    pos, last = header_end + 1, len(data) - 1
    while pos <= last:
        cut = data.find(b"\n", min(pos + CHUNK, last))  # a row's end (UTF-8 safe)
        part = data[pos:cut].decode("utf-8")
        cells = part.replace("\n", "\t").split("\t")
        if len(cells) != width * (part.count("\n") + 1):
            raise Undecodable("TSV rows of the wrong width")
        fresh = set(cells).difference(terms)
        terms.update((cell, _cell_term(cell)) for cell in fresh)
        column = iter(map(terms.__getitem__, cells))
        rows.extend(zip(*([column] * width), strict=False))
        pos = cut + 1
    return rows
