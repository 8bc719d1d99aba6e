"""The query library: named ``.rq`` files with a documented header, run with typed parameters.

Each file of ``queries/`` starts with a comment block::

    # Question: <the question in plain words>
    # Parameters:
    #   <name> (<type>[, optional|required]): <what it does>
    # Row: <what one row means>

Parameter values reach the query only as bindings (never spliced into its text). Types:
``iri`` (an IRI, or a CURIE with one of metrograph's prefixes), ``string``, ``integer``,
``date`` (YYYY-MM-DD) and ``year``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from metrograph.errors import QueryParameterError, UnknownQueryError
from metrograph.namespaces import PREFIXES
from metrograph.resources import query_files

__all__ = ["NamedQuery", "Parameter", "catalogue", "coerce", "get_query", "parse_query_text"]

PARAMETER_TYPES = ("iri", "string", "integer", "date", "year")


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a named query."""

    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A query of the library: its name (the file name without ``.rq``), text and header."""

    name: str
    text: str
    question: str
    row: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def parameter(self, name: str) -> Parameter:
        """The declared parameter ``name``; :class:`QueryParameterError` if there is none."""
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise QueryParameterError(
            f"query {self.name!r} has no parameter {name!r} (its parameters: {known})")

    def bindings(self, values: Mapping[str, object]) -> dict[str, Node]:
        """Check and convert ``values`` (strings or Python values) into RDF terms."""
        out = {key: coerce(self.parameter(key), value) for key, value in values.items()
               if value is not None}
        missing = [p.name for p in self.parameters if p.required and p.name not in out]
        if missing:
            raise QueryParameterError(
                f"query {self.name!r} needs the parameter(s) {', '.join(missing)}")
        return out


_PARAM = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[a-z]+)(?:\s*,\s*(?P<opt>optional|required))?\)"
    r"\s*:\s*(?P<desc>.*)$")


def parse_query_text(name: str, text: str) -> NamedQuery:
    """Read the header of a query's ``text`` (see the module's docstring)."""
    sections: dict[str, list[str]] = {"question": [], "parameters": [], "row": []}
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        body = line[1:].rstrip()
        head = body.strip().lower()
        for key in sections:
            if head.startswith(key + ":"):
                current = key
                rest = body.split(":", 1)[1].strip()
                if rest:
                    sections[key].append(rest)
                break
        else:
            if current is not None and body.strip():
                sections[current].append(body.strip() if current != "parameters" else body)
    params: list[Parameter] = []
    for line in sections["parameters"]:
        m = _PARAM.match(line)
        if m is None:
            if params and line.strip():  # continuation of the previous description
                last = params[-1]
                params[-1] = Parameter(last.name, last.type, last.required,
                                       f"{last.description} {line.strip()}")
            continue
        if m["type"] not in PARAMETER_TYPES:
            raise QueryParameterError(f"query {name!r}: parameter {m['name']!r} has unknown type "
                                      f"{m['type']!r} (known: {', '.join(PARAMETER_TYPES)})")
        params.append(Parameter(m["name"], m["type"], m["opt"] == "required", m["desc"].strip()))
    return NamedQuery(name=name, text=text, question=" ".join(sections["question"]),
                      row=" ".join(sections["row"]), parameters=tuple(params))


@cache
def catalogue() -> dict[str, NamedQuery]:
    """Every query of the packaged library, by name."""
    out: dict[str, NamedQuery] = {}
    for f in query_files():
        name = f.name.removesuffix(".rq")
        out[name] = parse_query_text(name, f.read_text(encoding="utf-8"))
    return out


def get_query(name: str) -> NamedQuery:
    """The named query; :class:`UnknownQueryError` (listing the names) if there is none."""
    queries = catalogue()
    if name not in queries:
        raise UnknownQueryError(
            f"no query named {name!r}; known queries: {', '.join(sorted(queries))}")
    return queries[name]


def _iri(value: str) -> URIRef:
    if ":" in value and not value.startswith(("http://", "https://", "urn:")):
        prefix, local = value.split(":", 1)
        if prefix in PREFIXES:
            value = PREFIXES[prefix] + local
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", value):
        raise ValueError("not an absolute IRI")
    return URIRef(value)


def coerce(param: Parameter, value: object) -> Node:
    """Convert ``value`` to the RDF term ``param``'s type asks for."""
    try:
        if isinstance(value, Node) and not isinstance(value, str):
            return value
        if param.type == "iri":
            return _iri(str(value))
        if param.type == "string":
            return value if isinstance(value, Literal) else Literal(str(value))
        if param.type == "integer":
            if isinstance(value, bool):
                raise ValueError("a boolean is not an integer")
            return Literal(int(str(value)), datatype=XSD.integer)
        if param.type == "date":
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            return Literal(day.isoformat(), datatype=XSD.date)
        if param.type == "year":
            year = int(str(value))
            return Literal(f"{year:04d}", datatype=XSD.gYear)
    except ValueError as exc:
        raise QueryParameterError(
            f"parameter {param.name!r} expects {param.type}, got {value!r}: {exc}") from None
    raise QueryParameterError(f"parameter {param.name!r} has unknown type {param.type!r}")
