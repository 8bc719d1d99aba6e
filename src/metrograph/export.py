"""Serialising the graph deterministically, and writing files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from .errors import InputError
from .formats import format_for
from .namespaces import PREFIXES, bind_prefixes

__all__ = ["JSONLD_CONTEXT", "serialize", "union_graph", "write_atomic"]

#: The JSON-LD context metrograph publishes: its prefixes.
JSONLD_CONTEXT: dict[str, str] = dict(sorted(PREFIXES.items()))
_COMPACT = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def union_graph(dataset: Dataset) -> Graph:
    """The union of ``dataset``'s graphs as one graph (prefixes bound)."""
    return _union(dataset)


def _union(dataset: Dataset) -> Graph:
    g = bind_prefixes(Graph())
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


def _compact(iri: str) -> str:
    for prefix, ns in _COMPACT:
        local = iri[len(ns):]
        if iri.startswith(ns) and local and not local.startswith("//"):
            return f"{prefix}:{local}"
    return iri


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"@id": _compact(str(term))}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    if isinstance(term, Literal):
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is not None and term.datatype != _XSD_STRING:
            return {"@value": str(term), "@type": _compact(str(term.datatype))}
        return {"@value": str(term)}
    raise TypeError(f"not an RDF term: {term!r}")


def _node_id(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else _compact(str(term))


def _jsonld(dataset: Dataset) -> str:
    """Flattened JSON-LD with the published context, one graph object per named graph, nodes,
    properties and values sorted. (rdflib 7.6's JSON-LD writer drops a blank node that only
    refers to itself, so metrograph writes JSON-LD itself.)"""
    graphs: dict[str, dict[str, dict[str, list[dict[str, str]]]]] = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = str(g) if isinstance(g, URIRef) else ""
        nodes = graphs.setdefault(name, {})
        node = nodes.setdefault(_node_id(s), {})
        key = "@type" if p == RDF.type and isinstance(o, URIRef) else _compact(str(p))
        node.setdefault(key, []).append(_json_term(o))

    def render(nodes: dict[str, dict[str, list[dict[str, str]]]]) -> list[dict[str, Any]]:
        out = []
        for node_id in sorted(nodes):
            obj: dict[str, Any] = {"@id": node_id}
            for key in sorted(nodes[node_id]):
                values = sorted(nodes[node_id][key], key=lambda v: json.dumps(v, sort_keys=True))
                obj[key] = [v["@id"] for v in values] if key == "@type" else values
            out.append(obj)
        return out

    top: list[dict[str, Any]] = render(graphs.pop("", {}))
    for name in sorted(graphs):
        top.append({"@id": _compact(name), "@graph": render(graphs[name])})
    doc = {"@context": JSONLD_CONTEXT, "@graph": top}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _bind_all(graph: Graph) -> None:
    """Bind a prefix for every namespace the Turtle writer will abbreviate, in sorted order,
    before it writes its header: rdflib's writer may otherwise coin a prefix (``ns1:``) after
    the header is out, and the file does not parse (seen with rdflib 7.6)."""
    iris = sorted({t for triple in graph for t in triple if isinstance(t, URIRef)})
    for iri in iris:
        try:
            graph.namespace_manager.compute_qname(str(iri), generate=True)
        except (ValueError, KeyError):
            continue


def serialize(dataset: Dataset, fmt: str) -> str:
    """``dataset`` as ``ttl``, ``nt``, ``jsonld``, ``trig`` or ``nq``. Triple formats hold the
    union of the named graphs; TriG, N-Quads and JSON-LD keep them. Line-based output is sorted
    so that the same graph gives the same text."""
    f = format_for("x", fmt)
    if f.name == "ttl":
        graph = _union(dataset)
        _bind_all(graph)
        return graph.serialize(format="longturtle")
    if f.name == "nt":
        lines = _union(dataset).serialize(format="nt").split("\n")
        return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())
    if f.name == "xml":
        return _union(dataset).serialize(format="pretty-xml")
    ds = Dataset()
    bind_prefixes(ds)
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if isinstance(g, URIRef):
            ds.graph(g).add((s, p, o))
    if f.name == "nq":
        # split on LF only: literals may hold other line separators (U+2028, VT, FF...)
        lines = ds.serialize(format="nquads").split("\n")
        return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())
    if f.name == "trig":
        _bind_all(ds)
        return ds.serialize(format="trig")
    if f.name == "jsonld":
        return _jsonld(dataset)
    raise InputError(f"cannot export as {fmt!r}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place, so that a failed
    or interrupted run leaves any previous file intact."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError("the folder does not exist", source=str(path.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file private: give it the mode a plain open() would (or keep the
        # mode of the file it replaces)
        umask = os.umask(0)
        os.umask(umask)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
