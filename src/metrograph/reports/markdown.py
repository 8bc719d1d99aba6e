"""The implementation report in Markdown, laid out as the source report lays it out: the same
report model as the HTML pages, through the template ``templates/report.md.j2``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from metrograph.model import Status
from metrograph.reports.html import messages
from metrograph.reports.model import STATUSES, build

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["markdown_report", "md_text"]

#: Characters that mean something wherever they stand in CommonMark or GitHub's Markdown
#: (emphasis, code, links, images, raw HTML, entities, tables, strikethrough, escapes).
_INLINE = re.compile(r"([\\`*_\[\]<>&|~!#])")
#: What starts a block at the beginning of a line: a list item, a setext underline.
_LINE_START = re.compile(r"^(?:([-+])(?=\s|$)|\d{1,9}([.)])(?=\s|$)|([=-])(?=[=-]*\s*$))")
#: GitHub's extended autolinks: ``http://…``, ``www.…`` and e-mail addresses.
_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=\bwww)\.|@", re.IGNORECASE)


def md_text(value: Any) -> str:
    """``value`` (text from the data, a number, or None) as literal Markdown text: one line
    (every run of white space, line breaks among them, becomes one space), every character that
    Markdown or raw HTML would act on backslash-escaped, so that it renders as itself inside a
    paragraph, a heading, emphasis or a table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())   # splits at every line break splitlines knows
    text = _INLINE.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    start = _LINE_START.match(text)
    if start:
        at = next(start.start(i) for i in range(1, 4) if start.group(i))
        text = text[:at] + "\\" + text[at:]
    return text


def markdown_environment() -> Environment:
    """The Jinja2 environment of the Markdown templates: every ``{{ … }}`` passes through
    :func:`md_text` (its ``finalize``), so no value from the data can reach the page as
    Markdown or HTML, whatever the template."""
    return Environment(loader=PackageLoader("metrograph.reports", "templates"),
                       autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, finalize=md_text)


def markdown_report(kg: KnowledgeGraph, plan: str | None = None) -> str:
    """The implementation report of ``plan`` (every plan when None) in Markdown: per guideline,
    its measures and deliverables with their status symbol (V, O, X, or – when none is
    recorded), the figures the source reports next to those recorded, themes, SDG goals, and
    what the plan carried over from its previous cycle."""
    reports, _network = build(kg, plan)
    env = markdown_environment()

    def label(status: Status, lang: str) -> str:
        return messages(lang)[f"status.{status.value}"]

    text = env.get_template("report.md.j2").render(
        reports=reports, statuses=STATUSES, nr=Status.NOT_RECORDED, label=label)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
