"""What ``metrograph push`` records on the server about the graphs it pushed, so that pushing an
unchanged graph again sends nothing.

Each graph put in place gets a record in the named graph ``urn:metrograph:push-state``: the
SHA-256 of the N-Triples pushed (sorted lines: :meth:`~.writer.Upload.of_ntriples`) and the
number of triples the server stored. Before uploading, one query (``push-state.rq``) reads the
records, then each graph whose digest is the recorded one is counted; it is skipped when the
server holds the recorded number of triples. So a graph that someone emptied, added to or
removed from behind metrograph's back is pushed again; an edit that keeps the count (a triple
replaced by another) is not seen: ``force`` pushes every graph whatever the records say.

**Why a record rather than a comparison** (measured with ``benchmarks/push.py`` on a shared,
loaded machine): comparing the server's graph with the release (``replace.ru``, a ``FILTER NOT
EXISTS`` both ways, then the default graph's ``default-union.ru``) made pushing an unchanged
200,000-triple release take 28 s on Oxigraph and 22 s on Virtuoso; with the records it takes
2.8 s, most of it reading and splitting the release here, and 8.3 s for 1,000,000 triples.

The records live outside metrograph's graph namespace (``prune`` never drops them), and
:class:`~.store.RemoteStore` leaves the graph out of its listings and counts; a server whose
default graph is the union of all graphs shows its few triples there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files

from rdflib import Literal, URIRef

from metrograph.sparql.binding import iri_text, render_term
from metrograph.stores.remote.quirks import server_count

__all__ = ["STATE", "ServerState", "default_stale_text", "forget_text", "record_text",
           "resource", "state_query"]

#: the named graph of the records
STATE = "urn:metrograph:push-state"
_TARGET = "<urn:metrograph:target>"


def resource(name: str) -> str:
    """The SPARQL text ``name`` of this package."""
    return files("metrograph.stores.remote").joinpath(name).read_text("utf-8")


@dataclass(frozen=True)
class ServerState:
    """The records and counts read before a push."""

    counts: dict[URIRef, int] = field(default_factory=dict)  # triples each graph holds now
    recorded: dict[URIRef, tuple[str, int | None]] = field(default_factory=dict)
    default_stale: bool = False  # a previous push left the default graph to rebuild

    def matches(self, name: URIRef, digest: str | None) -> bool:
        """Whether ``digest`` is the one recorded for ``name`` (its count still to check)."""
        return digest is not None and self.recorded.get(name, ("", None))[0] == digest

    def unchanged(self, name: URIRef, digest: str | None) -> bool:
        """Whether the server holds ``name`` as pushed with ``digest`` (and nothing changed its
        count since)."""
        if not self.matches(name, digest):
            return False
        pushed = self.recorded[name][1]
        return pushed is not None and self.counts.get(name, 0) == pushed

    def holds(self, name: URIRef) -> bool:
        """Whether ``name`` was pushed before with triples (so it probably holds some)."""
        return bool(self.recorded.get(name, ("", 0))[1])

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> ServerState:
        """The state of the bindings of ``push-state.rq`` (rows it does not read are left
        out: a graph without a readable record is pushed); no counts yet."""
        recorded: dict[URIRef, tuple[str, int | None]] = {}
        stale = False
        for row in rows:
            g = row.get("g")
            if not g:
                continue
            if g == STATE and row.get("sha") == "stale":
                stale = True
            elif "sha" in row:
                recorded[URIRef(g)] = (row["sha"], server_count(row.get("pushed", "")))
        return cls({}, recorded, stale)


def state_query() -> str:
    """``push-state.rq``."""
    return resource("push-state.rq")


def record_text(name: URIRef, digest: str, stored: int) -> str:
    """``record.ru`` for ``name``."""
    return (resource("record.ru").replace(_TARGET, iri_text(str(name), "graph name"))
            .replace('"DIGEST"', render_term(Literal(digest)))
            .replace('"-1"^^<http://www.w3.org/2001/XMLSchema#integer>',
                     render_term(Literal(stored))))


def forget_text(name: URIRef) -> str:
    """``forget.ru`` for ``name``."""
    return resource("forget.ru").replace(_TARGET, iri_text(str(name), "graph name"))


def default_stale_text() -> str:
    """``default-stale.ru``."""
    return resource("default-stale.ru")
