"""The SPARQL engines of the differential matrix, each used the way its users use it.

- ``rdflib``: plain rdflib, as an analyst would: ``Graph().parse`` of the N-Triples dump, then
  ``Graph.query`` on the query text.
- ``pyoxigraph``: the embedded store: the N-Quads dump loaded, queries on the union of graphs.
- ``oxigraph-server``: Oxigraph's server (``--union-default-graph``), quads posted to
  ``/store``, queries sent by plain HTTP.
- ``virtuoso``: Virtuoso 7.2, one graph at a time through its Graph Store, queries by plain
  HTTP on its default graph (every graph it holds). One server serves every data set in turn,
  each replacing the last: the same server "that has held other data" as users' servers.
- ``jena``: Apache Jena ARQ on the N-Quads dump (union of named graphs), in one JVM.

Every engine is given the same query text (parameters already substituted) and answers an
:class:`Answer`: variables and rows of :func:`term_key` values, or an error message.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph
from rdflib import BNode, Graph, Literal

from . import jena

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: numeric datatypes: SPARQL compares their values, whatever the type or lexical form
NUMERIC = {XSD + t for t in (
    "integer", "decimal", "float", "double", "int", "long", "short", "byte",
    "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}

Key = tuple[str, ...]
Row = tuple[Key, ...]


def term_key(kind: str, value: str = "", datatype: str | None = None,
             lang: str | None = None) -> Key:
    """A value equal for two terms exactly when SPARQL holds them equal as answers: numbers by
    value (``2``, ``2.0``, ``"02"^^xsd:int``), language tags without regard to case (BCP 47),
    simple literals and ``xsd:string`` alike, booleans by value (``1`` and ``true``), every
    blank node alike (their labels are the engine's own). Nothing else is normalised: an
    integer where a boolean is due, or another date, stays a difference."""
    if kind == "unbound":
        return ("unbound",)
    if kind == "bnode":
        return ("bnode",)
    if kind == "iri":
        return ("iri", value)
    if lang:
        return ("lang", value, lang.lower())
    if datatype in NUMERIC:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return ("literal", value, datatype)
        return ("number", format(number.normalize(), "f") if number.is_finite()
                else str(number))
    if datatype == XSD + "boolean" and value.strip() in ("true", "false", "1", "0"):
        return ("boolean", str(value.strip() in ("true", "1")).lower())
    if datatype in (None, XSD + "string"):
        return ("literal", value)
    return ("literal", value, datatype)


def rdflib_key(term: Any) -> Key:
    """:func:`term_key` of an rdflib term (None: unbound)."""
    if term is None:
        return term_key("unbound")
    if isinstance(term, BNode):
        return term_key("bnode")
    if isinstance(term, Literal):
        return term_key("literal", str(term), str(term.datatype) if term.datatype else None,
                        term.language)
    return term_key("iri", str(term))


def json_key(term: Mapping[str, str] | None) -> Key:
    """:func:`term_key` of a SPARQL 1.1 JSON results term."""
    if term is None:
        return term_key("unbound")
    kind = term["type"]
    if kind == "bnode":
        return term_key("bnode")
    if kind == "uri":
        return term_key("iri", term["value"])
    return term_key("literal", term["value"], term.get("datatype"), term.get("xml:lang"))


def oxigraph_key(term: Any) -> Key:
    """:func:`term_key` of a pyoxigraph term."""
    if term is None:
        return term_key("unbound")
    if isinstance(term, pyoxigraph.BlankNode):
        return term_key("bnode")
    if isinstance(term, pyoxigraph.Literal):
        return term_key("literal", term.value, term.datatype.value, term.language)
    return term_key("iri", term.value)


@dataclass(frozen=True)
class Answer:
    """An engine's answer: variables and rows (None and ``error`` when it failed)."""

    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    error: str | None = None

    def comparable(self) -> tuple[tuple[str, ...], tuple[Row, ...]] | None:
        """Variables and the rows as a sorted multiset; None for an error."""
        if self.error is not None:
            return None
        return self.variables, tuple(sorted(self.rows))


def from_json(text: str) -> Answer:
    """An :class:`Answer` from SPARQL 1.1 JSON results."""
    data = json.loads(text)
    variables = tuple(data["head"].get("vars", []))
    rows = tuple(tuple(json_key(b.get(v)) for v in variables)
                 for b in data["results"]["bindings"])
    return Answer(variables, rows)


@dataclass(frozen=True)
class Data:
    """One data set, as published: the N-Quads dump (named graphs) and the N-Triples dump."""

    name: str
    nquads: Path
    ntriples: Path


class Engine(Protocol):
    name: str

    def load(self, data: Data) -> None:
        """Hold ``data`` (and nothing else from earlier data sets)."""

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        """Answer each query text, by case name."""


class RdflibEngine:
    """Plain rdflib: ``Graph().parse("metrograph.nt")`` then ``Graph.query``."""

    name = "rdflib"

    def __init__(self) -> None:
        self.graph = Graph()
        self.dump = b""
        self.known: dict[tuple[bytes, str], Answer] = {}  # (dump, text): answer

    def load(self, data: Data) -> None:
        dump = data.ntriples.read_bytes()
        if dump != self.dump:  # a data set whose N-Triples dump is the last one's: no reload
            self.graph = Graph()
            self.graph.parse(data=dump, format="nt")
            self.dump = dump

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        out = {}
        for case, text in queries.items():
            if (self.dump, text) in self.known:
                out[case] = self.known[(self.dump, text)]
                continue
            try:
                result = self.graph.query(text)
                variables = tuple(str(v) for v in result.vars or ())
                rows = tuple(tuple(rdflib_key(row[i]) for i in range(len(variables)))
                             for row in result)
                out[case] = Answer(variables, rows)
            except Exception as exc:  # an engine's failure is a cell of the table
                out[case] = Answer(error=f"{type(exc).__name__}: {exc}")
            self.known[(self.dump, text)] = out[case]
        return out


class PyoxigraphEngine:
    """The embedded Oxigraph store (``pyoxigraph``), default graph as the union of graphs."""

    name = "pyoxigraph"

    def __init__(self) -> None:
        self.store = pyoxigraph.Store()

    def load(self, data: Data) -> None:
        self.store = pyoxigraph.Store()
        self.store.bulk_load(path=str(data.nquads), format=pyoxigraph.RdfFormat.N_QUADS)

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        out = {}
        for case, text in queries.items():
            try:
                result = self.store.query(text, use_default_graph_as_union=True)
                assert isinstance(result, pyoxigraph.QuerySolutions)
                variables = tuple(v.value for v in result.variables)
                rows = tuple(tuple(oxigraph_key(s[v]) for v in variables) for s in result)
                out[case] = Answer(variables, rows)
            except (OSError, SyntaxError, ValueError) as exc:
                out[case] = Answer(error=f"{type(exc).__name__}: {exc}")
        return out


def http(url: str, body: bytes, content_type: str, *, method: str = "POST",
         accept: str | None = None, timeout: float = 60) -> str:
    """One HTTP request to a local test server; the body of its answer."""
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        text: str = resp.read().decode("utf-8")
        return text


def http_select(url: str, text: str) -> Answer:
    """A SELECT sent by plain HTTP (SPARQL 1.1 Protocol, form-encoded POST)."""
    body = urllib.parse.urlencode({"query": text}).encode()
    try:
        return from_json(http(url, body, "application/x-www-form-urlencoded",
                              accept="application/sparql-results+json"))
    except urllib.error.HTTPError as exc:
        return Answer(error=f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:300]}")
    except (OSError, ValueError, KeyError) as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}")


class OxigraphServerEngine:
    """Oxigraph's server with ``--union-default-graph`` at ``base``."""

    name = "oxigraph-server"

    def __init__(self, base: str) -> None:
        self.base = base

    def load(self, data: Data) -> None:
        http(f"{self.base}/update", urllib.parse.urlencode({"update": "CLEAR ALL"}).encode(),
             "application/x-www-form-urlencoded")
        http(f"{self.base}/store", data.nquads.read_bytes(), "application/n-quads")

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        return {case: http_select(f"{self.base}/query", text) for case, text in queries.items()}


class VirtuosoEngine:
    """Virtuoso at ``endpoint`` (``/sparql``), graphs written with its Graph Store
    (``/sparql-graph-crud``); the graphs of the previous data set are dropped first."""

    name = "virtuoso"

    def __init__(self, endpoint: str, graph_store: str) -> None:
        self.endpoint = endpoint
        self.graph_store = graph_store
        self.graphs: list[str] = []

    def _update(self, text: str) -> None:
        http(self.endpoint, urllib.parse.urlencode({"update": text}).encode(),
             "application/x-www-form-urlencoded")

    def load(self, data: Data) -> None:
        for g in self.graphs:
            self._update(f"DROP SILENT GRAPH <{g}>")
        by_graph: dict[str, list[str]] = {}
        for line in data.nquads.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            body, _, _dot = line.rstrip().rpartition(" ")
            triple, _, graph = body.rpartition(" ")
            by_graph.setdefault(graph.strip("<>"), []).append(triple + " .\n")
        for g, lines in sorted(by_graph.items()):
            url = f"{self.graph_store}?{urllib.parse.urlencode({'graph-uri': g})}"
            http(url, "".join(lines).encode("utf-8"), "text/turtle", method="PUT")
        self.graphs = sorted(by_graph)

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        return {case: http_select(self.endpoint, text) for case, text in queries.items()}


class JenaEngine:
    """Apache Jena ARQ (:mod:`.jena`), every query of a data set in one JVM."""

    name = "jena"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.data: Data | None = None

    def load(self, data: Data) -> None:
        self.data = data

    def answer(self, queries: Mapping[str, str]) -> dict[str, Answer]:
        assert self.data is not None
        folder = self.work / f"jena-{self.data.name}"
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "in").mkdir(parents=True)
        files = []
        for i, text in enumerate(queries.values()):
            path = folder / "in" / f"q{i:04d}.rq"
            path.write_text(text, encoding="utf-8")
            files.append(path)
        jena.run(self.work, "query", self.data.nquads, folder / "out", files)
        out = {}
        for case, path in zip(queries, files, strict=True):
            answer = folder / "out" / (path.stem + ".srj")
            error = folder / "out" / (path.stem + ".err")
            if answer.is_file():
                out[case] = from_json(answer.read_text(encoding="utf-8"))
            else:
                out[case] = Answer(error=error.read_text(encoding="utf-8") if error.is_file()
                                   else "no answer")
        return out


__all__ = ["NUMERIC", "Answer", "Data", "Engine", "JenaEngine", "OxigraphServerEngine",
           "PyoxigraphEngine", "RdflibEngine", "VirtuosoEngine", "from_json", "term_key"]
