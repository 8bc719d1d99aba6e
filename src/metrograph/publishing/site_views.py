"""What a page of the static site shows, as plain values the Jinja2 templates lay out.

:class:`PageViews` turns one document of a :class:`~metrograph.publishing.site_graph.SiteGraph`
into the values of its page in one language: its title and definition, a table of its
properties, the resources that link to it, its place in the plan (breadcrumbs), and, for the
ontology, every class and property with its labels, definitions and examples taken from the
data. Links between pages are relative, to the page in the same language, so the site works
wherever it is served and never leaves the reader's language; the IRI itself is shown and
resolves through the ``.htaccess`` content negotiation.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup, escape
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from metrograph.namespaces import MG, PREFIXES
from metrograph.publishing.site_graph import Document, SiteGraph, document_path

__all__ = [
    "INCOMING_LIMIT",
    "LANGUAGES",
    "Page",
    "PageViews",
    "Term",
    "Text",
    "Value",
    "load_messages",
]

#: the languages of the site, one page each
LANGUAGES: tuple[str, ...] = ("en", "fr")
#: at most this many resources are listed per incoming property (the rest are counted)
INCOMING_LIMIT = 50
_ORG_CLASSES = tuple(URIRef(PREFIXES[p] + n) for p, n in (
    ("org", "FormalOrganization"), ("org", "Organization"), ("org", "OrganizationalUnit"),
    ("foaf", "Organization")))
_KINDS = ((MG.ActionPlan, "plan"), (MG.Guideline, "guideline"), (MG.Measure, "measure"),
          (MG.Deliverable, "deliverable"), *((c, "organisation") for c in _ORG_CLASSES),
          (SKOS.ConceptScheme, "scheme"), (SKOS.Concept, "concept"), (OWL.Ontology, "ontology"))
# rdflib's namespace attributes are slow to look up: the hot paths use these
_TYPE, _PARENT, _PUBLISHER, _NOTATION = RDF.type, MG.parent, DCTERMS.publisher, SKOS.notation
_OWNERS = (MG.parent, MG.assessedItem, MG.contributor, MG.reportedFor)
_DIGITS = re.compile(r"(\d+)")
_PLAIN = {"xsd:string", "rdf:langString", "xsd:integer"}


@lru_cache(maxsize=65536)
def _reldir(target_dir: str, here_dir: str) -> str:
    """The relative path from the folder ``here_dir`` to the folder ``target_dir`` (``""``
    for the same folder, else ending in ``/``); cached, as a site has few folders."""
    rel = posixpath.relpath(target_dir or ".", here_dir or ".")
    return "" if rel == "." else rel + "/"


def load_messages() -> dict[str, Any]:
    """The message catalogue (``site_templates/messages.json``): interface texts by language,
    labels of the external terms the data uses, and the inverse names of properties."""
    messages: dict[str, Any] = json.loads(files("metrograph.publishing").joinpath(
        "site_templates/messages.json").read_text(encoding="utf-8"))
    return messages


@dataclass(frozen=True)
class Text:
    """A text and its language (None: the page's language or none)."""

    text: str
    lang: str | None = None

    def __html__(self) -> Markup:
        """The text, escaped, in a ``<span lang>`` when its language is not the page's."""
        if self.lang:
            return Markup(f'<span lang="{escape(self.lang)}">{escape(self.text)}</span>')
        return escape(self.text)


@dataclass
class Value:
    """Something a page shows: a link to a page of the site, an external IRI, a literal, or a
    blank node's own properties (``rows``)."""

    text: Text
    href: str | None = None
    iri: str | None = None
    external: bool = False
    datatype: str | None = None
    rows: list[Row] | None = None

    def __html__(self) -> Markup:
        """The value as the templates show it (made once per value)."""
        return self.markup

    @cached_property
    def markup(self) -> Markup:
        """The value as the templates show it: a link, a literal (with its datatype where it
        is not a plain string), or a blank node's properties as a nested list.

        Made here rather than in a Jinja2 macro: values are most of a page, and a macro call
        per value made rendering the pages of a 100k-triple network three times slower."""
        text = self.text.__html__()
        if self.rows is not None:
            items = "".join(f"<dt>{r.prop.__html__()}</dt><dd>"
                            + "; ".join(v.__html__() for v in r.values) + "</dd>"
                            for r in self.rows)
            return Markup(f'<dl class="nested">{items}</dl>')
        if self.href:
            cls = ' class="ext"' if self.external else ""
            return Markup(f'<a{cls} href="{escape(self.href)}">{text}</a>')
        if self.datatype and self.datatype not in _PLAIN:
            return Markup(f'{text} <small class="dt">{escape(self.datatype)}</small>')
        return text


@dataclass
class Row:
    """A property and its values (``more``: how many were left out)."""

    prop: Value
    values: list[Value]
    more: int = 0


@dataclass
class Part:
    """A component in a plan's outline: its code, its link, and its own parts."""

    code: str | None
    value: Value
    parts: list[Part]


@dataclass
class Term:
    """A class or property of the ontology, as its documentation shows it."""

    anchor: str
    iri: str
    curie: str
    kind: str
    labels: list[Text]
    definitions: list[Text]
    comments: list[Text]
    rows: list[Row]
    examples: list[list[Value]]
    used: int


@dataclass
class Page:
    """The values of one page in one language."""

    lang: str
    iri: str
    kind: str
    title: Text
    code: str | None
    root: str
    css: str
    other_href: str
    ttl: str
    jsonld: str
    crumbs: list[Value] = field(default_factory=list)
    types: list[Value] = field(default_factory=list)
    headline: list[Text] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    incoming: list[Row] = field(default_factory=list)
    members: list[Term] = field(default_factory=list)
    outline: list[Part] = field(default_factory=list)
    sections: list[tuple[str, list[Term]]] = field(default_factory=list)
    index: dict[str, list[Value]] = field(default_factory=dict)


def _natural(iri: object) -> tuple[Any, ...]:
    return tuple(int(x) if x.isdigit() else x for x in _DIGITS.split(str(iri)))


def curie(iri: str) -> str:
    """``iri`` as a prefixed name where a metrograph prefix fits, else the IRI."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            local = iri[len(ns):]
            if local and "/" not in local and "#" not in local:
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


class PageViews:
    """Makes the :class:`Page` of each document of ``site`` in a language."""

    def __init__(self, site: SiteGraph, messages: dict[str, Any]) -> None:
        self.site = site
        self.messages = messages
        self.terms: dict[str, dict[str, str]] = messages["terms"]
        self.inverse: dict[str, dict[str, str]] = messages["inverse"]
        self._seen: dict[tuple[URIRef, str, str], Value] = {}
        self._paths: dict[str, str | None] = {}

    # ------------------------------------------------------------------ small parts

    def text(self, lit: Literal | str, lang: str) -> Text:
        """A literal as text, with its language where it is not the page's."""
        if isinstance(lit, Literal) and lit.language and lit.language != lang:
            return Text(str(lit), lit.language)
        return Text(str(lit))

    def href(self, iri: str, lang: str, here: str) -> str | None:
        """The relative link from the page at ``here`` to the page of ``iri`` (None when the
        site has no page for it)."""
        path = self._paths.get(iri, "")
        if path == "":
            path = self._paths[iri] = document_path(iri, self.site.base)
        if path is None or path not in self.site.documents:
            return None
        target_dir, _, name = path.rpartition("/")
        rel = _reldir(target_dir, here.rpartition("/")[0]) + f"{name}.{lang}.html"
        if "#" in iri:
            rel += "#" + iri.split("#", 1)[1]
        return rel

    def name(self, iri: URIRef, lang: str) -> Text:
        """What ``iri`` is called: its label; else, for an unlabelled resource of the site, its
        type and the last segments of its path; else a term label of the catalogue; else its
        prefixed name."""
        label = self.site.label(iri, lang)
        if label is not None:
            return self.text(label, lang)
        path = document_path(str(iri), self.site.base)
        types = self.site.types.get(iri)
        if path is not None and "#" not in str(iri) and types:
            # an unlabelled resource of the site: what it is and where (SDG link L1M2/11)
            segments = path.split("/")
            where = "/".join(segments[-2:]) if len(segments) > 3 else segments[-1]
            what = self.name(types[0], lang).text
            return Text(f"{what[:1].upper()}{what[1:]} {where}")
        short = curie(str(iri))
        known = self.terms.get(short)
        return Text(known[lang] if known else short)

    def value(self, node: Node, lang: str, here: str, depth: int = 0) -> Value:
        """How ``node`` is shown on the page at ``here`` (the same IRI seen from the same
        folder is made once: pages of one plan share most of their links)."""
        if isinstance(node, URIRef):
            key = (node, lang, here.rpartition("/")[0])
            found = self._seen.get(key)
            if found is None:
                href = self.href(str(node), lang, here)
                found = self._seen[key] = Value(self.name(node, lang), href=href or str(node),
                                                iri=str(node), external=href is None)
            return found
        if isinstance(node, BNode):
            rows = self.rows(node, lang, here, depth + 1) if depth < 4 else []
            return Value(Text("…"), rows=rows)
        assert isinstance(node, Literal)
        datatype = curie(str(node.datatype)) if node.datatype else None
        return Value(self.text(node, lang), datatype=datatype)

    def prop(self, p: URIRef, lang: str, here: str) -> Value:
        """A property, linked to its documentation where the site has it (external
        properties are named, not linked: they would be most of a page's links)."""
        value = self.value(p, lang, here)
        return Value(value.text, iri=value.iri) if value.external else value

    def rows(self, subject: Node, lang: str, here: str, depth: int = 0,
             skip: frozenset[URIRef] = frozenset()) -> list[Row]:
        """``subject``'s properties and values, grouped by property, in a stable order."""
        grouped: dict[URIRef, list[Node]] = {}
        for p, o in self.site.out.get(subject, ()):
            if p not in skip:
                grouped.setdefault(p, []).append(o)
        out = []
        for p in sorted(grouped, key=lambda p: (p != _TYPE, str(p))):
            # texts in the page's language first, then the others as they come
            objects = sorted(grouped[p], key=lambda o: isinstance(o, Literal)
                             and o.language is not None and o.language != lang)
            values = [self.value(o, lang, here, depth) for o in objects]
            out.append(Row(self.prop(p, lang, here), values))
        return out

    def incoming(self, iri: URIRef, lang: str, here: str) -> list[Row]:
        """The resources that link to ``iri``, grouped by property (at most
        :data:`INCOMING_LIMIT` each, the rest counted)."""
        grouped: dict[URIRef, list[Node]] = {}
        for p, s in self.site.incoming.get(iri, ()):
            if p != _TYPE:
                grouped.setdefault(p, []).append(s)
        out = []
        for p in sorted(grouped, key=str):
            subjects = sorted(set(grouped[p]), key=_natural)
            shown = [self.value(s, lang, here) for s in subjects[:INCOMING_LIMIT]]
            inverse = self.inverse.get(curie(str(p)))
            if inverse:
                label = Value(Text(inverse[lang]))
            else:
                named = self.prop(p, lang, here)
                label = replace(named, text=Text(self.messages[lang]["of"].format(
                    named.text.text), named.text.lang))
            out.append(Row(label, shown, max(0, len(subjects) - INCOMING_LIMIT)))
        return out

    def kind(self, doc: Document) -> str:
        """The kind of page: plan, guideline, measure, deliverable, organisation, scheme,
        concept, ontology, or resource."""
        for cls, kind in _KINDS:  # (a document's IRI has types only if it is a subject)
            if self.site.is_a(doc.iri, cls):
                return kind
        if any(self.site.is_a(s, OWL.Ontology) for s in doc.subjects):
            return "ontology"
        return "resource"

    def crumbs(self, iri: URIRef, lang: str, here: str) -> list[Value]:
        """From the organisation down to ``iri``'s parent: the publisher, the plan, the
        guideline, the measure (following ``mg:parent``, and from an assessment, an SDG link or
        reported figures, the component or plan they are about)."""
        chain: list[URIRef] = []
        node: Node | None = iri
        while isinstance(node, URIRef) and len(chain) < 8:
            parents = [p for prop in _OWNERS for p in self.site.values(node, prop)
                       if isinstance(p, URIRef)]
            node = parents[0] if parents else None
            if isinstance(node, URIRef):
                chain.append(node)
        top = chain[-1] if chain else iri
        publishers = [p for p in self.site.values(top, _PUBLISHER) if isinstance(p, URIRef)]
        if publishers:
            chain.append(publishers[0])
        out = []
        for n in reversed(chain):
            value = self.value(n, lang, here)
            code = self.code(n)
            out.append(Value(Text(code), href=value.href, iri=value.iri) if code else value)
        return out

    def code(self, iri: URIRef) -> str | None:
        """``iri``'s ``skos:notation`` (a plan's cycle, a component's code), if it has one."""
        return min((str(o) for o in self.site.values(iri, _NOTATION)), default=None)

    # ------------------------------------------------------------------ pages

    def page(self, doc: Document, lang: str) -> Page:
        """The page of ``doc`` in ``lang``."""
        here = f"{doc.path}.{lang}.html"
        other = next(x for x in LANGUAGES if x != lang)
        base_name = posixpath.basename(doc.path)
        kind = self.kind(doc)
        up = _reldir("", here.rpartition("/")[0])
        page = Page(lang=lang, iri=str(doc.iri), kind=kind, title=self.name(doc.iri, lang),
                    code=self.code(doc.iri), root=f"{up}index.{lang}.html", css=f"{up}site.css",
                    other_href=f"{base_name}.{other}.html",
                    ttl=f"{base_name}.ttl", jsonld=f"{base_name}.jsonld")
        shown = (self.site.value_in(doc.iri, prop, lang)
                 for prop in (SKOS.definition, RDFS.comment, DCTERMS.description))
        page.headline = [self.text(lit, lang) for lit in shown if lit is not None]
        page.types = [self.value(t, lang, here) for t in self.site.types.get(doc.iri, ())]
        page.rows = self.rows(doc.iri, lang, here)
        if kind == "ontology":
            page.sections = self.ontology_sections(doc, lang, here)
        else:
            page.crumbs = self.crumbs(doc.iri, lang, here)
            for s in doc.subjects:  # fragment IRIs of a document that is not the ontology
                if s != doc.iri:
                    page.rows.extend(self.rows(s, lang, here))
            if kind in ("plan", "guideline", "measure"):
                page.outline = self.outline(doc.iri, lang, here)
            if kind == "scheme":
                concepts = {s for p, s in self.site.incoming.get(doc.iri, ())
                            if p in (SKOS.inScheme, SKOS.topConceptOf) and isinstance(s, URIRef)}
                page.members = [self.term(c, lang, here) for c in sorted(concepts, key=_natural)]
        page.incoming = self.incoming(doc.iri, lang, here)
        return page

    def outline(self, iri: URIRef, lang: str, here: str, depth: int = 0) -> list[Part]:
        """The components under ``iri`` (following ``mg:parent`` down), in code order."""
        children = sorted({s for p, s in self.site.incoming.get(iri, ())
                           if p == _PARENT and isinstance(s, URIRef)},
                          key=lambda s: _natural(self.code(s) or str(s)))
        return [Part(self.code(c), self.value(c, lang, here),
                     self.outline(c, lang, here, depth + 1) if depth < 3 else [])
                for c in children]

    def term(self, iri: URIRef, lang: str, here: str) -> Term:
        """A class, property or concept with its labels and definitions in every language
        (the page's first), its other properties and examples of its use in the data."""
        def both(prop: URIRef) -> list[Text]:
            lits = [o for o in self.site.values(iri, prop) if isinstance(o, Literal)]
            lits.sort(key=lambda lit: (lit.language != lang, lit.language or "", str(lit)))
            return [self.text(lit, lang) for lit in lits]

        labels = both(RDFS.label) or both(SKOS.prefLabel)
        shown = frozenset({RDFS.label, SKOS.prefLabel, SKOS.definition, RDFS.comment, RDF.type,
                           SKOS.inScheme, SKOS.topConceptOf})
        instances = self.site.instances.get(iri) or []
        if not instances and self.site.uses.get(iri):
            used = self.site.use_count[iri]
            examples = [[self.value(s, lang, here), self.value(o, lang, here)]
                        for s, o in self.site.uses[iri][:3]]
        else:
            # its instances, else what uses it (its own vocabulary listing it is no example)
            subjects = instances or sorted({s for p, s in self.site.incoming.get(iri, ())
                                            if isinstance(s, URIRef) and p != SKOS.hasTopConcept},
                                           key=_natural)
            used = len(subjects)
            examples = [[self.value(s, lang, here)] for s in subjects[:3]]
        kinds = [curie(str(t)) for t in self.site.types.get(iri, ())]
        return Term(anchor=str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1], iri=str(iri),
                    curie=curie(str(iri)), kind=", ".join(kinds), labels=labels,
                    definitions=both(SKOS.definition), comments=both(RDFS.comment),
                    rows=self.rows(iri, lang, here, skip=shown), examples=examples, used=used)

    def ontology_sections(self, doc: Document, lang: str, here: str) -> list[tuple[str,
                                                                                  list[Term]]]:
        """The ontology's classes, object properties and datatype properties."""
        mine = set(doc.subjects)
        placed: set[URIRef] = set()
        sections = []
        for key, classes in (("classes", (OWL.Class, RDFS.Class)),
                             ("object_properties", (OWL.ObjectProperty,)),
                             ("datatype_properties", (OWL.DatatypeProperty,
                                                      OWL.AnnotationProperty, RDF.Property))):
            chosen = [t for t in self.site.ontology_terms()
                      if t in mine and t not in placed and self.site.is_a(t, *classes)]
            placed.update(chosen)
            if chosen:
                sections.append((key, [self.term(t, lang, here) for t in chosen]))
        return sections

    def index_page(self, lang: str) -> Page:
        """The site's home page: organisations, plans, the ontology and the vocabularies."""
        here = f"index.{lang}.html"
        other = next(x for x in LANGUAGES if x != lang)
        page = Page(lang=lang, iri=self.site.base, kind="index",
                    title=Text(self.messages[lang]["site_title"]), code=None, root=here,
                    css="site.css", other_href=f"index.{other}.html", ttl="", jsonld="")
        docs = self.site.documents

        def listed(cls: tuple[URIRef, ...]) -> list[Value]:
            found = sorted({s for c in cls for s in self.site.instances.get(c, ())
                            if document_path(str(s), self.site.base) in docs
                            and "#" not in str(s)}, key=_natural)
            return [self.value(s, lang, here) for s in found]

        page.index = {"organisations": listed(_ORG_CLASSES), "plans": listed((MG.ActionPlan,)),
                      "ontology": listed((OWL.Ontology,)),
                      "vocabularies": listed((SKOS.ConceptScheme,))}
        return page
