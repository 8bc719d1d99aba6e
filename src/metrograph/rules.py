"""Reasoning that scales: the entailments metrograph relies on, materialised by targeted rules.

owlrl computes the whole OWL-RL closure in Python: seconds at ten thousand triples, out of
reach at a hundred thousand. What metrograph's users and queries need from it is a small part:

- sub-property entailments (``rdfs:subPropertyOf``, transitively: ``mg:parent`` ⊑ ``mg:partOf``
  ⊑ ``dcterms:isPartOf``, ``mg:continues`` ⊑ ``mg:succeeds`` ⊑ ``prov:wasDerivedFrom``,
  ``mg:translatedLabel`` ⊑ ``rdfs:label``...);
- transitive properties (``owl:TransitiveProperty``: the ``mg:partOf`` / ``mg:hasPart``
  closure, so that a deliverable is part of its guideline and plan);
- inverse properties (``owl:inverseOf``: ``mg:hasPart``);
- ``rdfs:domain`` / ``rdfs:range`` typing and sub-class entailments (``rdfs:subClassOf``,
  transitively: ``mg:Deliverable`` ⊑ ``mg:PlanComponent``, ``mg:ActionPlan`` ⊑ ``prov:Plan``...).

The axioms are read from the ontology (the schema triples found in the store, or the packaged
``ontology/metrograph.ttl`` when the store holds none), never hard-coded. Each axiom becomes one
SPARQL rule; the rules run to a fixed point as ``INSERT ... WHERE`` updates in Oxigraph, or as
``CONSTRUCT`` queries plus :meth:`Store.add` in any other store. The result equals owlrl's
OWL-RL closure restricted to those predicates and classes (``tests/test_scale.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

if TYPE_CHECKING:
    from .store import Store

__all__ = ["INFERRED_GRAPH", "Schema", "materialise", "read_schema", "rules"]

#: the named graph that receives the inferred triples
INFERRED_GRAPH = URIRef("https://w3id.org/metrograph/graph/inferred")

_SCHEMA_QUERY = f"""
SELECT ?s ?p ?o WHERE {{
  ?s ?p ?o .
  FILTER(?p IN (<{RDFS.subPropertyOf}>, <{RDFS.subClassOf}>, <{OWL.inverseOf}>,
                <{RDFS.domain}>, <{RDFS.range}>)
         || (?p = <{RDF.type}> && ?o = <{OWL.TransitiveProperty}>))
  FILTER(isIRI(?s) && isIRI(?o))
}}"""


@dataclass
class Schema:
    """The axioms the rules use (IRIs only)."""

    sub_property: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    sub_class: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    inverse: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    transitive: set[URIRef] = field(default_factory=set)
    domain: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    range: set[tuple[URIRef, URIRef]] = field(default_factory=set)

    def add(self, s: URIRef, p: URIRef, o: URIRef) -> None:
        """Record one schema triple."""
        if p == RDFS.subPropertyOf:
            self.sub_property.add((s, o))
        elif p == RDFS.subClassOf:
            self.sub_class.add((s, o))
        elif p == OWL.inverseOf:
            self.inverse.add((s, o))
        elif p == RDFS.domain:
            self.domain.add((s, o))
        elif p == RDFS.range:
            self.range.add((s, o))
        elif p == RDF.type and o == OWL.TransitiveProperty:
            self.transitive.add(s)

    def __bool__(self) -> bool:
        return bool(self.sub_property or self.sub_class or self.inverse or self.transitive
                    or self.domain or self.range)

    def properties(self) -> set[URIRef]:
        """Every property whose triples the rules can add."""
        out = {q for _p, q in _closure(self.sub_property)} | set(self.transitive)
        out |= {p for pair in self.inverse for p in pair}
        return out

    def classes(self) -> set[URIRef]:
        """Every class whose ``rdf:type`` triples the rules can add."""
        out = {d for _c, d in _closure(self.sub_class)}
        out |= {c for _p, c in self.domain} | {c for _p, c in self.range}
        return out | {d for c in list(out) for c2, d in _closure(self.sub_class) if c2 == c}


def _closure(pairs: Iterable[tuple[URIRef, URIRef]]) -> set[tuple[URIRef, URIRef]]:
    """The transitive closure of a relation given as pairs."""
    out = set(pairs)
    while True:
        extra = {(a, d) for a, b in out for c, d in out if b == c} - out
        if not extra:
            return out
        out |= extra


def read_schema(store: Store) -> Schema:
    """The axioms found in ``store``; the packaged ontology's when it holds none."""
    schema = Schema()
    for s, p, o in store.select(_SCHEMA_QUERY).rows:
        if isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef):
            schema.add(s, p, o)
    if not schema:
        from .resources import package_dir

        g = Graph()
        g.parse(data=package_dir("ontology").joinpath("metrograph.ttl").read_text("utf-8"),
                format="turtle")
        for s, p, o in g:
            if isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef):
                schema.add(s, p, o)
    return schema


def rules(schema: Schema) -> list[tuple[str, str, tuple[URIRef, URIRef | None]]]:
    """The rules of ``schema`` as ``(template, where, source)``: the triple pattern inferred,
    the SPARQL pattern that entails it, and what it reads (a predicate, and for ``rdf:type``
    the class), so that a rule whose input did not change is not run again."""
    out: list[tuple[str, str, tuple[URIRef, URIRef | None]]] = []
    # sub-properties, sub-property closure precomputed: one rule per (p, q)
    for p, q in sorted(_closure(schema.sub_property)):
        if p != q:
            out.append((f"?x <{q}> ?y", f"?x <{p}> ?y", (p, None)))
    for t in sorted(schema.transitive):
        out.append((f"?x <{t}> ?z", f"?x <{t}> ?y . ?y <{t}>+ ?z", (t, None)))
    for p, q in sorted(schema.inverse):
        out.append((f"?y <{q}> ?x", f"?x <{p}> ?y", (p, None)))
        out.append((f"?y <{p}> ?x", f"?x <{q}> ?y", (q, None)))
    for p, c in sorted(schema.domain):
        out.append((f"?x <{RDF.type}> <{c}>", f"?x <{p}> ?y", (p, None)))
    for p, c in sorted(schema.range):
        out.append((f"?y <{RDF.type}> <{c}>", f"?x <{p}> ?y . FILTER(!isLiteral(?y))", (p, None)))
    for c, d in sorted(_closure(schema.sub_class)):
        if c != d:
            out.append((f"?x <{RDF.type}> <{d}>", f"?x <{RDF.type}> <{c}>", (RDF.type, c)))
    return out


_PREDICATE_COUNTS = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
_CLASS_COUNTS = f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ ?s <{RDF.type}> ?c }} GROUP BY ?c"


def _counts(store: Store) -> dict[tuple[object, object], int]:
    """Triples per predicate (key ``(p, None)``) and instances per class (``(rdf:type, c)``)."""
    out: dict[tuple[object, object], int] = {
        (p, None): int(str(n)) for p, n in store.select(_PREDICATE_COUNTS).rows}
    out.update({(RDF.type, c): int(str(n)) for c, n in store.select(_CLASS_COUNTS).rows})
    return out


def materialise(store: Store, schema: Schema | None = None, into: URIRef = INFERRED_GRAPH,
                max_rounds: int = 10) -> int:
    """Add to ``store`` (named graph ``into``) the triples the ontology's sub-property,
    transitive, inverse, domain, range and sub-class axioms entail, to a fixed point; return
    how many were added. Runs as SPARQL updates inside Oxigraph; elsewhere as CONSTRUCT
    queries whose answers are added with :meth:`Store.add`. A rule runs again in a later round
    only if what it reads has changed (semi-naive at the level of predicates and classes)."""
    schema = schema or read_schema(store)
    todo = rules(schema)
    native = getattr(store, "native", None) if getattr(store, "name", "") == "oxigraph" else None
    before = len(store)
    last_seen: dict[int, int] = {}
    for _round in range(max_rounds):
        counts = _counts(store)
        # an update's WHERE reads the default graph: make it the union of the named graphs
        using = " ".join(f"USING <{g}>" for g in sorted({*store.graph_names(), into}))
        ran = False
        for index, (template, where, source) in enumerate(todo):
            seen = counts.get(source, 0)
            if last_seen.get(index) == seen:
                continue
            last_seen[index] = seen
            ran = True
            body = f"{{ {where} }} MINUS {{ {template} }}"
            if native is not None:
                native.update(f"INSERT {{ GRAPH <{into}> {{ {template} }} }} {using} "
                              f"WHERE {{ {body} }}")
            else:
                found = store.construct(f"CONSTRUCT {{ {template} }} WHERE {{ {body} }}")
                if len(found):
                    store.add(found, into)
        if not ran:
            break
    return len(store) - before
