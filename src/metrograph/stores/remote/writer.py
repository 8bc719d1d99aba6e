"""Writing named graphs to a SPARQL server atomically (no library stages graphs).

A graph is uploaded into a new staging graph (``urn:metrograph:staging:<uuid>``) by one Graph
Store ``PUT`` of N-Triples (without the Graph Store protocol, by SPARQL ``INSERT DATA`` requests
of ``chunk_size`` triples), its triple count is checked, and one update request puts it in
place: the target is never seen half-loaded, and a failure leaves it as it was (the staging
graph is dropped, or named in the message). Without an update URL a graph goes straight to its
place by a Graph Store ``PUT`` or ``POST``, atomic only where the server's PUT is (Oxigraph's
is, Virtuoso's is not).

**Speed** (Oxigraph 0.5.13, graphs of 125,000 triples; ``benchmarks/push.py``): a
transactional write costs Oxigraph several times more per triple than its bulk loader. A graph
with no recorded push that the server holds empty is written by one transactional ``PUT``
(:meth:`GraphWriter._direct`), faster than any staging. Otherwise the staging upload asks for
the bulk loader (``no_transaction``: the staging graph is private), and one request puts the
graph in place, drops the staging graph and records the push (:mod:`.state`): into a graph with
no recorded push it copies the staged graph (``place.ru``: ``ADD``, 1.3 to 1.8 times faster
than ``MOVE GRAPH`` or a comparison into an empty target); over a graph pushed before it writes
only the difference (``replace.ru``). An unchanged graph is not sent at all (:mod:`.state`).
Virtuoso runs a multi-operation request without a transaction: there the graph is put in place
by ``MOVE GRAPH``, its record removed before and written after.

On a server whose default graph is a graph of its own (Oxigraph without
``--union-default-graph``), :meth:`GraphWriter.union_default_graph` makes it the distinct union
of the named graphs (``default-union.ru``), so that the raw ``queries/*.rq`` files sent by any
SPARQL client see what metrograph's stores see.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from metrograph.errors import InputError, MetrographError, RemoteError
from metrograph.sparql.binding import iri_text, render_term
from metrograph.stores.remote.http import Answer, HttpClient, display
from metrograph.stores.remote.quirks import canonical_size, server_count
from metrograph.stores.remote.state import (
    STATE,
    ServerState,
    default_stale_text,
    forget_text,
    record_text,
    resource,
    state_query,
)

__all__ = ["STAGING", "GraphWriter", "Unrecorded", "Upload", "WriteResult", "ntriples"]

#: the prefix of staging graph names (``default-union.ru`` leaves these graphs out)
STAGING = "urn:metrograph:staging:"
_FORM = "application/x-www-form-urlencoded; charset=UTF-8"
_NT = "application/n-triples; charset=utf-8"


@dataclass(frozen=True)
class WriteResult:
    """What :meth:`GraphWriter.write` did to one named graph."""

    graph: URIRef
    triples: int  # sent
    stored: int | None  # counted in the uploaded graph (None when it could not be counted)
    method: str  # "graph-store" (HTTP PUT / POST), "update" (SPARQL Update), or "unchanged"
    #              (the server holds it as pushed before: nothing was sent)
    staged: bool  # uploaded into a staging graph first, then moved into place
    transactional: bool = False  # written into place by one transaction (no staging graph)


class Unrecorded(RemoteError):
    """A graph was written whole, but a step after its write failed (its count, or the record
    of its push): ``result`` says what was written. Its push is not recorded, so the next push
    sends it again and rebuilds the default graph (marked stale before the write)."""

    def __init__(self, message: str, result: WriteResult) -> None:
        super().__init__(message)
        self.result = result


def ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """N-Triples text of ``triples`` (terms checked and escaped by :func:`render_term`; blank
    nodes relabelled ``_:b0``…)."""
    ids: dict[BNode, str] = {}

    def labels(node: BNode) -> str:
        return ids.setdefault(node, f"_:b{len(ids)}")

    return "".join(f"{render_term(s, labels)} {render_term(p, labels)} "
                   f"{render_term(o, labels)} .\n" for s, p, o in triples)


@dataclass(frozen=True)
class Upload:
    """One graph to write: its N-Triples bytes (one triple a line), number of triples, and the
    SHA-256 of its sorted lines (``None`` when not computed: such a graph is always sent)."""

    body: bytes
    triples: int
    digest: str | None = None

    @classmethod
    def of_ntriples(cls, body: bytes) -> Upload:
        """The upload of N-Triples text of distinct triples, one a line, with its digest: the
        lines are sorted (so the same triples give the same digest whatever their order) and
        sent in that order."""
        lines = body.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        lines.sort()
        text = b"\n".join(lines) + b"\n" if lines else b""
        return cls(text, len(lines), hashlib.sha256(text).hexdigest())

    @classmethod
    def of(cls, graph: Graph) -> Upload:
        """The upload of an rdflib graph."""
        return cls(ntriples(graph).encode("utf-8"), len(graph))

    def graph(self) -> Graph:
        """The triples as an rdflib graph (for the SPARQL Update route and counts)."""
        return Graph().parse(data=self.body.decode("utf-8"), format="nt")

    def short(self, stored: int | None) -> bool:
        """Whether a graph counted ``stored`` triples (None: not counted) lacks some of these,
        as sent or with numerically equal literals merged (as servers store them)."""
        return stored is not None and stored != self.triples \
            and stored != canonical_size(self.graph())


def _chunks(graph: Graph, size: int) -> Iterator[tuple[bool, list[tuple[Node, Node, Node]]]]:
    """``graph``'s triples in groups of at most ``size`` (more only for a larger blank-node
    structure, never split); the flag says the group holds blank nodes."""
    ground: list[tuple[Node, Node, Node]] = []
    parent: dict[BNode, BNode] = {}

    def find(b: BNode) -> BNode:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    with_bnodes: list[tuple[Node, Node, Node]] = []
    for s, p, o in graph:
        bnodes = [t for t in (s, o) if isinstance(t, BNode)]
        if not bnodes:
            ground.append((s, p, o))
            continue
        with_bnodes.append((s, p, o))
        if len(bnodes) == 2:
            parent[find(bnodes[0])] = find(bnodes[1])
        else:
            find(bnodes[0])
    ground.sort(key=lambda t: tuple(x.n3() for x in t))
    for start in range(0, len(ground), size):
        yield False, ground[start:start + size]
    groups: dict[BNode, list[tuple[Node, Node, Node]]] = {}
    for t in with_bnodes:
        b = t[0] if isinstance(t[0], BNode) else t[2]
        groups.setdefault(find(b), []).append(t)  # type: ignore[arg-type]
    batch: list[tuple[Node, Node, Node]] = []
    for group in sorted(groups.values(), key=len):
        if batch and len(batch) + len(group) > size:
            yield True, batch
            batch = []
        batch.extend(group)
    if batch:
        yield True, batch


class GraphWriter:
    """Replaces or adds to named graphs of a SPARQL service (see the module's docstring)."""

    def __init__(self, http_: HttpClient, *, update_url: str | None = None,
                 gsp_url: str | None = None, query_url: str | None = None,
                 chunk_size: int = 500) -> None:
        if chunk_size < 1:
            raise InputError("chunk_size must be at least 1")
        self.http = http_
        self.update_url, self.gsp_url, self.query_url = update_url, gsp_url, query_url
        self.chunk_size = chunk_size
        self._gsp_missing = False
        self._bulk = True  # staging uploads may ask for Oxigraph's bulk loader
        self._stale_marked = False  # default-stale.ru was sent by this writer

    # -------------------------------------------------------------- requests

    def update(self, text: str, *, idempotent: bool = True, what: str = "update") -> None:
        """Send one SPARQL Update request."""
        if not self.update_url:
            raise InputError("no SPARQL Update URL was given")
        answer = self.http.request("POST", self.update_url, body=_form(update=text),
                                   content_type=_FORM, idempotent=idempotent, what=what,
                                   accept="application/sparql-results+json, */*;q=0.1")
        if not answer.ok:
            raise self.http.failure(answer, what)

    def select(self, query: str, what: str) -> list[dict[str, str]]:
        """The bindings (values as text) of a small SELECT on the query URL."""
        assert self.query_url
        answer = self.http.request("POST", self.query_url, body=_form(query=query),
                                   content_type=_FORM, accept="application/sparql-results+json",
                                   what=what)
        if not answer.ok:
            raise self.http.failure(answer, what)
        return _bindings(self.http, answer, what)

    def count(self, graph: URIRef) -> int | None:
        """The number of triples in ``graph`` (None without a query URL)."""
        if not self.query_url:
            return None
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
                           f"{iri_text(str(graph))} {{ ?s ?p ?o }} }}", "count")
        count = server_count(rows[0].get("n")) if len(rows) == 1 else None
        if count is None:
            raise RemoteError(f"count on {display(self.query_url)}: unexpected answer (not one "
                              "count)")
        return count

    def _gsp(self, method: str, graph: URIRef, upload: Upload, what: str) -> bool:
        """Send ``upload`` to ``graph`` with the Graph Store protocol; False when the server
        has no Graph Store protocol at that URL."""
        url = self._gsp_target(graph)
        if graph.startswith(STAGING) and self._bulk:
            answer = self.http.request(method, f"{url}&no_transaction", body=upload.body,
                                       what=what, content_type=_NT, accept="*/*")
            self._bulk = answer.ok
            if answer.status in (404, 405, 501) or answer.ok:  # else not Oxigraph: plainly
                return self._gsp_answer(answer, what)
        return self._gsp_answer(self.http.request(method, url, body=upload.body, what=what,
                                                  accept="*/*", content_type=_NT), what)

    def _gsp_target(self, graph: URIRef) -> str:
        """The Graph Store URL of ``graph``."""
        assert self.gsp_url is not None
        sep = "&" if "?" in self.gsp_url else "?"
        return f"{self.gsp_url}{sep}{_form(graph=str(graph)).decode()}"

    def _gsp_answer(self, answer: Answer, what: str) -> bool:
        if answer.status in (404, 405, 415, 501):
            self._gsp_missing = True
            return False
        if not answer.ok:
            raise self.http.failure(answer, what)
        return True

    # -------------------------------------------------------------- writing

    def state(self, uploads: Mapping[URIRef, Upload]) -> ServerState:
        """What earlier pushes recorded, and the triples held now by each graph whose recorded
        digest is that of its upload (an empty state without update and query URLs)."""
        if not (self.update_url and self.query_url) or not uploads:
            return ServerState()
        found = ServerState.from_rows(self.select(state_query(), "reading the push state"))
        counts = {}
        for name, upload in sorted(uploads.items()):
            if found.matches(name, upload.digest):
                counts[name] = self.count(name) or 0
        return ServerState(counts, found.recorded, found.default_stale)

    def write(self, name: URIRef, upload: Upload, *, replace: bool,
              fresh: bool = False) -> WriteResult:
        """Replace the named graph ``name`` by ``upload`` (``replace``) or add it there.
        ``fresh`` says that no push of triples into it was recorded: the graph is then counted
        and, if empty, written by Oxigraph's transactional Graph Store ``PUT`` without staging
        (:meth:`_direct`), or else the staged graph is copied into place rather than compared."""
        iri_text(str(name), "graph name")
        if not self.update_url:
            if not self.gsp_url:
                raise InputError("give a Graph Store URL or a SPARQL Update URL to write to")
            if not self._gsp("PUT" if replace else "POST", name, upload, f"upload of <{name}>"):
                raise RemoteError(f"{display(self.gsp_url)} has no Graph Store protocol "
                                  "(HTTP 404/405/415/501) and no SPARQL Update URL was given")
            return WriteResult(name, upload.triples, self.count(name), "graph-store", False)
        if upload.triples == 0:
            if replace:
                self.update(f"DROP SILENT GRAPH {iri_text(str(name))} ;\n{forget_text(name)}",
                            what=f"clearing <{name}>")
            return WriteResult(name, 0, 0, "update", False)
        if replace and fresh and self._transactional_put() and self.count(name) == 0:
            direct = self._direct(name, upload)
            if direct is not None:
                return direct
        tmp = URIRef(f"{STAGING}{uuid.uuid4()}")
        placing = False
        try:
            method = self._upload(tmp, upload, name)
            stored = self._verify(tmp, upload, name)
            if replace:
                record = (record_text(name, upload.digest, stored)
                          if upload.digest is not None and stored is not None else None)
                if self._virtuoso():
                    self.update(forget_text(name), what=f"replacing <{name}>")
                placing = True
                self._move(tmp, name, WriteResult(name, upload.triples, stored, method, True),
                           record, empty=fresh)  # says what it left
            else:
                placing = True
                self.update(f"ADD GRAPH {iri_text(str(tmp))} TO {iri_text(str(name))} ;\n"
                            f"{forget_text(name)}", what=f"adding to <{name}>")
                self._drop(tmp)
        except BaseException as exc:
            leftover = self._drop(tmp)
            if not isinstance(exc, MetrographError):
                raise
            notes = [] if placing else [f"<{name}> is unchanged"]
            if leftover:
                notes.append(f"the staging graph <{tmp}> could not be dropped: drop it by hand")
            if notes and isinstance(exc, Unrecorded):
                raise Unrecorded(f"{exc}; {'; '.join(notes)}", exc.result) from exc
            if notes:
                raise RemoteError(f"{exc}; {'; '.join(notes)}") from exc
            raise
        return WriteResult(name, upload.triples, stored, method, True)

    def _transactional_put(self) -> bool:
        """Whether a Graph Store ``PUT`` is one transaction on this server (Oxigraph's is: a
        failed or broken upload changes nothing, and no reader sees a graph half-loaded)."""
        return (bool(self.gsp_url) and not self._gsp_missing and self.query_url is not None
                and "oxigraph" in (self.http.server or "").lower())

    def _direct(self, name: URIRef, upload: Upload) -> WriteResult | None:
        """Write the empty graph ``name`` by one transactional ``PUT``, count it, then record
        it (measured on Oxigraph 0.5.13 with a graph of 125,000 triples: 20-22 s, against
        31-42 s for the bulk-loaded staging graph copied into place and dropped, on a loaded
        machine). A wrong count empties the graph again, as it was. None when the server has no
        Graph Store protocol there after all."""
        what = f"upload of <{name}>"
        self._mark_default_stale()  # before the write: a failure after it leaves the mark
        try:
            answer = self.http.request("PUT", self._gsp_target(name), body=upload.body,
                                       what=what, content_type=_NT, accept="*/*",
                                       idempotent=False)
            if not self._gsp_answer(answer, what):
                return None
        except RemoteError as exc:
            raise RemoteError(f"{exc}; <{name}> is unchanged (or, if only the answer was lost, "
                              "written whole: the upload is one transaction)") from exc
        written = WriteResult(name, upload.triples, None, "graph-store", False, True)
        try:
            stored = self.count(name)
        except MetrographError as exc:
            raise Unrecorded(f"{exc}; <{name}> was written whole (one transaction) but could "
                             f"not be counted: {_AGAIN}", written) from exc
        if upload.short(stored):
            try:
                self.update(f"DROP SILENT GRAPH {iri_text(str(name))}", what="cleaning up")
            except MetrographError as exc:
                raise RemoteError(f"{what}: the server holds {stored} of the {upload.triples} "
                                  f"triples sent, and emptying <{name}> again failed ({exc})"
                                  ) from exc
            raise RemoteError(f"{what}: the server holds {stored} of the {upload.triples} "
                              f"triples sent; <{name}> is empty again, as it was")
        written = WriteResult(name, upload.triples, stored, "graph-store", False, True)
        if upload.digest is not None and stored is not None:
            self._record(name, record_text(name, upload.digest, stored), written)
        return written

    def _record(self, name: URIRef, record: str, written: WriteResult) -> None:
        """Send ``record``, the record of ``written``'s push (:class:`Unrecorded` if that
        fails)."""
        try:
            self.update(record, idempotent=False, what=f"recording <{name}>")
        except MetrographError as exc:
            raise Unrecorded(f"{exc}; <{name}> was written whole, but its push could not be "
                             f"recorded: {_AGAIN}", written) from exc

    def _mark_default_stale(self) -> None:
        """Mark the default graph stale (``default-stale.ru``) once, before the first write
        that does not mark it in its own request."""
        if not self._stale_marked:
            self.update(default_stale_text(), what="push state")
            self._stale_marked = True

    def _upload(self, tmp: URIRef, upload: Upload, name: URIRef) -> str:
        what = f"upload of <{name}>"
        if self.gsp_url and not self._gsp_missing and self._gsp("PUT", tmp, upload, what):
            return "graph-store"
        target = iri_text(str(tmp))
        for has_bnodes, triples in _chunks(upload.graph(), self.chunk_size):
            data = ntriples(triples)
            if has_bnodes:  # Virtuoso refuses blank nodes in INSERT DATA
                self.update(f"INSERT {{ GRAPH {target} {{\n{data}}} }} WHERE {{}}",
                            idempotent=False, what=what)
            else:
                self.update(f"INSERT DATA {{ GRAPH {target} {{\n{data}}} }}", what=what)
        return "update"

    def _verify(self, tmp: URIRef, upload: Upload, name: URIRef) -> int | None:
        stored = self.count(tmp)
        if upload.short(stored):
            raise RemoteError(f"upload of <{name}>: the server holds {stored} of the "
                              f"{upload.triples} triples sent; nothing was replaced")
        return stored

    def _virtuoso(self) -> bool:
        return "virtuoso" in (self.http.server or "").lower()

    def _move(self, tmp: URIRef, name: URIRef, written: WriteResult, record: str | None,
              *, empty: bool) -> None:
        """Put the staged graph ``tmp`` in place of ``name`` and drop it; run ``record`` (the
        push's record) with it, in the same request where the server runs one as a
        transaction, else after."""
        what = f"replacing <{name}>"
        if not self._virtuoso():
            text = resource("place.ru" if empty else "replace.ru")
            text = text.replace("<urn:metrograph:new>", iri_text(str(tmp)))
            parts = [text.replace("<urn:metrograph:target>", iri_text(str(name)))]
            if not empty:
                parts.append(f"DROP SILENT GRAPH {iri_text(str(tmp))}")
            parts += [record or forget_text(name), default_stale_text()]
            try:
                self.update(" ;\n".join(parts), idempotent=False, what=what)
            except RemoteError as exc:
                raise RemoteError(f"{exc}; <{name}> is unchanged (or, if only the answer was "
                                  "lost, replaced whole: the request is one transaction)"
                                  ) from exc
            return
        self._virtuoso_move(tmp, name, written.stored)
        if record is not None:
            self._record(name, record, written)

    def _virtuoso_move(self, tmp: URIRef, name: URIRef, expected: int | None) -> None:
        what = f"replacing <{name}>"
        try:
            # not repeated on failure: Virtuoso "moves" a missing graph by emptying the target
            self.update(f"MOVE GRAPH {iri_text(str(tmp))} TO {iri_text(str(name))}",
                        idempotent=False, what=what)
        except RemoteError as exc:
            try:
                left, now = self.count(tmp), self.count(name)
            except RemoteError:
                raise RemoteError(f"{exc}; the state of <{name}> is unknown") from exc
            if left == 0 and expected is not None and now == expected:
                return  # the move went through; only its answer was lost
            state = "unchanged" if left == expected else "in an unknown state"
            raise RemoteError(f"{exc}; <{name}> is {state}") from exc

    def _drop(self, tmp: URIRef) -> bool:
        """Drop the staging graph; True if that failed."""
        try:
            self.update(f"DROP SILENT GRAPH {iri_text(str(tmp))}", what="cleaning up")
        except MetrographError:
            return True
        return False

    # -------------------------------------------------------------- the whole server

    def graph_names(self) -> list[URIRef]:
        """The named graphs of the server (empty ones too where it lists them)."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", "listing graphs")
        if any("g" not in r for r in rows):  # Virtuoso: one unbound row
            rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                               "listing graphs")
        return sorted(URIRef(r["g"]) for r in rows if "g" in r and r["g"] != STATE)

    def prune(self, keep: Iterable[URIRef], under: str) -> list[URIRef]:
        """Drop the named graphs whose names start with ``under``, that are not in ``keep``,
        and that metrograph's pushes recorded (:mod:`.state`); return their names. A graph
        without a record (written by someone else, or only added to) is never dropped."""
        kept = set(keep)
        found = ServerState.from_rows(self.select(state_query(), "reading the push state"))
        gone = sorted(g for g in found.recorded if str(g).startswith(under) and g not in kept)
        for g in gone:
            stale = "" if self._virtuoso() else f" ;\n{default_stale_text()}"
            self.update(f"DROP SILENT GRAPH {iri_text(str(g))} ;\n{forget_text(g)}{stale}",
                        what=f"pruning <{g}>")
        return gone

    def default_is_union(self) -> bool:
        """Whether the server's default graph is the union of its named graphs (probed with a
        triple of its own, staged and dropped)."""
        probe = URIRef(f"{STAGING}{uuid.uuid4()}")
        text = f"{iri_text(str(probe))} " * 3
        self.update(f"INSERT DATA {{ GRAPH {iri_text(str(probe))} {{ {text}}} }}", what="probe")
        try:
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {text}}}", "probe")
        finally:
            self._drop(probe)
        return bool(rows) and rows[0].get("n", "0") != "0"

    def union_default_graph(self) -> None:
        """Make the default graph the distinct union of the named graphs, staging graphs left
        out (one update request: atomic where the server's updates are). An empty default
        graph is filled by one ``ADD`` per graph (measured several times faster than the
        comparison of ``default-union.ru`` on a first push)."""
        empty = not self.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "probe")
        names = [g for g in self.graph_names() if not str(g).startswith(STAGING)]
        if empty and names:
            adds = [f"ADD SILENT {iri_text(str(g))} TO DEFAULT" for g in [*names, URIRef(STATE)]]
            text = " ;\n".join([resource("default-settled.ru"), *adds])
        else:
            text = f"{resource('default-settled.ru')} ;\n{resource('default-union.ru')}"
        self.update(text, idempotent=False, what="rebuilding the default graph")

    def default_graph_settled(self) -> None:
        """Remove the marker of ``default-stale.ru`` (on a server whose default graph is the
        union of its graphs, where nothing is rebuilt)."""
        self.update(resource("default-settled.ru"), what="push state")


_AGAIN = ("the next push sends it again, and rebuilds the default graph where the server keeps "
          "one of its own")


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode("ascii")


def _bindings(http_: HttpClient, answer: Answer, what: str) -> list[dict[str, str]]:
    try:
        data = json.loads(answer.body)
        return [{str(k): str(v["value"]) for k, v in b.items()}
                for b in data["results"]["bindings"]]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # RecursionError: JSON nested deeper than Python's stack
        raise http_.error(f"{what} on {display(answer.url)}: not SPARQL JSON results: "
                          f"{http_.describe(answer)}") from None
