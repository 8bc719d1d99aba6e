"""A plan of a graph back to the rows of the spreadsheet authoring format.

Organisations metrograph ships (``data/organisations.ttl``) get no row: a plan folder names them
by id, and the import of the exported folder adds back exactly the plan's triples. Every other
organisation the graph holds gets a row, named by the plan or not (a partner, a unit), and so
does a shipped one the graph says more about (the row holds what it adds); every source document
the plan cites gets a row, and so does one nothing cites that metrograph does not ship. Rows
come out in one order whatever the store's: by code (then IRI), by IRI.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, SKOS

from metrograph.authoring.csv_format import LEVELS, RELATIONS, SPDX
from metrograph.authoring.schema import tables
from metrograph.errors import InputError
from metrograph.namespaces import ID, MG, MGO, MGS, SDG, bind_prefixes
from metrograph.resources import bundled_parts, package_dir

__all__ = ["export_plan", "plan_graph", "shipped_organisations"]

Tables = dict[str, list[dict[str, str]]]
ORG_TYPES = ("FormalOrganization", "Organization", "OrganizationalUnit")
_CITES = (DCTERMS.source, PROV.wasDerivedFrom)  # how a resource cites a source document


def plan_graph(union: Graph, plan: URIRef) -> Graph:
    """The triples that describe ``plan`` in ``union``: the plan, its components, their
    assessments and SDG links, its reported figures and its source documents (organisations
    and vocabularies are left out)."""
    out = bind_prefixes(Graph())
    components = {s for s in union.subjects(MG.parent, None) if _root(union, s) == plan}
    subjects: set[Any] = {plan} | components
    for c in components:
        subjects |= set(union.subjects(MG.assessedItem, c))
        subjects |= set(union.subjects(MG.contributor, c))
    for rep in union.subjects(MG.reportedFor, plan):
        subjects |= {rep, *union.objects(rep, MG.statusCount)}
    documents = {d for d in union.subjects(RDF.type, MG.SourceDocument) if isinstance(d, URIRef)}
    _describe(union, out, subjects | _cited(union, subjects, documents))
    return out


def _cited(union: Graph, citing: set[Any], documents: set[Any]) -> set[Any]:
    """The ``documents`` that ``citing`` cite, directly or through other documents."""
    cited: set[Any] = set()
    frontier = citing
    while frontier:
        frontier = {o for s in frontier for p in _CITES for o in union.objects(s, p)
                    if o in documents} - cited
        cited |= frontier
    return cited


def _describe(union: Graph, out: Graph, subjects: set[Any]) -> None:
    """Add to ``out`` every triple of ``union`` about ``subjects`` and the blank nodes they
    lead to (a checksum)."""
    todo = list(subjects)
    seen = set(todo)
    while todo:
        s = todo.pop()
        for p, o in union.predicate_objects(s):
            out.add((s, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)


@cache
def _shipped() -> Graph:
    """The data metrograph ships (``data/``: its organisations and bundled plans)."""
    g = Graph()
    for name, part in bundled_parts():
        if name.startswith("data/"):
            g.parse(data=part.read_bytes(), format="turtle")
    return g


def _uncited_documents(union: Graph) -> set[Any]:
    """The source documents no plan, component, assessment... cites, directly or through
    another document, that metrograph does not ship: a sources.csv row kept for the record."""
    documents = set(union.subjects(RDF.type, MG.SourceDocument))
    citing = {s for p in _CITES for s in union.subjects(p) if s not in documents}
    shipped = _shipped()
    return {d for d in documents - _cited(union, citing, documents)
            if (d, None, None) not in shipped}


@cache
def shipped_organisations() -> frozenset[URIRef]:
    """The organisations metrograph ships."""
    g = Graph().parse(data=package_dir("data").joinpath("organisations.ttl").read_bytes(),
                      format="turtle")
    return frozenset(s for s in g.subjects() if isinstance(s, URIRef))


def _root(g: Graph, node: Any) -> Any:
    seen = set()
    while (parent := g.value(node, MG.parent)) is not None and parent not in seen:
        seen.add(parent)
        node = parent
    return node


def _text(g: Graph, s: Any, p: URIRef, lang: str | None = None) -> str:
    return next((str(o) for o in g.objects(s, p)
                 if isinstance(o, Literal) and (lang is None or o.language == lang)), "")


def _lang(g: Graph, s: Any, p: URIRef) -> str:
    return next((o.language or "" for o in g.objects(s, p) if isinstance(o, Literal)), "")


def _value(g: Graph, s: Any, p: URIRef, ns: Namespace | None = None) -> str:
    node = g.value(s, p)  # never `or ""`: a Literal 0 is false
    text = "" if node is None else str(node)
    return text[len(str(ns)):] if ns is not None and text.startswith(str(ns)) else text


def _plan_key(iri: object) -> tuple[str, str, str] | None:
    m = re.fullmatch(re.escape(str(ID)) + r"([^/]+)/plan/([^/]+)(?:/(.+))?", str(iri))
    return (m.group(1), m.group(2), m.group(3) or "") if m else None


def _code_key(code: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


def _mapped(g: Graph, subject: Any, file: str, **cells: str) -> dict[str, str]:
    """The cells of the columns the metadata maps (``propertyUrl``), plus ``cells``."""
    row = {}
    for c in tables()[file].columns:
        if c.property is not None:
            values = sorted(v for o in g.objects(subject, c.property)
                            if (v := c.cell(o)) is not None)
            row[c.name] = (c.separator or "").join(values) if c.separator else next(
                iter(values), "")
    return row | cells


def export_plan(union: Graph, plan: URIRef) -> Tables:
    """The plan as rows of the authoring format, file by file."""
    key = _plan_key(plan)
    if key is None or key[2]:
        raise InputError(f"{plan} is not a metrograph plan IRI (…/id/ORG/plan/CYCLE)")
    org, cycle, _ = key
    g = plan_graph(union, plan)
    _describe(union, g, _uncited_documents(union))
    base = str(plan) + "/"
    labels = [o.language for c in g.subjects(MG.parent, None)
              for o in g.objects(c, SKOS.prefLabel) if isinstance(o, Literal) and o.language]
    lang = _lang(g, plan, DCTERMS.title) or (labels[0] if labels else "fr")
    out: Tables = {name: [] for name in tables()}
    out["plan.csv"].append(_mapped(
        g, plan, "plan.csv", organisation=org, cycle=cycle, language=lang,
        title=_text(g, plan, DCTERMS.title),
        previous_cycle=(_plan_key(g.value(plan, MG.previousCycle)) or ("", "", ""))[1]))
    for d in sorted(g.subjects(RDF.type, MG.SourceDocument), key=str):
        checksum = g.value(d, SPDX.checksum)
        out["sources.csv"].append(_mapped(
            g, d, "sources.csv", id=str(d), title=_text(g, d, DCTERMS.title),
            title_lang=_lang(g, d, DCTERMS.title), date=_value(g, d, DCTERMS.date),
            sha256=_value(g, checksum, SPDX.checksumValue) if checksum is not None else ""))
    for file, cls, _pattern in LEVELS:
        for item in sorted(g.subjects(RDF.type, cls),
                           key=lambda i: (_code_key(_value(g, i, SKOS.notation)), str(i))):
            code = _value(g, item, SKOS.notation)
            out[file].append(_mapped(g, item, file, code=code,
                                     label=_text(g, item, SKOS.prefLabel, lang)))
            for name, rel in RELATIONS.items():
                out["links.csv"] += [_link_row(code, name, e, org)
                                     for e in sorted(g.objects(item, rel), key=str)]
    out["links.csv"] += [_link_row("", "drops", e, org)
                         for e in sorted(g.objects(plan, MG.drops), key=str)]
    for link in sorted(g.subjects(RDF.type, MG.SDGLink), key=str):
        out["sdg-links.csv"].append(_mapped(
            g, link, "sdg-links.csv", code=_value(g, link, MG.contributor)[len(base):],
            sdg=_value(g, link, MG.sdg, SDG)))
    for a in sorted(g.subjects(RDF.type, MG.StatusAssessment),
                    key=lambda a: (_value(g, a, MG.assessedItem), _value(g, a, MG.asOf),
                                   str(a))):
        out["statuses.csv"].append(_mapped(
            g, a, "statuses.csv", code=_value(g, a, MG.assessedItem)[len(base):],
            status=_value(g, a, MG.status, MGS)))
    for rep in sorted(g.subjects(MG.reportedFor, plan), key=str):
        counts = {_value(g, c, MG.status, MGS).replace("-", "_"): _value(g, c, MG.count)
                  for c in g.objects(rep, MG.statusCount)}
        out["reported.csv"].append(_mapped(g, rep, "reported.csv", **counts,
                                           note=_text(g, rep, SKOS.scopeNote),
                                           note_lang=_lang(g, rep, SKOS.scopeNote)))
    named = {o for o in g.objects() if isinstance(o, URIRef) and str(o).startswith(str(MGO))}
    held = {s for cls in (FOAF.Organization, *(ORG[t] for t in ORG_TYPES))
            for s in union.subjects(RDF.type, cls)
            if isinstance(s, URIRef) and str(s).startswith(str(MGO))}
    for node in sorted(named | held, key=str):
        row = (_shipped_organisation_row(union, node) if node in shipped_organisations()
               else _organisation_row(union, node))
        if row is not None:
            out["organisations.csv"].append(row)
    return out


def _organisation_row(g: Graph, node: URIRef, kinds_from: Graph | None = None
                      ) -> dict[str, str]:
    held = g if kinds_from is None else kinds_from  # never `or`: an empty graph is false
    kinds = [t for t in ORG_TYPES if (node, RDF.type, ORG[t]) in held]
    alts = sorted(f"{o}@{o.language}" for o in g.objects(node, SKOS.altLabel)
                  if isinstance(o, Literal) and o.language)
    return _mapped(g, node, "organisations.csv", id=str(node)[len(MGO):],
                   type=kinds[0] if kinds else "Organization", alt_names=";".join(alts))


def _shipped_organisation_row(union: Graph, node: URIRef) -> dict[str, str] | None:
    """The row of what ``union`` says of a shipped organisation beyond what metrograph ships
    (None if nothing): its other names, a comment... A unit's ``org:hasUnit`` is left out:
    the unit's own row (``unit_of``) makes it."""
    shipped = _shipped()
    extra = Graph()
    for p, o in union.predicate_objects(node):
        if (node, p, o) not in shipped and not (
                p == ORG.hasUnit and (o, ORG.unitOf, node) in union):
            extra.add((node, p, o))
    own_kind = any((node, RDF.type, ORG[t]) in extra for t in ORG_TYPES)
    row = _organisation_row(extra, node, extra if own_kind else union)
    if not own_kind and not any(v for k, v in row.items() if k not in ("id", "type")):
        return None
    if not (row["name_en"] or row["name_fr"]):  # a row needs a name: the shipped one
        for column, lang in (("name_en", "en"), ("name_fr", "fr")):
            name = _text(shipped, node, SKOS.prefLabel, lang)
            if name:
                row[column] = name
                break
    return row


def _link_row(code: str, relation: str, earlier: object, org: str) -> dict[str, str]:
    e_org, e_cycle, e_code = _plan_key(earlier) or ("", "", str(earlier))
    return {"code": code, "relation": relation, "earlier_cycle": e_cycle,
            "earlier_code": e_code, "earlier_organisation": "" if e_org == org else e_org}
