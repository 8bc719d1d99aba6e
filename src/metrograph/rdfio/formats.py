"""RDF formats: names, file suffixes, media types; reading files with clear errors."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from metrograph.errors import InputError
from metrograph.rdfio.guards import check_safe
from metrograph.rdfio.inputs import read_input
from metrograph.rdfio.syntax import TERM_TOO_LONG, check_xml, reading

__all__ = ["FORMATS", "MAX_TERM_BYTES", "TERM_TOO_LONG", "Format",
           "format_for", "parse_into", "read_graph"]

#: the longest literal or IRI metrograph reads, in UTF-8 bytes: Oxigraph's parsers stop at a
#: 16 MiB token, and the rdflib route refuses the same, so one file gives one graph on both
MAX_TERM_BYTES = 16 << 20


def _too_long(term: object) -> bool:
    return (isinstance(term, str) and len(term) > MAX_TERM_BYTES // 4
            and len(term.encode("utf-8")) > MAX_TERM_BYTES)


@dataclass(frozen=True)
class Format:
    """An RDF format metrograph reads and writes."""

    name: str  # the CLI's name: ttl, nt, jsonld, trig, nq, xml
    rdflib_name: str
    suffixes: tuple[str, ...]
    media_type: str
    quads: bool  # holds named graphs


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("ttl", "turtle", (".ttl", ".turtle"), "text/turtle", False),
        Format("nt", "nt", (".nt", ".ntriples"), "application/n-triples", False),
        Format("jsonld", "json-ld", (".jsonld", ".json"), "application/ld+json", True),
        Format("trig", "trig", (".trig",), "application/trig", True),
        Format("nq", "nquads", (".nq", ".nquads"), "application/n-quads", True),
        Format("xml", "xml", (".rdf", ".owl", ".xml"), "application/rdf+xml", False),
    )
}
_ALIASES = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "json-ld": "jsonld",
            "nquads": "nq", "n-quads": "nq", "rdfxml": "xml", "rdf/xml": "xml"}


def format_for(name_or_path: str | Path, explicit: str | None = None) -> Format:
    """The format named ``explicit``, or else the one a file's suffix implies."""
    if explicit:
        key = _ALIASES.get(explicit.lower(), explicit.lower())
        if key not in FORMATS:
            known = ", ".join(FORMATS)
            raise InputError(f"unknown RDF format {explicit!r} (known: {known})",
                             source=str(name_or_path))
        return FORMATS[key]
    suffix = Path(str(name_or_path)).suffix.lower()
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt
    raise InputError(
        f"cannot tell the RDF format from the suffix {suffix or '(none)'!r}; "
        "name it (ttl, nt, jsonld, trig, nq, xml)", source=str(name_or_path))


#: pyoxigraph's name (``pyoxigraph.RdfFormat``) of each format metrograph reads
OXIGRAPH_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "trig": "TRIG",
                    "nq": "N_QUADS", "xml": "RDF_XML"}


def parse_into(dataset: Dataset, data: bytes, *, source: str, fmt: Format,
               graph: URIRef, base: str | None = None) -> int:
    """Parse ``data`` into ``dataset`` (triples into named graph ``graph``, relative IRIs
    resolved against ``base``, by default ``graph``); return the number of statements read,
    as :func:`read_quads` reads them; on failure the dataset is left unchanged."""
    quads = read_quads(data, source=source, fmt=fmt, graph=graph, base=base)
    for s, p, o, target in quads:
        dataset.graph(target).add((s, p, o))
    return len(quads)


def read_quads(data: bytes, *, source: str, fmt: Format, graph: URIRef,
               base: str | None = None) -> list[tuple[Node, Node, Node, URIRef]]:
    """The distinct statements of ``data`` as rdflib terms (triples in named graph ``graph``,
    relative IRIs resolved against ``base``, by default ``graph``). Raises
    :class:`InputError` naming ``source`` (and line, column) on failure,
    :class:`~metrograph.errors.UnsafeInputError` for input that would expand without bound or
    fetch something (:mod:`metrograph.rdfio.guards`).

    The parser is Oxigraph's and the terms those an Oxigraph store holds (literals canonical:
    ``"065"^^xsd:integer`` is ``"65"``; a date keeps its time zone), so a file means the same in
    both stores. rdflib's parsers accepted what Oxigraph refuses (an RDF/XML root that is not
    RDF, a numeric ``@id``, an IRI with a space) and dropped a date's time zone."""
    import pyoxigraph as ox

    from metrograph.rdfio.canonical import from_ox

    if not data.strip():
        raise InputError("the file is empty", source=source)
    check_safe(data, fmt.name, source)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte {exc.start})", source=source, line=line) from None
    if fmt.name == "xml":
        check_xml(data, source)
    name = ox.NamedNode(str(graph))
    held = ox.Store()
    with reading(data, fmt.name, source):
        held.extend(q if isinstance(q.graph_name, ox.NamedNode)
                    else ox.Quad(q.subject, q.predicate, q.object, name)
                    for q in ox.parse(io.BytesIO(data), format=getattr(
                        ox.RdfFormat, OXIGRAPH_FORMATS[fmt.name]), base_iri=base or str(graph)))
    quads: list[tuple[Node, Node, Node, URIRef]] = []
    for q in held:  # read back: each literal as the store holds it
        s, p, o = from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)
        assert s is not None and p is not None and o is not None  # a quad's terms are bound
        if _too_long(o) or _too_long(s):
            raise InputError(TERM_TOO_LONG, source=source)
        quads.append((s, p, o, URIRef(q.graph_name.value)))
    return quads


def read_graph(path: str | Path, format: str | None = None) -> Graph:
    """The triples of the RDF file ``path`` (every graph of a quad format merged), read as
    :func:`parse_into` reads: a regular file of bounded size, nothing fetched or expanded
    without bound, errors naming the file. For callers that want an rdflib ``Graph`` (extra
    shapes, a statuses file) instead of ``Graph.parse(path)``, which fetches URLs."""
    quads = read_quads(read_input(path), source=str(path), fmt=format_for(path, format),
                       graph=URIRef(Path(path).resolve().as_uri()))
    out = Graph()
    out.addN((s, p, o, out) for s, p, o, _g in quads)
    return out
