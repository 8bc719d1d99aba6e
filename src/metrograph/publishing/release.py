"""Releases: the graph as canonical dumps, with a DCAT / VoID description, a changelog and
checksums, checked before they are put in place.

>>> from metrograph.publishing.release import publish
>>> release = publish(metrograph.load(), "releases/0.1.0")
>>> [f.name for f in release.files]
['CHANGES.md', 'SHA256SUMS', 'context.jsonld', 'metrograph.jsonld', 'metrograph.nt', ...]

A release folder holds the graph as one plain graph (the union of the parts: what loads into a
default graph) in ``metrograph.ttl``, ``metrograph.nt`` (sorted lines) and ``metrograph.jsonld``
(context inline); the same triples as named graphs, one per part (:func:`part_of`; each triple
in one part only: what loads into a dataset) in ``metrograph.trig``, ``metrograph.nq`` and
``metrograph.graphs.jsonld``; ``context.jsonld``; ``void.ttl`` (DCAT and VoID, with every
file's media type, size and SHA-256); ``CHANGES.md`` (since the previous release);
``SHA256SUMS`` (for ``sha256sum -c``); and ``.metrograph-release``, the marker by which
``publish --force`` knows a folder it may replace.

Every file is deterministic: the same graph gives the same bytes, blank nodes included (their
labels are canonical, W3C RDFC-1.0), and user graphs are named by content or by the name the
user gave, never by a path. The folder is written beside its destination, checked
(:func:`check_release`), then renamed into place (:func:`~metrograph.rdfio.folders.write_whole`):
a failed run leaves any earlier release as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID as _DEFAULT
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, VOID, XSD
from rdflib.term import Node

from metrograph.errors import InputError, ReleaseCheckError
from metrograph.model import Component, Deliverable
from metrograph.namespaces import BASE, ID, MG, MGO, SDG
from metrograph.rdfio.folders import replaceable, write_whole
from metrograph.rdfio.formats import FORMATS, read_quads
from metrograph.rdfio.inputs import read_input
from metrograph.rdfio.writers import (
    JSONLD_CONTEXT,
    canonical_parts,
    jsonld_text,
    merge_parts,
    nquads_text,
    ntriples_text,
    trig_text,
    turtle_text,
)
from metrograph.reports.markdown import md_text

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["DUMPS", "GRAPH_BASE", "Release", "ReleaseCheckError", "ReleaseFile",
           "canonical_parts", "changelog", "check_release", "jsonld_text", "ntriples_text",
           "part_of", "publish", "trig_text", "turtle_text"]

GRAPH_BASE = BASE + "graph/"

#: The RDF dumps of a release: file name -> format name (a key of :data:`FORMATS`).
DUMPS: dict[str, str] = {
    "metrograph.ttl": "ttl", "metrograph.nt": "nt", "metrograph.jsonld": "jsonld",
    "metrograph.trig": "trig", "metrograph.nq": "nq", "metrograph.graphs.jsonld": "jsonld"}
#: The dumps that hold one plain graph (the others hold named graphs, one per part).
PLAIN_DUMPS = ("metrograph.ttl", "metrograph.nt", "metrograph.jsonld")
_FORMAT_TITLES = {"ttl": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD", "trig": "TriG",
                  "nq": "N-Quads"}
_TITLES = {**{name: _FORMAT_TITLES[fmt] for name, fmt in DUMPS.items()},
           "metrograph.graphs.jsonld": "JSON-LD with named graphs"}
PLAIN_NOTE = ("One plain graph, the union of the parts: load it into a default graph (rdflib "
              "Graph().parse, a SPARQL store's default graph).")
NAMED_NOTE = ("Named graphs, one per part (the ontology, the vocabularies, the organisations, "
              "each plan's data, each user graph); each triple is in one part only: load it "
              "into a dataset (a quad store, rdflib Dataset().parse).")
#: The file that marks a folder as a metrograph release (``publish --force`` replaces only such
#: folders).
MARKER_FILE = ".metrograph-release"
CONTEXT_FILE = "context.jsonld"
VOID_FILE = "void.ttl"
CHANGES_FILE = "CHANGES.md"
SUMS_FILE = "SHA256SUMS"

_MEDIA_TYPES: dict[str, str] = {
    **{name: FORMATS[fmt].media_type for name, fmt in DUMPS.items()},
    CONTEXT_FILE: FORMATS["jsonld"].media_type, VOID_FILE: FORMATS["ttl"].media_type,
    CHANGES_FILE: "text/markdown", SUMS_FILE: "text/plain", MARKER_FILE: "text/plain"}
_IANA = "https://www.iana.org/assignments/media-types/"

# Vocabularies the release description uses besides metrograph's own prefixes.
SPDX = Namespace("http://spdx.org/rdf/terms#")
_DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace predates it

#: The dataset the releases are versions of.
DATASET = URIRef(BASE + "dataset")
#: The licence stated for a release (that of the metrograph ontology and the project's work).
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
RIGHTS = (
    "The ontology, the SKOS schemes, the English translations, the theme tags and the SDG "
    "links attributed to the project (prov:wasAttributedTo "
    "<https://w3id.org/metrograph/id/org/metrograph-project>) are the metrograph project's "
    "work, under CC BY 4.0; an SDG link attributed to another agent is that agent's proposal. "
    "The French text of each plan "
    "is its organisation's, from the source documents listed (dcterms:source). SDG goal and "
    "target titles come from the UN SDG Knowledge Organization System and are redistributed "
    "with the citation it requires (dcterms:bibliographicCitation).")
SDG_CITATION = (
    "Amit Joshi, Luis Gonzalez Morales, Szymon Klarman, and Aaron Helton. 2019. A Knowledge "
    "Organization System for the United Nations Sustainable Development Goals. New York, NY. "
    "http://metadata.un.org/sdg")


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release."""

    name: str
    media_type: str
    size: int  # bytes
    sha256: str  # lowercase hexadecimal
    triples: int | None  # statements held (quads for TriG); None for files that are not RDF


@dataclass(frozen=True)
class Release:
    """A release written by :func:`publish`."""

    directory: Path
    version: str
    issued: dt.date
    triples: int  # distinct triples of the graph (the union of its parts)
    parts: tuple[URIRef, ...]  # the TriG dump's named graphs
    files: tuple[ReleaseFile, ...]  # by name
    description: str  # the DCAT / VoID description, as written to void.ttl
    changes: str  # the changelog, as written to CHANGES.md

    def file(self, name: str) -> ReleaseFile:
        """The file called ``name``."""
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)


# ---------------------------------------------------------------------------- parts


def part_of(graph: URIRef) -> URIRef:
    """The named graph of the release that holds the triples of the store's graph ``graph``.

    The bundled files are grouped: ``…/graph/ontology/metrograph`` goes to ``…/graph/ontology``;
    the other ``…/graph/ontology/*`` (status, themes, link basis, SDG schemes) to
    ``…/graph/vocabularies``; ``…/graph/data/organisations`` to ``…/graph/organisations``;
    ``…/graph/data/{org}/{cycle}/{file}`` to ``…/graph/{org}/{cycle}``, one part per plan. Any
    other graph (a file the user loaded) keeps its own name.
    """
    name = str(graph)
    if not name.startswith(GRAPH_BASE):
        return graph
    local = name[len(GRAPH_BASE):]
    if local == "ontology/metrograph":
        return URIRef(GRAPH_BASE + "ontology")
    if re.fullmatch(r"ontology/[^/]+", local):
        return URIRef(GRAPH_BASE + "vocabularies")
    if local == "data/organisations":
        return URIRef(GRAPH_BASE + "organisations")
    plan = re.fullmatch(r"data/([^/]+)/([^/]+)/[^/]+", local)
    if plan:
        return URIRef(f"{GRAPH_BASE}{plan[1]}/{plan[2]}")
    return graph


#: a statement as :func:`metrograph.rdfio.formats.read_quads` gives it, and a triple
Quad = tuple[Node, Node, Node, URIRef]
Triple = tuple[Node, Node, Node]


def _quads(dataset: Dataset) -> Iterable[Quad]:
    return dataset.quads((None, None, None, None))  # type: ignore[return-value]


def _grouped(quads: Iterable[Quad], part: Callable[[URIRef], URIRef] = part_of
             ) -> dict[URIRef, set[Triple]]:
    """The triples of each part (``part`` of a graph name; the default graph's under
    ``_DEFAULT``)."""
    parts: dict[URIRef, set[Triple]] = {}
    for s, p, o, g in quads:
        parts.setdefault(part(g) if isinstance(g, URIRef) else _DEFAULT, set()).add((s, p, o))
    return parts


def _union_of(quads: Iterable[Quad]) -> set[Triple]:
    """The distinct triples of ``quads``, whatever graph holds them. (Sets of terms, not rdflib
    graphs: checking a release of the bundled data spent 4 of its 7 s adding to rdflib's store.)"""
    return {(s, p, o) for s, p, o, _g in quads}


# ---------------------------------------------------------------------------- description


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _url(name: str, base: str | None) -> URIRef:
    return URIRef(name if base is None else base + name)


def _file_node(g: Graph, node: URIRef | BNode, name: str, data: bytes, base: str | None) -> None:
    url = _url(name, base)
    g.add((node, DCAT.downloadURL, url))
    if isinstance(node, BNode):  # a distribution (DCAT wants an access URL too)
        g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.mediaType, URIRef(_IANA + _MEDIA_TYPES[name])))
    g.add((node, DCAT.byteSize, Literal(str(len(data)), datatype=XSD.nonNegativeInteger)))
    checksum = BNode("checksum-" + re.sub(r"[^A-Za-z0-9]", "-", name))
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(_sha256(data), datatype=XSD.hexBinary)))


def _label_en(union: Graph, node: URIRef) -> str:
    labels = sorted(str(o) for o in union.objects(node, SKOS.prefLabel)
                    if isinstance(o, Literal) and o.language == "en")
    return labels[0] if labels else str(node).rsplit("/", 1)[-1]


def _describe(kg: KnowledgeGraph, union: Graph, files: Mapping[str, bytes], *, version: str,
             issued: dt.date, endpoint: str | None = None, base: str | None = None) -> Graph:
    """The DCAT / VoID description of a release of ``kg`` whose graph is ``union`` and whose
    files (the dumps and ``context.jsonld``) are ``files``. Download URLs are ``base`` + file
    name, or relative file names (resolved against the description's own URL) when ``base`` is
    None."""
    g = Graph()
    ds = URIRef(f"{DATASET}/{quote(version, safe='')}")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.isVersionOf, DATASET))
    g.add((ds, DCTERMS.title, Literal("metrograph: action plans as a knowledge graph", lang="en")))
    g.add((ds, DCTERMS.title, Literal("metrograph : plans d'action en graphe de connaissances",
                                      lang="fr")))
    plans = kg.plans()
    counts = kg.counts()
    plan_list = ", ".join(_plan_names(kg).values())
    sdg_links = len(set(union.subjects(RDF.type, MG.SDGLink)))
    g.add((ds, DCTERMS.description, Literal(
        f"Organisations' action plans as linked data: {len(plans)} plan(s)"
        + (f" ({plan_list})" if plan_list else "")
        + f" with {counts['guidelines']} guidelines, {counts['measures']} measures and "
        f"{counts['deliverables']} deliverables, {counts['assessments']} dated status "
        f"assessment(s) and {sdg_links} link(s) to the UN Sustainable Development Goals, "
        "with the metrograph ontology and its SKOS schemes. French texts are the sources' own; "
        "English texts (mg:translatedLabel) are the project's translations.", lang="en")))
    project = MGO["metrograph-project"]
    g.add((ds, DCTERMS.publisher, project))
    creators = {project} | {p.organisation for p in plans}
    for agent in sorted(creators):
        g.add((ds, DCTERMS.creator, agent))
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, Literal(_label_en(union, agent), lang="en")))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((ds, OWL.versionInfo, Literal(version)))
    g.add((ds, _DCAT_VERSION, Literal(version)))
    g.add((ds, DCTERMS.issued, Literal(issued)))
    for lang in ("fr", "en"):
        g.add((ds, DCTERMS.language, URIRef(f"http://id.loc.gov/vocabulary/iso639-1/{lang}")))
    for source in sorted(s for s in union.subjects(RDF.type, MG.SourceDocument)
                         if isinstance(s, URIRef)):
        g.add((ds, DCTERMS.source, source))
    if any(str(s).startswith(str(SDG)) for s in union.subjects(SKOS.prefLabel, None)):
        g.add((ds, DCTERMS.bibliographicCitation, Literal(SDG_CITATION)))

    # VoID statistics
    classes: dict[URIRef, set[Node]] = defaultdict(set)
    for s, o in union.subject_objects(RDF.type):
        if isinstance(o, URIRef):
            classes[o].add(s)
    properties = Counter(URIRef(str(p)) for _s, p, _o in union)
    g.add((ds, VOID.triples, Literal(len(union))))
    g.add((ds, VOID.distinctSubjects, Literal(len(set(union.subjects(unique=True))))))
    g.add((ds, VOID.classes, Literal(len(classes))))
    g.add((ds, VOID.properties, Literal(len(properties))))
    g.add((ds, VOID.uriSpace, Literal(str(ID))))
    g.add((ds, VOID.vocabulary, URIRef(str(MG))))
    # Blank nodes labelled by position, so that the description is the same in every run.
    for number, (cls, members) in enumerate(sorted(classes.items()), start=1):
        node = BNode(f"class{number:04d}")
        g.add((ds, VOID.classPartition, node))
        g.add((node, VOID["class"], cls))
        g.add((node, VOID.entities, Literal(len(members))))
    for number, (prop, count) in enumerate(sorted(properties.items()), start=1):
        node = BNode(f"property{number:04d}")
        g.add((ds, VOID.propertyPartition, node))
        g.add((node, VOID.property, prop))
        g.add((node, VOID.triples, Literal(count)))
    for deliverable in kg.deliverables()[:3]:
        g.add((ds, VOID.exampleResource, deliverable.iri))
    if endpoint:
        g.add((ds, VOID.sparqlEndpoint, URIRef(endpoint)))

    # downloads
    for number, name in enumerate(DUMPS, start=1):
        dist = BNode(f"distribution{number}")
        g.add((ds, DCAT.distribution, dist))
        g.add((ds, VOID.dataDump, _url(name, base)))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"metrograph {version} as {_TITLES[name]}", lang="en")))
        g.add((dist, DCTERMS.description, Literal(
            PLAIN_NOTE if name in PLAIN_DUMPS else NAMED_NOTE, lang="en")))
        _file_node(g, dist, name, files[name], base)
        if name.endswith(".jsonld"):
            context = _url(CONTEXT_FILE, base)
            g.add((dist, DCTERMS.conformsTo, context))
            g.add((context, RDF.type, DCTERMS.Standard))
            g.add((context, DCTERMS.title, Literal("metrograph's JSON-LD context", lang="en")))
            _file_node(g, context, CONTEXT_FILE, files[CONTEXT_FILE], base)
    return g


# ---------------------------------------------------------------------------- changelog


def _where(c: Component, plans: Mapping[URIRef, str]) -> str:
    return f"{md_text(c.code)} ({md_text(plans.get(c.plan, str(c.plan)))})"


def _plan_names(kg: KnowledgeGraph) -> dict[URIRef, str]:
    return {p.iri: f"{p.organisation.rsplit('/', 1)[-1]} {p.cycle}" for p in kg.plans()}


def _all_components(kg: KnowledgeGraph) -> list[Component]:
    return [*kg.guidelines(), *kg.measures(), *kg.deliverables()]


def _quoted(text: str | None) -> str:
    """A text from the data as literal Markdown (:func:`~metrograph.reports.markdown.md_text`),
    between guillemets."""
    return "(none)" if text is None else "« " + md_text(" ".join(text.split())) + " »"


def changelog(kg: KnowledgeGraph, previous: KnowledgeGraph | None, *, version: str,
              issued: dt.date, previous_version: str | None = None) -> str:
    """``CHANGES.md``: what changed between the release of ``previous`` and that of ``kg``:
    components added or removed, deliverables whose current status changed, and components whose
    French text or English translation changed, each with its code."""
    counts = kg.counts()
    triples = len(_union_of(_quads(kg.store.dataset())))
    head = [f"# metrograph {md_text(version)}", "", f"Issued {issued.isoformat()}.", ""]
    summary = (f"{triples} triples; {counts['plans']} plan(s), "
               f"{counts['guidelines']} guidelines, {counts['measures']} measures, "
               f"{counts['deliverables']} deliverables, {counts['assessments']} status "
               "assessment(s).")
    if previous is None:
        return "\n".join([*head, "First release: " + summary, ""])
    before = len(_union_of(_quads(previous.store.dataset())))
    plans = {**_plan_names(previous), **_plan_names(kg)}
    old = {c.iri: c for c in _all_components(previous)}
    new = {c.iri: c for c in _all_components(kg)}
    out = [*head, f"Changes since {md_text(previous_version or 'the previous release')}. "
           f"Triples: {before} → {triples}. Now: " + summary, ""]

    def section(title: str, items: list[str]) -> None:
        out.extend([f"## {title} ({len(items)})", ""])
        out.extend(items or ["None."])
        out.append("")

    def listed(comps: Iterable[Component]) -> list[str]:
        return [f"- {c.kind} {_where(c, plans)}: {_quoted(c.label('fr'))}"
                + (f" / {_quoted(c.label('en'))}" if c.label("en") else "") for c in comps]

    section("Added", listed(c for iri, c in new.items() if iri not in old))
    section("Removed", listed(c for iri, c in old.items() if iri not in new))
    status_changes: list[str] = []
    text_changes: list[str] = []
    for iri, c in new.items():
        was = old.get(iri)
        if was is None:
            continue
        if (isinstance(c, Deliverable) and isinstance(was, Deliverable)
                and c.status is not was.status):
            as_of = f" (as of {c.current.as_of.isoformat()})" if c.current else ""
            status_changes.append(f"- {_where(c, plans)}: {was.status.label_en} → "
                                  f"{c.status.label_en}{as_of}")
        for lang, what in (("fr", "French text"), ("en", "English translation")):
            if c.label(lang) != was.label(lang):
                text_changes.append(f"- {_where(c, plans)}, {what}:\n"
                                    f"  - was: {_quoted(was.label(lang))}\n"
                                    f"  - now: {_quoted(c.label(lang))}")
    section("Status changes", status_changes)
    section("Text changes", text_changes)
    return "\n".join(out)


def _load_previous(previous: str | Path) -> tuple[KnowledgeGraph, str | None]:
    from metrograph.graph import KnowledgeGraph

    folder = Path(previous)
    dump = folder / "metrograph.nt"
    if not folder.is_dir():
        raise InputError("the previous release is not a folder", source=str(folder))
    if not dump.is_file():
        raise InputError("not a metrograph release: metrograph.nt is missing", source=str(folder))
    kg = KnowledgeGraph()
    kg.load_file(dump)
    version = None
    void = folder / VOID_FILE
    if void.is_file():
        g = Graph().parse(void, format="turtle")
        for ds in sorted(g.subjects(RDF.type, DCAT.Dataset), key=str):
            version = str(g.value(ds, OWL.versionInfo) or "the previous release")
            issued = g.value(ds, DCTERMS.issued)
            if issued is not None:
                version += f" (issued {issued})"
    return kg, version


# ---------------------------------------------------------------------------- checking


def _same_graph(a: set[Triple], b: set[Triple]) -> bool:
    """Whether ``a`` and ``b`` are isomorphic (ground triples compared as sets, the blank-node
    triples by :func:`rdflib.compare.isomorphic`)."""
    if len(a) != len(b):
        return False
    ground_a, ground_b = {t for t in a if _ground(t)}, {t for t in b if _ground(t)}
    return ground_a == ground_b and isomorphic(_graph(a - ground_a), _graph(b - ground_b))


def _ground(triple: Triple) -> bool:
    return not any(isinstance(x, BNode) for x in triple)


def _graph(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    graph += triples
    return graph


def _parse(path: Path, fmt: str) -> list[Quad]:
    """The statements of the dump at ``path``, read as metrograph reads every file (Oxigraph's
    parser, each term in its canonical form, a triple format's triples in the default graph):
    rdflib's parsers dropped a date's time zone, so data that had one was refused as "not the
    same graph"."""
    try:
        return read_quads(read_input(path), source=path.name, fmt=FORMATS[fmt], graph=_DEFAULT,
                          base=path.resolve().as_uri())
    except InputError as exc:
        message = str(exc).removeprefix(f"{path.name}")
        raise ReleaseCheckError(path.name, f"does not parse as {_FORMAT_TITLES[fmt]}: "
                                f"{message.lstrip(': ')}") from None


def _difference(graph: set[Triple], reference: set[Triple]) -> str:
    """One ground triple that one graph holds and the other does not, for a message."""
    def first(a: set[Triple], b: set[Triple]) -> str | None:
        return min((" ".join(t.n3() for t in x) for x in a - b if _ground(x)), default=None)

    extra, missing = first(graph, reference), first(reference, graph)
    if extra:
        return f"; it holds {extra[:200]}, which is not expected"
    return f"; it lacks {missing[:200]}" if missing else ""


def _read_sums(folder: Path) -> dict[str, str]:
    path = folder / SUMS_FILE
    if not path.is_file():
        raise ReleaseCheckError(SUMS_FILE, "missing")
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not match:
            raise ReleaseCheckError(SUMS_FILE, f"line {number} is not in sha256sum format")
        sums[match[2]] = match[1]
    return sums


def check_release(directory: str | Path, expected: Dataset | None = None) -> dict[str, int]:
    """Check the release in ``directory``: ``SHA256SUMS`` covers every file and matches it;
    every RDF file parses; every dump holds the same graph (isomorphic; ``expected``'s union
    when given, and then the TriG dump's named graphs are ``expected``'s parts); ``void.ttl``
    gives each file's true media type, size and checksum and the true triple count. Returns the
    statements each RDF file holds; raises :class:`ReleaseCheckError` naming the first file at
    fault."""
    folder = Path(directory)
    sums = _read_sums(folder)
    for name in sorted(p.name for p in folder.iterdir()):
        if name != SUMS_FILE and name not in sums:
            raise ReleaseCheckError(name, f"not listed in {SUMS_FILE}")
    for name, digest in sorted(sums.items()):
        path = folder / name
        if not path.is_file():
            raise ReleaseCheckError(name, f"listed in {SUMS_FILE} but missing")
        if _sha256(path.read_bytes()) != digest:
            raise ReleaseCheckError(name, f"its SHA-256 differs from {SUMS_FILE}")
    for name in (*DUMPS, CONTEXT_FILE, VOID_FILE, CHANGES_FILE, MARKER_FILE):
        if name not in sums:
            raise ReleaseCheckError(name, "missing")

    try:
        context = json.loads((folder / CONTEXT_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseCheckError(CONTEXT_FILE, f"not JSON: {exc}") from exc
    if context != {"@context": JSONLD_CONTEXT}:
        raise ReleaseCheckError(CONTEXT_FILE, "is not metrograph's published context")
    try:
        (folder / CHANGES_FILE).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReleaseCheckError(CHANGES_FILE, "not UTF-8") from exc

    counts: dict[str, int] = {}
    graphs: dict[str, set[Triple]] = {}
    named: dict[str, list[Quad]] = {}
    for name, fmt in DUMPS.items():
        quads = _parse(folder / name, fmt)
        counts[name] = len(quads)
        graphs[name] = _union_of(quads)
        if name in PLAIN_DUMPS:
            if FORMATS[fmt].quads and any(g != _DEFAULT for *_t, g in quads):
                raise ReleaseCheckError(name, "holds named graphs; a plain dump holds one graph")
        else:
            named[name] = quads
    reference_name, reference = ("the graph published", _union_of(_quads(expected))) \
        if expected is not None else ("metrograph.ttl", graphs["metrograph.ttl"])
    for name, graph in graphs.items():
        if not _same_graph(graph, reference):
            raise ReleaseCheckError(name, f"does not hold the same graph as {reference_name} "
                                    f"({len(graph)} triples, {len(reference)} expected"
                                    f"{_difference(graph, reference)})")
    nt_lines = (folder / "metrograph.nt").read_bytes().count(b"\n")
    if nt_lines != len(reference):
        raise ReleaseCheckError("metrograph.nt", f"{nt_lines} lines for {len(reference)} triples")
    wanted = _grouped(_quads(expected)) if expected is not None else None
    for dump, quads in named.items():
        found = _grouped(quads, part=lambda g: g)
        if sum(len(graph) for graph in found.values()) != len(reference):
            raise ReleaseCheckError(dump, "a triple is in more than one named graph")
        if wanted is None:
            continue
        if sorted(found) != sorted(wanted):
            raise ReleaseCheckError(dump, "named graphs "
                                    f"{sorted(map(str, found))}, expected "
                                    f"{sorted(map(str, wanted))}")
        for name, part in wanted.items():
            if not _same_graph(found[name], part):
                raise ReleaseCheckError(dump, f"named graph <{name}> differs")
    void = _parse(folder / VOID_FILE, "ttl")
    counts[VOID_FILE] = len(void)
    _check_description(folder, _graph(_union_of(void)), len(reference))
    return counts


def _check_description(folder: Path, void: Graph, triples: int) -> None:
    datasets = list(void.subjects(RDF.type, DCAT.Dataset))
    if len(datasets) != 1:
        raise ReleaseCheckError(VOID_FILE, f"{len(datasets)} dcat:Dataset, expected 1")
    ds = datasets[0]
    stated = void.value(ds, VOID.triples)
    if not isinstance(stated, Literal) or stated.toPython() != triples:
        raise ReleaseCheckError(VOID_FILE, f"void:triples is {stated}, the dumps hold {triples}")
    described = {str(url).rsplit("/", 1)[-1]: node
                 for node, url in void.subject_objects(DCAT.downloadURL)}
    distributions = {str(void.value(d, DCAT.downloadURL)).rsplit("/", 1)[-1]
                     for d in void.objects(ds, DCAT.distribution)}
    if distributions != set(DUMPS):
        raise ReleaseCheckError(VOID_FILE, f"distributions {sorted(distributions)}, "
                                f"expected {sorted(DUMPS)}")
    for name in (*DUMPS, CONTEXT_FILE):
        if name not in described:
            raise ReleaseCheckError(VOID_FILE, f"does not describe {name}")
        node = described[name]
        data = (folder / name).read_bytes()
        size = void.value(node, DCAT.byteSize)
        media = void.value(node, DCAT.mediaType)
        checksum = void.value(node, SPDX.checksum)
        value = void.value(checksum, SPDX.checksumValue) if checksum is not None else None
        algorithm = void.value(checksum, SPDX.algorithm) if checksum is not None else None
        if not isinstance(size, Literal) or size.toPython() != len(data):
            raise ReleaseCheckError(name, f"{VOID_FILE} gives {size} bytes, the file has "
                                    f"{len(data)}")
        if str(media) != _IANA + _MEDIA_TYPES[name]:
            raise ReleaseCheckError(name, f"{VOID_FILE} gives the media type {media}")
        if algorithm != SPDX.checksumAlgorithm_sha256 or str(value) != _sha256(data):
            raise ReleaseCheckError(name, f"its SHA-256 differs from {VOID_FILE}")


# ---------------------------------------------------------------------------- writing


def issued_default() -> dt.date:
    """The issue date of a release when none is given: the UTC date of the environment's
    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds.org convention), so
    that a release built again on another day is the same bytes; else today.

    Raises :class:`~metrograph.errors.InputError` when ``SOURCE_DATE_EPOCH`` is set but is
    not a whole number of seconds in the years 1970-9999."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return dt.date.today()
    try:
        if not re.fullmatch(r"[0-9]+", value.strip()):
            raise ValueError(value)
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise InputError(f"SOURCE_DATE_EPOCH is not a number of seconds since 1970: "
                         f"{value!r}") from None


def publish(kg: KnowledgeGraph, out_dir: str | Path, *, version: str | None = None,
            previous: str | Path | None = None, endpoint: str | None = None,
            overwrite: bool = False, issued: dt.date | None = None,
            base: str | None = None) -> Release:
    """Write a release of ``kg`` into the folder ``out_dir`` and return what it holds.

    ``version`` defaults to metrograph's version, ``issued`` to :func:`issued_default` (the
    date of ``SOURCE_DATE_EPOCH`` when set, else today). ``previous`` is the
    folder of an earlier release, for ``CHANGES.md``. ``endpoint`` is the URL of a SPARQL
    endpoint serving the data, named in the description. ``base`` is the URL the folder will be
    served from (ending in ``/``); without it the description's download URLs are relative to
    ``void.ttl``.

    Everything is written beside ``out_dir``, checked (:func:`check_release`), then renamed
    into place. A non-empty ``out_dir`` is refused (:class:`~metrograph.errors.InputError`)
    unless it holds a release (its marker file) and ``overwrite`` is True. Write errors raise
    :class:`~metrograph.errors.InputError`, a failed check :class:`ReleaseCheckError` naming
    the file; either leaves ``out_dir`` as it was.
    """
    from metrograph import __version__

    target = Path(out_dir)
    replaceable(target, overwrite, MARKER_FILE, "release")
    if base is not None and not base.endswith("/"):
        base += "/"
    if version is not None and (not version.strip() or not version.isprintable()):
        raise InputError(f"not a version (some text without control characters): {version!r}")
    version = version or __version__
    issued = issued or issued_default()
    old_kg, old_version = _load_previous(previous) if previous is not None else (None, None)

    source = kg.store.dataset()
    parts = canonical_parts(source, group=part_of)
    union = merge_parts(parts)
    files: dict[str, bytes] = {
        "metrograph.ttl": turtle_text(union).encode("utf-8"),
        "metrograph.nt": ntriples_text(union).encode("utf-8"),
        "metrograph.jsonld": jsonld_text({_DEFAULT: union}).encode("utf-8"),
        "metrograph.trig": trig_text(parts).encode("utf-8"),
        "metrograph.nq": nquads_text(parts).encode("utf-8"),
        "metrograph.graphs.jsonld": jsonld_text(parts).encode("utf-8"),
        CONTEXT_FILE: (json.dumps({"@context": JSONLD_CONTEXT}, ensure_ascii=False, indent=2,
                                  sort_keys=True) + "\n").encode("utf-8"),
        MARKER_FILE: b"metrograph release: publish --force may replace this folder\n",
    }
    changes = changelog(kg, old_kg, version=version, issued=issued,
                        previous_version=old_version)
    files[CHANGES_FILE] = changes.encode("utf-8")
    description = turtle_text(_describe(kg, union, files, version=version, issued=issued,
                                        endpoint=endpoint, base=base))
    files[VOID_FILE] = description.encode("utf-8")
    files[SUMS_FILE] = "".join(f"{_sha256(data)}  {name}\n"
                               for name, data in sorted(files.items())).encode("utf-8")

    counts: dict[str, int] = {}

    def check(work: Path) -> None:
        counts.update(check_release(work, expected=source))
        replaceable(target, overwrite, MARKER_FILE, "release")  # again: it may have changed

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(target)) from None
    write_whole(files, target, what="the release", check=check)
    return Release(
        directory=target, version=version, issued=issued, triples=len(union),
        parts=tuple(parts), description=description, changes=changes,
        files=tuple(ReleaseFile(name, _MEDIA_TYPES[name], len(data), _sha256(data),
                                counts.get(name)) for name, data in sorted(files.items())))
