"""The SPARQL 1.1 Protocol client behind the :class:`~metrograph.stores.base.Store` interface.

Queries are POSTed form-encoded (``query``, and ``default-graph-uri`` where the server's default
graph is not the union of its graphs) with an explicit ``Accept``: SPARQL JSON results for
SELECT and ASK, parsed by rdflib's JSON results parser; N-Triples then Turtle for CONSTRUCT and
DESCRIBE, parsed by rdflib. The protocol cannot carry variable bindings, so values are
substituted into the query text by :func:`metrograph.sparql.binding.substitute` (validated and
escaped: a value never changes the query's structure). Transport: :mod:`.http`; server
differences: :mod:`.quirks`; writes: :mod:`.writer`.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping

import pyoxigraph
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID as DEFAULT_GRAPH
from rdflib.plugins.sparql.results.jsonresults import JSONResult, parseJsonTerm
from rdflib.query import Result
from rdflib.term import Node, Variable

from metrograph.errors import QueryError, RemoteError, TruncatedResultError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.canonical import from_ox
from metrograph.rdfio.formats import Format
from metrograph.sparql.binding import (
    Substitution,
    analyse,
    iri_text,
    projection,
    render_term,
    tokenize,
)
from metrograph.stores.base import (
    RdflibTermStore,
    SelectResult,
    SelectStream,
    Store,
    bounded_rows,
    canonical_literals,
    load_through_rdflib,
    star_columns,
)
from metrograph.stores.remote.http import DEFAULT_MAX_BYTES, Answer, HttpClient, display
from metrograph.stores.remote.quirks import _COUNT, check_truncation, is_system_graph, server_count
from metrograph.stores.remote.state import STATE
from metrograph.stores.remote.writer import GraphWriter, Upload, WriteResult

__all__ = ["RemoteStore"]

_FORM = "application/x-www-form-urlencoded; charset=UTF-8"
_JSON = "application/sparql-results+json"
_RDF = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
        "application/x-turtle": "turtle"}
_OX_RDF = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "turtle": pyoxigraph.RdfFormat.TURTLE}


class RemoteStore(RdflibTermStore):
    """A SPARQL 1.1 endpoint as a :class:`~metrograph.stores.base.Store`.

    ``query_url`` answers queries; ``update_url`` takes SPARQL Update and ``gsp_url`` is the
    Graph Store HTTP Protocol service (both optional: without them the store is read-only).
    ``graphs`` limits the store to these named graphs (queries then see their merge, through
    ``default-graph-uri``). ``union_default_graph`` says whether the server's default graph is the
    union of its named graphs (None: find out). ``max_rows`` is the server's row limit when known.
    ``timeout`` bounds each request (connection, headers and body, retries included) and
    ``max_bytes`` the size of each answer.

    >>> kg = KnowledgeGraph(store=RemoteStore("http://127.0.0.1:7878/query",
    ...                                       "http://127.0.0.1:7878/update",
    ...                                       "http://127.0.0.1:7878/store"))
    """

    name = "remote"

    def __init__(self, query_url: str, update_url: str | None = None,
                 gsp_url: str | None = None, *, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 0.5, user_agent: str | None = None,
                 graphs: Iterable[str] | None = None, union_default_graph: bool | None = None,
                 max_rows: int | None = None, chunk_size: int = 500,
                 ca_file: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.query_url, self.update_url, self.gsp_url = query_url, update_url, gsp_url
        self.http = HttpClient([query_url, update_url or "", gsp_url or ""], timeout=timeout,
                               retries=retries, backoff=backoff, user_agent=user_agent,
                               ca_file=ca_file, max_bytes=max_bytes)
        self.writer = GraphWriter(self.http, update_url=update_url, gsp_url=gsp_url,
                                  query_url=query_url, chunk_size=chunk_size)
        self.graphs = None if graphs is None else sorted({URIRef(g) for g in graphs})
        for g in self.graphs or []:
            iri_text(str(g), "graph name")
        self.union_default_graph = union_default_graph
        self.max_rows = max_rows
        self._names: list[URIRef] | None = None

    def __repr__(self) -> str:
        return (f"RemoteStore({self.query_url!r}, update_url={self.update_url!r}, "
                f"gsp_url={self.gsp_url!r})")

    # -------------------------------------------------------------- the protocol

    def _post(self, query: str, accept: str, *, what: str = "query",
              dataset: bool = True) -> Answer:
        fields: list[tuple[str, str]] = [("query", query)]
        if dataset:
            fields += [("default-graph-uri", str(g)) for g in self._default_graphs()]
        answer = self.http.request("POST", self.query_url, content_type=_FORM, accept=accept,
                                   body=urllib.parse.urlencode(fields).encode("ascii"),
                                   what=what)
        if not answer.ok:
            raise self.http.failure(answer, what)
        return answer

    def _results(self, answer: Answer, what: str) -> Result:
        where = f"{what} to {display(answer.url)}"
        if answer.media_type not in (_JSON, "application/json"):
            raise self.http.error(f"{where}: expected SPARQL JSON results, got "
                                  f"{self.http.describe(answer)}")
        try:
            return _ExactResult(json.loads(answer.body))
        except ValueError as exc:  # json's and orjson's decode errors
            problem = (f"the answer is not valid JSON: {self.http.describe(answer)}"
                       if "JSON" in type(exc).__name__ else f"a result is malformed ({exc})")
        except (KeyError, TypeError, AttributeError):
            problem = "the answer is JSON but not SPARQL results"
        except RecursionError:
            problem = "the answer is JSON nested too deeply to be SPARQL results"
        except Exception as exc:  # rdflib's term parsing: NotImplementedError and others
            problem = f"a result is malformed ({exc})"
        raise self.http.error(f"{where}: {problem}", cut=300)

    def _select_raw(self, query: str, *, dataset: bool = True, limit: int | None = None,
                    what: str = "query") -> SelectResult:
        answer = self._post(query, _JSON, what=what, dataset=dataset)
        where = f"{what} to {display(answer.url)}"
        result = self._results(answer, what)
        if result.type != "SELECT":
            raise RemoteError(f"{where}: the answer has no SELECT results")
        variables = _answer_variables(self.http, result, projection(query), where)
        rows: list[tuple[Node | None, ...]] = [tuple(b.get(Variable(v)) for v in variables)
                                               for b in result.bindings]
        canonical = canonical_literals(t for row in rows for t in row if t is not None)
        if canonical:  # each term as metrograph's stores hold it
            rows = [tuple(None if t is None else canonical.get(t, t) for t in row)
                    for row in rows]
        header = answer.headers.get("x-sparql-maxrows", "").strip()
        if _COUNT.fullmatch(header):
            self.max_rows = int(header)  # learnt before a cut answer raises
        check_truncation(answer.headers, len(rows), limit, where)
        return SelectResult(variables, rows)

    def _default_graphs(self) -> list[URIRef]:
        if self.graphs is not None:
            return self.graphs
        if self.union_default_graph is None:
            self.union_default_graph = self._probe_union()
        if self.union_default_graph is False:
            if self._names is None:
                self._names = self.graph_names()
            return self._names
        return []

    def _probe_union(self) -> bool | None:
        """Whether the default graph holds the named graphs' triples (None: no named triples
        to tell by yet)."""
        sample = self._select_raw(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) }"
            " LIMIT 5", dataset=False).rows
        if not sample:
            return None
        pattern = " ".join(" ".join(render_term(t) for t in row if t is not None) + " ."
                           for row in sample)
        answer = self._post(f"ASK {{ {pattern} }}", _JSON, what="probe", dataset=False)
        return bool(self._results(answer, "probe").askAnswer)

    def _prepare(self, query: str, bindings: Mapping[str, Node] | None,
                 expected: tuple[str, ...]) -> Substitution:
        terms = {str(Variable(k)): render_term(v) for k, v in (bindings or {}).items()}
        sub = analyse(tokenize(query), terms)
        if sub.form not in expected:
            raise QueryError(f"expected a {' or '.join(expected)} query, got "
                             f"{sub.form or 'something else'}")
        return sub

    # -------------------------------------------------------------- the Store interface

    def concurrent_reads(self) -> bool:
        """False: one request at a time to someone else's server."""
        return False

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        """Run a SELECT query (bindings substituted into its text). More than ``max_rows`` rows
        raise ``ResultTooLargeError``; ``check`` is called once the answer is in (the request
        itself is bounded by the store's ``timeout`` and ``max_bytes``)."""
        sub = self._prepare(query, bindings, ("SELECT",))
        result = self._select_raw(sub.text, limit=sub.limit)
        if check is not None:
            check()
        rows = list(bounded_rows(result.rows, max_rows, None))
        return star_columns(SelectResult(result.variables, rows), bindings, sub.star)

    def select_iter(self, query: str, bindings: Mapping[str, Node] | None = None, *,
                    max_rows: int | None = None,
                    check: Callable[[], None] | None = None) -> SelectStream:
        """Run a SELECT and hand its rows over one at a time. The answer is read whole first
        (bounded by ``max_bytes``; SPARQL JSON results are parsed by rdflib, which reads a
        whole document), then its rows handed over: a large remote answer is paged with
        ``LIMIT`` and ``OFFSET`` in the query (ordered by ``ORDER BY``), which the server
        evaluates, rather than streamed."""
        result = self.select(query, bindings, max_rows=max_rows, check=check)
        return SelectStream(result.variables, iter(result.rows))

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        sub = self._prepare(query, bindings, ("ASK",))
        answer = self._post(sub.text, _JSON)
        result = self._results(answer, "query")
        if result.type != "ASK":
            raise RemoteError(f"query to {display(answer.url)}: the answer has no boolean")
        check_truncation(answer.headers, 0, None, f"query to {display(answer.url)}")
        return bool(result.askAnswer)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        sub = self._prepare(query, bindings, ("CONSTRUCT", "DESCRIBE"))
        answer = self._post(sub.text,
                            "application/n-triples, text/turtle;q=0.9, text/plain;q=0.5")
        where = f"query to {display(answer.url)}"
        fmt = _RDF.get(answer.media_type)
        if fmt is None:
                raise self.http.error(f"{where}: expected N-Triples or Turtle, got "
                                  f"{self.http.describe(answer)}")
        out = Graph()
        try:  # Oxigraph's parser keeps each literal as written (rdflib's normalises)
            triples = [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
                       for t in pyoxigraph.parse(bytes(answer.body), format=_OX_RDF[fmt])]
        except (SyntaxError, ValueError) as exc:
            raise self.http.error(f"{where}: the answer is not valid {fmt} ({exc})",
                                  cut=300) from None
        canonical = canonical_literals(o for _s, _p, o in triples if o is not None)
        for s, p, o in triples:
            assert s is not None and p is not None and o is not None
            out.add((s, p, canonical.get(o, o)))
        check_truncation(answer.headers, 0, None, where)
        if self.max_rows is not None and len(out) >= self.max_rows and not (
                sub.limit is not None and sub.limit <= self.max_rows and len(out) <= sub.limit):
            raise TruncatedResultError(
                f"{where}: {len(out)} triples, as many as the server's row limit "
                f"({self.max_rows}): the answer is probably cut short")
        return out

    def update(self, update: str) -> None:
        """Run a SPARQL Update on ``update_url`` (callers check that updates are allowed)."""
        if not self.update_url:
            raise QueryError(f"{display(self.query_url)} was opened read-only: give an update "
                             "URL to run updates")
        self._names = None
        self.writer.update(update, idempotent=False)

    # -------------------------------------------------------------- the dataset

    def _graph_counts(self) -> dict[URIRef, int]:
        result = self._select_raw(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            dataset=False, what="listing graphs")
        counts: dict[URIRef, int] = {}
        for g, n in result.rows:
            if isinstance(g, URIRef) and n is not None and str(g) != STATE \
                    and not is_system_graph(self.http.server, str(g)):
                count = server_count(n)
                if count is None:
                    raise self.http.error(f"listing graphs on {display(self.query_url)}: "
                                          f"<{g}> has the count {str(n)!r}", cut=300)
                counts[g] = count
        if self.graphs is not None:
            counts = {g: n for g, n in counts.items() if g in self.graphs}
        return counts

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every distinct triple of the server's graphs (read through :meth:`dataset`)."""
        yield from dict.fromkeys((s, p, o) for s, p, o, _g in self.dataset().quads(
            (None, None, None, None)))

    def graph_names(self) -> list[URIRef]:
        return sorted(self._graph_counts())

    def copy(self) -> Store:
        """The server's graphs copied into an in-memory Oxigraph store (a server is not
        written by reasoning)."""
        from metrograph.stores.oxigraph import OxigraphStore

        copy = OxigraphStore()
        copy.add_dataset(self.dataset())
        return copy

    def __len__(self) -> int:
        """The number of distinct triples in the server's (non-system, or ``graphs``) named
        graphs: a triple two graphs hold counts once, as on the embedded stores."""
        counts = self._graph_counts()
        if len(counts) <= 1:
            return sum(counts.values())
        names = " ".join(render_term(g) for g in sorted(counts))
        result = self._select_raw(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
            f"VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }} }}",
            dataset=False, what="counting triples")
        count = server_count(result.rows[0][0]) if len(result.rows) == 1 else None
        if count is None:
            raise self.http.error(f"counting triples on {display(self.query_url)}: the answer "
                                  f"is not one count ({result.rows[:1]!r})", cut=300)
        return count

    def dataset(self) -> Dataset:
        """Every quad of the (non-system, or ``graphs``) named graphs, read graph by graph with
        SELECT, paged when the server cuts answers, and checked against ``COUNT(*)``."""
        copy = Dataset()
        for g, expected in sorted(self._graph_counts().items()):
            target = copy.graph(g)
            for triple in self._triples(g):
                target.add(triple)
            if len(target) != expected:
                raise self.http.error(f"reading <{g}> from {display(self.query_url)}: got "
                                      f"{len(target)} of its {expected} triples")
        return copy

    def _triples(self, g: URIRef) -> Iterator[tuple[Node, Node, Node]]:
        base = f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri_text(str(g))} {{ ?s ?p ?o }} }}"
        try:
            rows = self._select_raw(base, dataset=False, what=f"reading <{g}>").rows
        except TruncatedResultError:
            rows, page, offset = [], self.max_rows or 1000, 0
            while True:
                chunk = self._select_raw(
                    f"{base} ORDER BY ?s ?p ?o LIMIT {page} OFFSET {offset}", dataset=False,
                    limit=page, what=f"reading <{g}>").rows
                rows.extend(chunk)
                if len(chunk) < page:
                    break
                offset += page
        for s, p, o in rows:
            if s is None or p is None or o is None:
                raise self.http.error(f"reading <{g}>: the server answered an unbound term")
            yield s, p, o

    def refresh(self) -> None:
        """Forget what was learnt about the server's graphs (after others wrote to it)."""
        self._names = None

    # -------------------------------------------------------------- writing

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str,
             progress: Reporter = SILENT) -> int:
        """Parse ``data`` here (errors name ``source``; nothing is sent then), then add it."""
        count = load_through_rdflib(self, data, fmt=fmt, graph=graph, source=source)
        progress.advance(len(data))
        return count

    def add(self, graph: Graph, into: URIRef) -> None:
        self._names = None
        self.writer.write(URIRef(into), Upload.of(graph), replace=False)

    def add_dataset(self, dataset: Dataset) -> None:
        """Add every graph of ``dataset`` (its default graph as ``urn:x-rdflib:default``, as
        the memory store does), one graph at a time."""
        parts: dict[URIRef, Graph] = {}
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = g if isinstance(g, URIRef) else DEFAULT_GRAPH
            parts.setdefault(URIRef(name), Graph()).add((s, p, o))
        for name in sorted(parts):
            self.add(parts[name], name)

    def replace_graph(self, graph: Graph, name: URIRef | str) -> WriteResult:
        """Replace the named graph ``name`` by ``graph`` (see :class:`GraphWriter`)."""
        self._names = None
        return self.writer.write(URIRef(name), Upload.of(graph), replace=True)


class _ExactResult(JSONResult):
    """SPARQL JSON results with each literal as the server wrote it: rdflib's own parser
    normalises lexical forms (a date's time zone dropped, ``"2019-06-30Z"`` read as
    ``"2019-06-30"``, another value), which :func:`canonical_literals` cannot undo."""

    def _get_bindings(self) -> list[dict[Variable, Node]]:  # type: ignore[override]
        return [{Variable(k): _exact_term(v) for k, v in row.items()}
                for row in self.json["results"]["bindings"]]


def _exact_term(cell: dict[str, str]) -> Node:
    """A term of SPARQL JSON results, a typed literal kept in its lexical form."""
    if cell["type"] in ("literal", "typed-literal") and cell.get("datatype") \
            and not cell.get("xml:lang"):
        return Literal(cell["value"], datatype=URIRef(cell["datatype"]), normalize=False)
    return parseJsonTerm(cell)


def _answer_variables(http_: HttpClient, result: Result, expected: list[str] | None,
                      where: str) -> list[str]:
    """The variables of a SELECT answer, in the query's order: refused (:class:`RemoteError`)
    when they are not those the query projects (``expected``; None for ``SELECT *``, where
    only the answer's own consistency is checked), repeat one, or a result binds a variable
    the answer does not list."""

    def shown(names: Iterable[object]) -> str:
        return ", ".join(f"?{n}" for n in names) or "none"

    answered = [str(v) for v in result.vars or []]
    if len(set(answered)) != len(answered):
        raise http_.error(f"{where}: the answer lists a variable twice ({shown(answered)})",
                          cut=300)
    if expected is not None and set(answered) != set(expected):
        raise http_.error(f"{where}: the answer's variables ({shown(answered)}) are not "
                          f"those of the query ({shown(expected)})", cut=300)
    known = set(answered)
    for binding in result.bindings:
        extra = [str(v) for v in binding if str(v) not in known]
        if extra:
            raise http_.error(f"{where}: a result binds {shown(extra)}, which the answer's "
                              f"variables ({shown(answered)}) do not list", cut=300)
    return answered if expected is None else expected
