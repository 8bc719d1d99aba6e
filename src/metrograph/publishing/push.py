"""Upload a release, a knowledge graph or one named graph to a SPARQL server.

:func:`push` sends each named graph with the SPARQL 1.1 Graph Store HTTP Protocol, falling back
to SPARQL Update where the server lacks it, through :class:`~metrograph.stores.remote.GraphWriter`:
with an update URL, each graph is uploaded into a temporary graph, counted, then moved into
place by one ``MOVE GRAPH`` request, so a replaced graph is never seen half-loaded and a failed
push leaves it as it was. Pushing the same thing twice changes nothing.

>>> push("release/", "http://127.0.0.1:7878/store", update_url="http://127.0.0.1:7878/update",
...      query_url="http://127.0.0.1:7878/query")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from metrograph.errors import InputError, MetrographError, PushError
from metrograph.graph import KnowledgeGraph
from metrograph.rdfio.formats import default_graph_id, format_for, parse_into
from metrograph.rdfio.inputs import read_input
from metrograph.stores.remote import GraphWriter, HttpClient, WriteResult

__all__ = ["PushError", "PushReport", "push", "read_release"]

RELEASE_TRIG = "metrograph.trig"


@dataclass(frozen=True)
class PushReport:
    """What :func:`push` did: one :class:`~metrograph.stores.remote.WriteResult` per named graph,
    and
    the default-graph triples of the source that were not pushed (see ``default_graph``)."""

    graphs: list[WriteResult] = field(default_factory=list)
    skipped_default_triples: int = 0

    @property
    def triples(self) -> int:
        """Triples sent, over all graphs."""
        return sum(r.triples for r in self.graphs)

    def summary(self) -> str:
        """One line per graph, for a person."""
        lines = [f"{r.graph}: {r.triples} triples"
                 + (f", {r.stored} stored" if r.stored is not None else "")
                 + f" ({r.method}{', staged' if r.staged else ''})" for r in self.graphs]
        if self.skipped_default_triples:
            lines.append(f"{self.skipped_default_triples} triples of the default graph were not "
                         "pushed (give default_graph to push them)")
        return "\n".join(lines)


def read_release(source: str | Path) -> Dataset:
    """The dataset of a release folder (its ``metrograph.trig``, else its only ``.trig`` file),
    or of one RDF file (TriG, N-Quads, JSON-LD; Turtle and others land in the default graph)."""
    path = Path(source)
    if path.is_dir():
        trig = path / RELEASE_TRIG
        if not trig.is_file():
            found = sorted(path.glob("*.trig"))
            if len(found) != 1:
                raise InputError(f"a release folder holds {RELEASE_TRIG} (found "
                                 f"{', '.join(p.name for p in found) or 'no TriG file'})",
                                 source=str(path))
            trig = found[0]
        path = trig
    fmt = format_for(path)
    data = read_input(path)
    dataset = Dataset()
    parse_into(dataset, data, source=str(path), fmt=fmt, graph=default_graph_id(dataset))
    return dataset


def _parts(dataset: Dataset) -> tuple[dict[URIRef, Graph], Graph]:
    default = default_graph_id(dataset)
    parts: dict[URIRef, Graph] = {}
    rest = Graph()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if isinstance(g, URIRef) and g != default:
            parts.setdefault(g, Graph()).add((s, p, o))
        else:
            rest.add((s, p, o))
    return parts, rest


def push(source: KnowledgeGraph | Dataset | str | Path, graph_store_url: str | None, *,
         graph: str | URIRef | None = None, update_url: str | None = None,
         query_url: str | None = None, replace: bool = True,
         default_graph: str | URIRef | None = None, timeout: float = 30.0, retries: int = 2,
         chunk_size: int = 500, user_agent: str | None = None,
         ca_file: str | None = None) -> PushReport:
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
    Credentials, timeouts and retries are those of :class:`~metrograph.stores.remote.RemoteStore`.

    Raises :class:`PushError` (naming the graphs already written) if a graph fails: that graph
    is left as it was; :class:`~metrograph.errors.InputError` for a source that cannot be read.
    """
    if not graph_store_url and not update_url:
        raise InputError("give the server's Graph Store URL, its SPARQL Update URL, or both")
    if isinstance(source, KnowledgeGraph):
        dataset = source.store.dataset()
    elif isinstance(source, Dataset):
        dataset = source
    else:
        dataset = read_release(source)
    parts, rest = _parts(dataset)
    skipped = 0
    if len(rest):
        if default_graph is not None:
            target = URIRef(str(default_graph))
            merged = parts.setdefault(target, Graph())
            for triple in rest:
                merged.add(triple)
        else:
            skipped = len(rest)
    if graph is not None:
        wanted = URIRef(str(graph))
        if wanted not in parts:
            known = ", ".join(str(g) for g in sorted(parts)) or "none"
            raise InputError(f"the source has no named graph <{wanted}> (its graphs: {known})")
        parts = {wanted: parts[wanted]}
        skipped = 0
    http_ = HttpClient([u for u in (graph_store_url, update_url, query_url) if u],
                       timeout=timeout, retries=retries, user_agent=user_agent, ca_file=ca_file)
    writer = GraphWriter(http_, update_url=update_url, gsp_url=graph_store_url,
                         query_url=query_url, chunk_size=chunk_size)
    return _push_parts(writer, parts, replace=replace, skipped=skipped)


def _push_parts(writer: GraphWriter, parts: dict[URIRef, Graph], *, replace: bool,
                skipped: int) -> PushReport:
    done: list[WriteResult] = []
    for name in sorted(parts):
        try:
            done.append(writer.write(name, parts[name], replace=replace))
        except MetrographError as exc:
            pushed = ", ".join(f"<{r.graph}>" for r in done) or "none"
            raise PushError(f"push of <{name}> failed: {exc} (graphs pushed before it: "
                            f"{pushed})", done) from exc
    return PushReport(done, skipped)
