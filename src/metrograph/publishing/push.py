"""Upload a release, a knowledge graph or one named graph to a SPARQL server.

:func:`push` sends each named graph as one N-Triples body (SPARQL 1.1 Graph Store HTTP
Protocol, else SPARQL Update) through :class:`~metrograph.stores.remote.GraphWriter`: with an
update URL, each graph is staged (Oxigraph's bulk loader), counted, then put in place by one
update request, so a replaced graph is never seen half-loaded. Each push is recorded on the
server (the SHA-256 of the sorted N-Triples and the count, :mod:`metrograph.stores.remote.state`),
so pushing the same thing twice sends nothing. ``prune`` drops the recorded graphs the source no
longer holds; a default graph that is not the union of the named graphs (Oxigraph's) is rebuilt
as their distinct union, so that the ``queries/*.rq`` files see each fact once.

Release files in TriG, N-Quads, N-Triples or Turtle are split by pyoxigraph (its bulk loader,
then one N-Triples dump per graph: a 1M-triple release in a few seconds, where rdflib took
minutes); JSON-LD and RDF/XML go through rdflib.

>>> push("release/", "http://127.0.0.1:7878/store", update_url="http://127.0.0.1:7878/update",
...      query_url="http://127.0.0.1:7878/query")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from metrograph.errors import InputError, MetrographError, PushError
from metrograph.graph import GRAPH_BASE, KnowledgeGraph
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.canonical import canonical_quads
from metrograph.rdfio.formats import format_for, parse_into
from metrograph.rdfio.inputs import check_input_path, read_input
from metrograph.stores.remote import GraphWriter, HttpClient, Upload, WriteResult
from metrograph.stores.remote.http import DEFAULT_MAX_BYTES
from metrograph.stores.remote.writer import Unrecorded

__all__ = ["PushError", "PushReport", "push", "read_release"]

RELEASE_TRIG = "metrograph.trig"
_OXIGRAPH_FORMATS = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS,
                     "nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}


@dataclass(frozen=True)
class PushReport:
    """What :func:`push` did: one :class:`~metrograph.stores.remote.WriteResult` per named graph,
    the default-graph triples of the source that were not pushed (see ``default_graph``), the
    graphs pruned, and whether the server's default graph was rebuilt as the union."""

    graphs: list[WriteResult] = field(default_factory=list)
    skipped_default_triples: int = 0
    pruned: list[URIRef] = field(default_factory=list)
    default_union: bool = False

    @property
    def triples(self) -> int:
        """Triples sent, over all graphs."""
        return sum(r.triples for r in self.graphs)

    def summary(self) -> str:
        """One line per graph, for a person."""
        lines = [f"{r.graph}: {r.triples} triples"
                 + (f", {r.stored} stored" if r.stored is not None else "")
                 + f" ({r.method}{', staged' if r.staged else ''}"
                 + f"{', one transaction' if r.transactional else ''})" for r in self.graphs]
        lines += [f"{g}: pruned (not in this release)" for g in self.pruned]
        if self.default_union:
            lines.append("default graph: rebuilt as the union of the named graphs")
        if self.skipped_default_triples:
            lines.append(f"{self.skipped_default_triples} triples of the default graph were not "
                         "pushed (give default_graph to push them)")
        return "\n".join(lines)


def _release_file(source: str | Path) -> Path:
    path = Path(source)
    if not path.is_dir():
        return path
    trig = path / RELEASE_TRIG
    if trig.is_file():
        return trig
    found = sorted(path.glob("*.trig"))
    if len(found) != 1:
        raise InputError(f"a release folder holds {RELEASE_TRIG} (found "
                         f"{', '.join(p.name for p in found) or 'no TriG file'})",
                         source=str(path))
    return found[0]


def read_release(source: str | Path) -> Dataset:
    """The dataset of a release folder (its ``metrograph.trig``, else its only ``.trig`` file),
    or of one RDF file (TriG, N-Quads, JSON-LD; Turtle and others land in the default graph)."""
    path = _release_file(source)
    fmt = format_for(path)
    dataset = Dataset()
    parse_into(dataset, read_input(path), source=str(path), fmt=fmt,
               graph=DATASET_DEFAULT_GRAPH_ID)
    return dataset


def _parts(source: KnowledgeGraph | Dataset | str | Path
           ) -> tuple[dict[URIRef, Upload], Upload]:
    """The named graphs of ``source`` and its default graph, as N-Triples split by
    pyoxigraph (rdflib's datasets are handed over as N-Quads, read leniently: rdflib checked
    them)."""
    path = None if isinstance(source, KnowledgeGraph | Dataset) else _release_file(source)
    fmt = None if path is None else format_for(path)
    if isinstance(source, KnowledgeGraph):
        source = source.store.dataset()
    store = ox.Store()
    if path is not None and fmt is not None and fmt.name in _OXIGRAPH_FORMATS:
        check_input_path(path)  # a regular file of bounded size (no FIFO, no device)
        try:
            store.bulk_load(path=str(path), format=_OXIGRAPH_FORMATS[fmt.name])
        except SyntaxError as exc:
            raise InputError(f"not valid {fmt.name}: {' '.join(str(exc.msg).split())}",
                             source=str(path), line=exc.lineno, column=exc.offset) from None
        except FileNotFoundError:
            raise InputError("no such file or folder", source=str(path)) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    else:
        dataset = source if isinstance(source, Dataset) else read_release(path or "")
        store.load(dataset.serialize(format="nquads", encoding="utf-8"),
                   format=ox.RdfFormat.N_QUADS, lenient=True)

    def upload(graph: ox.NamedNode | ox.DefaultGraph) -> Upload:
        text = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        if b"_:" in text:  # the parser's blank-node labels differ from one process to the
            # next: RDFC-1.0 labels give the same bytes, hence the same digest (an unchanged
            # graph is then recognised as such on the server)
            triples = canonical_quads([ox.Quad(q.subject, q.predicate, q.object)
                                       for q in store.quads_for_pattern(None, None, None, graph)])
            text = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in triples),
                                format=ox.RdfFormat.N_TRIPLES) or b""
        return Upload.of_ntriples(text)

    parts = {URIRef(g.value): upload(g) for g in store.named_graphs()
             if isinstance(g, ox.NamedNode)}
    return {g: u for g, u in parts.items() if u.triples}, upload(ox.DefaultGraph())


def push(source: KnowledgeGraph | Dataset | str | Path, graph_store_url: str | None, *,
         graph: str | URIRef | None = None, update_url: str | None = None,
         query_url: str | None = None, replace: bool = True,
         default_graph: str | URIRef | None = None, prune: bool = False,
         force: bool = False, timeout: float = 30.0, retries: int = 2, chunk_size: int = 500,
         user_agent: str | None = None, ca_file: str | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES, progress: Reporter = SILENT) -> PushReport:
    """Upload ``source`` — a release folder or RDF file (see :func:`read_release`), a
    :class:`~metrograph.graph.KnowledgeGraph` or an rdflib ``Dataset`` — one named graph at a
    time, or only the named graph ``graph``.

    ``graph_store_url`` is the server's Graph Store HTTP Protocol service (Oxigraph:
    ``…/store``; Virtuoso: ``…/sparql-graph-crud``, or ``…/sparql-graph-crud-auth`` with
    credentials), None for none. ``update_url`` (Oxigraph ``…/update``, Virtuoso ``…/sparql``)
    enables staged, atomic replacement and the SPARQL Update fallback; ``query_url`` lets each
    upload be counted before it is moved into place. ``replace`` replaces each graph (the
    default) rather than adding to it. Default-graph triples go to the named graph
    ``default_graph`` when given, and are skipped otherwise (the report counts them).
    ``prune`` (with update and query URLs) drops the server's graphs under metrograph's graph
    namespace (``https://w3id.org/metrograph/graph/``) that earlier pushes recorded and the
    source does not hold; other graphs (unrecorded ones too) are never touched. With update
    and query URLs, a server whose default graph is not the union of its named graphs gets its
    default graph rebuilt as their distinct union (when a graph changed). With update and query
    URLs, a graph the server holds as this source has it (recorded digest, same count) is not
    sent (``method == "unchanged"`` in the report); ``force`` sends every graph.
    ``timeout`` bounds each request (upload included); credentials, retries and ``max_bytes``
    are those of :class:`~metrograph.stores.remote.RemoteStore`.

    Raises :class:`PushError` (naming the graphs already written) if a graph fails: that graph
    is left as it was, or, when only a step after its write failed (recording the push), is
    written whole (the message says which, and ``done`` lists it); the next push completes
    what is missing. :class:`~metrograph.errors.InputError` for a source that cannot be read.
    """
    if not graph_store_url and not update_url:
        raise InputError("give the server's Graph Store URL, its SPARQL Update URL, or both")
    if prune and not (update_url and query_url):
        raise InputError("pruning needs the server's SPARQL Update and query URLs")
    if prune and graph is not None:
        raise InputError("prune applies to a whole release: leave out the graph to push")
    parts, rest = _parts(source)
    skipped = 0
    if rest.triples:
        if default_graph is not None:
            target = URIRef(str(default_graph))
            if target in parts:
                merged = parts[target].graph() + rest.graph()
                parts[target] = Upload.of_ntriples(Upload.of(merged).body)
            else:
                parts[target] = rest
        else:
            skipped = rest.triples
    if graph is not None:
        wanted = URIRef(str(graph))
        if wanted not in parts:
            known = ", ".join(str(g) for g in sorted(parts)) or "none"
            raise InputError(f"the source has no named graph <{wanted}> (its graphs: {known})")
        parts = {wanted: parts[wanted]}
        skipped = 0
    http_ = HttpClient([u for u in (graph_store_url, update_url, query_url) if u],
                       timeout=timeout, retries=retries, user_agent=user_agent, ca_file=ca_file,
                       max_bytes=max_bytes)
    writer = GraphWriter(http_, update_url=update_url, gsp_url=graph_store_url,
                         query_url=query_url, chunk_size=chunk_size)
    try:
        return _push_parts(writer, parts, replace=replace, skipped=skipped, prune=prune,
                           force=force, progress=progress)
    finally:
        http_.close()


def _push_parts(writer: GraphWriter, parts: dict[URIRef, Upload], *, replace: bool,
                skipped: int, prune: bool, force: bool = False,
                progress: Reporter = SILENT) -> PushReport:
    done: list[WriteResult] = []
    try:
        state = writer.state(parts)
    except MetrographError as exc:
        raise PushError(f"push failed before any graph was sent: {exc}", done) from exc
    progress.step("pushing", total=len(parts), unit="graphs")
    for name in sorted(parts):
        upload = parts.pop(name)
        try:
            if replace and not force and state.unchanged(name, upload.digest):
                stored = state.counts.get(name, 0)
                done.append(WriteResult(name, upload.triples, stored, "unchanged", False))
            else:
                done.append(writer.write(name, upload, replace=replace,
                                         fresh=not state.holds(name)))
            progress.advance(1, detail=str(name).rsplit("/", 1)[-1])
        except MetrographError as exc:
            pushed = ", ".join(f"<{r.graph}>" for r in done) or "none"
            if isinstance(exc, Unrecorded):  # written whole: listed as done, the message says
                done.append(exc.result)
            raise PushError(f"push of <{name}> failed: {exc} (graphs pushed before it: "
                            f"{pushed})", done) from exc
    try:
        pruned = writer.prune([r.graph for r in done], GRAPH_BASE) if prune else []
        changed = pruned or state.default_stale or any(r.method != "unchanged" for r in done)
        union = False
        if writer.update_url and writer.query_url and changed:
            union = not writer.default_is_union()
            if union:
                writer.union_default_graph()
            else:
                writer.default_graph_settled()
    except MetrographError as exc:
        raise PushError(f"every graph was pushed, but then: {exc}", done) from exc
    return PushReport(done, skipped, pruned, union)
