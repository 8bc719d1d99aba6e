"""The typed objects back to RDF: what the model's dataclasses hold, as triples.

``to_rdf(kg.plans(), kg.components())`` gives back, for every plan, component, SDG link and
status assessment, exactly the triples of the graph that the model defines (the round trip
graph -> objects -> graph is tested); what the objects do not carry (source documents,
reported figures, provenance of links) is not produced.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SDO, SKOS, XSD

from metrograph.model import Component, Deliverable, Guideline, Measure, Plan
from metrograph.namespaces import MG, bind_prefixes

__all__ = ["MODEL_PREDICATES", "to_rdf"]

#: the predicates the typed objects carry
MODEL_PREDICATES = frozenset({
    RDF.type, SKOS.notation, MG.startYear, MG.endYear, DCTERMS.publisher, DCTERMS.title,
    MG.translatedLabel, SDO.position, MG.parent, SKOS.prefLabel, MG.expectedOutcome, MG.theme,
    SDO.mentions, MG.contributor, MG.sdg, MG.linkBasis, MG.justification, MG.assessedItem,
    MG.status, MG.asOf, DCTERMS.source,
})
_CLASSES = {Guideline: MG.Guideline, Measure: MG.Measure, Deliverable: MG.Deliverable}


def to_rdf(plans: Iterable[Plan], components: Iterable[Component],
           source_language: str = "fr") -> Graph:
    """The triples the typed ``plans`` and ``components`` stand for."""
    g = bind_prefixes(Graph())
    for p in plans:
        g.add((p.iri, RDF.type, MG.ActionPlan))
        g.add((p.iri, SKOS.notation, Literal(p.cycle)))
        g.add((p.iri, DCTERMS.publisher, p.organisation))
        if p.start_year is not None:
            g.add((p.iri, MG.startYear, Literal(f"{p.start_year:04d}", datatype=XSD.gYear)))
        if p.end_year is not None:
            g.add((p.iri, MG.endYear, Literal(f"{p.end_year:04d}", datatype=XSD.gYear)))
        if "fr" in p.title:
            g.add((p.iri, DCTERMS.title, Literal(p.title["fr"], lang=source_language)))
        if "en" in p.title:
            g.add((p.iri, MG.translatedLabel, Literal(p.title["en"], lang="en")))
    for c in components:
        g.add((c.iri, RDF.type, _CLASSES[type(c)]))
        g.add((c.iri, SKOS.notation, Literal(c.code)))
        if c.position is not None:
            g.add((c.iri, SDO.position, Literal(c.position)))
        g.add((c.iri, MG.parent, c.parent))
        if "fr" in c.labels:
            g.add((c.iri, SKOS.prefLabel, Literal(c.labels["fr"], lang=source_language)))
            if isinstance(c, Measure):
                g.add((c.iri, MG.expectedOutcome, Literal(c.labels["fr"], lang=source_language)))
        if "en" in c.labels:
            g.add((c.iri, MG.translatedLabel, Literal(c.labels["en"], lang="en")))
        for theme in c.themes:
            g.add((c.iri, MG.theme, theme))
        for org in c.mentions:
            g.add((c.iri, SDO.mentions, org))
        for link in c.sdg_links:
            if link.iri is None:
                continue
            g.add((link.iri, RDF.type, MG.SDGLink))
            g.add((link.iri, MG.contributor, c.iri))
            g.add((link.iri, MG.sdg, link.sdg))
            if link.basis is not None:
                g.add((link.iri, MG.linkBasis, link.basis))
            if link.justification is not None:
                g.add((link.iri, MG.justification, Literal(link.justification, lang="en")))
        if isinstance(c, Deliverable):
            for record in c.history:
                node: URIRef = record.assessment
                g.add((node, RDF.type, MG.StatusAssessment))
                g.add((node, MG.assessedItem, c.iri))
                if record.status.iri is not None:
                    g.add((node, MG.status, record.status.iri))
                g.add((node, MG.asOf, Literal(record.as_of.isoformat(), datatype=XSD.date)))
                if record.source is not None:
                    g.add((node, DCTERMS.source, record.source))
    return g
