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
rule; :func:`materialise` runs them to a fixed point set-wise in memory, over the triples of
the predicates and the instances of the classes the axioms mention (natively in Oxigraph), and
writes what is new in one batch. The result equals owlrl's
OWL-RL closure restricted to those predicates and classes (``tests/test_scale.py`` checks it).

Why our own code and not a maintained reasoner: ``reasonable`` 0.4.4 (py-brickschema's OWL 2 RL
engine, in Rust) gives the same conclusions on these predicates and classes (measured on a
generated 100k-triple network: 51,227 new triples from both, no difference either way), but it
computes the whole OWL 2 RL closure and reads only Turtle files: 10.2 s (load and reason)
against 0.8 s here at 100k triples; see the 1M figures in BENCHMARKS.md. owlrl is kept for
``engine="owlrl"``, the complete closure on small graphs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from metrograph.stores.base import triple_access

if TYPE_CHECKING:
    from metrograph.stores.base import Store

__all__ = ["INFERRED_GRAPH", "PROFILES", "Schema", "materialise", "read_schema", "restrict"]

#: the named graph that receives the inferred triples
INFERRED_GRAPH = URIRef("https://w3id.org/metrograph/graph/inferred")

_SCHEMA_QUERY = f"""
SELECT ?s ?p ?o WHERE {{
  {{ VALUES ?p {{ <{RDFS.subPropertyOf}> <{RDFS.subClassOf}> <{OWL.inverseOf}> <{RDFS.domain}>
                <{RDFS.range}> }}
    ?s ?p ?o . }}
  UNION
  {{ VALUES (?p ?o) {{ (<{RDF.type}> <{OWL.TransitiveProperty}>) }} ?s ?p ?o . }}
  FILTER(isIRI(?s) && isIRI(?o))
}}"""


#: the schema properties whose (subject, object) pairs :class:`Schema` keeps, by field
_AXIOMS = {RDFS.subPropertyOf: "sub_property", RDFS.subClassOf: "sub_class",
           OWL.inverseOf: "inverse", RDFS.domain: "domain", RDFS.range: "range"}


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
        if p in _AXIOMS:
            getattr(self, _AXIOMS[p]).add((s, o))
        elif p == RDF.type and o == OWL.TransitiveProperty:
            self.transitive.add(s)

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def properties(self) -> set[URIRef]:
        """Every property whose triples the rules can add."""
        out = {q for _p, q in _transitive(self.sub_property)} | set(self.transitive)
        out |= {p for pair in self.inverse for p in pair}
        return out

    def classes(self) -> set[URIRef]:
        """Every class whose ``rdf:type`` triples the rules can add."""
        closure = _transitive(self.sub_class)
        out = {d for _c, d in closure} | {c for _p, c in self.domain} | {c for _p, c in self.range}
        return out | {d for c in list(out) for c2, d in closure if c2 == c}


def read_schema(store: Store) -> Schema:
    """The axioms found in ``store``; the packaged ontology's when it holds none."""
    schema = _schema(store.select(_SCHEMA_QUERY).rows)
    if not schema:
        from metrograph.resources import package_dir

        ontology = package_dir("ontology").joinpath("metrograph.ttl").read_text("utf-8")
        schema = _schema(Graph().parse(data=ontology, format="turtle"))
    return schema


def _schema(triples: Iterable[tuple[Any, ...]]) -> Schema:
    schema = Schema()
    for s, p, o in triples:
        if isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef):
            schema.add(s, p, o)
    return schema


def _transitive(pairs: set[tuple[Any, Any]]) -> set[tuple[Any, Any]]:
    """The transitive closure of ``pairs`` (paths of one edge or more), semi-naive."""
    succ: dict[Any, set[Any]] = defaultdict(set)
    for s, o in pairs:
        succ[s].add(o)
    out = set(pairs)
    frontier = out
    while frontier:
        frontier = {(s, o2) for s, o in frontier for o2 in succ.get(o, ())} - out
        out |= frontier
    return out


PROFILES = ("queries", "full")

_OWN = "https://w3id.org/metrograph/"


def _own(term: URIRef) -> bool:
    return str(term).startswith(_OWN)


def restrict(schema: Schema, profile: str = "queries") -> Schema:
    """The axioms ``profile`` applies, closures taken first: ``"full"``, all of them;
    ``"queries"``, those whose conclusion is in metrograph's own vocabulary (``mg:partOf`` and
    its transitive closure, ``mg:hasPart``, ``mg:succeeds``, ``mg:PlanComponent``...), which is
    what queries over plans use; the alignments to DCTERMS, PROV, RDFS and FOAF
    (``dcterms:isPartOf``, ``prov:wasDerivedFrom``, ``rdfs:label``...) are left to a consumer's
    own reasoner or to ``"full"``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown reasoning profile {profile!r} ({', '.join(PROFILES)})")
    sub_property = {(p, q) for p, q in _transitive(schema.sub_property) if p != q}
    sub_class = {(c, d) for c, d in _transitive(schema.sub_class) if c != d}
    if profile == "full":
        return Schema(sub_property, sub_class, set(schema.inverse), set(schema.transitive),
                      set(schema.domain), set(schema.range))
    return Schema({(p, q) for p, q in sub_property if _own(q)},
                  {(c, d) for c, d in sub_class if _own(d)},
                  {(p, q) for p, q in schema.inverse if _own(p) and _own(q)},
                  {t for t in schema.transitive if _own(t)},
                  {(p, c) for p, c in schema.domain if _own(c)},
                  {(p, c) for p, c in schema.range if _own(c)})


def materialise(store: Store, schema: Schema | None = None, into: URIRef = INFERRED_GRAPH,
                profile: str = "queries") -> int:
    """Add to ``store`` (named graph ``into``) the triples the ontology's sub-property,
    transitive, inverse, domain, range and sub-class axioms entail, to a fixed point; return
    how many were added.

    The rules (one per axiom) run set-wise in memory, on the triples of the predicates and the
    instances of the classes the axioms mention, read once (natively in Oxigraph): the input
    is bounded by the axioms, not by the store. Only what is new is written, in one batch.
    ``profile`` chooses the axioms (:func:`restrict`): ``"queries"`` (the default) derives what
    is stated in metrograph's own vocabulary; ``"full"`` adds the alignments to the
    vocabularies it builds on (about twice as many triples)."""
    schema = restrict(schema or read_schema(store), profile)
    access = triple_access(store)
    sub_property, sub_class = schema.sub_property, schema.sub_class
    derived = ({q for _p, q in sub_property} | set(schema.transitive)
               | {p for pair in schema.inverse for p in pair})
    predicates = derived | {p for p, _q in sub_property}
    classes = ({c for pair in sub_class for c in pair} | {c for _p, c in schema.domain}
               | {c for _p, c in schema.range})
    facts = {p: access.pairs(p) for p in sorted(predicates)}
    types = {c: access.instances(c) for c in sorted(classes)}
    known_facts = {p: set(v) for p, v in facts.items()}
    known_types = {c: set(v) for c, v in types.items()}
    # domain and range of a predicate no rule derives: its subjects (objects) not yet typed,
    # found once by the store itself rather than by reading all its triples
    for axioms, position in ((schema.domain, "s"), (schema.range, "o")):
        for p, c in sorted(axioms):
            if p not in derived:
                types[c] |= access.untyped(p, c, position)
    seen: dict[tuple[str, object], tuple[int, ...]] = {}  # input sizes when a rule last ran

    def stale(key: tuple[str, object], *inputs: set[Any]) -> bool:
        sizes = tuple(len(x) for x in inputs)
        if seen.get(key) == sizes:
            return False
        seen[key] = sizes
        return True

    # every rule only adds to finite sets (pairs and instances of the terms read): the loop
    # reaches the fixed point, and stops there, after finitely many rounds
    while True:
        before = sum(map(len, facts.values())) + sum(map(len, types.values()))
        for p, q in sorted(sub_property):
            if stale(("sp", (p, q)), facts[p]):
                facts[q] |= facts[p]
        for t in sorted(schema.transitive):
            if stale(("tr", t), facts[t]):
                facts[t] = _transitive(facts[t])
                seen["tr", t] = (len(facts[t]),)
        for p, q in sorted(schema.inverse):
            if stale(("inv", (p, q)), facts[p], facts[q]):
                # both inverses from the sets as they were (the inverse of what q gains
                # from p is in p already)
                inverse_p = {(o, s) for s, o in facts[p]}
                inverse_q = {(o, s) for s, o in facts[q]}
                facts[q] |= inverse_p
                facts[p] |= inverse_q
                seen["inv", (p, q)] = (len(facts[p]), len(facts[q]))
                # each is now exactly the other's inverse: the inverse of a closed transitive
                # relation is closed, so its closure need not be computed again
                for a, b in ((p, q), (q, p)):
                    if seen.get(("tr", a)) == (len(facts[a]),) and b in schema.transitive:
                        seen["tr", b] = (len(facts[b]),)
        for p, c in sorted(schema.domain):
            if p in derived and stale(("dom", (p, c)), facts[p]):
                types[c] |= {s for s, _o in facts[p]}
        for p, c in sorted(schema.range):
            if p in derived and stale(("rng", (p, c)), facts[p]):
                types[c] |= {o for _s, o in facts[p] if not access.is_literal(o)}
        for c, d in sorted(sub_class):
            if stale(("sc", (c, d)), types[c]):
                types[d] |= types[c]
        if sum(map(len, facts.values())) + sum(map(len, types.values())) == before:
            break
    rdf_type = access.term(RDF.type)
    new: list[tuple[Any, Any, Any]] = []
    for p, pairs in facts.items():
        predicate = access.term(p)
        new.extend((s, predicate, o) for s, o in pairs - known_facts[p])
    for c, nodes in types.items():
        cls = access.term(c)
        new.extend((n, rdf_type, cls) for n in nodes - known_types[c])
    # only triples absent from every graph of the store were kept, each once: all are added
    access.add(new, into)
    return len(new)
