"""The graph as the static site sees it: one *document* per IRI path under the site's base.

Every IRI under ``https://w3id.org/metrograph/`` that the graph names (as subject or object)
belongs to one document: the IRI without its fragment (``…/ontology#ActionPlan`` belongs to
``…/ontology``). A document's path is its IRI less the base (``id/metropolis/plan/2018-2020``);
the site writes it as ``PATH.en.html``, ``PATH.fr.html``, ``PATH.ttl`` and ``PATH.jsonld``.

:class:`SiteGraph` reads the triples once and keeps, in plain dictionaries, what the pages and
the per-document descriptions need: outgoing triples by subject, incoming links by object,
labels, instances by class and uses by property (for the ontology's examples). A document's
*description* is its concise bounded description (the triples of its subjects, the blank nodes
they reach, recursively) plus the labels of the IRIs it links to.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NoReturn, cast

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from metrograph.errors import InputError
from metrograph.namespaces import BASE, MG
from metrograph.rdfio.canonical import canonical_quads, from_ox, to_ox

__all__ = ["LABEL_PROPERTIES", "Document", "SiteGraph", "document_path"]

#: properties whose values name a resource, in order of preference
LABEL_PROPERTIES: tuple[URIRef, ...] = (SKOS.prefLabel, DCTERMS.title, RDFS.label,
                                        MG.translatedLabel)
_NAMING = frozenset((*LABEL_PROPERTIES, SKOS.notation))
_SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")
#: names the site writes at its root itself
_RESERVED_ROOT = {"index", "site.css", ".htaccess"}
#: file name endings the site writes beside each document's path
SUFFIXES = (".en.html", ".fr.html", ".ttl", ".jsonld")


def document_path(iri: str, base: str = BASE) -> str | None:
    """The site path of the document ``iri`` belongs to, or None when it is not under ``base``
    or ends with ``/`` (a namespace, such as ``…/id/org/``: shown, not published).

    Raises :class:`~metrograph.errors.InputError` for an IRI under ``base`` that cannot be a
    static file path (empty, ``.``/``..`` segments, characters other than letters, digits and
    ``. _ ~ -``, or a name the site uses itself)."""
    if not iri.startswith(base):
        return None
    path = iri[len(base):].split("#", 1)[0]
    if path == "" or path.endswith("/"):
        return None     # the site's root, or a namespace: no document of its own
    segments = path.split("/")
    for segment in segments:
        if not _SEGMENT.match(segment) or segment in (".", ".."):
            _refuse(iri, f"its path segment {segment!r} is not a plain file name (letters, "
                         "digits and . _ ~ - only)")
    if len(segments) == 1 and segments[0] in _RESERVED_ROOT:
        _refuse(iri, f"{segments[0]!r} is a name the site itself uses")
    return path


def _refuse(iri: str, why: str) -> NoReturn:
    raise InputError(f"cannot publish {iri} as a page of the site: {why}")


@dataclass
class Document:
    """One page of the site: the IRIs that belong to it and where it sits."""

    path: str
    iri: URIRef
    subjects: list[URIRef] = field(default_factory=list)


class SiteGraph:
    """The indices the site's pages are made from (read once from ``triples``)."""

    def __init__(self, triples: Iterable[tuple[Node, URIRef, Node]], base: str = BASE) -> None:
        self.base = base
        self.out: dict[Node, list[tuple[URIRef, Node]]] = defaultdict(list)
        self.incoming: dict[URIRef, list[tuple[URIRef, Node]]] = defaultdict(list)
        ranked: dict[URIRef, list[tuple[int, str, str, Literal]]] = defaultdict(list)
        self.types: dict[Node, list[URIRef]] = defaultdict(list)
        self.instances: dict[URIRef, list[URIRef]] = defaultdict(list)
        self.uses: dict[URIRef, list[tuple[Node, Node]]] = defaultdict(list)
        self.use_count: dict[URIRef, int] = defaultdict(int)
        self.documents: dict[str, Document] = {}
        rank = {p: i for i, p in enumerate((*LABEL_PROPERTIES, SKOS.notation))}
        a = RDF.type
        for s, p, o in triples:
            self.out[s].append((p, o))
            if isinstance(o, URIRef):
                self.incoming[o].append((p, s))
            if p == a and isinstance(o, URIRef):
                self.types[s].append(o)
                if isinstance(s, URIRef):
                    self.instances[o].append(s)
            elif p in rank and isinstance(s, URIRef) and isinstance(o, Literal):
                ranked[s].append((rank[p], o.language or "", str(o), o))
            if isinstance(s, URIRef):   # the first three uses, in term order, and a count
                self.use_count[p] += 1
                kept = self.uses[p]
                kept.append((s, o))
                if len(kept) > 3:
                    kept.sort(key=_use_key)
                    del kept[3:]
            for node in (s, o):
                if isinstance(node, URIRef):
                    self._place(node)
        for kept in self.uses.values():
            kept.sort(key=_use_key)
        for lists in (self.out, self.incoming, self.types, self.instances):
            for values in lists.values():
                values.sort()
        #: lang -> the best label in that language; "" -> the best label in any language
        self._labels: dict[Node, dict[str, Literal]] = {}
        for iri, labels in ranked.items():
            labels.sort()
            best: dict[str, Literal] = {"": labels[0][3]}
            for r, lang, _text, lit in labels:
                if lang and r < len(LABEL_PROPERTIES):
                    best.setdefault(lang, lit)
            self._labels[iri] = best
        for node in self.out:
            if isinstance(node, URIRef):
                path = document_path(str(node), self.base)
                if path is not None:
                    self.documents[path].subjects.append(node)
        for doc in self.documents.values():
            doc.subjects.sort()
        check_collisions(self.documents)

    # ------------------------------------------------------------------ reading

    def _place(self, iri: URIRef) -> None:
        path = document_path(str(iri), self.base)
        if path is not None and path not in self.documents:
            self.documents[path] = Document(path, URIRef(self.base + path))

    def label(self, iri: Node, lang: str) -> Literal | None:
        """The label of ``iri`` in ``lang`` (by :data:`LABEL_PROPERTIES`), else the best one in
        any language, else its ``skos:notation``; None when it has none."""
        best = self._labels.get(iri)
        return None if best is None else best.get(lang) or best[""]

    def values(self, subject: Node, prop: URIRef) -> list[Node]:
        """The objects of ``subject``'s ``prop`` triples."""
        return [o for p, o in self.out.get(subject, ()) if p == prop]

    def value_in(self, subject: Node, prop: URIRef, lang: str) -> Literal | None:
        """``subject``'s ``prop`` literal in ``lang``, else None."""
        for o in self.values(subject, prop):
            if isinstance(o, Literal) and o.language == lang:
                return o
        return None

    def is_a(self, iri: Node, *classes: URIRef) -> bool:
        """Whether ``iri`` has one of ``classes`` among its ``rdf:type`` values."""
        return any(t in classes for t in self.types.get(iri, ()))

    def ontology_terms(self) -> Iterator[URIRef]:
        """Classes and properties declared in the graph, in IRI order."""
        kinds = (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                 OWL.AnnotationProperty, RDF.Property)
        yield from sorted({s for k in kinds for s in self.instances.get(k, ())})

    # ------------------------------------------------------------------ descriptions

    def description(self, doc: Document) -> list[tuple[Node, URIRef, Node]]:
        """``doc``'s concise bounded description (its subjects' triples and the blank nodes
        they reach, recursively) and the labels of the IRIs it links to; sorted, no
        duplicates, blank nodes labelled canonically (RDFC-1.0), so the same graph gives the
        same files whatever labels the store gave them."""
        triples: set[tuple[Node, URIRef, Node]] = set()
        linked: set[URIRef] = set()
        own = set(doc.subjects)
        seen: set[Node] = set()
        todo: list[Node] = list(doc.subjects)
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            for p, o in self.out.get(s, ()):
                triples.add((s, p, o))
                if isinstance(o, BNode):
                    todo.append(o)
                elif isinstance(o, URIRef) and o not in own:
                    linked.add(o)
        for iri in linked:
            for p, o in self.out.get(iri, ()):
                if p in _NAMING:
                    triples.add((iri, p, o))
        return _relabel(triples)


def _use_key(use: tuple[Node, Node]) -> tuple[str, str]:
    return str(use[0]), "" if isinstance(use[1], BNode) else use[1].n3()


def _relabel(triples: set[tuple[Node, URIRef, Node]]) -> list[tuple[Node, URIRef, Node]]:
    """``triples`` sorted, their blank nodes labelled by RDF Dataset Canonicalization
    (:func:`~metrograph.rdfio.canonical.canonical_quads`, as the release dumps are): the same
    graph gives the same labels, whatever labels the store gave and in whatever order."""
    if any(isinstance(s, BNode) or isinstance(o, BNode) for s, _p, o in triples):
        quads = canonical_quads([ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples])
        triples = {(cast(Node, from_ox(q.subject)), URIRef(q.predicate.value),
                    cast(Node, from_ox(q.object))) for q in quads}
    return sorted(triples, key=_n3)


def _n3(t: tuple[Node, URIRef, Node]) -> tuple[str, ...]:
    return tuple(x.n3() for x in t)


def check_collisions(documents: dict[str, Document]) -> None:
    """Refuse two documents that would write the same file (``a`` and ``a.ttl``...)."""
    files: dict[str, str] = {}
    for path in sorted(documents):
        for suffix in SUFFIXES:
            name = path + suffix
            other = files.get(name)
            if other is not None:
                raise InputError(f"cannot publish {documents[path].iri}: its file {name} is "
                                 f"also a file of {documents[other].iri}")
            files[name] = path
    for path in documents:
        if path in files:
            raise InputError(f"cannot publish {documents[path].iri}: its path is a file of "
                             f"{documents[files[path]].iri}")

