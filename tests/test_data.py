"""The bundled 2018-2020 data checked against the OCR'd source report."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from rdflib import Literal
from rdflib.namespace import XSD

from metrograph.model import Deliverable, Guideline, Measure, Status
from metrograph.namespaces import MGT

SEED = Path(__file__).parent / "fixtures" / "seed" / "000_483cd9003a4b42df.txt"
OCR_CODE_FIXES = {"L3MeD4": "L3M6D4"}


def _seed_codes() -> tuple[set[str], set[str]]:
    text = SEED.read_text(encoding="utf-8")
    raw = set(re.findall(r"\bL\d+M[0-9A-Za-z]+(?:D\d+)?\b", text))
    codes = {OCR_CODE_FIXES.get(c, c) for c in raw}
    deliverables = {c for c in codes if re.fullmatch(r"L\d+M\d+D\d+", c)}
    measures = {c for c in codes if re.fullmatch(r"L\d+M\d+", c)}
    return measures, deliverables


def test_seed_copy_is_the_source_the_data_names(kg) -> None:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert kg.store.ask(
        "ASK { ?doc <http://spdx.org/rdf/terms#checksum>/"
        "<http://spdx.org/rdf/terms#checksumValue> ?v }",
        {"v": Literal(digest, datatype=XSD.hexBinary)})


def test_counts_3_27_65(kg) -> None:  # type: ignore[no-untyped-def]
    assert len(kg.guidelines()) == 3
    assert len(kg.measures()) == 27
    assert len(kg.deliverables()) == 65


def test_every_code_of_the_seed_is_in_the_data_under_the_right_parent(kg) -> None:  # type: ignore[no-untyped-def]
    measures, deliverables = _seed_codes()
    assert len(measures) == 27 and len(deliverables) == 65
    data_measures = {m.code: m for m in kg.measures()}
    data_deliverables = {d.code: d for d in kg.deliverables()}
    assert set(data_measures) == measures
    assert set(data_deliverables) == deliverables
    by_iri = {c.iri: c for c in [*kg.guidelines(), *kg.measures(), *kg.deliverables()]}
    for code, d in data_deliverables.items():
        measure = by_iri[d.parent]
        assert isinstance(measure, Measure) and measure.code == code[: code.index("D")]
        guideline = by_iri[measure.parent]
        assert isinstance(guideline, Guideline) and guideline.code == code[: code.index("M")]
        assert d.position == int(code[code.index("D") + 1:])
    per_guideline = {g.code: len(kg.measures(guideline=g)) for g in kg.guidelines()}
    assert per_guideline == {"L1": 8, "L2": 11, "L3": 8}


def _norm(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", text)


def test_french_text_comes_from_the_seed(kg) -> None:  # type: ignore[no-untyped-def]
    seed_words = set(_norm(SEED.read_text(encoding="utf-8").replace("ceuvre", "oeuvre")))
    for c in [*kg.guidelines(), *kg.measures(), *kg.deliverables()]:
        words = _norm(c.label("fr") or "")
        assert words, c.code
        missing = [w for w in words if w not in seed_words]
        # OCR repairs change a few words (congus -> conçus, Cing -> Cinq...): allow a handful
        assert len(missing) <= 2, f"{c.code}: words not in the source: {missing}"


def test_ocr_damage_is_cleaned(kg) -> None:  # type: ignore[no-untyped-def]
    damaged = re.compile(r"\bI'|ceuvre|\bCing\b|congu|contrdler|\bdel'|\bety\b|’")
    for c in [*kg.guidelines(), *kg.measures(), *kg.deliverables()]:
        assert not damaged.search(c.label("fr") or ""), (c.code, c.label("fr"))
    assert "conçus" in kg.get("L3M2D1").label("fr")  # type: ignore[operator]
    assert kg.get("L3M2").label("fr").startswith("Cinq programmes")  # type: ignore[union-attr]


def test_every_correction_is_listed() -> None:
    corrections = (Path(__file__).parent.parent / "data" / "CORRECTIONS.md")
    if not corrections.exists():  # running outside a checkout: the file is in the sdist
        return
    text = corrections.read_text(encoding="utf-8")
    for needle in ("L3MeD4", "L3M6D4", "ceuvre", "Cing", "congus", "contrdler"):
        assert needle in text


def test_english_translations_are_marked_editorial(kg) -> None:  # type: ignore[no-untyped-def]
    for c in [*kg.guidelines(), *kg.measures(), *kg.deliverables()]:
        assert c.label("en"), c.code
    # the translation is never given as the publisher's own label
    assert not kg.store.ask(
        "ASK { ?x a ?k ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?l ."
        " FILTER(?k IN (<https://w3id.org/metrograph/ontology#Deliverable>,"
        " <https://w3id.org/metrograph/ontology#Measure>) && lang(?l) = 'en') }")


RULES = {
    "gender": re.compile(
        r"\bgenre\b|sexospécificités|\bsexes\b|femmes et (les )?hommes|non sexiste", re.IGNORECASE),
    "youth": re.compile(r"\bjeunes\b|jeunesse|générationnel", re.IGNORECASE),
}


def test_theme_tags_follow_the_written_rule(kg) -> None:  # type: ignore[no-untyped-def]
    for c in [*kg.guidelines(), *kg.measures(), *kg.deliverables()]:
        expected = {MGT[name] for name, rule in RULES.items() if rule.search(c.label("fr") or "")}
        assert set(c.themes) == expected, c.code
    assert len(kg.deliverables(theme="gender")) == 10
    assert len(kg.deliverables(theme="youth")) == 4


def test_no_per_deliverable_status_is_recorded(kg) -> None:  # type: ignore[no-untyped-def]
    assert all(isinstance(d, Deliverable) and d.history == () for d in kg.deliverables())
    assert len(kg.deliverables(status=Status.NOT_RECORDED)) == 65
    rows = kg.query("deliverables-without-status").rows
    assert len(rows) == 65


def test_reported_totals_kept_with_provenance(kg) -> None:  # type: ignore[no-untyped-def]
    [c] = kg.reported_vs_recorded()
    assert c.reported_total == 65
    assert c.reported == {Status.DONE: 49, Status.IN_PROGRESS: 10, Status.NOT_ELABORATED: 6}
    assert kg.store.ask(
        "ASK { ?r a <https://w3id.org/metrograph/ontology#ReportedProgress> ;"
        " <http://purl.org/dc/terms/source> ?doc ."
        " ?doc a <https://w3id.org/metrograph/ontology#SourceDocument> ;"
        " <http://purl.org/dc/terms/title> ?t }")


def test_sdg_links_are_all_proposals_with_justification(kg) -> None:  # type: ignore[no-untyped-def]
    links = [link for c in [*kg.measures(), *kg.deliverables()] for link in c.sdg_links]
    assert len(links) == 14
    for link in links:
        assert not link.stated
        assert link.justification and len(link.justification) > 20
