"""Namespaces of metrograph, and the one place that binds prefixes.

``MG`` is a closed :class:`rdflib.namespace.DefinedNamespace`: a misspelt term raises
``AttributeError`` instead of minting a new IRI. A test checks it against ``ontology/``.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    XSD,
    DefinedNamespace,
)

__all__ = ["BASE", "ID", "MG", "MGB", "MGO", "MGS", "MGT", "PREFIXES", "SDG", "SDGO",
           "bind_prefixes", "plan_iri"]


class MG(DefinedNamespace):
    """The metrograph ontology (``ontology/metrograph.ttl``)."""

    _fail = True
    _NS = Namespace("https://w3id.org/metrograph/ontology#")

    ActionPlan: URIRef  # an organisation's plan for one cycle
    PlanComponent: URIRef  # guideline, measure or deliverable
    Guideline: URIRef
    Measure: URIRef
    Deliverable: URIRef
    StatusAssessment: URIRef  # a dated status of a component, with its source
    ReportedProgress: URIRef  # the figures a source reports for a plan
    StatusCount: URIRef  # one per-status count of reported progress
    SDGLink: URIRef  # qualified link to an SDG goal or target
    SourceDocument: URIRef  # document text, statuses or figures come from
    partOf: URIRef  # transitive part-of
    hasPart: URIRef  # inverse of partOf
    parent: URIRef  # direct parent (sub-property of partOf)
    startYear: URIRef
    endYear: URIRef
    expectedOutcome: URIRef
    translatedLabel: URIRef  # the project's translation, an editorial addition
    assessedItem: URIRef
    status: URIRef
    asOf: URIRef
    reportedFor: URIRef
    reportedTotal: URIRef
    statusCount: URIRef
    count: URIRef
    theme: URIRef
    contributor: URIRef
    sdg: URIRef
    linkBasis: URIRef
    justification: URIRef
    previousCycle: URIRef
    succeeds: URIRef
    continues: URIRef
    replaces: URIRef
    splitFrom: URIRef
    drops: URIRef


BASE = "https://w3id.org/metrograph/"
ID = Namespace(BASE + "id/")
MGS = Namespace(BASE + "vocab/status/")
MGT = Namespace(BASE + "vocab/theme/")
MGB = Namespace(BASE + "vocab/link-basis/")
MGO = Namespace(BASE + "id/org/")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")

PREFIXES: dict[str, str] = {
    "mg": str(MG), "mgs": str(MGS), "mgt": str(MGT), "mgb": str(MGB), "mgo": str(MGO),
    "sdg": str(SDG), "sdgo": str(SDGO),
    "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV), "org": str(ORG),
    "foaf": str(FOAF), "schema": str(SDO), "rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL),
    "xsd": str(XSD), "sh": str(SH),
    "dcat": "http://www.w3.org/ns/dcat#", "void": "http://rdfs.org/ns/void#",
    "spdx": "http://spdx.org/rdf/terms#", "vann": "http://purl.org/vocab/vann/",
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind metrograph's prefixes on ``graph`` (replacing clashing ones) and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, Namespace(iri), override=True, replace=True)
    return graph


def plan_iri(organisation: str, cycle: str) -> URIRef:
    """The IRI of ``organisation``'s plan for ``cycle``.

    >>> plan_iri("metropolis", "2018-2020")
    rdflib.term.URIRef('https://w3id.org/metrograph/id/metropolis/plan/2018-2020')
    """
    return ID[f"{organisation}/plan/{cycle}"]
