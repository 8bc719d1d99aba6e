"""The report as self-contained HTML pages: Jinja2 templates (``templates/``, autoescaped) fed by
the report model, with French and English messages from ``messages/{fr,en}.json``.

Pages: ``report-{organisation}-{cycle}.{fr,en}.html`` for each plan, ``network.{fr,en}.html``
(every organisation and plan loaded) and ``index.html`` linking them all. Each page holds
everything it needs (inline CSS and SVG; a Content-Security-Policy ``<meta>`` forbids any
request); the only script is the network page's filter, inline and allowed by its SHA-256 hash.
Every chart is an ``<svg role="img">`` with ``aria-label``, ``<title>`` and ``<desc>``, and
its numbers are also given as text or in a table. The same graph gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from metrograph.errors import InputError
from metrograph.model import Plan, Status
from metrograph.rdfio.writers import write_all_atomic, write_atomic
from metrograph.reports.model import STATUSES, Flow, NetworkReport, PlanReport, Tally, build

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["LANGUAGES", "SDG_COLOURS", "STATUS_COLOURS", "html_report", "page_name",
           "write_html_report"]

#: The interface languages, one page each.
LANGUAGES: tuple[str, ...] = ("fr", "en")

#: The official colours of the 17 SDGs (UN SDG communications guidelines), by goal number.
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

_FLOW_COLOURS = {"continues": "#0072B2", "replaces": "#CC79A7", "splitFrom": "#117733",
                 "drops": "#D55E00"}


def page_name(plan: Plan | PlanReport, lang: str) -> str:
    """The file name of ``plan``'s page in ``lang`` (``report-metropolis-2018-2020.fr.html``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    if isinstance(plan, PlanReport):
        return f"report-{plan.slug}.{lang}.html"
    from metrograph.reports.model import local, slug

    return f"report-{slug(local(plan.organisation))}-{slug(plan.cycle)}.{lang}.html"


@cache
def messages(lang: str) -> dict[str, str]:
    """The interface messages of ``lang``, read from the packaged catalogue."""
    found: dict[str, str] = json.loads(
        (files("metrograph.reports") / "messages" / f"{lang}.json").read_text("utf-8"))
    return found


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("metrograph.reports", "templates"),
                       autoescape=select_autoescape(["html.j2"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _ink(goal: int) -> str:
    """White on the goal's colour where it reaches the contrast of large text (3:1), as the
    official icons have it; else near-black (goals 2, 6, 7, 9, 11, 15)."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    colour = SDG_COLOURS[goal]
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    white, dark = 1.05 / (lum + 0.05), (lum + 0.05) / (0.0104 + 0.05)
    return "#FFFFFF" if white >= 3.0 or white >= dark else "#1A1A1A"


def _context(lang: str, reports: Sequence[PlanReport], pages: set[str],
             network: bool) -> dict[str, Any]:
    """What every template may use: messages, formatting and the shared constants."""
    from metrograph import __version__

    def t(key: str, lang: str = lang, **values: object) -> str:
        text = messages(lang)[key]
        return text.format(**values) if values else text

    def st(status: Status) -> str:
        return t(f"status.{status.value}")

    def parts(tally: Tally) -> str:
        return ", ".join(f"{st(s).lower()}{t(':')}{n}" for s, n in tally.items())

    def pct(share: float) -> str:
        return t("percent", n=f"{100 * share:.0f}")

    by_iri = {r.plan.iri: r for r in reports}

    def ref(plan: object, code: str, anchor: str, with_cycle: bool = False) -> Markup:
        """The component ``code`` of ``plan``, linked to its place when that page exists."""
        r = by_iri.get(plan)  # type: ignore[call-overload]
        cycle = r.plan.cycle if r and with_cycle else ""
        text = escape(code) + (Markup(f' <span class="sub-inline">({escape(cycle)})</span>')
                               if cycle else "")
        if r is not None and r.slug in pages:
            return Markup(f'<a href="{escape(page_name(r, lang))}#{escape(anchor)}">') + \
                text + Markup("</a>")
        return Markup(text)

    def cycle_of(plan: object) -> str:
        r = by_iri.get(plan)  # type: ignore[call-overload]
        return r.plan.cycle if r else ""

    def flow_parts(flows: Sequence[Flow]) -> str:
        return "; ".join(t(f"rel_{f.relation}_n", earlier=f.earlier, later=f.later)
                         for f in flows)

    def tally_of(figures: Mapping[Status, int | None]) -> Tally:
        return Tally.of({s: n or 0 for s, n in figures.items()})

    other = next(x for x in LANGUAGES if x != lang)
    return dict(lang=lang, other=other, t=t, st=st, parts=parts, pct=pct, ref=ref,
                cycle_of=cycle_of, flow_parts=flow_parts, tally_of=tally_of,
                statuses=STATUSES, done=Status.DONE, none_status=Status.NOT_RECORDED,
                colours=STATUS_COLOURS, sdg_colours=SDG_COLOURS, ink=_ink,
                flow_colours=_FLOW_COLOURS, version=__version__, pages=pages,
                has_index=network, has_network=network, script="", script_hash="",
                css=(files("metrograph.reports") / "templates" / "report.css").read_text("utf-8"))


def _heat(top: int) -> Any:
    """The shade (1-5) of a heat-map cell holding ``n`` of at most ``top``."""
    def shade(n: int) -> int:
        return min(5, 1 + (5 * n - 1) // top) if top else 0
    return shade


def html_report(kg: KnowledgeGraph, plan: str | None = None, *,
                plan_pages: bool = True) -> dict[str, str]:
    """The report as HTML pages: file name -> page text. Every plan's pages, the network
    overview and ``index.html``; with ``plan`` (a cycle code or IRI), that plan's pages only;
    with ``plan_pages=False``, the network overview and the index only."""
    reports, network = build(kg, plan)
    whole = plan is None
    if not plan_pages:
        reports = []
    pages = {r.slug for r in reports}
    env = _environment()
    out: dict[str, str] = {}
    for lang in LANGUAGES:
        ctx = _context(lang, network.plans, pages, whole)
        for r in reports:
            show_cycles = bool(r.cycles.previous or r.cycles.onward or len(r.cycles.plans) > 1)
            out[page_name(r, lang)] = env.get_template("plan.html.j2").render(
                ctx, r=r, other_page=page_name(r, ctx["other"]), show_cycles=show_cycles)
        if whole:
            out[f"network.{lang}.html"] = _network_page(env, ctx, network)
    if whole:
        out["index.html"] = env.get_template("index.html.j2").render(
            {**_context("fr", network.plans, pages, True), "has_index": False},
            plans=network.plans, network=True, other_page="")
    return out


def _network_page(env: Environment, ctx: dict[str, Any], network: NetworkReport) -> str:
    script = (files("metrograph.reports") / "templates" / "network.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    top = max((v for o in network.organisations for v in o.goals), default=0)
    return env.get_template("network.html.j2").render(
        {**ctx, "script": script, "script_hash": f"sha256-{digest}"}, n=network,
        heat=_heat(top), other_page=f"network.{ctx['other']}.html")


#: the file, in a report folder, that lists the pages the last report wrote there
REPORT_MARKER = ".metrograph-report"


def write_html_report(kg: KnowledgeGraph, out_dir: str | Path, plan: str | None = None, *,
                      plan_pages: bool = True, pages: dict[str, str] | None = None,
                      overwrite: bool = False) -> list[Path]:
    """Write :func:`html_report`'s pages (or ``pages``, made by it) into the existing folder
    ``out_dir``, each atomically; return the paths written, in name order. A file of the
    folder that an earlier report did not write (listed in ``.metrograph-report``) is replaced
    only with ``overwrite``: :class:`~metrograph.errors.InputError` otherwise, before anything
    is written. The list is written before the pages, so a run killed midway is completed by
    the next one without ``overwrite``; the pages are all written in full before any is
    renamed into place, so a failed write (a full disk) replaces none."""
    folder = Path(out_dir)
    pages = pages if pages is not None else html_report(kg, plan=plan, plan_pages=plan_pages)
    marker = folder / REPORT_MARKER
    try:
        ours = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
    except (OSError, UnicodeDecodeError):
        ours = set()
    foreign = sorted(n for n in pages if (folder / n).exists() and n not in ours)
    if foreign and not overwrite:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise InputError(f"would replace {foreign[0]}{more}, which no earlier report wrote: "
                         "give --force (overwrite=True) to replace", source=str(folder))
    # The list first, with the names about to be written: a run killed while it writes the
    # pages leaves a folder whose every page of ours is listed, so the next run replaces them
    # all (no --force needed) and the folder is whole again.
    write_atomic(marker, "".join(f"{n}\n" for n in sorted(ours | set(pages))).encode("utf-8"))
    # every page in full beside its place first, then all renamed: a full disk replaces none
    written = {folder / name: text.encode("utf-8") for name, text in sorted(pages.items())}
    write_all_atomic(written)
    return list(written)
