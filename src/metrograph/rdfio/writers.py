"""Serialising the graph deterministically (``export``, ``publish``), and writing files atomically.

The same graph gives the same bytes: blank nodes relabelled canonically, lines, graphs,
subjects and values sorted, no prefix left for the writer to invent. Turtle and N-Quads go
through rdflib's serialisers; TriG and JSON-LD are written here for byte-stable output (see
their functions). RDF/XML is written here because both maintained writers wrote other graphs
than they were given (rdflib 7.6, pyoxigraph 0.5.13): rdflib's ``pretty-xml`` wrote
``xml:lang`` as an undeclared ``ns1:lang`` and dropped the statements about list nodes;
Oxigraph's wrote a literal's carriage return raw (read back as a line feed), and ill-formed XML,
without an error, for a property IRI ending in ``/`` or a literal holding a control character.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, split_uri
from rdflib.term import Node

from metrograph.errors import DataError, InputError
from metrograph.namespaces import PREFIXES, bind_prefixes
from metrograph.rdfio.canonical import canonical_quads, from_ox, to_ox
from metrograph.rdfio.folders import clean_stale, write_synced
from metrograph.rdfio.formats import format_for

__all__ = [
    "JSONLD_CONTEXT",
    "atomic_writer",
    "canonical_parts",
    "jsonld_text",
    "merge_parts",
    "nquads_text",
    "ntriples_text",
    "rdfxml_text",
    "serialize",
    "trig_text",
    "turtle_text",
    "union_graph",
    "write_all_atomic",
    "write_atomic",
]

#: The JSON-LD context metrograph publishes: its prefixes.
JSONLD_CONTEXT: dict[str, str] = dict(sorted(PREFIXES.items()))

_DEFAULT = URIRef(DATASET_DEFAULT_GRAPH_ID)


def union_graph(dataset: Dataset) -> Graph:
    """The union of ``dataset``'s graphs as one graph (prefixes bound)."""
    g = bind_prefixes(Graph())
    g.addN((s, p, o, g) for s, p, o, _g in dataset.quads((None, None, None, None)))
    return g


def canonical_parts(dataset: Dataset,
                    group: Callable[[URIRef], URIRef] | None = None) -> dict[URIRef, Graph]:
    """``dataset``'s graphs (grouped by ``group``, e.g. into a release's parts), every blank
    node relabelled by W3C RDFC-1.0 over the grouped dataset (:func:`canonical_quads`), so the
    same graph gets the same labels whatever ids its parser gave; blank nodes shared by parts
    stay shared. Keys sorted; rdflib's default graph identifier holds the unnamed triples."""
    import pyoxigraph as ox

    parts: dict[URIRef, Graph] = {}
    blank = []
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        part = (group(name) if group else name) if isinstance(name, URIRef) \
            and name != _DEFAULT else _DEFAULT
        if isinstance(s, BNode) or isinstance(o, BNode):
            blank.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(part)))
        else:
            parts.setdefault(part, Graph()).add((s, p, o))
    for q in canonical_quads(blank):
        parts.setdefault(URIRef(q.graph_name.value), Graph()).add(
            (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return dict(sorted(parts.items()))


def merge_parts(parts: Mapping[URIRef, Graph]) -> Graph:
    """The union of ``parts``' graphs."""
    union = Graph()
    for graph in parts.values():
        union += graph
    return union


def _prefixed(graph: Graph) -> Graph:
    """A copy of ``graph`` with metrograph's prefixes bound and a fixed prefix for every other
    predicate namespace, so that the serialiser never invents one (rdflib numbers invented
    prefixes in the order it meets them, which varies between runs)."""
    out = bind_prefixes(Graph(bind_namespaces="none"))
    out += graph
    known = {str(ns) for _prefix, ns in out.namespaces()}
    missing = set()
    for predicate in out.predicates(unique=True):
        try:
            namespace, _local = split_uri(URIRef(str(predicate)))
        except ValueError:
            continue
        if namespace not in known:
            missing.add(namespace)
    for number, namespace in enumerate(sorted(missing), start=1):
        out.bind(f"ns{number}", Namespace(namespace), override=True, replace=True)
    return out


class _Exact(Literal):
    """A literal that rdflib's Turtle writer writes in shorthand (``1.0``, ``1e+03``, ``true``)
    only when the shorthand is its own lexical form: rdflib rewrites ``"1"^^xsd:decimal`` as
    ``1.0`` and ``"1000"^^xsd:double`` as ``1e+03``, which are other terms (RDF 1.1 compares
    literals by their lexical form), so the Turtle dump held another graph than the others."""

    def _literal_n3(self, use_plain: bool = False, qname_callback: Any = None) -> str:
        written = super()._literal_n3(use_plain=use_plain, qname_callback=qname_callback)
        if use_plain and written != str(self) and not written.startswith('"'):
            return super()._literal_n3(use_plain=False, qname_callback=qname_callback)
        return written


def turtle_text(graph: Graph) -> str:
    """``graph`` as Turtle, sorted (rdflib's ``longturtle``), each literal in its own lexical
    form (:class:`_Exact`). Give it a graph whose blank nodes are already canonical
    (:func:`canonical_parts`) for output that does not vary."""
    exact = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype is not None and not o.language:
            o = _Exact(str(o), datatype=o.datatype, normalize=False)
        exact.add((s, p, o))
    return _prefixed(exact).serialize(format="longturtle")


def _sorted_lines(text: str) -> str:
    # split on LF only: literals may hold other line separators (U+2028, VT, FF...)
    return "".join(line + "\n" for line in sorted(set(text.split("\n"))) if line.strip())


def ntriples_text(graph: Graph) -> str:
    """``graph`` as N-Triples, one sorted line per triple."""
    return _sorted_lines(graph.serialize(format="nt"))


def _compact(iri: str) -> str:
    """``iri`` as a compact IRI of the published JSON-LD context where one fits."""
    best = ""
    for prefix, namespace in JSONLD_CONTEXT.items():
        local = iri[len(namespace):]
        if (iri.startswith(namespace) and len(namespace) > len(JSONLD_CONTEXT.get(best, ""))
                and local and not local.startswith("//")):
            best = prefix
    if best:
        return f"{best}:{iri[len(JSONLD_CONTEXT[best]):]}"
    scheme = iri.split(":", 1)[0]
    if scheme in JSONLD_CONTEXT:
        raise DataError(f"<{iri}> cannot be written as JSON-LD with metrograph's context: a "
                        f"reader would expand it with the prefix '{scheme}:' (JSON-LD 1.1: "
                        "\"IRI confused with prefix\"); it is likely a prefixed name written "
                        "as an IRI")
    return iri


def _jsonld_node_id(node: Node) -> str:
    return "_:" + str(node) if isinstance(node, BNode) else _compact(str(node))


def _jsonld_value(node: Node) -> Any:
    if isinstance(node, Literal):
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is not None:
            return {"@value": str(node), "@type": _compact(str(node.datatype))}
        return str(node)
    return {"@id": _jsonld_node_id(node)}


def jsonld_text(parts: Mapping[URIRef, Graph]) -> str:
    """``parts`` (graph name -> graph) as flattened JSON-LD: one graph object per named graph,
    one node object per subject (blank nodes by label, never embedded), IRIs compacted with
    :data:`JSONLD_CONTEXT`, which is written inline so that the file reads without the
    network; graphs, subjects, keys and values sorted. (rdflib 7.6's JSON-LD writer is not
    used: it drops blank nodes that are only ever objects, as in a cycle.)"""

    def nodes_of(graph: Graph) -> list[dict[str, Any]]:
        nodes: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in graph:
            node = nodes[_jsonld_node_id(s)]
            if p == RDF.type and isinstance(o, URIRef | BNode):
                node["@type"].append(_jsonld_node_id(o))
            else:
                node[_compact(str(p))].append(_jsonld_value(o))
        objects = []
        for subject in sorted(nodes):
            obj: dict[str, Any] = {"@id": subject}
            for key, values in nodes[subject].items():
                ordered = sorted(values, key=lambda v: json.dumps(v, ensure_ascii=False,
                                                                  sort_keys=True))
                obj[key] = ordered[0] if len(ordered) == 1 else ordered
            objects.append(obj)
        return objects

    top: list[dict[str, Any]] = nodes_of(parts[_DEFAULT]) if _DEFAULT in parts else []
    for name in sorted(n for n in parts if n != _DEFAULT):
        top.append({"@id": _compact(str(name)), "@graph": nodes_of(parts[name])})
    doc = {"@context": JSONLD_CONTEXT, "@graph": top}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_]+")
_ESCAPES = re.compile(r'[\x00-\x1f"\\]')
_ECHAR = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char, f"\\u{ord(char):04X}")


class _Terms:
    """Writes RDF terms in Turtle / TriG syntax, with prefixed names where they are safe."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and _LOCAL.fullmatch(iri[len(namespace):]):
                self.used.add(prefix)
                return f"{prefix}:{iri[len(namespace):]}"
        return "<" + _IRI_FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"

    def term(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, BNode):
            label = str(node)
            return "_:" + (label if _BNODE_LABEL.fullmatch(label) else "x" + label.encode().hex())
        if isinstance(node, Literal):
            text = _ESCAPES.sub(_escape, str(node))
            if node.language:
                return f'"{text}"@{node.language}'
            if node.datatype is not None:
                return f'"{text}"^^{self.iri(str(node.datatype))}'
            return f'"{text}"'
        raise TypeError(f"cannot write {node!r}")


def trig_text(parts: Mapping[URIRef, Graph]) -> str:
    """The parts as TriG, one named graph each (sorted by name), one line per triple (sorted),
    blank nodes always labelled so that one shared by two parts stays one node."""
    terms = _Terms(PREFIXES)
    blocks = []
    for name in sorted(parts, key=lambda n: (n != _DEFAULT, str(n))):
        rows = sorted(
            (terms.term(s), (p != RDF.type, "a" if p == RDF.type else terms.term(p)),
             terms.term(o)) for s, p, o in parts[name])
        if not rows:
            continue
        lines = []
        for i, (s, (_not_type, p), o) in enumerate(rows):
            if i == 0 or rows[i - 1][0] != s:
                lines.append(f"    {s}\n")
            last = i + 1 == len(rows) or rows[i + 1][0] != s
            lines.append(f"        {p} {o} {'.' if last else ';'}\n")
            if last and i + 1 < len(rows):
                lines.append("\n")
        head = "{" if name == _DEFAULT else f"{terms.term(name)} {{"
        blocks.append(head + "\n" + "".join(lines) + "}\n")
    header = "".join(f"PREFIX {prefix}: <{namespace}>\n"
                     for prefix, namespace in sorted(PREFIXES.items())
                     if prefix in terms.used)
    return header + "\n" + "\n".join(blocks)


def nquads_text(parts: Mapping[URIRef, Graph]) -> str:
    """The parts as N-Quads, one sorted line per quad."""
    ds = Dataset()
    for name, graph in parts.items():
        target = ds.graph(name)
        target += graph
    return _sorted_lines(ds.serialize(format="nquads"))


_RDF = str(RDF)
#: a name XML allows as an element's local name (an NCName: no colon), ASCII and beyond
_NAME_START = ("A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
               "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
               "\ufdf0-\ufffd\U00010000-\U000effff")
_NAME_FIRST = re.compile(f"[{_NAME_START}]")
_NAME_CHAR = re.compile(f"[{_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]")
#: characters XML 1.0 cannot hold at all (not even as a character reference)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: rdf: names that cannot be a property element (RDF/XML 1.1, 7.2.5), or that a reader renames
_NOT_PROPERTY = {f"{_RDF}{name}" for name in (
    "RDF", "ID", "about", "bagID", "parseType", "resource", "nodeID", "datatype",
    "Description", "aboutEach", "aboutEachPrefix", "li")}


def _xml_text(text: str, what: str) -> str:
    """``text`` escaped for XML content or a double-quoted attribute (a carriage return as a
    character reference, which XML readers would otherwise turn into a line feed)."""
    if _NOT_XML.search(text):
        raise InputError(f"cannot write {what} as RDF/XML: it holds a character XML 1.0 "
                         "cannot carry (a control character); export as ttl, nt, jsonld, "
                         "trig or nq")
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;"))


def _split_predicate(iri: str) -> tuple[str, str]:
    """A property IRI as XML namespace and local name (the longest XML name ending it)."""
    start = len(iri)
    while start > 0 and _NAME_CHAR.match(iri[start - 1]):
        start -= 1
    while start < len(iri) and not _NAME_FIRST.match(iri[start]):
        start += 1
    if start >= len(iri) or iri in _NOT_PROPERTY:
        raise InputError(f"cannot write the property <{iri}> as RDF/XML (no XML element name "
                         "ends it); export as ttl, nt, jsonld, trig or nq")
    return iri[:start], iri[start:]


def _xml_node(node: Node) -> str:
    if isinstance(node, BNode):
        label = str(node)
        return 'rdf:nodeID="' + (label if _BNODE_LABEL.fullmatch(label) and not label[0].isdigit()
                                 else "x" + label.encode().hex()) + '"'
    return f'"{_xml_text(str(node), f"<{node}>")}"'


def rdfxml_text(graph: Graph) -> str:
    """``graph`` (blank nodes already canonical) as RDF/XML: one ``rdf:Description`` per
    subject, one property element per triple (both sorted), blank nodes by ``rdf:nodeID``,
    metrograph's prefixes and ``ns1``, ``ns2``... (in namespace order) for other namespaces. A
    graph RDF/XML cannot carry (a property IRI without an XML name at its end, a literal
    holding a control character) raises :class:`InputError`."""
    known = {namespace: prefix for prefix, namespace in sorted(PREFIXES.items())
             if prefix not in ("xml", "rdf")}
    subjects: dict[Node, list[tuple[str, str, str]]] = defaultdict(list)
    namespaces: set[str] = set()
    for s, p, o in graph:
        namespace, local = _split_predicate(str(p))
        namespaces.add(namespace)
        if isinstance(o, Literal):
            text = _xml_text(str(o), f'the literal "{_ESCAPES.sub(_escape, str(o)[:60])}"')
            if o.language:
                attribute = f' xml:lang="{o.language}"'
            elif o.datatype is not None:
                attribute = f' rdf:datatype="{_xml_text(str(o.datatype), "a datatype")}"'
            else:
                attribute = ""
            subjects[s].append((namespace, local, f"{attribute}>{text}</"))
        else:
            reference = _xml_node(o)
            if not isinstance(o, BNode):
                reference = "rdf:resource=" + reference
            subjects[s].append((namespace, local, f" {reference}/>"))
    prefix_of = {_RDF: "rdf"}
    extra = sorted(n for n in namespaces if n not in known and n != _RDF)
    prefix_of.update({n: known[n] for n in namespaces if n in known})
    prefix_of.update({n: f"ns{i}" for i, n in enumerate(extra, start=1)})
    head = ['<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF']
    for namespace, prefix in sorted(prefix_of.items(), key=lambda kv: kv[1]):
        head.append(f'\n    xmlns:{prefix}="{_xml_text(namespace, "a namespace")}"')
    lines = ["".join(head) + ">\n"]
    for s in sorted(subjects, key=lambda n: (isinstance(n, BNode), str(n))):
        about = _xml_node(s) if isinstance(s, BNode) else "rdf:about=" + _xml_node(s)
        lines.append(f"  <rdf:Description {about}>\n")
        for namespace, local, rest in sorted(subjects[s]):
            name = f"{prefix_of[namespace]}:{local}"
            if rest.endswith("</"):
                lines.append(f"    <{name}{rest}{name}>\n")
            else:
                lines.append(f"    <{name}{rest}\n")
        lines.append("  </rdf:Description>\n")
    lines.append("</rdf:RDF>\n")
    return "".join(lines)


def serialize(dataset: Dataset, fmt: str) -> str:
    """``dataset`` as ``ttl``, ``nt``, ``jsonld``, ``trig``, ``nq`` or ``xml``. Triple formats
    hold the union of the named graphs; TriG, N-Quads and JSON-LD keep them. The same graph
    gives the same text, whatever ids its blank nodes had."""
    f = format_for("x", fmt)
    parts = canonical_parts(dataset)
    if f.name == "ttl":
        return turtle_text(merge_parts(parts))
    if f.name == "nt":
        return ntriples_text(merge_parts(parts))
    if f.name == "trig":
        return trig_text(parts)
    if f.name == "jsonld":
        return jsonld_text(parts)
    if f.name == "nq":
        return nquads_text(parts)
    if f.name == "xml":
        return rdfxml_text(merge_parts(parts))
    raise InputError(f"cannot export as {fmt!r}")


def _target(path: Path) -> Path:
    """Where writing ``path`` goes: a symbolic link is written through (its target is
    replaced, the link stays); a folder is refused."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise InputError("is a folder; give a file name", source=str(path))
    if not path.parent.is_dir():
        raise InputError("the folder does not exist", source=str(path.parent))
    return path


@contextlib.contextmanager
def _cannot_write(path: Path) -> Iterator[None]:
    """An :class:`OSError` in the block raised as an :class:`InputError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", source=str(path)) from None


def _mode(path: Path) -> int:
    """The mode a plain open() would give ``path`` (or the mode of the file it replaces)."""
    umask = os.umask(0)
    os.umask(umask)
    return path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~umask


def _hidden(path: Path) -> dict[str, Any]:
    """Where and how the temporary files of ``path`` are named: ``.{name}.{pid}.*.tmp``."""
    return {"prefix": f".{path.name}.{os.getpid()}.", "suffix": ".tmp", "dir": path.parent}


@contextlib.contextmanager
def _special_file(path: Path) -> Iterator[BinaryIO]:
    """``path`` (not a regular file) opened for writing; write errors name it."""
    with _cannot_write(path):
        fh = open(path, "wb")  # noqa: SIM115 - closed below, its errors reported
    try:
        with _cannot_write(path):
            yield fh
            fh.flush()
    finally:
        with contextlib.suppress(OSError):
            fh.close()


def _temporary(path: Path) -> tuple[int, Path | None]:
    """An open file descriptor for the new content of ``path``: an unnamed file in its folder
    (``O_TMPFILE``: a killed run leaves nothing), or where the file system cannot make one, a
    hidden file named with this process's id (removed by the next write if the run dies)."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag:
        try:
            return os.open(path.parent, flag | os.O_WRONLY, 0o600), None
        except OSError:
            pass  # not supported by this file system
    fd, tmp = tempfile.mkstemp(**_hidden(path))
    return fd, Path(tmp)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place (a failed run
    leaves the previous file intact; a symbolic link's target is replaced). Raises
    :class:`InputError` naming the file on any write error (a folder, a full disk...)."""
    with atomic_writer(path) as fh:
        fh.write(data)


def write_all_atomic(files: Mapping[Path, bytes]) -> None:
    """Write several files so that a failure while writing (a full disk) replaces none of
    them: each is written in full to a temporary file beside it (``.{name}.{pid}.*.tmp``,
    removed on failure, or by the next write if the process dies), and only then are they all
    renamed into place. Raises :class:`InputError` naming the file that could not be written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for given, data in files.items():
            path = _target(Path(given))
            clean_stale(path, "tmp")
            with _cannot_write(path):
                fd, name = tempfile.mkstemp(**_hidden(path))
                os.close(fd)
                staged.append((Path(name), path))
                os.chmod(name, _mode(path))
                write_synced(Path(name), data)
        for tmp, path in staged:
            with _cannot_write(path):
                os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write the new content of ``path`` into, as it is produced (a large
    export in constant memory); when the block ends without error it is renamed into place,
    otherwise ``path`` is left as it was (:func:`write_atomic`'s guarantees)."""
    try:
        path = _target(Path(path))
        if path.exists() and not path.is_file():
            # a device, a FIFO or a socket (-o /dev/null, -o /dev/stdout, a named pipe): it is
            # written into, never replaced by a regular file
            with _special_file(path) as fh:
                yield fh
            return
        clean_stale(path, "tmp")
        mode = _mode(path)
        fd, tmp = _temporary(path)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", source=str(path)) from None
    try:
        with _cannot_write(path):
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), mode)
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
                if tmp is None:  # name the unnamed file, then rename it into place
                    tmp = Path(tempfile.mktemp(**_hidden(path)))
                    folder = os.open(path.parent, os.O_RDONLY)
                    try:  # linkat(..., AT_SYMLINK_FOLLOW): a dst_dir_fd makes Python use it
                        os.link(f"/proc/self/fd/{fh.fileno()}", tmp.name, dst_dir_fd=folder)
                    finally:
                        os.close(folder)
            os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
