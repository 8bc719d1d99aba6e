"""RDF formats: names, file suffixes, media types; reading files with clear errors."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.parser import InputSource, StringInputSource

from metrograph.errors import InputError
from metrograph.rdfio.guards import check_safe
from metrograph.rdfio.inputs import read_input

__all__ = ["FORMATS", "MAX_TERM_BYTES", "TERM_TOO_LONG", "Format", "default_graph_id",
           "format_for", "parse_into", "read_graph"]

#: the longest literal or IRI metrograph reads, in UTF-8 bytes: Oxigraph's parsers stop at a
#: 16 MiB token, and the rdflib route refuses the same, so one file gives one graph on both
MAX_TERM_BYTES = 16 << 20

#: what a store says of a term over :data:`MAX_TERM_BYTES`
TERM_TOO_LONG = "a literal or IRI is longer than 16 MiB (the limit of both stores)"


def _too_long(term: object) -> bool:
    return (isinstance(term, str) and len(term) > MAX_TERM_BYTES // 4
            and len(term.encode("utf-8")) > MAX_TERM_BYTES)


def default_graph_id(dataset: Dataset) -> URIRef:
    """The identifier of ``dataset``'s default graph."""
    return URIRef(DATASET_DEFAULT_GRAPH_ID)


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


class _Lines(io.StringIO):
    """Text that hands out one line per ``read``. rdflib's N-Triples and N-Quads parsers read
    2,048 characters at a time and match the whole line read so far after each read, which is
    quadratic in the line's length (a 4 MiB literal: 229 s measured; 16 MiB: hours); given a
    whole line per read they match it once."""

    def read(self, size: int | None = -1) -> str:
        return self.readline()


def _source(text: str, fmt: Format) -> InputSource:
    source = StringInputSource(text)
    if fmt.name in ("nt", "nq"):
        source.setCharacterStream(_Lines(text))
    return source


_LINE = re.compile(r"line (\d+)", re.IGNORECASE)
_COL = re.compile(r"(?:column|col|char) (\d+)", re.IGNORECASE)


#: pyoxigraph's name (``pyoxigraph.RdfFormat``) of each format metrograph reads
OXIGRAPH_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "trig": "TRIG",
                    "nq": "N_QUADS", "xml": "RDF_XML"}


def strict_check(data: bytes, *, source: str, fmt: Format, base: str) -> int:
    """Read ``data`` with Oxigraph's parsers (strict about the RDF syntaxes: a root element
    that is not RDF/XML, an ``@id`` that is not a string, an IRI with a space) and return the
    number of statements; :class:`InputError` naming ``source`` (line, column) where Oxigraph
    refuses it. rdflib's parsers accept some of what Oxigraph refuses, and a file must mean
    the same on every store: the rdflib path reads only what this accepts."""
    import pyoxigraph as ox

    try:
        return sum(1 for _ in ox.parse(io.BytesIO(data), format=getattr(
            ox.RdfFormat, OXIGRAPH_FORMATS[fmt.name]), base_iri=base))
    except SyntaxError as exc:
        raise InputError(f"not valid {fmt.name}: {getattr(exc, 'msg', exc)}", source=source,
                         line=getattr(exc, "lineno", None),
                         column=getattr(exc, "offset", None)) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"not valid {fmt.name}: {exc}", source=source) from None
    except MemoryError:
        raise InputError(TERM_TOO_LONG, source=source) from None


def parse_into(dataset: Dataset, data: bytes, *, source: str, fmt: Format,
               graph: URIRef) -> int:
    """Parse ``data`` into ``dataset`` (triples into named graph ``graph``); return the number of
    statements read. Raises :class:`InputError` naming ``source`` (and line, column) on failure,
    :class:`~metrograph.errors.UnsafeInputError` for input that would expand without bound or
    fetch something (:mod:`metrograph.rdfio.guards`); on failure the dataset is left unchanged."""
    if not data.strip():
        raise InputError("the file is empty", source=source)
    check_safe(data, fmt.name, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte {exc.start})", source=source, line=line) from None
    if fmt.name in OXIGRAPH_FORMATS and not strict_check(data, source=source, fmt=fmt,
                                                         base=str(graph)):
        return 0  # nothing to read (a JSON-LD string, prefixes only)
    scratch = Dataset()
    try:
        if fmt.quads:
            scratch.parse(_source(text, fmt), format=fmt.rdflib_name, publicID=str(graph))
        else:
            scratch.graph(graph).parse(_source(text, fmt), format=fmt.rdflib_name,
                                       publicID=str(graph))
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        message = " ".join(str(exc).split()) or type(exc).__name__
        line_m = _LINE.search(message)
        col_m = _COL.search(message)
        message = re.sub(r"\s*at \^ in:.*$", "", message)
        message = re.sub(r"^at line \d+ of <[^>]*>:\s*", "", message)
        raise InputError(
            f"not valid {fmt.name}: {message}", source=source,
            line=int(line_m.group(1)) if line_m else None,
            column=int(col_m.group(1)) if col_m else None) from None
    default = default_graph_id(scratch)
    quads = []
    for s, p, o, g in scratch.quads((None, None, None, None)):
        if _too_long(o) or _too_long(s):
            raise InputError(TERM_TOO_LONG, source=source)
        quads.append((s, p, o, graph if g is None or g == default else g))
    for s, p, o, target in quads:
        dataset.graph(target).add((s, p, o))
    return len(quads)


def read_graph(path: str | Path, format: str | None = None) -> Graph:
    """The triples of the RDF file ``path`` (every graph of a quad format merged), read as
    :func:`parse_into` reads: a regular file of bounded size, nothing fetched or expanded
    without bound, errors naming the file. For callers that want an rdflib ``Graph`` (extra
    shapes, a statuses file) instead of ``Graph.parse(path)``, which fetches URLs."""
    fmt = format_for(path, format)
    dataset = Dataset()
    parse_into(dataset, read_input(path), source=str(path), fmt=fmt,
               graph=URIRef(Path(path).resolve().as_uri()))
    out = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        out.add((s, p, o))
    return out
