"""The implementation report in Markdown, laid out as the source report lays it out: the same
report model as the HTML pages, through the template ``templates/report.md.j2``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined

from metrograph.model import Status
from metrograph.reports.html import messages
from metrograph.reports.model import STATUSES, build

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["markdown_report"]


def _md(text: str | None) -> str:
    """Text made safe inside a Markdown table cell or paragraph."""
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown_report(kg: KnowledgeGraph, plan: str | None = None) -> str:
    """The implementation report of ``plan`` (every plan when None) in Markdown: per guideline,
    its measures and deliverables with their status symbol (V, O, X, or – when none is
    recorded), the figures the source reports next to those recorded, themes, SDG goals, and
    what the plan carried over from its previous cycle."""
    reports, _network = build(kg, plan)
    env = Environment(loader=PackageLoader("metrograph.reports", "templates"),
                      autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["md"] = _md

    def label(status: Status, lang: str) -> str:
        return messages(lang)[f"status.{status.value}"]

    text = env.get_template("report.md.j2").render(
        reports=reports, statuses=STATUSES, nr=Status.NOT_RECORDED, label=label)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
