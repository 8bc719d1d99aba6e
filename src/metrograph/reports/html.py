"""The implementation report as self-contained HTML pages people can look at.

One page per plan and language: ``report-{organisation}-{cycle}.fr.html`` (French interface,
the source's French text first) and ``report-{organisation}-{cycle}.en.html`` (English
interface, the project's translation first); each page links to the other. Both pages show the
French text of every component and its English translation, marked as the metrograph project's
translation. There is no JavaScript at all.

A page holds everything it needs: inline CSS and inline SVG only, no script, font, image or
request to the network (a Content-Security-Policy ``<meta>`` forbids them), so it opens from a
USB stick or an e-mail. Every chart is an ``<svg role="img">`` with an ``aria-label``, a
``<title>`` and a ``<desc>``, and its numbers are also shown as text or in a table. The layout
reads at phone width and prints cleanly. The same graph gives the same bytes.

Figures carry ``data-`` attributes (``data-figure``, ``data-progress``, ``data-status``) so
that tests, or anyone scraping the page, can read them back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from metrograph.model import (
    Component,
    Deliverable,
    Guideline,
    Measure,
    Plan,
    ProgressRow,
    ReportedComparison,
    Status,
)

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = [
    "LANGUAGES",
    "SDG_COLOURS",
    "STATUS_COLOURS",
    "html_report",
    "page_name",
    "write_html_report",
]

#: The interface languages, one page each.
LANGUAGES: tuple[str, ...] = ("fr", "en")

#: The official colours of the 17 Sustainable Development Goals (UN SDG communications
#: guidelines), by goal number.
SDG_COLOURS: dict[int, str] = {
    1: "#E5243B", 2: "#DDA63A", 3: "#4C9F38", 4: "#C5192D", 5: "#FF3A21", 6: "#26BDE2",
    7: "#FCC30B", 8: "#A21942", 9: "#FD6925", 10: "#DD1367", 11: "#FD9D24", 12: "#BF8B2E",
    13: "#3F7E44", 14: "#0A97D9", 15: "#56C02B", 16: "#00689D", 17: "#19486A",
}

#: Chart colours of the statuses (Okabe-Ito, told apart with colour-vision deficiencies).
STATUS_COLOURS: dict[Status, str] = {
    Status.DONE: "#009E73", Status.IN_PROGRESS: "#E69F00", Status.NOT_ELABORATED: "#D55E00",
    Status.NOT_RECORDED: "#D4D4D4",
}

_STATUSES = (Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED)
_ALL = (*_STATUSES, Status.NOT_RECORDED)
_MG = "https://w3id.org/metrograph/ontology#"
_SDG = "http://metadata.un.org/sdg/"
_DARK = "#1A1A1A"

_TEXT: dict[str, dict[str, str]] = {
    "language": {"fr": "Français", "en": "English"},
    "languages": {"fr": "Langue", "en": "Language"},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "heading": {"fr": "Mise en place du {title}", "en": "Implementation of the {title}"},
    "translation_of": {"fr": "Traduction du projet metrograph : «\u00a0{text}\u00a0»",
                       "en": "French title (the source's): “{text}”"},
    "cycle": {"fr": "Cycle {cycle} · organisation : {org}",
              "en": "Cycle {cycle} · organisation: {org}"},
    "contents": {"fr": "Sommaire", "en": "Contents"},
    "other_plans": {"fr": "Autres plans", "en": "Other plans"},
    "figures": {"fr": "Chiffres clés", "en": "Headline figures"},
    "reported": {"fr": "Rapporté par la source", "en": "Reported by the source"},
    "recorded": {"fr": "Enregistré livrable par livrable",
                 "en": "Recorded deliverable by deliverable"},
    "kpi_deliverables": {"fr": "Livrables du plan", "en": "Deliverables in the plan"},
    "kpi_reported_done": {"fr": "Réalisés selon la source", "en": "Done, as the source reports"},
    "kpi_recorded_done": {"fr": "Réalisés, enregistrés", "en": "Done, as recorded"},
    "kpi_not_recorded": {"fr": "Sans état enregistré", "en": "With no recorded status"},
    "reported_short": {"fr": "Rapporté", "en": "Reported"},
    "recorded_short": {"fr": "Enregistré", "en": "Recorded"},
    "difference": {"fr": "Écart", "en": "Difference"},
    "total": {"fr": "Total", "en": "Total"},
    "status": {"fr": "État", "en": "Status"},
    "not_reported": {"fr": "non rapporté", "en": "not reported"},
    "no_reported": {"fr": "La source ne rapporte aucun chiffre pour ce plan.",
                    "en": "The source reports no figures for this plan."},
    "figures_caption": {"fr": "Livrables par état : rapportés par la source et enregistrés",
                        "en": "Deliverables by status: reported by the source and recorded"},
    "figures_chart": {"fr": "Livrables par état, rapportés et enregistrés",
                      "en": "Deliverables by status, reported and recorded"},
    "not_recorded_note": {
        "fr": "{n} des {total} livrables n'ont aucun état enregistré : ils sont marqués – "
              "ci-dessous, sans deviner.",
        "en": "{n} of {total} deliverables have no recorded status: they are marked – below, "
              "not guessed."},
    "gap_note": {
        "fr": "Les chiffres rapportés viennent du rapport source ; les chiffres enregistrés "
              "comptent les états datés de chaque livrable dans le graphe.",
        "en": "Reported figures come from the source report; recorded figures count the dated "
              "status of each deliverable in the graph."},
    "by_guideline": {"fr": "Par ligne directrice et par mesure",
                     "en": "By guideline and measure"},
    "guideline": {"fr": "Ligne directrice {n}", "en": "Guideline {n}"},
    "measure": {"fr": "Mesure {code}", "en": "Measure {code}"},
    "deliverable": {"fr": "Livrable", "en": "Deliverable"},
    "deliverables_of": {"fr": "Livrables de la mesure {code}",
                        "en": "Deliverables of measure {code}"},
    "text": {"fr": "Résultats et documents livrables", "en": "Results and deliverables"},
    "progress_label": {"fr": "{what} : {total} livrables — {parts}",
                       "en": "{what}: {total} deliverables — {parts}"},
    "progress_desc": {"fr": "Barre empilée : chaque segment a la longueur de la part des "
                            "livrables dans cet état.",
                      "en": "Stacked bar: each segment is as long as the share of deliverables "
                            "in that status."},
    "source_text": {"fr": "Texte source (français)", "en": "French source"},
    "translation": {"fr": "traduction metrograph", "en": "metrograph's translation"},
    "themes": {"fr": "Thèmes transversaux", "en": "Cross-cutting themes"},
    "no_themes": {"fr": "Aucun composant de ce plan ne porte de thème.",
                  "en": "No component of this plan carries a theme."},
    "theme_measures": {"fr": "Mesures qui contribuent au thème «\u00a0{theme}\u00a0»",
                       "en": "Measures contributing to the theme “{theme}”"},
    "how": {"fr": "Comment", "en": "How"},
    "via_measure": {"fr": "la mesure porte le thème", "en": "the measure carries the theme"},
    "via_guideline": {"fr": "par sa ligne directrice {code}",
                      "en": "through its guideline {code}"},
    "via_deliverables": {"fr": "par les livrables {codes}", "en": "through deliverables {codes}"},
    "via_deliverable": {"fr": "par le livrable {codes}", "en": "through deliverable {codes}"},
    "english_label": {"fr": "intitulé en anglais", "en": ""},
    "theme_rule": {"fr": "Un composant porte un thème là où son propre texte français en parle "
                         "(règle écrite de metrograph).",
                   "en": "A component carries a theme where its own French text speaks of it "
                         "(metrograph's written rule)."},
    "sdgs": {"fr": "Objectifs de développement durable (ODD)",
             "en": "Sustainable Development Goals (SDGs)"},
    "no_sdgs": {"fr": "Aucun lien vers un ODD pour ce plan.",
                "en": "No SDG link for this plan."},
    "sdg_strip": {"fr": "ODD touchés par le plan : {goals} (sur 17)",
                  "en": "SDGs touched by the plan: {goals} (of 17)"},
    "sdg_strip_desc": {"fr": "Les 17 ODD dans leurs couleurs officielles ; ceux que le plan ne "
                             "touche pas sont pâlis.",
                       "en": "The 17 SDGs in their official colours; those the plan does not "
                             "touch are faded."},
    "goal": {"fr": "ODD {n}", "en": "SDG {n}"},
    "goal_long": {"fr": "Objectif de développement durable {n}",
                  "en": "Sustainable Development Goal {n}"},
    "goal_colour": {"fr": "Numéro de l'objectif {n} sur sa couleur officielle ({colour})",
                    "en": "Number of goal {n} on its official colour ({colour})"},
    "goal_title_lang": {"fr": "intitulé officiel en anglais", "en": "official title"},
    "goal_links": {"fr": "Liens vers l'ODD {n}", "en": "Links to SDG {n}"},
    "contributor": {"fr": "Contributeur", "en": "Contributor"},
    "linked_basis": {"fr": "Lié à, et fondement du lien", "en": "Linked to, and basis"},
    "justification": {"fr": "Justification (en anglais)", "en": "Justification"},
    "stated": {"fr": "énoncé par la source", "en": "stated by the source"},
    "proposed": {"fr": "proposé par metrograph", "en": "proposed by metrograph"},
    "target": {"fr": "cible {code}", "en": "target {code}"},
    "goal_only": {"fr": "objectif {code}", "en": "goal {code}"},
    "kind_measure": {"fr": "mesure", "en": "measure"},
    "kind_deliverable": {"fr": "livrable", "en": "deliverable"},
    "kind_guideline": {"fr": "ligne directrice", "en": "guideline"},
    "of_measure": {"fr": "de la mesure {code}", "en": "of measure {code}"},
    "sdg_counting": {"fr": "Un livrable compte pour un ODD quand lui-même ou sa mesure est lié "
                           "à l'objectif ou à l'une de ses cibles.",
                     "en": "A deliverable counts for a goal when it, or its measure, is linked to "
                           "the goal or one of its targets."},
    "sdg_links_count": {"fr": "{stated} lien(s) énoncé(s) par la source, {proposed} proposé(s) "
                              "par metrograph.",
                        "en": "{stated} link(s) stated by the source, {proposed} proposed by "
                              "metrograph."},
    "cycles": {"fr": "Comparaison entre cycles", "en": "Comparison across cycles"},
    "cycles_caption": {"fr": "Livrables par état, par plan chargé",
                       "en": "Deliverables by status, per loaded plan"},
    "plan": {"fr": "Plan", "en": "Plan"},
    "share_done": {"fr": "Part réalisée (enregistrée)", "en": "Share done (recorded)"},
    "share_reported": {"fr": "Part réalisée (rapportée)", "en": "Share done (reported)"},
    "cycles_chart": {"fr": "Avancement enregistré, par plan", "en": "Recorded progress, per plan"},
    "carried_caption": {"fr": "{n} lien(s) de succession", "en": "{n} succession link(s)"},
    "dropped_caption": {"fr": "{n} composant(s) abandonné(s)", "en": "{n} dropped component(s)"},
    "this_plan": {"fr": "ce plan", "en": "this plan"},
    "carried_into": {"fr": "Repris par ce plan d'un cycle antérieur",
                     "en": "Carried over into this plan from an earlier cycle"},
    "carried_from": {"fr": "Repris de ce plan par un cycle ultérieur",
                     "en": "Carried over from this plan into a later cycle"},
    "later": {"fr": "Composant ultérieur", "en": "Later component"},
    "relation": {"fr": "Relation", "en": "Relation"},
    "earlier": {"fr": "Composant antérieur", "en": "Earlier component"},
    "end_status": {"fr": "État en fin de cycle", "en": "Status at the end of its cycle"},
    "dropped_by": {"fr": "Abandonné par ce plan", "en": "Dropped by this plan"},
    "dropped_later": {"fr": "Abandonné par un cycle ultérieur",
                      "en": "Dropped by a later cycle"},
    "component": {"fr": "Composant", "en": "Component"},
    "by_plan": {"fr": "par le plan {cycle}", "en": "by plan {cycle}"},
    "none_carried": {"fr": "Aucun lien entre ce plan et un autre cycle n'est enregistré.",
                     "en": "No link between this plan and another cycle is recorded."},
    "n_a": {"fr": "sans objet (mesure)", "en": "n/a (measure)"},
    "continues": {"fr": "poursuit", "en": "continues"},
    "replaces": {"fr": "remplace", "en": "replaces"},
    "splitFrom": {"fr": "issu de la division de", "en": "split from"},
    "legend": {"fr": "Légende", "en": "Legend"},
    "legend_text": {"fr": "Texte français : les mots de la source, corrigés de l'OCR seulement. "
                          "Texte anglais : traduction du projet metrograph.",
                    "en": "French text: the source's words, cleaned of OCR damage only. English "
                          "text: the metrograph project's translation."},
    "generated": {"fr": "Page produite par metrograph {version} à partir du graphe de "
                        "connaissances ; autonome, sans script ni ressource externe.",
                  "en": "Page made by metrograph {version} from the knowledge graph; "
                        "self-contained, with no script or external resource."},
}


def _t(lang: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``lang``, filled with ``values`` (not escaped)."""
    text = _TEXT[key][lang]
    return text.format(**values) if values else text


def _e(text: object) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _anchor(prefix: str, code: str) -> str:
    return f"{prefix}-{_slug(code)}"


def _local(iri: object) -> str:
    return re.split(r"[/#]", str(iri).rstrip("/"))[-1]


def _status_label(status: Status, lang: str) -> str:
    return status.label_fr if lang == "fr" else status.label_en


def _pct(share: float, lang: str) -> str:
    value = f"{100 * share:.0f}"
    return f"{value}\u202f%" if lang == "fr" else f"{value}%"


def page_name(plan: Plan, lang: str) -> str:
    """The file name of ``plan``'s page in ``lang``: ``report-{organisation}-{cycle}.{lang}.html``
    (``report-metropolis-2018-2020.fr.html``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    return f"report-{_slug(_local(plan.organisation))}-{_slug(plan.cycle)}.{lang}.html"


def _contrast_text(colour: str) -> str:
    """The colour of a number drawn on ``colour``: white, as the official SDG icons have it,
    where it reaches the WCAG contrast of large text (3:1), else near-black (goals 2, 6, 7,
    9, 11 and 15)."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    white = 1.05 / (lum + 0.05)
    dark = (lum + 0.05) / (0.0104 + 0.05)  # luminance of #1A1A1A is about 0.0104
    return "#FFFFFF" if white >= 3.0 or white >= dark else _DARK


# ---------------------------------------------------------------------- facts gathered once


@dataclass(frozen=True)
class _Facts:
    """What one plan's pages show, gathered from the API once for both languages."""

    plan: Plan
    plans: tuple[Plan, ...]
    names: Mapping[URIRef, str]
    recorded: ProgressRow | None
    comparison: ReportedComparison | None
    guidelines: tuple[Guideline, ...]
    measures: Mapping[URIRef, tuple[Measure, ...]]
    deliverables: Mapping[URIRef, tuple[Deliverable, ...]]
    by_guideline: Mapping[URIRef, ProgressRow]
    by_measure: Mapping[URIRef, ProgressRow]
    themes: tuple[ProgressRow, ...]
    theme_labels: Mapping[URIRef, str]
    goals: tuple[ProgressRow, ...]
    goal_titles: Mapping[URIRef, str]
    sdg_links: tuple[dict[str, Any], ...]
    by_plan: tuple[ProgressRow, ...]
    reported: Mapping[URIRef, ReportedComparison]
    carried: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...]
    components: Mapping[URIRef, Component]


@dataclass(frozen=True)
class _Shared:
    """What every page shows alike: all loaded plans, and the links across cycles."""

    plans: tuple[Plan, ...]
    names: Mapping[URIRef, str]
    by_plan: tuple[ProgressRow, ...]
    reported: Mapping[URIRef, ReportedComparison]
    carried: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...]


def _gather_shared(kg: KnowledgeGraph) -> _Shared:
    from metrograph.graph import plan_sequence

    plans = tuple(plan_sequence(kg.plans()))
    order = {p.iri: i for i, p in enumerate(plans)}
    by_plan = tuple(sorted(kg.progress("plan"), key=lambda r: order.get(r.plan, len(order))))
    many = len(plans) > 1
    return _Shared(plans=plans, names={p.iri: f"{_local(p.organisation)} {p.cycle}" for p in plans},
                   by_plan=by_plan, reported={c.plan: c for c in kg.reported_vs_recorded()},
                   carried=tuple(kg.query("carried-over").rows) if many else (),
                   dropped=tuple(kg.query("dropped").rows) if many else ())


def _gather(kg: KnowledgeGraph, plan: Plan, shared: _Shared) -> _Facts:
    iri = plan.iri
    guidelines = tuple(kg.guidelines(plan=iri))
    measures: dict[URIRef, tuple[Measure, ...]] = {}
    deliverables: dict[URIRef, tuple[Deliverable, ...]] = {}
    components: dict[URIRef, Component] = {g.iri: g for g in guidelines}
    for g in guidelines:
        measures[g.iri] = tuple(kg.measures(plan=iri, guideline=g))
        for m in measures[g.iri]:
            components[m.iri] = m
            deliverables[m.iri] = tuple(kg.deliverables(plan=iri, measure=m))
            components.update((d.iri, d) for d in deliverables[m.iri])
    recorded = next((r for r in shared.by_plan if r.plan == iri), None)
    comparison = shared.reported.get(iri)
    theme_labels = {r["theme"]: str(r["themeLabel"] or _local(r["theme"]))
                    for r in kg.query("progress-by-theme", plan=iri).rows}
    goal_titles = {r["goal"]: str(r["title"] or "")
                   for r in kg.query("sdg-goals-touched", plan=iri).rows}
    sdg_links = tuple(sorted(kg.query("sdg-contributions", plan=iri).rows,
                             key=lambda r: (_goal_number(r["goal"]), _code_key(str(r["code"])),
                                            str(r["linked"]))))
    carried = tuple(r for r in shared.carried if iri in (r["to"], r["from"]))
    dropped = tuple(r for r in shared.dropped if iri in (r["to"], r["from"]))
    return _Facts(
        plan=plan, plans=shared.plans, names=shared.names, recorded=recorded,
        comparison=comparison,
        guidelines=guidelines, measures=measures, deliverables=deliverables,
        by_guideline={r.group: r for r in kg.progress("guideline", plan=iri)},
        by_measure={r.group: r for r in kg.progress("measure", plan=iri)},
        themes=tuple(kg.progress("theme", plan=iri)), theme_labels=theme_labels,
        goals=tuple(kg.progress("sdg-goal", plan=iri)), goal_titles=goal_titles,
        sdg_links=sdg_links, by_plan=shared.by_plan, reported=shared.reported,
        carried=carried, dropped=dropped,
        components=components)


def _goal_number(goal: object) -> int:
    local = str(goal)[len(_SDG):] if str(goal).startswith(_SDG) else _local(goal)
    head = local.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _code_key(code: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", code))


# ---------------------------------------------------------------------- charts


def _parts_text(counts: Mapping[Status, int | None], lang: str,
                statuses: Sequence[Status] = _ALL) -> str:
    parts = []
    for s in statuses:
        n = counts.get(s)
        parts.append(f"{_status_label(s, lang).lower()}{_colon(lang)}"
                     f"{_t(lang, 'not_reported') if n is None else n}")
    return ", ".join(parts)


def _bar(counts: Mapping[Status, int | None], total: int, label: str, lang: str,
         statuses: Sequence[Status] = _ALL, height: int = 14) -> str:
    """A stacked horizontal bar as inline SVG (percent units, so it fits any width)."""
    out = [f'<svg class="bar" width="100%" height="{height}" role="img" '
           f'aria-label="{_e(label)}" focusable="false" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{_e(label)}</title><desc>{_e(_t(lang, 'progress_desc'))}</desc>"]
    x = 0.0
    for s in statuses:
        n = counts.get(s) or 0
        if n <= 0 or total <= 0:
            continue
        w = 100.0 * n / total
        out.append(f'<rect x="{x:.3f}%" y="0" width="{w:.3f}%" height="100%" '
                   f'fill="{STATUS_COLOURS[s]}"><title>{_e(_status_label(s, lang))}: {n}'
                   "</title></rect>")
        x += w
    out.append("</svg>")
    return "".join(out)


def _colon(lang: str) -> str:
    """A colon as each language sets it (French puts a space before it)."""
    return "\u00a0: " if lang == "fr" else ": "


def _counts_line(counts: Mapping[Status, int], lang: str) -> str:
    items = "".join(
        f'<li><span class="sym sym-{s.value}" aria-hidden="true">{_e(s.symbol)}</span>'
        f'<span class="vh">{_e(_status_label(s, lang))}{_colon(lang)}</span>'
        f'<span data-status="{s.value}">{counts.get(s, 0)}</span></li>' for s in _ALL)
    return f'<ul class="counts">{items}</ul>'


def _progress(kind: str, code: str, row: ProgressRow | None, what: str, lang: str) -> str:
    counts: dict[Status, int] = dict(row.counts) if row else dict.fromkeys(_ALL, 0)
    total = sum(counts.values())
    label = _t(lang, "progress_label", what=what, total=total, parts=_parts_text(counts, lang))
    return (f'<div class="progress" data-progress="{_e(kind)}:{_e(code)}" '
            f'data-total="{total}">' + _bar(counts, total, label, lang)
            + _counts_line(counts, lang) + "</div>")


def _sdg_tile(goal: int, size: int, lang: str, faded: bool = False, x: int = 0) -> str:
    colour = SDG_COLOURS[goal]
    ink = _contrast_text(colour)
    opacity = ' opacity="0.25"' if faded else ""
    return (f'<g transform="translate({x} 0)"{opacity}>'
            f'<rect width="{size}" height="{size}" rx="3" fill="{colour}"/>'
            f'<text x="{size / 2:g}" y="{size * 0.66:g}" text-anchor="middle" '
            f'font-size="{size * 0.5:g}" font-weight="700" fill="{ink}">{goal}</text>'
            f"<title>{_e(_t(lang, 'goal', n=goal))}</title></g>")


def _sdg_strip(touched: Sequence[int], lang: str) -> str:
    size, gap = 30, 4
    width = 17 * size + 16 * gap
    goals = ", ".join(str(g) for g in touched) or "—"
    label = _t(lang, "sdg_strip", goals=goals)
    tiles = "".join(_sdg_tile(g, size, lang, faded=g not in touched, x=(g - 1) * (size + gap))
                    for g in range(1, 18))
    return (f'<svg class="sdg-strip" viewBox="0 0 {width} {size}" role="img" '
            f'aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{_e(label)}</title><desc>{_e(_t(lang, 'sdg_strip_desc'))}</desc>"
            f"{tiles}</svg>")


def _sdg_badge(goal: int, lang: str) -> str:
    label = _t(lang, "goal_long", n=goal)
    return (f'<svg class="sdg-badge" width="56" height="56" viewBox="0 0 56 56" role="img" '
            f'aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{_e(label)}</title>"
            f"<desc>{_e(_t(lang, 'goal_colour', n=goal, colour=SDG_COLOURS[goal]))}</desc>"
            f'<rect width="56" height="56" rx="4" fill="{SDG_COLOURS[goal]}"/>'
            f'<text x="28" y="37" text-anchor="middle" font-size="26" font-weight="700" '
            f'fill="{_contrast_text(SDG_COLOURS[goal])}">{goal}</text></svg>')


# ---------------------------------------------------------------------- text of components


def _texts(c: Component, lang: str) -> str:
    """The French source text and the English translation, the interface language first."""
    fr, en = c.label("fr"), c.label("en")
    src_mark = ("" if lang == "fr" else
                f'<span class="mark" lang="{lang}">{_e(_t(lang, "source_text"))}</span> ')
    src = f'<p class="src" lang="fr">{src_mark}{_e(fr)}</p>' if fr else ""
    tr = (f'<p class="tr" lang="en"><span class="mark" lang="{lang}">'
          f'{_e(_t(lang, "translation"))}</span> {_e(en)}</p>' if en else "")
    return src + tr if lang == "fr" else tr + src


def _status_cell(status: Status, lang: str) -> str:
    return (f'<td class="st" data-status="{status.value}">'
            f'<span class="sym sym-{status.value}" aria-hidden="true">{_e(status.symbol)}</span>'
            f'<span class="st-label">{_e(_status_label(status, lang))}</span></td>')


def _table(caption: str, head: Sequence[str], rows: Sequence[str], cls: str = "") -> str:
    ths = "".join(f'<th scope="col">{h}</th>' for h in head)
    klass = f' class="{cls}"' if cls else ""
    return (f'<div class="table-wrap"><table{klass}><caption>{caption}</caption>'
            f"<thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


# ---------------------------------------------------------------------- sections


def _header(f: _Facts, lang: str, pages: Mapping[URIRef, Mapping[str, str]]) -> str:
    p = f.plan
    title_fr = p.title.get("fr") or f"Plan {p.cycle}"
    title_en = p.title.get("en") or f"Plan {p.cycle}"
    main_title = _t(lang, "heading", title=title_fr if lang == "fr" else title_en)
    other_lang = [x for x in LANGUAGES if x != lang]
    switch = "".join(
        f'<li><a href="{_e(page_name(p, o))}" hreflang="{o}" lang="{o}">'
        f"{_e(_TEXT['language'][o])}</a></li>" for o in other_lang)
    current = (f'<li><span aria-current="page" lang="{lang}">'
               f"{_e(_TEXT['language'][lang])}</span></li>")
    other_title, other_title_lang = (title_en, "en") if lang == "fr" else (title_fr, "fr")
    sub = ""
    if other_title_lang in p.title:
        before, after = _TEXT["translation_of"][lang].split("{text}")
        sub = (f'<p class="subtitle">{_e(before)}<span lang="{other_title_lang}">'
               f"{_e(other_title)}</span>{_e(after)}</p>")
    others = [q for q in f.plans if q.iri != p.iri and q.iri in pages]
    other_nav = ""
    if others:
        links = "".join(f'<li><a href="{_e(pages[q.iri][lang])}">{_e(f.names[q.iri])}</a></li>'
                        for q in others)
        other_nav = (f'<nav class="plans" aria-label="{_e(_t(lang, "other_plans"))}">'
                     f'<span>{_e(_t(lang, "other_plans") + _colon(lang))}</span>'
                     f"<ul>{links}</ul></nav>")
    return (f'<header class="top"><a class="skip" href="#main">{_e(_t(lang, "skip"))}</a>'
            f'<nav class="lang" aria-label="{_e(_t(lang, "languages"))}"><ul>{current}{switch}'
            f"</ul></nav>"
            f"<h1>{_e(main_title)}</h1>{sub}"
            f'<p class="meta">{_e(_t(lang, "cycle", cycle=p.cycle, org=_local(p.organisation)))}'
            f"</p>{other_nav}</header>")


def _contents(f: _Facts, lang: str, show_cycles: bool) -> str:
    items = [("figures", _t(lang, "figures")), ("guidelines", _t(lang, "by_guideline")),
             ("themes", _t(lang, "themes")), ("sdgs", _t(lang, "sdgs"))]
    if show_cycles:
        items.append(("cycles", _t(lang, "cycles")))
    lis = "".join(f'<li><a href="#{key}">{_e(text)}</a></li>' for key, text in items)
    return (f'<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">{_e(_t(lang, "contents"))}'
            f"</h2><ol>{lis}</ol></nav>")


def _figures(f: _Facts, lang: str) -> str:
    rec = dict(f.recorded.counts) if f.recorded else dict.fromkeys(_ALL, 0)
    rec_total = sum(rec.values())
    c = f.comparison
    rows = []
    bars = []
    if c is not None:
        rep_label = _t(lang, "reported_short") + _colon(lang)
        bars.append(
            f'<div class="chart-row"><p class="chart-label">{_e(_t(lang, "reported"))} '
            f'(<span data-figure="reported-total">{c.reported_total}</span>)</p>'
            + _bar(c.reported, c.reported_total,
                   rep_label + _t(lang, "progress_label", what=_t(lang, "total"),
                                  total=c.reported_total,
                                  parts=_parts_text(c.reported, lang, _STATUSES)),
                   lang, _STATUSES, height=28)
            + "</div>")
    rec_label = _t(lang, "recorded_short") + _colon(lang)
    bars.append(
        f'<div class="chart-row"><p class="chart-label">{_e(_t(lang, "recorded"))} '
        f'(<span data-figure="recorded-total">{rec_total}</span>)</p>'
        + _bar(rec, rec_total,
               rec_label + _t(lang, "progress_label", what=_t(lang, "total"), total=rec_total,
                              parts=_parts_text(rec, lang)),
               lang, height=28)
        + "</div>")
    legend = "".join(
        f'<li><svg width="14" height="14" aria-hidden="true" focusable="false">'
        f'<rect width="14" height="14" fill="{STATUS_COLOURS[s]}"/></svg> '
        f'<span class="sym sym-{s.value}" aria-hidden="true">{_e(s.symbol)}</span> '
        f"{_e(_status_label(s, lang))}</li>" for s in _ALL)
    chart = (f'<figure class="chart"><figcaption>{_e(_t(lang, "figures_chart"))}</figcaption>'
             + "".join(bars) + f'<ul class="legend" aria-label="{_e(_t(lang, "legend"))}">'
             f"{legend}</ul></figure>")

    def cell(value: int | None, key: str | None) -> str:
        attr = f' data-figure="{key}"' if key else ""
        return (f"<td{attr}>{value}</td>" if value is not None else
                f'<td class="na">{_e(_t(lang, "not_reported"))}</td>')

    total_rep = c.reported_total if c else None
    diff_total = c.total_difference if c else None
    rows.append(f'<tr><th scope="row">{_e(_t(lang, "total"))}</th>'
                + cell(total_rep, "reported-total" if c else None)
                + cell(rec_total, "recorded-total")
                + (f"<td>{diff_total}</td>" if diff_total is not None else "<td></td>")
                + "</tr>")
    for s in _ALL:
        rep = c.reported.get(s) if c and s is not Status.NOT_RECORDED else None
        diff = c.difference(s) if c and s is not Status.NOT_RECORDED else None
        rep_cell = ("<td></td>" if s is Status.NOT_RECORDED else
                    cell(rep, f"reported-{s.value}" if rep is not None else None))
        rows.append(f'<tr><th scope="row"><span class="sym sym-{s.value}" aria-hidden="true">'
                    f"{_e(s.symbol)}</span> {_e(_status_label(s, lang))}</th>"
                    + rep_cell + cell(rec[s], f"recorded-{s.value}")
                    + (f"<td>{diff}</td>" if diff is not None else "<td></td>") + "</tr>")
    table = _table(_e(_t(lang, "figures_caption")),
                   [_e(_t(lang, "status")), _e(_t(lang, "reported_short")),
                    _e(_t(lang, "recorded_short")), _e(_t(lang, "difference"))], rows,
                   cls="figures")
    kpis: list[tuple[str, int, str, float | None]] = [
        (_t(lang, "kpi_deliverables"), rec_total, "recorded-total", None)]
    if c is not None and c.reported.get(Status.DONE) is not None:
        done = c.reported[Status.DONE] or 0
        kpis.append((_t(lang, "kpi_reported_done"), done, "reported-done",
                     done / c.reported_total if c.reported_total else 0.0))
    for key, status in (("kpi_recorded_done", Status.DONE),
                        ("kpi_not_recorded", Status.NOT_RECORDED)):
        kpis.append((_t(lang, key), rec[status], f"recorded-{status.value}",
                     rec[status] / rec_total if rec_total else 0.0))
    kpi_html = '<dl class="kpis">' + "".join(
        f'<div class="kpi"><dt>{_e(label)}</dt><dd><span class="kpi-n" data-figure="{key}">'
        f"{value}</span>"
        + (f' <span class="kpi-share">{_e(_pct(share, lang))}</span>' if share is not None
           else "") + "</dd></div>" for label, value, key, share in kpis) + "</dl>"
    notes = []
    if c is None:
        notes.append(f"<p>{_e(_t(lang, 'no_reported'))}</p>")
    nr = rec.get(Status.NOT_RECORDED, 0)
    if nr:
        notes.append(f'<p class="note">{_e(_t(lang, "not_recorded_note", n=nr, total=rec_total))}'
                     "</p>")
    notes.append(f'<p class="note">{_e(_t(lang, "gap_note"))}</p>')
    return (f'<section id="figures" aria-labelledby="figures-h"><h2 id="figures-h">'
            f'{_e(_t(lang, "figures"))}</h2>{kpi_html}'
            f'<div class="figures-grid">{chart}{table}</div>'
            + "".join(notes) + "</section>")


def _guidelines(f: _Facts, lang: str) -> str:
    out = [f'<section id="guidelines" aria-labelledby="guidelines-h"><h2 id="guidelines-h">'
           f'{_e(_t(lang, "by_guideline"))}</h2>']
    for g in f.guidelines:
        number = g.code.lstrip("Ll")
        heading = _t(lang, "guideline", n=number)
        gid = _anchor("g", g.code)
        out.append(f'<section class="guideline" id="{gid}" aria-labelledby="{gid}-h">'
                   f'<h3 id="{gid}-h">{_e(heading)} <span class="code">{_e(g.code)}</span></h3>'
                   + _texts(g, lang)
                   + _progress("guideline", g.code, f.by_guideline.get(g.iri), g.code, lang))
        for m in f.measures.get(g.iri, ()):
            mid = _anchor("m", m.code)
            rows = []
            for d in f.deliverables.get(m.iri, ()):
                rows.append(f'<tr id="{_anchor("d", d.code)}" data-deliverable="{_e(d.code)}">'
                            + _status_cell(d.status, lang)
                            + f'<th scope="row" class="code">{_e(d.code)}</th>'
                            f'<td class="text">{_texts(d, lang)}</td></tr>')
            table = _table(_e(_t(lang, "deliverables_of", code=m.code)),
                           [_e(_t(lang, "status")), _e(_t(lang, "deliverable")),
                            _e(_t(lang, "text"))], rows, cls="deliverables")
            out.append(f'<section class="measure" id="{mid}" aria-labelledby="{mid}-h">'
                       f'<h4 id="{mid}-h">{_e(_t(lang, "measure", code=m.code))}</h4>'
                       + _texts(m, lang)
                       + _progress("measure", m.code, f.by_measure.get(m.iri), m.code, lang)
                       + table + "</section>")
        out.append("</section>")
    out.append("</section>")
    return "".join(out)


def _measure_ref(m: Measure, lang: str) -> str:
    label = m.label("fr") if lang == "fr" else (m.label("en") or m.label("fr"))
    label_lang = "fr" if lang == "fr" or not m.label("en") else "en"
    return (f'<th scope="row" class="code"><a href="#{_anchor("m", m.code)}">{_e(m.code)}</a>'
            f'</th><td lang="{label_lang}">{_e(label or "")}</td>')


def _themes(f: _Facts, lang: str) -> str:
    out = [f'<section id="themes" aria-labelledby="themes-h"><h2 id="themes-h">'
           f'{_e(_t(lang, "themes"))}</h2><p class="note">{_e(_t(lang, "theme_rule"))}</p>']
    if not f.themes:
        out.append(f"<p>{_e(_t(lang, 'no_themes'))}</p>")
    for row in sorted(f.themes, key=lambda r: r.code):
        theme = row.group
        name = f.theme_labels.get(theme, row.code)
        tid = _anchor("t", row.code)
        rows = []
        for g in f.guidelines:
            for m in f.measures.get(g.iri, ()):
                if theme in m.themes:
                    how = _t(lang, "via_measure")
                elif theme in g.themes:
                    how = _t(lang, "via_guideline", code=g.code)
                else:
                    tagged = [d.code for d in f.deliverables.get(m.iri, ()) if theme in d.themes]
                    if not tagged:
                        continue
                    how = _t(lang, "via_deliverables" if len(tagged) > 1 else "via_deliverable",
                             codes=", ".join(tagged))
                rows.append(f"<tr>{_measure_ref(m, lang)}<td>{_e(how)}</td></tr>")
        mark = (f' <span class="mark" lang="fr">{_e(_t(lang, "english_label"))}</span>'
                if lang == "fr" else "")
        out.append(f'<section class="theme" id="{tid}" aria-labelledby="{tid}-h">'
                   f'<h3 id="{tid}-h"><span lang="en">{_e(name)}</span>{mark}</h3>'
                   + _progress("theme", row.code, row, name, lang)
                   + _table(_e(_t(lang, "theme_measures", theme=name)),
                            [_e(_t(lang, "measure", code="")).strip(), _e(_t(lang, "text")),
                             _e(_t(lang, "how"))], rows, cls="themed")
                   + "</section>")
    out.append("</section>")
    return "".join(out)


def _sdgs(f: _Facts, lang: str) -> str:
    out = [f'<section id="sdgs" aria-labelledby="sdgs-h"><h2 id="sdgs-h">'
           f'{_e(_t(lang, "sdgs"))}</h2>']
    touched = sorted({_goal_number(r.group) for r in f.goals} | {
        _goal_number(r["goal"]) for r in f.sdg_links})
    touched = [g for g in touched if g in SDG_COLOURS]
    out.append(_sdg_strip(touched, lang))
    if not f.sdg_links:
        out.append(f"<p>{_e(_t(lang, 'no_sdgs'))}</p></section>")
        return "".join(out)
    stated = sum(1 for r in f.sdg_links if str(r["basis"]).endswith("/stated"))
    counted = _t(lang, "sdg_links_count", stated=stated, proposed=len(f.sdg_links) - stated)
    out.append(f'<p class="note">{_e(_t(lang, "sdg_counting"))} {_e(counted)}</p>')
    rows_by_goal = {_goal_number(r.group): r for r in f.goals}
    for goal in touched:
        goal_iri = URIRef(f"{_SDG}{goal}")
        title = f.goal_titles.get(goal_iri, "")
        sid = _anchor("sdg", str(goal))
        links = [r for r in f.sdg_links if _goal_number(r["goal"]) == goal]
        rows = []
        for r in links:
            comp = f.components.get(r["contributor"])
            kind = comp.kind if comp else "component"
            kind_text = _t(lang, f"kind_{kind}") if f"kind_{kind}" in _TEXT else kind
            where = ""
            if isinstance(comp, Deliverable):
                parent = f.components.get(comp.parent)
                if parent is not None:
                    where = " " + _t(lang, "of_measure", code=parent.code)
            code = str(r["code"])
            prefix = {"measure": "m", "deliverable": "d", "guideline": "g"}.get(kind, "m")
            linked_local = str(r["linked"])[len(_SDG):]
            linked = (_t(lang, "target", code=linked_local) if "." in linked_local
                      else _t(lang, "goal_only", code=linked_local))
            basis = "stated" if str(r["basis"]).endswith("/stated") else "proposed"
            just = r.get("justification")
            rows.append(
                f'<tr data-basis="{basis}"><th scope="row">'
                f'<a class="code" href="#{_anchor(prefix, code)}">{_e(code)}</a>'
                f'<span class="sub">{_e(kind_text + where)}</span></th>'
                f'<td>{_e(linked)}<span class="sub"><span class="basis basis-{basis}">'
                f"{_e(_t(lang, basis))}</span></span></td>"
                f'<td lang="en">{_e(just or "")}</td></tr>')
        table = _table(_e(_t(lang, "goal_links", n=goal)),
                       [_e(_t(lang, "contributor")), _e(_t(lang, "linked_basis")),
                        _e(_t(lang, "justification"))], rows, cls="sdg-links")
        title_html = (f'<p class="goal-title" lang="en">{_e(title)}'
                      + (f' <span class="mark" lang="fr">({_e(_t(lang, "goal_title_lang"))})'
                         "</span>" if lang == "fr" else "") + "</p>") if title else ""
        out.append(f'<section class="sdg" id="{sid}" aria-labelledby="{sid}-h">'
                   f'<div class="sdg-head">{_sdg_badge(goal, lang)}<div>'
                   f'<h3 id="{sid}-h">{_e(_t(lang, "goal", n=goal))}</h3>{title_html}</div></div>'
                   + _progress("sdg-goal", str(goal), rows_by_goal.get(goal),
                               _t(lang, "goal", n=goal), lang)
                   + table + "</section>")
    out.append("</section>")
    return "".join(out)


def _kind_prefix(code: str) -> str:
    """The anchor prefix of a component code: ``d`` (L1M3D2), ``m`` (L1M3) or ``g`` (L1)."""
    if re.search(r"D\d+$", code):
        return "d"
    return "m" if re.search(r"M\d+$", code) else "g"


def _status_text(value: object, kind: object, lang: str) -> str:
    if str(kind).endswith("Measure") or str(kind).endswith("Guideline"):
        return _t(lang, "n_a")
    status = Status.from_iri(URIRef(str(value)) if value is not None else None)
    return f"{status.symbol} {_status_label(status, lang)}"


def _cycles(f: _Facts, lang: str, pages: Mapping[URIRef, Mapping[str, str]]) -> str:
    plan_by_iri = {p.iri: p for p in f.plans}
    rows = []
    bars = []
    for row in f.by_plan:
        name = f.names.get(row.plan, str(row.code))
        here = row.plan == f.plan.iri
        link = (f'<a href="{_e(pages[row.plan][lang])}">{_e(name)}</a>'
                if row.plan in pages and not here else _e(name))
        if here:
            link = (f'<strong>{link}</strong> '
                    f'<span class="mark">{_e(_t(lang, "this_plan"))}</span>')
        cells = "".join(f'<td data-status="{s.value}">{row.counts.get(s, 0)}</td>' for s in _ALL)
        reported = f.reported.get(row.plan)
        rep_done = reported.reported.get(Status.DONE) if reported else None
        rep_share = ("—" if reported is None or rep_done is None or not reported.reported_total
                     else _pct(rep_done / reported.reported_total, lang))
        rows.append(f'<tr data-plan="{_e(row.plan)}"><th scope="row">{link}</th>'
                    f'<td data-status="total">{row.total}</td>{cells}'
                    f'<td data-share="done">{_e(_pct(row.share(Status.DONE), lang))}</td>'
                    f'<td data-share="reported-done">{_e(rep_share)}</td></tr>')
        label = _t(lang, "progress_label", what=name, total=row.total,
                   parts=_parts_text(row.counts, lang))
        bars.append(f'<div class="chart-row"><p class="chart-label">{_e(name)}</p>'
                    + _bar(row.counts, row.total, label, lang, height=20) + "</div>")
    head = [_e(_t(lang, "plan")), _e(_t(lang, "total"))] + [
        f'<span class="sym sym-{s.value}" aria-hidden="true">{_e(s.symbol)}</span>'
        f'<span class="sub">{_e(_status_label(s, lang))}</span>' for s in _ALL] + [
        _e(_t(lang, "share_done")), _e(_t(lang, "share_reported"))]
    out = [f'<section id="cycles" aria-labelledby="cycles-h"><h2 id="cycles-h">'
           f'{_e(_t(lang, "cycles"))}</h2>',
           f'<figure class="chart"><figcaption>{_e(_t(lang, "cycles_chart"))}</figcaption>'
           + "".join(bars) + "</figure>",
           _table(_e(_t(lang, "cycles_caption")), head, rows, cls="cycles")]

    def cycle_of(iri: object) -> str:
        p = plan_by_iri.get(URIRef(str(iri)))
        return p.cycle if p else _local(iri)

    def ref(iri: object, code: str) -> str:
        """The component ``code`` of plan ``iri``, linked to its place in that plan's page."""
        target = URIRef(str(iri))
        anchor = _anchor(_kind_prefix(code), code)
        if target == f.plan.iri:
            return f'<a class="code" href="#{anchor}">{_e(code)}</a>'
        text = f'<span class="code">{_e(code)}</span> ({_e(cycle_of(iri))})'
        if target in pages:
            return f'<a href="{_e(pages[target][lang])}#{anchor}">{text}</a>'
        return text

    for key, side in (("carried_into", "to"), ("carried_from", "from")):
        mine = [r for r in f.carried if r[side] == f.plan.iri]
        if not mine:
            continue
        body = []
        for r in mine:
            rel = _local(r["relation"])
            kind = {"d": "Deliverable", "m": "Measure"}.get(
                _kind_prefix(str(r["earlierCode"])), "Guideline")
            body.append(f'<tr data-relation="{_e(rel)}"><th scope="row">'
                        f'{ref(r["to"], str(r["code"]))}</th>'
                        f"<td>{_e(_t(lang, rel) if rel in _TEXT else rel)}</td>"
                        f'<td>{ref(r["from"], str(r["earlierCode"]))}</td>'
                        f"<td>{_e(_status_text(r['earlierStatus'], kind, lang))}</td></tr>")
        out.append(f"<h3>{_e(_t(lang, key))}</h3>" + _table(
            _e(_t(lang, "carried_caption", n=len(mine))),
            [_e(_t(lang, "later")), _e(_t(lang, "relation")), _e(_t(lang, "earlier")),
             _e(_t(lang, "end_status"))], body, cls="carried"))
    for key, side in (("dropped_by", "to"), ("dropped_later", "from")):
        mine = [r for r in f.dropped if r[side] == f.plan.iri]
        if not mine:
            continue
        body = []
        for r in mine:
            kind_local = _local(r["kind"]).lower()
            kind_text = _t(lang, f"kind_{kind_local}") if f"kind_{kind_local}" in _TEXT else ""
            by = "" if side == "to" else " · " + _t(lang, "by_plan", cycle=cycle_of(r["to"]))
            body.append(f'<tr><th scope="row">{ref(r["from"], str(r["earlierCode"]))}'
                        f'<span class="sub">{_e(kind_text + by)}</span></th>'
                        f'<td lang="fr">{_e(r.get("label") or "")}</td>'
                        f"<td>{_e(_status_text(r['earlierStatus'], r['kind'], lang))}</td></tr>")
        out.append(f"<h3>{_e(_t(lang, key))}</h3>" + _table(
            _e(_t(lang, "dropped_caption", n=len(mine))),
            [_e(_t(lang, "component")), _e(_t(lang, "source_text")),
             _e(_t(lang, "end_status"))], body, cls="dropped"))
    if not f.carried and not f.dropped:
        out.append(f"<p>{_e(_t(lang, 'none_carried'))}</p>")
    out.append("</section>")
    return "".join(out)


def _footer(lang: str) -> str:
    from metrograph import __version__

    legend = " · ".join(f"{s.symbol} {_status_label(s, lang)}" for s in _ALL)
    return (f'<footer><h2 class="vh">{_e(_t(lang, "legend"))}</h2>'
            f"<p>{_e(_t(lang, 'legend') + _colon(lang) + legend)}</p>"
            f"<p>{_e(_t(lang, 'legend_text'))}</p>"
            f"<p>{_e(_t(lang, 'generated', version=__version__))}</p></footer>")


_CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#c8c8c8;--bg:#fff;--soft:#f4f5f7;--accent:#00558c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,
sans-serif;
overflow-wrap:break-word}
header.top,main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
header.top{padding-top:1rem;border-bottom:4px solid var(--accent)}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0}
h2{font-size:1.4rem;margin:2.5rem 0 .75rem;padding-bottom:.25rem;
border-bottom:1px solid var(--line)}
h3{font-size:1.15rem;margin:1.75rem 0 .5rem}
h4{font-size:1rem;margin:1.25rem 0 .25rem}
a{color:var(--accent)}
p{margin:.35rem 0}
.subtitle{color:var(--muted);font-style:italic}
.meta{color:var(--muted);font-size:.9rem}
.skip{position:absolute;left:-999px;top:0}
.skip:focus{left:1rem;background:#fff;padding:.5rem;z-index:1}
nav ul,nav ol{margin:0;padding:0}
nav.lang ul{list-style:none;display:flex;gap:.75rem;justify-content:flex-end;font-size:.9rem}
nav.lang [aria-current]{font-weight:700}
nav.plans{font-size:.9rem;margin:.5rem 0 1rem;display:flex;flex-wrap:wrap;gap:.5rem}
nav.plans ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav.toc{background:var(--soft);padding:.75rem 1rem;margin-top:1rem;border-radius:4px}
nav.toc h2{font-size:1rem;margin:0 0 .25rem;border:0;padding:0}
nav.toc ol{padding-left:1.25rem}
.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
clip-path:inset(50%);white-space:nowrap}
.code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em;
white-space:nowrap}
h3 .code{color:var(--muted);font-weight:400}
.mark{display:inline-block;font-size:.7rem;text-transform:uppercase;letter-spacing:.03em;
color:var(--muted);border:1px solid var(--line);border-radius:3px;padding:0 .3rem;
margin-right:.25rem;vertical-align:.1em;font-style:normal;white-space:nowrap}
p.tr{color:#333;font-style:italic}
.note{color:var(--muted);font-size:.9rem}
.sym{display:inline-block;min-width:1.4em;text-align:center;font-weight:700;
font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.sym-done{color:#00664a}.sym-in-progress{color:#8a5a00}.sym-not-elaborated{color:#a33a00}
.sym-not-recorded{color:#555}
svg.bar{display:block;width:100%;border:1px solid #767676;background:#fff;margin:.25rem 0}
.progress{margin:.5rem 0 .75rem;max-width:40rem}
ul.counts{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0;
font-size:.9rem}
figure.chart{margin:0}
figure.chart figcaption{font-weight:700;margin-bottom:.25rem}
.chart-label{font-size:.9rem;margin:.5rem 0 0}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;
margin:.5rem 0 0;font-size:.9rem}
ul.legend svg{vertical-align:-2px}
.figures-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem;
align-items:start}
.table-wrap{max-width:100%;overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;font-weight:700;padding:.25rem 0;caption-side:top}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-size:.85rem}
table.figures td,table.cycles td{text-align:right;font-variant-numeric:tabular-nums}
table.figures td.na{color:var(--muted);font-size:.85rem}
table.deliverables td.st{width:4.5rem;text-align:center}
td.st .sym{font-size:1.15rem;display:block}
.st-label{display:block;font-size:.72rem;line-height:1.2;color:var(--muted)}
.sub{display:block;font-size:.8rem;font-weight:400;color:var(--muted)}
dl.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem;
margin:0 0 1.25rem}
.kpi{background:var(--soft);border-radius:4px;padding:.6rem .8rem;
border-left:4px solid var(--accent)}
.kpi dt{font-size:.85rem;color:var(--muted)}
.kpi dd{margin:0}
.kpi-n{font-size:1.9rem;font-weight:700;line-height:1.2;font-variant-numeric:tabular-nums}
.kpi-share{color:var(--muted);margin-left:.25rem}
table.cycles th[scope=row]{min-width:8rem}
table.cycles td{white-space:nowrap}
h2+section.guideline{border-top:0;margin-top:0}
table.deliverables th.code{width:5.5rem}
table.deliverables td.text p{margin:0 0 .2rem}
section.guideline{border-top:3px solid var(--soft);margin-top:2rem}
section.measure{margin-left:.75rem;padding-left:.75rem;border-left:3px solid var(--soft)}
.sdg-strip{display:block;width:100%;max-width:40rem;height:auto;margin:.5rem 0 1rem}
.sdg-head{display:flex;gap:.75rem;align-items:center}
.sdg-head h3{margin:0}
.sdg-badge{flex:none}
.goal-title{margin:0;font-size:.95rem}
.basis{display:inline-block;font-size:.8rem;padding:0 .35rem;border-radius:3px;white-space:nowrap}
.basis-stated{background:#e3f1e8;border:1px solid #2e7d4f}
.basis-proposed{background:#fff4e0;border:1px dashed #8a5a00}
footer{margin-top:3rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid var(--line);
color:var(--muted);font-size:.9rem}
@media (min-width:40.01rem){table.figures th{white-space:nowrap}}
@media (max-width:40rem){
h1{font-size:1.35rem}
h2{font-size:1.2rem}
.figures-grid{grid-template-columns:minmax(0,1fr)}
section.measure{margin-left:0;padding-left:.5rem}
th,td{padding:.3rem .3rem}
table.deliverables th.code{width:auto}
table.sdg-links,table.cycles,table.dropped,table.carried{font-size:.85rem}
table.deliverables td.st{width:3.5rem}
.basis{white-space:normal}
dl.kpis{grid-template-columns:1fr 1fr;gap:.5rem}
.kpi-n{font-size:1.5rem}
}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-size:10pt}
header.top,main,footer{max-width:none;padding:0}
nav.lang,nav.toc,nav.plans,.skip{display:none}
a{color:inherit;text-decoration:none}
h2,h3,h4{break-after:avoid}
section.measure,.sdg,tr,figure{break-inside:avoid}
.table-wrap{overflow:visible}
.figures-grid{grid-template-columns:minmax(0,1fr)}
table.figures th,table.cycles td{white-space:normal}
svg.bar{max-width:100%}
}
"""


def _page(f: _Facts, lang: str, pages: Mapping[URIRef, Mapping[str, str]]) -> str:
    p = f.plan
    title = p.title.get(lang) or p.title.get("fr") or f"Plan {p.cycle}"
    doc_title = f"{_t(lang, 'heading', title=title)} · metrograph"
    alternates = "".join(
        f'<link rel="alternate" hreflang="{o}" href="{_e(page_name(p, o))}">'
        for o in LANGUAGES if o != lang)
    show_cycles = len(f.plans) > 1
    body = (_header(f, lang, pages)
            + f'<main id="main">{_contents(f, lang, show_cycles)}'
            + _figures(f, lang) + _guidelines(f, lang) + _themes(f, lang) + _sdgs(f, lang)
            + (_cycles(f, lang, pages) if show_cycles else "")
            + "</main>" + _footer(lang))
    return ("<!DOCTYPE html>\n"
            f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">\n"
            '<meta name="generator" content="metrograph">\n'
            f"<title>{_e(doc_title)}</title>\n{alternates}\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def html_report(kg: KnowledgeGraph, plan: str | None = None) -> dict[str, str]:
    """The report as HTML pages: file name -> page text, one page per plan (``plan``, a cycle
    code or IRI; every loaded plan when None) and language (:data:`LANGUAGES`).

    The French page (``.fr.html``) has a French interface and shows the source's French text
    first; the English page (``.en.html``) has an English interface and shows the project's
    translation first; they link to each other. When several plans are loaded, each page ends
    with a comparison across cycles (totals by status, share done, what was carried over or
    dropped). Pages are self-contained and deterministic."""
    shared = _gather_shared(kg)
    chosen = [kg.plan(plan)] if plan is not None else list(shared.plans)
    pages = {p.iri: {lang: page_name(p, lang) for lang in LANGUAGES} for p in chosen}
    out: dict[str, str] = {}
    for p in chosen:
        facts = _gather(kg, p, shared)
        for lang in LANGUAGES:
            out[page_name(p, lang)] = _page(facts, lang, pages)
    return out


def write_html_report(kg: KnowledgeGraph, out_dir: str | Path,
                      plan: str | None = None) -> list[Path]:
    """Write :func:`html_report`'s pages into the existing folder ``out_dir``, each atomically;
    return the paths written, in name order."""
    from metrograph.rdfio.writers import write_atomic

    folder = Path(out_dir)
    written = []
    for name, text in sorted(html_report(kg, plan=plan).items()):
        path = folder / name
        write_atomic(path, text.encode("utf-8"))
        written.append(path)
    return written
