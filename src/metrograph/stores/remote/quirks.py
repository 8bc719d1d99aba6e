"""What SPARQL servers do differently, and how metrograph copes (seen on Oxigraph 0.5 and
Virtuoso 7.2; each tested in ``tests/test_remote.py``). No library knows these.

- *Default graph.* Virtuoso's default graph is the union of all graphs; Oxigraph's is its own
  graph unless started with ``--union-default-graph``. :class:`~.store.RemoteStore` finds out
  once with a probe and, where the server does not union, names the graphs with
  ``default-graph-uri`` (the default graph is then their merge); ``metrograph push`` keeps such a
  server's default graph equal to the distinct union of its named graphs, so that plain SPARQL
  clients see the same facts (see :mod:`.writer`).
- *System graphs.* Virtuoso keeps graphs of its own (``virtrdf#``, ``ldp#``, its ``/sparql``
  and ``/DAV/`` graphs): graph listings leave them out when the server says it is Virtuoso.
- *Listing graphs.* ``GRAPH ?g {}`` answers one unbound row on Virtuoso and lists empty graphs
  on Oxigraph, so graphs are listed with ``GRAPH ?g { ?s ?p ?o }``.
- *Row limits.* Virtuoso cuts results at ``ResultSetMaxRows`` and says so only in the
  ``X-SPARQL-MaxRows`` header of SELECT answers (also when a result has exactly that many rows);
  CONSTRUCT answers are cut without a sign. A cut SELECT raises
  :class:`~metrograph.errors.TruncatedResultError` (unless the query's own LIMIT is within the
  limit), so do Virtuoso's "anytime" partial answers (``X-SQL-State: S1TAT``) and, once the limit
  is known, a CONSTRUCT answer of that many triples.
- *Booleans.* Virtuoso answers every boolean as ``"1"^^xsd:integer`` / ``"0"``: :func:`comparable`
  counts xsd:boolean true/false equal to the integers 1/0.
- *Language tags.* Both servers lowercase them while rdflib keeps the case it read: answers are
  lowercased here (tags are case-insensitive), and :func:`comparable` lowercases them.
- *Numbers.* Both servers store canonical numeric forms (``"01"^^xsd:integer`` comes back
  ``"1"``; two triples differing only so are one): :func:`comparable` compares numbers by value,
  and an upload's count may be the canonical count (:func:`canonical_size`). Virtuoso returns
  simple literals as ``xsd:string``: they are made simple here.
- *Writes.* Virtuoso rejects blank nodes in ``INSERT DATA``, fails on an ``INSERT DATA`` of more
  than about a thousand triples, runs a multi-operation update without a transaction, has a Graph
  Store PUT that leaves a graph half-loaded when the body fails, and "moves" a missing graph by
  emptying the target; Oxigraph does each in one transaction. :mod:`.writer` works for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from metrograph.errors import TruncatedResultError
from metrograph.stores.base import SelectResult

__all__ = ["canonical_size", "check_truncation", "comparable", "comparable_rows",
           "is_system_graph", "server_count"]

_INTEGERS = {str(XSD[n]) for n in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "nonPositiveInteger",
    "negativeInteger", "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")}
NUMBERS = _INTEGERS | {str(XSD.decimal), str(XSD.float), str(XSD.double)}
_VIRTUOSO_SYSTEM = re.compile(
    r"^(http://www\.openlinksw\.com/|http://www\.w3\.org/ns/ldp#$|http://[^/]+/(sparql|DAV/.*)$)")


def comparable(term: Node | None) -> Any:
    """A value equal for two terms exactly when they are equal up to the server differences
    above: language tags compared case-insensitively, numbers by value, xsd:boolean true/false
    equal to the integers 1/0, simple literals equal to xsd:string ones, all blank nodes
    alike."""
    if term is None:
        return ("unbound",)
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype is not None else None
        text = str(term).strip()
        if term.language:
            return ("lang", str(term), term.language.lower())
        if dt == str(XSD.boolean) and text in ("true", "false", "1", "0"):
            return ("number", Decimal(1 if text in ("true", "1") else 0))
        if dt in NUMBERS:
            try:
                return ("number", Decimal(text).normalize())
            except InvalidOperation:
                return ("literal", str(term), dt)
        return ("literal", str(term), None if dt == str(XSD.string) else dt)
    return ("iri", str(term))


def comparable_rows(result: SelectResult) -> list[tuple[Any, ...]]:
    """The rows of ``result`` as a sorted list (a multiset) of tuples of :func:`comparable`
    values, in the order of ``result.variables``; two stores agree when these are equal."""
    return sorted((tuple(comparable(t) for t in row) for row in result.rows), key=repr)


#: a count as servers write it: decimal digits (``xsd:integer``), or ``2.0``/``2E0`` forms of an
#: integer (Virtuoso's ``COUNT`` may come as a decimal); at most 18 digits
_COUNT = re.compile(r"[0-9]{1,18}")
_NUMBER = re.compile(r"[+]?[0-9]{1,18}(\.0*)?([eE][+]?0*[0-9])?")


def server_count(term: Node | str | None) -> int | None:
    """The number a server answered as a count (a literal or its text); None for anything else:
    not a number, negative, or too large to be a count (``1e99999999`` would take Python
    minutes to make into an integer)."""
    text = str(term).strip() if term is not None else ""
    if _NUMBER.fullmatch(text):
        value = Decimal(text)
        if value == value.to_integral_value():
            return int(value)
    return None


def is_system_graph(server: str | None, graph: str) -> bool:
    """Whether ``graph`` is one of Virtuoso's own (when ``server``, the Server header, says
    Virtuoso)."""
    return "virtuoso" in (server or "").lower() and bool(_VIRTUOSO_SYSTEM.match(graph))


def check_truncation(headers: Mapping[str, str], rows: int, limit: int | None,
                     where: str) -> int | None:
    """Raise :class:`TruncatedResultError` when the headers say the server cut the answer;
    return the server's row limit when they give one."""
    if headers.get("x-sql-state", "").upper() == "S1TAT":
        raise TruncatedResultError(
            f"{where}: the server hit its time limit and answered with partial results "
            f"({rows} rows); raise its MaxQueryExecutionTime or simplify the query")
    header = headers.get("x-sparql-maxrows", "").strip()
    if not _COUNT.fullmatch(header):
        return None
    max_rows = int(header)
    if rows >= max_rows and not (limit is not None and limit <= max_rows):
        raise TruncatedResultError(
            f"{where}: the server cut the answer at its limit of {max_rows} rows "
            "(Virtuoso's ResultSetMaxRows); add LIMIT and OFFSET to page, or raise the limit")
    return max_rows


def canonical_size(triples: Iterable[tuple[Node, Node, Node]]) -> int:
    """The number of distinct triples once numerically equal literals are merged (as servers
    store them)."""
    return len({(s, p, comparable(o) if isinstance(o, Literal) and o.datatype is not None
                 and str(o.datatype) in NUMBERS else o) for s, p, o in triples})
