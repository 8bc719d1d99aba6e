"""Deterministic synthetic partner networks, for benchmarks and tests.

A *network* is N fictional member organisations, each with 2 to 4 consecutive three-year action
plans (``2012-2014`` ... ``2024-2026``) following ``docs/model.md`` and the IRI scheme
``https://w3id.org/metrograph/id/{org}/plan/{cycle}/{code}``: guidelines, measures and
deliverables with French text (the "source") and English translations, themes tagged by the
written rule (the French text names the theme), partner mentions, dated status histories citing
the plan's source document, reported progress per completed plan, qualified SDG links to real
UN targets and goals, and carry-overs to the previous cycle of the same organisation
(``mg:continues`` / ``mg:replaces`` / ``mg:splitFrom``, ``mg:drops``, ``mg:previousCycle``).

Everything is drawn from ``random.Random(seed)``: the same arguments give the same bytes. A small
rate of defects is injected from a second, independent stream (so that the defect rate does not
change the rest of the data); each defect is listed in :attr:`NetworkGenerator.defects` with the
shape that must report it. Data generated with ``defect_rate=0`` conforms to the shipped shapes
(the only results are the warnings for deliverables of the current cycle with no status yet).

``edge_cases=True`` (``--edge-cases``) adds, from a third independent stream, the cases on which
SPARQL engines part ways (:data:`EDGE_CASE_KINDS`; the differential tests run every query on
them), each listed in :attr:`NetworkGenerator.edge_cases` (kind, focus IRI). The default output
does not change.

Lines are yielded one at a time, so a million triples or more stream to a file in constant
memory::

    python -m metrograph.testing.synthetic --triples 1000000 -o network.ttl

Every organisation, plan and text is invented: nothing here describes a real organisation.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFECT_KINDS", "EDGE_CASE_KINDS", "Defect", "NetworkGenerator", "generate", "main",
           "write"]

_ID = "https://w3id.org/metrograph/id/"
_NS = {
    "mg": "https://w3id.org/metrograph/ontology#",
    "mgs": "https://w3id.org/metrograph/vocab/status/",
    "mgt": "https://w3id.org/metrograph/vocab/theme/",
    "mgb": "https://w3id.org/metrograph/vocab/link-basis/",
    "mgo": "https://w3id.org/metrograph/id/org/",
    "sdg": "http://metadata.un.org/sdg/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

#: defect kind -> the shape (``mgsh:`` local name) that must report it
DEFECT_KINDS: dict[str, str] = {
    "deliverable-code-parent": "DeliverableCodeParentShape",
    "missing-french-label": "ComponentLabelShape",
    "missing-english-label": "EnglishTranslationShape",
    "status-not-in-scheme": "AssessmentStatusShape",
    "duplicate-assessment-date": "AssessmentDateUniqueShape",
    "unknown-sdg-target": "SDGLinkTargetShape",
    "reported-sum": "ReportedTotalSumShape",
}
_DEFECTS_BY_SITE = {
    "deliverable": ("deliverable-code-parent", "missing-french-label", "missing-english-label"),
    "assessment": ("status-not-in-scheme", "duplicate-assessment-date"),
    "sdg-link": ("unknown-sdg-target",),
    "reported": ("reported-sum",),
}

# Topics: French and English wording, the theme the French text names (tagging rule), SDG targets.
_TOPICS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("la mobilité durable", "sustainable mobility", None, ("11.2", "3.6", "9.1")),
    ("le logement abordable", "affordable housing", None, ("11.1", "1.4")),
    ("l'action climatique", "climate action", None, ("13.1", "13.2", "13.3", "11.b")),
    ("la qualité de l'air", "air quality", None, ("11.6", "3.9")),
    ("les espaces verts", "green spaces", None, ("11.7",)),
    ("le patrimoine culturel", "cultural heritage", None, ("11.4",)),
    ("la résilience urbaine", "urban resilience", None, ("11.5", "11.b", "13.1")),
    ("la planification métropolitaine", "metropolitan planning", None, ("11.3", "11.a")),
    ("la gouvernance ouverte", "open governance", None, ("16.6", "16.7", "16.10")),
    ("la coopération entre villes", "cooperation between cities", None, ("17.16", "17.17")),
    ("l'eau et l'assainissement", "water and sanitation", None, ("6.1", "6.2")),
    ("l'énergie renouvelable", "renewable energy", None, ("7.2",)),
    ("l'économie circulaire", "the circular economy", None, ("12.5",)),
    ("l'emploi local", "local employment", None, ("8.5",)),
    ("l'alimentation urbaine", "urban food", None, ("2.1",)),
    ("l'égalité entre les femmes et les hommes", "equality between women and men", "gender",
     ("5.1", "5.5", "5.c")),
    ("la lutte contre les violences faites aux femmes et aux hommes", "fighting violence",
     "gender", ("5.2",)),
    ("la participation des jeunes", "youth participation", "youth", ("16.7", "4.7")),
    ("l'emploi des jeunes", "youth employment", "youth", ("8.6", "4.4")),
    ("l'inclusion sociale", "social inclusion", None, ("10.2",)),
)
_GUIDELINE_VERBS = (("Renforcer", "Strengthen"), ("Promouvoir", "Promote"),
                    ("Développer", "Develop"), ("Soutenir", "Support"),
                    ("Coordonner", "Coordinate"), ("Améliorer", "Improve"))
_OUTCOMES = (("ont adopté une stratégie commune pour", "have adopted a joint strategy for"),
             ("disposent d'outils partagés pour", "have shared tools for"),
             ("ont renforcé leurs capacités dans", "have built their capacity in"),
             ("ont mesuré leurs progrès concernant", "have measured their progress on"),
             ("échangent régulièrement sur", "regularly exchange on"))
_DELIVERABLES = (("Guide pratique sur", "Practical guide on"),
                 ("Atelier annuel consacré à", "Annual workshop on"),
                 ("Rapport d'évaluation sur", "Evaluation report on"),
                 ("Plateforme en ligne dédiée à", "Online platform for"),
                 ("Projet pilote portant sur", "Pilot project on"),
                 ("Indicateurs de suivi pour", "Monitoring indicators for"),
                 ("Formation des équipes techniques à", "Training of technical teams in"),
                 ("Campagne de sensibilisation sur", "Awareness campaign on"))
_PARTNERS = ("uclg", "global-taskforce", "european-commission", "guangzhou",
             "metropolis-general-secretariat")
_CITIES = ("aurora", "borealis", "caldera", "deltaville", "estuaria", "fjordham", "granitsk",
           "harbourton", "isthmia", "junction", "kestrel", "lagunia", "meridian", "northgate",
           "oasis", "portmere", "quarry", "riverside", "solstice", "tidewater", "uplands",
           "valedale", "westmarch", "yarrow", "zenith")
_STATUSES = ("done", "in-progress", "not-elaborated")
#: edge case kind -> what it is (``edge_cases=True``)
EDGE_CASE_KINDS: dict[str, str] = {
    "no-assessment": "a deliverable of a closed cycle with no assessment at all",
    "only-after-cycle": "a deliverable whose only assessments fall after its cycle ended",
    "after-cycle": "an extra assessment dated after the cycle ended",
    "before-cycle": "an extra assessment dated before the cycle began",
    "ill-typed-date": "an extra assessment dated with an impossible xsd:date (February 30)",
    "language-variant": "a French label tagged fr-FR or FR instead of fr",
    "blank-status-counts": "a plan's reported status counts as blank nodes",
}
_FIRST_CYCLE_START = 2012
_CURRENT_CYCLE_START = 2024


@dataclass(frozen=True)
class Defect:
    """One injected defect: its kind, the focus node a validator must report, and that shape."""

    kind: str
    focus: str
    shape: str


@dataclass
class _Component:
    iri: str
    code: str
    kind: str  # Guideline, Measure, Deliverable
    children: list[_Component] = field(default_factory=list)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class NetworkGenerator:
    """Generates one synthetic network; iterate :meth:`lines` once. After iterating,
    :attr:`triples`, :attr:`organisations`, :attr:`plans`, :attr:`defects` and
    :attr:`opportunities` (places where a defect could have been injected) describe it."""

    def __init__(self, triples_target: int, seed: int = 0, defect_rate: float = 0.001,
                 fmt: str = "ttl", edge_cases: bool = False) -> None:
        if fmt not in ("ttl", "nt"):
            raise ValueError(f"format must be 'ttl' or 'nt', not {fmt!r}")
        if not 0.0 <= defect_rate <= 1.0:
            raise ValueError("defect_rate must be between 0 and 1")
        self.triples_target = triples_target
        self.seed = seed
        self.defect_rate = defect_rate
        self.fmt = fmt
        self.triples = self.organisations = self.plans = self.opportunities = 0
        self.defects: list[Defect] = []
        self.edge_cases: list[tuple[str, str]] = []
        self._edge = edge_cases
        self._rng = random.Random(seed)
        self._defect_rng = random.Random(f"metrograph-defects-{seed}")
        self._edge_rng = random.Random(f"metrograph-edge-cases-{seed}")
        self._nt = fmt == "nt"

    # ------------------------------------------------------------------ terms

    def _q(self, qname: str) -> str:
        """A prefixed name, expanded to ``<IRI>`` for N-Triples."""
        if not self._nt:
            return qname
        prefix, local = qname.split(":", 1)
        return f"<{_NS[prefix]}{local}>"

    def _text(self, text: str, lang: str) -> str:
        return f'"{_esc(text)}"@{lang}'

    def _typed(self, lexical: str, datatype: str) -> str:
        return f'"{lexical}"^^{self._q(datatype)}'

    def _int(self, n: int) -> str:
        return self._typed(str(n), "xsd:integer") if self._nt else str(n)

    def _block(self, subject: str, pairs: Sequence[tuple[str, str]]) -> Iterator[str]:
        """One resource: ``(predicate, object)`` pairs, predicates as prefixed names."""
        self.triples += len(pairs)
        if self._nt:
            for pred, obj in pairs:
                p = "<" + _NS["rdf"] + "type>" if pred == "a" else self._q(pred)
                yield f"{subject} {p} {obj} .\n"
            return
        parts: list[str] = []
        last = ""
        for pred, obj in pairs:
            parts.append(f", {obj}" if pred == last else f" ;\n    {pred} {obj}")
            last = pred
        yield f"{subject}{''.join(parts)[2:]} .\n"

    def _defect(self, site: str, focus: str) -> str | None:
        """Whether to inject a defect at this place (independent stream); its kind if so."""
        self.opportunities += 1
        draw = self._defect_rng.random()
        pick = self._defect_rng.randrange(len(_DEFECTS_BY_SITE[site]))
        if draw >= self.defect_rate:
            return None
        kind = _DEFECTS_BY_SITE[site][pick]
        self.defects.append(Defect(kind, focus, DEFECT_KINDS[kind]))
        return kind

    # ------------------------------------------------------------------ output

    def lines(self) -> Iterator[str]:
        """The network as Turtle or N-Triples lines (each ends with a newline)."""
        yield ("# SYNTHETIC, FICTIONAL DATA generated by metrograph.testing.synthetic (seed="
               f"{self.seed}, about {self.triples_target} triples, defect rate {self.defect_rate}"
               f"{', edge cases' if self._edge else ''}).\n")
        if not self._nt:
            for prefix, iri in _NS.items():
                yield f"@prefix {prefix}: <{iri}> .\n"
        index = 0
        while self.triples < self.triples_target:
            yield from self._organisation(index)
            index += 1

    def _organisation(self, index: int) -> Iterator[str]:
        rng = self._rng
        city = _CITIES[index % len(_CITIES)]
        slug = f"{city}-{index:04d}"
        name = f"{city.capitalize()} {index}"
        org = self._q(f"mgo:{slug}")
        self.organisations += 1
        yield "\n"
        yield from self._block(org, [
            ("a", self._q("org:FormalOrganization")), ("a", self._q("foaf:Organization")),
            ("a", self._q("prov:Agent")),
            ("skos:prefLabel", self._text(f"Métropole de {name} (fictive)", "fr")),
            ("skos:prefLabel", self._text(f"{name} Metropolitan Area (fictional)", "en")),
            ("rdfs:comment", self._text("Synthetic organisation generated for benchmarks.",
                                        "en"))])
        cycles = rng.randint(2, 4)
        last_start = _CURRENT_CYCLE_START - 3 * rng.randint(0, 1)
        first_start = max(_FIRST_CYCLE_START, last_start - 3 * (cycles - 1))
        previous: tuple[str, list[_Component]] | None = None
        for start in range(first_start, last_start + 1, 3):
            previous = yield from self._plan(slug, org, start, previous)
            if self.triples >= self.triples_target:
                return

    def _plan(self, slug: str, org: str, start: int,
              previous: tuple[str, list[_Component]] | None
              ) -> Generator[str, None, tuple[str, list[_Component]]]:
        """One plan's lines; returns the plan's IRI and guidelines (for the next cycle)."""
        rng = self._rng
        end = start + 2
        cycle = f"{start}-{end}"
        plan_iri = f"{_ID}{slug}/plan/{cycle}"
        plan = f"<{plan_iri}>"
        source = f"<{_ID}{slug}/source/report-{cycle}>"
        current = start >= _CURRENT_CYCLE_START
        self.plans += 1

        # the structure first, so that the plan can name what it drops
        guidelines: list[_Component] = []
        topics: dict[str, int] = {}
        for g in range(1, rng.randint(2, 5) + 1):
            gl = _Component(f"{plan_iri}/L{g}", f"L{g}", "Guideline")
            topics[gl.code] = rng.randrange(len(_TOPICS))
            for m in range(1, rng.randint(2, 6) + 1):
                ms = _Component(f"{gl.iri}M{m}", f"{gl.code}M{m}", "Measure")
                topics[ms.code] = (topics[gl.code] if rng.random() < 0.6
                                   else rng.randrange(len(_TOPICS)))
                for d in range(1, rng.randint(1, 5) + 1):
                    dl = _Component(f"{ms.iri}D{d}", f"{ms.code}D{d}", "Deliverable")
                    topics[dl.code] = (topics[ms.code] if rng.random() < 0.7
                                       else rng.randrange(len(_TOPICS)))
                    ms.children.append(dl)
                gl.children.append(ms)
            guidelines.append(gl)
        own_codes = {c.code for g in guidelines for c in _walk(g)}
        earlier = {c.code: c for g in (previous[1] if previous else []) for c in _walk(g)}

        yield "\n"
        pairs = [("a", self._q("mg:ActionPlan")), ("skos:notation", f'"{cycle}"'),
                 ("dcterms:title", self._text(f"Plan d'action {cycle}", "fr")),
                 ("mg:translatedLabel", self._text(f"Action Plan {cycle}", "en")),
                 ("mg:startYear", self._typed(str(start), "xsd:gYear")),
                 ("mg:endYear", self._typed(str(end), "xsd:gYear")),
                 ("dcterms:publisher", org), ("dcterms:source", source)]
        if previous is not None:
            pairs.append(("mg:previousCycle", f"<{previous[0]}>"))
            for code, comp in sorted(earlier.items()):
                if comp.kind != "Guideline" and code not in own_codes:
                    pairs.append(("mg:drops", f"<{comp.iri}>"))
        yield from self._block(plan, pairs)
        yield from self._block(source, [
            ("a", self._q("mg:SourceDocument")),
            ("dcterms:title", self._text(f"Rapport de mise en œuvre du plan {cycle}", "fr")),
            ("dcterms:publisher", org)])

        current_status: dict[str, str | None] = {}
        for g_index, gl in enumerate(guidelines, 1):
            yield from self._component(gl, plan, g_index, topics, earlier, own_codes)
            for m_index, ms in enumerate(gl.children, 1):
                yield from self._component(ms, f"<{gl.iri}>", m_index, topics, earlier, own_codes)
                if rng.random() < 0.35:
                    yield from self._sdg_link(plan_iri, ms, topics[ms.code])
                for d_index, dl in enumerate(ms.children, 1):
                    yield from self._component(dl, f"<{ms.iri}>", d_index, topics, earlier,
                                               own_codes)
                    if rng.random() < 0.1:
                        yield from self._sdg_link(plan_iri, dl, topics[dl.code])
                    status = yield from self._history(plan_iri, dl, start, current, source)
                    current_status[dl.code] = status
        if not current:
            yield from self._reported(plan_iri, plan, source, current_status)
        return plan_iri, guidelines

    def _component(self, comp: _Component, parent: str, position: int, topics: dict[str, int],
                   earlier: dict[str, _Component], own_codes: set[str]) -> Iterator[str]:
        rng = self._rng
        topic_fr, topic_en, theme, _targets = _TOPICS[topics[comp.code]]
        code = comp.code
        if comp.kind == "Measure":
            out_fr, out_en = rng.choice(_OUTCOMES)
            fr = f"Les villes membres {out_fr} {topic_fr}."
            en = f"Member cities {out_en} {topic_en}."
        else:
            head_fr, head_en = rng.choice(_GUIDELINE_VERBS if comp.kind == "Guideline"
                                          else _DELIVERABLES)
            fr, en = f"{head_fr} {topic_fr}", f"{head_en} {topic_en}"
        defect = self._defect("deliverable", comp.iri) if comp.kind == "Deliverable" else None
        if defect == "deliverable-code-parent":
            measure_number = int(code.split("M")[1].split("D")[0])
            code = code.replace(f"M{measure_number}D", f"M{measure_number + 1}D", 1)
        pairs = [("a", self._q(f"mg:{comp.kind}")), ("skos:notation", f'"{code}"'),
                 ("schema:position", self._int(position)), ("mg:parent", parent)]
        if defect != "missing-french-label":
            lang = "fr"
            if self._edge and self._edge_rng.random() < 0.05:
                lang = self._edge_rng.choice(("fr-FR", "FR"))
                self.edge_cases.append(("language-variant", comp.iri))
            pairs.append(("skos:prefLabel", self._text(fr, lang)))
        if comp.kind == "Measure":
            pairs.append(("mg:expectedOutcome", self._text(fr, "fr")))
        if defect != "missing-english-label":
            pairs.append(("mg:translatedLabel", self._text(en, "en")))
        if theme is not None and comp.kind != "Guideline":
            pairs.append(("mg:theme", self._q(f"mgt:{theme}")))
        if comp.kind == "Deliverable" and rng.random() < 0.15:
            pairs.append(("schema:mentions", self._q(f"mgo:{rng.choice(_PARTNERS)}")))
        before = earlier.get(comp.code)
        if before is not None and comp.code in own_codes:
            draw = rng.random()
            if draw < 0.3:
                pairs.append(("mg:continues", f"<{before.iri}>"))
            elif draw < 0.36:
                pairs.append(("mg:replaces", f"<{before.iri}>"))
            elif draw < 0.4 and comp.kind == "Deliverable":
                pairs.append(("mg:splitFrom", f"<{before.iri}>"))
        yield from self._block(f"<{comp.iri}>", pairs)

    def _history(self, plan_iri: str, dl: _Component, start: int, current: bool,
                 source: str) -> Generator[str, None, str | None]:
        """Dated assessments of one deliverable; returns its current status (None: none)."""
        rng = self._rng
        if current and rng.random() < 0.4:
            return None
        final = rng.choices(_STATUSES, weights=(70, 18, 12))[0]
        if current:
            history = [(f"{start + 1}-12-31", final if final != "done" else "in-progress")]
        else:
            history = []
            if final != "in-progress" and rng.random() < 0.5:
                history.append((f"{start + 1}-{rng.choice(('06-30', '12-31'))}", "in-progress"))
            history.append((f"{start + 2}-12-31", final))
        if self._edge and not current:
            history = self._edge_history(dl, start, history)
        status: str | None = None
        for day, status in history:
            yield from self._assessment(plan_iri, dl, day, status, source)
        return status

    def _edge_history(self, dl: _Component, start: int,
                      history: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A closed cycle's history, changed by an edge case now and then (own stream)."""
        draw = self._edge_rng.random()
        status = self._edge_rng.choice(_STATUSES)
        kind: str | None = None
        if draw < 0.06:
            kind, history = "no-assessment", []
        elif draw < 0.14:
            kind = "only-after-cycle"
            history = [(f"{start + 3}-03-31", status)]
            if self._edge_rng.random() < 0.5:
                history.append((f"{start + 4}-12-31", "done"))
        elif draw < 0.2:
            kind, history = "after-cycle", [*history, (f"{start + 3}-06-30", status)]
        elif draw < 0.25:
            kind, history = "before-cycle", [(f"{start - 1}-12-31", status), *history]
        elif draw < 0.27:
            kind, history = "ill-typed-date", [*history, (f"{start + 1}-02-30", status)]
        if kind is not None:
            self.edge_cases.append((kind, dl.iri))
        return history

    def _assessment(self, plan_iri: str, dl: _Component, day: str, status: str,
                    source: str) -> Iterator[str]:
        iri = f"{plan_iri}/assessment/{dl.code}/{day}"
        defect = self._defect("assessment", iri)
        copies = [(iri, "cancelled" if defect == "status-not-in-scheme" else status)]
        if defect == "duplicate-assessment-date":
            self.defects[-1] = Defect(defect, dl.iri, DEFECT_KINDS[defect])
            copies.append((f"{iri}-bis", status))
        for node, shown in copies:
            yield from self._block(f"<{node}>", [
                ("a", self._q("mg:StatusAssessment")), ("mg:assessedItem", f"<{dl.iri}>"),
                ("mg:status", self._q(f"mgs:{shown}")), ("mg:asOf", self._typed(day, "xsd:date")),
                ("dcterms:source", source)])

    def _sdg_link(self, plan_iri: str, comp: _Component, topic: int) -> Iterator[str]:
        rng = self._rng
        targets = _TOPICS[topic][3]
        target = targets[rng.randrange(len(targets))]
        if rng.random() < 0.2:
            target = target.split(".")[0]  # a goal-level link
        iri = f"{plan_iri}/sdg-link/{comp.code}/{target}"
        if self._defect("sdg-link", iri) == "unknown-sdg-target":
            target = f"18.{target.split('.')[-1]}"  # there is no goal 18
        pairs = [("a", self._q("mg:SDGLink")), ("mg:contributor", f"<{comp.iri}>"),
                 ("mg:sdg", f"<{_NS['sdg']}{target}>")]
        if rng.random() < 0.6:
            pairs.append(("mg:linkBasis", self._q("mgb:stated")))
        else:
            pairs += [("mg:linkBasis", self._q("mgb:proposed")),
                      ("mg:justification", self._text(
                          f"The {_TOPICS[topic][1]} work of {comp.code} serves this target.",
                          "en")),
                      ("prov:wasAttributedTo", self._q("mgo:metrograph-project"))]
        yield from self._block(f"<{iri}>", pairs)

    def _reported(self, plan_iri: str, plan: str, source: str,
                  current_status: dict[str, str | None]) -> Iterator[str]:
        counts = {s: sum(1 for v in current_status.values() if v == s) for s in _STATUSES}
        total = len(current_status)
        iri = f"{plan_iri}/reported"
        if self._defect("reported", iri) == "reported-sum":
            total += 1
        blank = self._edge and self._edge_rng.random() < 0.5
        if blank:
            self.edge_cases.append(("blank-status-counts", iri))
        # blank node labels are unique per plan (Turtle and N-Triples scope them to the file)
        nodes = {s: (f"_:b{self.plans}{s.replace('-', '')}" if blank else f"<{iri}/{s}>")
                 for s in _STATUSES}
        yield from self._block(f"<{iri}>", [
            ("a", self._q("mg:ReportedProgress")), ("mg:reportedFor", plan),
            ("mg:reportedTotal", self._int(total)), ("dcterms:source", source),
            *[("mg:statusCount", nodes[s]) for s in _STATUSES]])
        for s in _STATUSES:
            yield from self._block(nodes[s], [
                ("a", self._q("mg:StatusCount")), ("mg:status", self._q(f"mgs:{s}")),
                ("mg:count", self._int(counts[s]))])


def _walk(comp: _Component) -> Iterator[_Component]:
    yield comp
    for child in comp.children:
        yield from _walk(child)


def generate(triples_target: int, seed: int = 0, defect_rate: float = 0.001,
             fmt: str = "ttl", edge_cases: bool = False) -> Iterator[str]:
    """Lines of a synthetic network of about ``triples_target`` triples (a little more: plans
    are whole), as Turtle (``fmt="ttl"``) or N-Triples (``"nt"``), with the engines' edge cases
    when ``edge_cases``. Deterministic in its arguments."""
    return NetworkGenerator(triples_target, seed, defect_rate, fmt, edge_cases).lines()


def write(path: str | Path, triples_target: int, seed: int = 0, defect_rate: float = 0.001,
          fmt: str | None = None, edge_cases: bool = False) -> NetworkGenerator:
    """Stream a network to ``path`` (format from the suffix: ``.nt`` or else Turtle); return the
    generator, whose attributes describe what was written."""
    path = Path(path)
    gen = NetworkGenerator(triples_target, seed, defect_rate,
                           fmt or ("nt" if path.suffix == ".nt" else "ttl"), edge_cases)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(gen.lines())
    return gen


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m metrograph.testing.synthetic --triples N -o FILE [--seed S]
    [--defect-rate R] [--format ttl|nt] [--edge-cases]``."""
    parser = argparse.ArgumentParser(prog="python -m metrograph.testing.synthetic",
                                     description="Write a synthetic partner network.")
    parser.add_argument("--triples", type=int, default=100_000, help="about how many triples")
    parser.add_argument("-o", "--output", required=True, help="file to write (.ttl or .nt)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--defect-rate", type=float, default=0.001)
    parser.add_argument("--format", choices=("ttl", "nt"), default=None)
    parser.add_argument("--edge-cases", action="store_true",
                        help="add the cases SPARQL engines part ways on (see EDGE_CASE_KINDS)")
    args = parser.parse_args(argv)
    gen = write(args.output, args.triples, args.seed, args.defect_rate, args.format,
                args.edge_cases)
    print(f"wrote {gen.triples} triples ({gen.organisations} organisations, {gen.plans} plans, "
          f"{len(gen.defects)} defects) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
