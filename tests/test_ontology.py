"""The ontology tested like code."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from metrograph.namespaces import MG, MGS, SDG, SDGO
from metrograph.resources import data_files, ontology_files, query_files, shape_files

NS = str(MG)


def _ontology() -> Graph:
    g = Graph()
    for f in ontology_files():
        if f.name == "metrograph.ttl":
            g.parse(data=f.read_text(encoding="utf-8"), format="turtle")
    return g


def _declared(g: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {s for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(NS)}


def test_every_term_has_bilingual_labels_and_definitions() -> None:
    g = _ontology()
    terms = _declared(g)
    assert len(terms) >= 30
    for term in terms:
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in g.objects(term, prop) if isinstance(o, Literal)}
            assert {"en", "fr"} <= langs, f"{term} lacks {prop} in en and fr"


def test_ontology_has_version_iri_matching_package() -> None:
    import metrograph

    g = _ontology()
    onto = URIRef("https://w3id.org/metrograph/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionIRI) == URIRef(
        f"https://w3id.org/metrograph/ontology/{metrograph.__version__}")


def test_defined_namespace_matches_ontology() -> None:
    declared = {str(t)[len(NS):] for t in _declared(_ontology())}
    in_python = set(MG.__annotations__)
    assert declared == in_python
    with pytest.raises(AttributeError):
        _ = MG.Delivrable  # misspelt on purpose


def _used_mg_terms(text: str) -> set[str]:
    found = set(re.findall(r"\bmg:([A-Za-z][A-Za-z0-9]*)", text))
    found |= set(re.findall(re.escape(NS) + r"([A-Za-z][A-Za-z0-9]*)", text))
    return found


def test_nothing_is_used_that_is_not_declared() -> None:
    declared = {str(t)[len(NS):] for t in _declared(_ontology())}
    for f in [*data_files(), *shape_files(), *query_files(), *ontology_files()]:
        used = _used_mg_terms(f.read_text(encoding="utf-8"))
        assert used <= declared, f"{f.name} uses undeclared terms {used - declared}"


def test_owl_rl_closure_derives_part_of_and_stays_consistent(kg) -> None:  # type: ignore[no-untyped-def]
    reasoned = kg.reasoned()
    d = URIRef("https://w3id.org/metrograph/id/metropolis/plan/2018-2020/L3M6D4")
    plan = URIRef("https://w3id.org/metrograph/id/metropolis/plan/2018-2020")
    guideline = URIRef(str(plan) + "/L3")
    assert reasoned.store.ask(f"ASK {{ ?d <{MG.partOf}> ?g . ?d <{MG.partOf}> ?p }}",
                              {"d": d, "g": guideline, "p": plan})
    assert reasoned.store.ask(f"ASK {{ ?p <{MG.hasPart}> ?d }}", {"d": d, "p": plan})
    # no OWL-RL inconsistency: owlrl marks one with owl:Nothing members or error triples
    assert not reasoned.store.ask(f"ASK {{ ?x a <{OWL.Nothing}> }}")
    # the caller's graph is unchanged
    assert not kg.store.ask(f"ASK {{ ?d <{MG.partOf}> ?p }}", {"d": d, "p": plan})


def test_status_scheme_has_labels_symbols_and_matches() -> None:
    g = Graph()
    for f in ontology_files():
        g.parse(data=f.read_text(encoding="utf-8"), format="turtle")
    expected = {"done": ("V", "Réalisé"), "in-progress": ("O", "En cours"),
                "not-elaborated": ("X", "Non élaboré")}
    for local, (symbol, fr) in expected.items():
        c = MGS[local]
        assert str(g.value(c, SKOS.notation)) == symbol
        assert Literal(fr, lang="fr") in set(g.objects(c, SKOS.prefLabel))
        matches = {str(m) for m in g.objects(c, SKOS.closeMatch)}
        assert any(m.startswith("https://schema.org/") for m in matches)
        assert any(m.startswith("https://w3id.org/dpv#") for m in matches)


def test_sdg_scheme_has_17_goals_169_targets_and_citation() -> None:
    g = Graph()
    for f in ontology_files():
        if f.name == "sdg.ttl":
            text = f.read_text(encoding="utf-8")
            g.parse(data=text, format="turtle")
    assert "A Knowledge Organization System for the United Nations" in text
    goals = set(g.subjects(RDF.type, SDGO.Goal))
    targets = set(g.subjects(RDF.type, SDGO.Target))
    assert (len(goals), len(targets)) == (17, 169)
    assert SDG["5.5"] in targets and SDG["11.a"] in targets and SDG["5"] in goals
    for t in targets:
        langs = {o.language for o in g.objects(t, SKOS.prefLabel)}
        assert langs == {"en", "fr"}
