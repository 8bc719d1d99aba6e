"""The implementation report, laid out as the Metropolis report lays it out, in Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metrograph.model import Deliverable, Guideline, Measure, Plan, Status

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["markdown_report"]

_STATUSES = (Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED)


def _esc(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _plan_section(kg: KnowledgeGraph, plan: Plan) -> list[str]:
    title = plan.title.get("fr") or f"Plan {plan.cycle}"
    lines = [f"# Mise en place du {title}", ""]
    if "en" in plan.title:
        lines += [f"*Implementation of the {plan.title['en']}* (English: metrograph's translation)",
                  ""]
    deliverables = kg.deliverables(plan=plan.iri)
    recorded = {s: sum(d.status is s for d in deliverables) for s in Status}
    comparisons = kg.reported_vs_recorded(plan=plan.iri)
    lines += ["## Résultats / Results", "",
              "| | Rapporté (source) / reported | Enregistré / recorded | Écart / difference |",
              "|---|---:|---:|---:|"]
    if comparisons:
        c = comparisons[0]
        lines.append(f"| Total | {c.reported_total} | {c.recorded_total} | "
                     f"{c.total_difference} |")
        for s in _STATUSES:
            rep = c.reported.get(s)
            diff = c.difference(s)
            lines.append(f"| {s.symbol} {s.label_fr} / {s.label_en} | "
                         f"{'' if rep is None else rep} | {recorded[s]} | "
                         f"{'' if diff is None else diff} |")
    else:
        lines.append(f"| Total | (not reported) | {len(deliverables)} | |")
        for s in _STATUSES:
            lines.append(f"| {s.symbol} {s.label_fr} / {s.label_en} | (not reported) | "
                         f"{recorded[s]} | |")
    nr = Status.NOT_RECORDED
    lines += [f"| {nr.symbol} {nr.label_fr} / {nr.label_en} | | {recorded[nr]} | |", ""]
    if recorded[nr]:
        lines += [f"{recorded[nr]} of {len(deliverables)} deliverables have no recorded status: "
                  f"they are marked {nr.symbol} below, not guessed.", ""]
    for g in kg.guidelines(plan=plan.iri):
        lines += _guideline_section(kg, g, plan)
    lines += ["---", "",
              "Légende / legend: V Réalisé (done) · O En cours (in progress) · "
              "X Non élaboré (not elaborated) · – aucun état enregistré (no recorded status).", "",
              "French text: the source's words, OCR-corrected. English text in italics: "
              "the metrograph project's translation.", ""]
    return lines


def _guideline_section(kg: KnowledgeGraph, g: Guideline, plan: Plan) -> list[str]:
    number = g.code.lstrip("Ll")
    lines = [f"## LIGNE DIRECTRICE {number}", "", f"**{_esc(g.label('fr'))}**", ""]
    if g.label("en"):
        lines += [f"*{_esc(g.label('en'))}*", ""]
    for m in kg.measures(plan=plan.iri, guideline=g):
        lines += _measure_section(kg, m, plan)
    return lines


def _measure_section(kg: KnowledgeGraph, m: Measure, plan: Plan) -> list[str]:
    lines = [f"### {m.code}", "", _esc(m.expected_outcome), ""]
    if m.label("en"):
        lines += [f"*{_esc(m.label('en'))}*", ""]
    lines += ["| État | Livrable | Résultats et documents livrables / deliverables |",
              "|:---:|---|---|"]
    d: Deliverable
    for d in kg.deliverables(plan=plan.iri, measure=m):
        text = _esc(d.label("fr"))
        if d.label("en"):
            text += f"<br>*{_esc(d.label('en'))}*"
        lines.append(f"| {d.status.symbol} | {d.code} | {text} |")
    lines.append("")
    return lines


def markdown_report(kg: KnowledgeGraph, plan: str | None = None) -> str:
    """The implementation report of ``plan`` (every plan when None) in Markdown: per guideline,
    its measures and deliverables with their status symbol (V, O, X, or – when none is
    recorded), and the totals reported by the source next to those recorded."""
    plans = [kg.plan(plan)] if plan is not None else kg.plans()
    lines: list[str] = []
    for p in plans:
        lines += _plan_section(kg, p)
    return "\n".join(lines).rstrip() + "\n"
