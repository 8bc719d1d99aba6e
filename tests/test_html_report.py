"""The HTML report: unit tests of the pages, then tests in a real browser.

The browser tests render every page in headless Chromium (Debian's ``chromium`` package; see
``scripts/install-test-tools.sh``), driven over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: standard library only, no port, no extra package). They save
full-page screenshots at desktop (1280 px) and phone (375 px) width, and a printed PDF, to
``test-artifacts/html-report/`` under the repository root (or
``$METROGRAPH_ARTIFACTS/html-report/``) for a person to look at, and read the figures back from
the rendered DOM.

Without Chromium the browser tests FAIL, saying how to install it, unless
``METROGRAPH_SKIP_BROWSER=1`` is set (then they are skipped). ``METROGRAPH_CHROMIUM`` names
another Chromium or Chrome binary.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

import metrograph
from metrograph.errors import InputError, NotFoundError
from metrograph.graph import KnowledgeGraph
from metrograph.model import Deliverable, Status
from metrograph.reports.html import (
    LANGUAGES,
    SDG_COLOURS,
    html_report,
    page_name,
    write_html_report,
)

M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"
M21 = "https://w3id.org/metrograph/id/metropolis/plan/2021-2023"
EX22 = "https://w3id.org/metrograph/id/example-network/plan/2022-2024"
REPO = Path(__file__).resolve().parent.parent
STATUS_KEYS = {Status.DONE: "done", Status.IN_PROGRESS: "in-progress",
               Status.NOT_ELABORATED: "not-elaborated", Status.NOT_RECORDED: "not-recorded"}


# ---------------------------------------------------------------------- a small HTML tree


@dataclass
class Node:
    """An element of a parsed page."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Node]:
        """Descendants (and self) with ``tag`` whose attributes match (None: present at all)."""
        out = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            if all(n.attrs.get(k.replace("_", "-")) == v if v is not None
                   else k.replace("_", "-") in n.attrs for k, v in attrs.items()):
                out.append(n)
        return out


class _TreeBuilder(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "link", "br", "img", "input", "hr", "col", "area",
                                "base", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs},
                                            parent=self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    """Parse a page, checking that every element is closed where it should be."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(
        n.tag for n in builder.stack[1:])
    return builder.root


def ints(nodes: list[Node]) -> list[int]:
    return [int(n.text().strip()) for n in nodes]


# ---------------------------------------------------------------------- fixtures

# The pages are made through the API alone, and ``test_deterministic`` shows that both stores
# give the same bytes; so the tests here run on the fast store only.
KG = pytest.mark.parametrize("kg", ["oxigraph"], indirect=True)
MULTI = pytest.mark.parametrize("multi", ["oxigraph"], indirect=True)
BOTH = pytest.mark.parametrize(("kg", "multi"), [("oxigraph", "oxigraph")], indirect=True)


@pytest.fixture(scope="module")
def bundled_pages(kg: KnowledgeGraph) -> dict[str, str]:
    return html_report(kg)


@pytest.fixture(scope="module")
def multi_pages(multi: KnowledgeGraph) -> dict[str, str]:
    return html_report(multi)


# ---------------------------------------------------------------------- unit tests


@BOTH
def test_one_page_per_plan_and_language(kg: KnowledgeGraph, multi: KnowledgeGraph,
                                        bundled_pages: dict[str, str],
                                        multi_pages: dict[str, str]) -> None:
    assert sorted(bundled_pages) == ["report-metropolis-2018-2020.en.html",
                                     "report-metropolis-2018-2020.fr.html"]
    assert len(multi_pages) == 3 * len(LANGUAGES)
    for p in multi.plans():
        for lang in LANGUAGES:
            assert page_name(p, lang) in multi_pages
    assert sorted(html_report(multi, plan="2021-2023")) == [
        "report-metropolis-2021-2023.en.html", "report-metropolis-2021-2023.fr.html"]
    with pytest.raises(NotFoundError):
        html_report(kg, plan="1999-2001")
    with pytest.raises(ValueError):
        page_name(kg.plan(), "de")


@KG
def test_pages_link_to_each_other_by_language(bundled_pages: dict[str, str]) -> None:
    for name, text in bundled_pages.items():
        lang = name.split(".")[-2]
        other = next(x for x in LANGUAGES if x != lang)
        root = parse(text)
        assert root.find_all("html")[0].attrs["lang"] == lang
        switch = root.find_all("nav", **{"class": "lang"})[0]
        hrefs = [a.attrs["href"] for a in switch.find_all("a")]
        assert hrefs == [name.replace(f".{lang}.html", f".{other}.html")]
        assert switch.find_all("span", aria_current="page")[0].attrs["lang"] == lang


@BOTH
def test_self_contained(bundled_pages: dict[str, str], multi_pages: dict[str, str]) -> None:
    for name, text in {**bundled_pages, **multi_pages}.items():
        root = parse(text)
        assert not root.find_all("script"), name
        assert not root.find_all("img") and not root.find_all("iframe"), name
        assert not root.find_all("object") and not root.find_all("embed"), name
        csp = root.find_all("meta", http_equiv="Content-Security-Policy")
        assert csp and csp[0].attrs["content"] == (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:"), name
        for node in root.iter():
            for attr in ("src", "href", "srcset", "poster", "data", "action"):
                value = node.attrs.get(attr)
                if value is None:
                    continue
                assert not re.match(r"^\s*(https?:|//|ftp:|file:)", value, re.I), (name, value)
                assert value.startswith("#") or re.fullmatch(
                    r"report-[A-Za-z0-9._-]+\.(fr|en)\.html(#[A-Za-z0-9_.-]+)?", value), value
            assert not any(k.startswith("on") for k in node.attrs), (name, node.tag)
            assert "url(" not in node.attrs.get("style", ""), (name, node.tag)
        for link in root.find_all("link"):
            assert link.attrs["rel"] == "alternate", name      # nothing a browser would fetch
        css = "".join(n.text() for n in root.find_all("style"))
        assert "url(" not in css and "@import" not in css and "@font-face" not in css


@BOTH
def test_every_deliverable_is_shown_with_its_symbol_and_both_texts(
        kg: KnowledgeGraph, multi: KnowledgeGraph, bundled_pages: dict[str, str],
        multi_pages: dict[str, str]) -> None:
    for graph, pages in ((kg, bundled_pages), (multi, multi_pages)):
        for p in graph.plans():
            deliverables = graph.deliverables(plan=p.iri)
            for lang in LANGUAGES:
                root = parse(pages[page_name(p, lang)])
                rows = {r.attrs["data-deliverable"]: r
                        for r in root.find_all("tr", data_deliverable=None)}
                assert sorted(rows) == sorted(d.code for d in deliverables)
                for d in deliverables:
                    fr, en = d.label("fr"), d.label("en")
                    assert fr and en, d.code
                    row = rows[d.code]
                    cell = row.find_all("td", **{"class": "st"})[0]
                    assert cell.attrs["data-status"] == STATUS_KEYS[d.status]
                    assert cell.find_all("span", aria_hidden="true")[0].text() == d.status.symbol
                    src = row.find_all("p", **{"class": "src"})[0]
                    assert src.attrs["lang"] == "fr" and fr in src.text()
                    tr = row.find_all("p", **{"class": "tr"})[0]
                    assert tr.attrs["lang"] == "en" and en in tr.text()
                    mark = tr.find_all("span", **{"class": "mark"})[0].text()
                    assert mark == {"fr": "traduction metrograph",
                                    "en": "metrograph's translation"}[lang]


@KG
def test_bundled_headline_figures(kg: KnowledgeGraph, bundled_pages: dict[str, str]) -> None:
    [cmp] = kg.reported_vs_recorded()
    assert (cmp.reported_total, cmp.reported[Status.DONE], cmp.reported[Status.IN_PROGRESS],
            cmp.reported[Status.NOT_ELABORATED]) == (65, 49, 10, 6)
    for text in bundled_pages.values():
        root = parse(text)
        # a figure may be shown more than once (key figures, chart, table): always the same
        fig = {k: set(ints(root.find_all(data_figure=k))) for k in (
            "reported-total", "reported-done", "reported-in-progress",
            "reported-not-elaborated", "recorded-total", "recorded-done",
            "recorded-in-progress", "recorded-not-elaborated", "recorded-not-recorded")}
        assert fig == {"reported-total": {65}, "reported-done": {49},
                       "reported-in-progress": {10}, "reported-not-elaborated": {6},
                       "recorded-total": {65}, "recorded-done": {0},
                       "recorded-in-progress": {0}, "recorded-not-elaborated": {0},
                       "recorded-not-recorded": {65}}
        table = root.find_all("table", **{"class": "figures"})[0]
        assert len(table.find_all(data_figure=None)) == 9     # every figure is in the table


def progress_of(root: Node) -> dict[str, dict[str, int]]:
    out = {}
    for block in root.find_all("div", data_progress=None):
        counts = {n.attrs["data-status"]: int(n.text())
                  for n in block.find_all("span", data_status=None)}
        assert sum(counts.values()) == int(block.attrs["data-total"])
        out[block.attrs["data-progress"]] = counts
    return out


def api_progress(graph: KnowledgeGraph, plan: str) -> dict[str, dict[str, int]]:
    out = {}
    for by in ("guideline", "measure", "theme", "sdg-goal"):
        for row in graph.progress(by, plan=plan):
            out[f"{by}:{row.code}"] = {STATUS_KEYS[s]: n for s, n in row.counts.items()}
    return out


@BOTH
def test_progress_bars_equal_the_api(kg: KnowledgeGraph, multi: KnowledgeGraph,
                                     bundled_pages: dict[str, str],
                                     multi_pages: dict[str, str]) -> None:
    for graph, pages in ((kg, bundled_pages), (multi, multi_pages)):
        for p in graph.plans():
            expected = api_progress(graph, str(p.iri))
            for lang in LANGUAGES:
                assert progress_of(parse(pages[page_name(p, lang)])) == expected


@MULTI
def test_multicycle_figures(multi: KnowledgeGraph, multi_pages: dict[str, str]) -> None:
    root = parse(multi_pages["report-metropolis-2021-2023.en.html"])
    got = {k: ints(root.find_all(data_figure=k))[-1] for k in (
        "reported-total", "reported-done", "reported-in-progress", "reported-not-elaborated",
        "recorded-done", "recorded-in-progress", "recorded-not-elaborated",
        "recorded-not-recorded")}
    assert got == {"reported-total": 8, "reported-done": 4, "reported-in-progress": 3,
                   "reported-not-elaborated": 1, "recorded-done": 3, "recorded-in-progress": 2,
                   "recorded-not-elaborated": 1, "recorded-not-recorded": 2}
    # the Example Network reports nothing: its page says so and shows recorded figures only
    ex = parse(multi_pages["report-example-network-2022-2024.fr.html"])
    assert not ex.find_all(data_figure="reported-total")
    assert set(ints(ex.find_all(data_figure="recorded-done"))) == {1}
    assert "ne rapporte aucun chiffre" in ex.text()


@BOTH
def test_comparison_across_cycles(multi: KnowledgeGraph, bundled_pages: dict[str, str],
                                  multi_pages: dict[str, str]) -> None:
    for text in bundled_pages.values():
        assert not parse(text).find_all(id="cycles")     # a single plan: nothing to compare
    expected = {str(r.plan): (r.total, r.counts, f"{100 * r.share(Status.DONE):.0f}")
                for r in multi.progress("plan")}
    assert {k: v[:1] for k, v in expected.items()} == {M18: (65,), M21: (8,), EX22: (2,)}
    for text in multi_pages.values():
        section = parse(text).find_all("section", id="cycles")[0]
        rows = {r.attrs["data-plan"]: r for r in section.find_all("tr", data_plan=None)}
        assert sorted(rows) == sorted(expected)
        for plan, (total, counts, share) in expected.items():
            cells = {c.attrs["data-status"]: int(c.text())
                     for c in rows[plan].find_all("td", data_status=None)}
            assert cells == {"total": total, **{STATUS_KEYS[s]: n for s, n in counts.items()}}
            assert rows[plan].find_all("td", data_share="done")[0].text().startswith(share)
    m21 = parse(multi_pages["report-metropolis-2021-2023.fr.html"])
    carried = m21.find_all("table", **{"class": "carried"})[0]
    relations = sorted(r.attrs["data-relation"] for r in carried.find_all("tr", data_relation=None))
    assert relations == sorted(["continues"] * 4 + ["replaces"] + ["splitFrom"] * 2)
    dropped = m21.find_all("table", **{"class": "dropped"})[0].text()
    assert "L1M3D3 (2018-2020)" in dropped and "L1M8 (2018-2020)" in dropped
    # the earlier plan's page tells the same story from its side, linking to the later page
    m18 = parse(multi_pages["report-metropolis-2018-2020.en.html"])
    back = m18.find_all("table", **{"class": "carried"})[0]
    assert len(back.find_all("tr", data_relation=None)) == 7
    assert any(a.attrs["href"] == "report-metropolis-2021-2023.en.html#d-L1M1D1"
               for a in back.find_all("a"))
    assert "Dropped by a later cycle" in m18.text()
    # the Example Network has no link to another cycle
    ex = parse(multi_pages["report-example-network-2022-2024.en.html"])
    assert not ex.find_all("table", **{"class": "carried"})
    assert "No link between this plan and another cycle" in ex.text()


@BOTH
def test_sdg_goals_in_official_colours_with_basis(kg: KnowledgeGraph, multi: KnowledgeGraph,
                                                  bundled_pages: dict[str, str],
                                                  multi_pages: dict[str, str]) -> None:
    assert len(SDG_COLOURS) == 17 and sorted(SDG_COLOURS) == list(range(1, 18))
    assert (SDG_COLOURS[1], SDG_COLOURS[5], SDG_COLOURS[11], SDG_COLOURS[17]) == (
        "#E5243B", "#FF3A21", "#FD9D24", "#19486A")
    root = parse(bundled_pages["report-metropolis-2018-2020.fr.html"])
    goals = sorted(int(r.code) for r in kg.progress("sdg-goal", plan=M18))
    assert goals == [5, 11, 16, 17]
    for goal in goals:
        section = root.find_all("section", id=f"sdg-{goal}")[0]
        badge = section.find_all("svg", **{"class": "sdg-badge"})[0]
        assert badge.find_all("rect")[0].attrs["fill"] == SDG_COLOURS[goal]
        assert badge.find_all("text")[0].text() == str(goal)
    # every bundled link is a proposal of the project, and is marked as one
    links = root.find_all("tr", data_basis=None)
    assert len(links) == len(kg.query("sdg-contributions", plan=M18).rows) == 14
    assert {r.attrs["data-basis"] for r in links} == {"proposed"}
    assert all("proposé par metrograph" in r.text() for r in links)
    # the fictional 2021-2023 plan has one stated and one proposed link
    m21 = parse(multi_pages["report-metropolis-2021-2023.en.html"])
    basis = sorted(r.attrs["data-basis"] for r in m21.find_all("tr", data_basis=None))
    assert basis == ["proposed", "stated"]
    assert "stated by the source" in m21.text() and "proposed by metrograph" in m21.text()
    # the strip of the 17 goals: those not touched are faded
    strip = m21.find_all("svg", **{"class": "sdg-strip"})[0]
    faded = [g for g in strip.find_all("g") if g.attrs.get("opacity")]
    assert len(strip.find_all("g")) == 17 and len(faded) == 15


@BOTH
def test_charts_and_tables_are_accessible(bundled_pages: dict[str, str],
                                          multi_pages: dict[str, str]) -> None:
    for name, text in {**bundled_pages, **multi_pages}.items():
        root = parse(text)
        assert root.find_all("header") and len(root.find_all("main")) == 1, name
        assert len(root.find_all("h1")) == 1
        charts = root.find_all("svg", role="img")
        assert charts, name
        for svg in charts:
            assert svg.attrs.get("aria-label"), name
            kids = [c.tag for c in svg.children if isinstance(c, Node)]
            assert kids[:2] == ["title", "desc"], name
            assert svg.find_all("title")[0].text() == svg.attrs["aria-label"]
        for svg in root.find_all("svg"):
            assert svg.attrs.get("role") == "img" or svg.attrs.get("aria-hidden") == "true" or (
                svg.parent is not None and svg.parent.tag == "svg"), name
        for table in root.find_all("table"):
            assert table.find_all("caption")[0].text().strip(), name
            assert all(th.attrs.get("scope") in ("col", "row") for th in table.find_all("th"))
        # headings do not skip a level
        levels = [int(n.tag[1]) for n in root.iter() if re.fullmatch(r"h[1-6]", n.tag)]
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), name
        ids = [n.attrs["id"] for n in root.iter() if "id" in n.attrs]
        assert len(ids) == len(set(ids)), name
        for a in root.find_all("a"):
            href = a.attrs["href"]
            if href.startswith("#"):
                assert href[1:] in ids, (name, href)


ODD = ("<script>alert('x')</script> & \"quoted\" <b>bold</b>", "Ça & <i>là</i> 'ici'")


def test_text_is_escaped(tmp_path: Path) -> None:
    plan = "https://w3id.org/metrograph/id/test-org/plan/2030-2031"
    ttl = tmp_path / "odd.ttl"
    ttl.write_text(f"""
@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix mgs: <https://w3id.org/metrograph/vocab/status/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{plan}> a mg:ActionPlan ; skos:notation "2030-2031" ;
    dcterms:publisher <https://w3id.org/metrograph/id/org/test-org> ;
    mg:startYear "2030"^^xsd:gYear ; mg:endYear "2031"^^xsd:gYear ;
    dcterms:title {json.dumps(ODD[0])}@fr ; mg:translatedLabel {json.dumps(ODD[1])}@en .
<{plan}/L1> a mg:Guideline ; skos:notation "L1" ; schema:position 1 ; mg:parent <{plan}> ;
    skos:prefLabel {json.dumps(ODD[0])}@fr ; mg:translatedLabel {json.dumps(ODD[1])}@en .
<{plan}/L1M1> a mg:Measure ; skos:notation "L1M1" ; schema:position 1 ; mg:parent <{plan}/L1> ;
    skos:prefLabel {json.dumps(ODD[1])}@fr ; mg:translatedLabel {json.dumps(ODD[0])}@en .
<{plan}/L1M1D1> a mg:Deliverable ; skos:notation "L1M1D1" ; schema:position 1 ;
    mg:parent <{plan}/L1M1> ;
    skos:prefLabel {json.dumps(ODD[0])}@fr ; mg:translatedLabel {json.dumps(ODD[1])}@en .
<{plan}/assessment/L1M1D1/2031-12-31> a mg:StatusAssessment ;
    mg:assessedItem <{plan}/L1M1D1> ; mg:status mgs:done ; mg:asOf "2031-12-31"^^xsd:date .
""", encoding="utf-8")
    graph = metrograph.load(ttl, bundled_data=False, store="oxigraph")
    pages = html_report(graph)
    assert sorted(pages) == ["report-test-org-2030-2031.en.html",
                             "report-test-org-2030-2031.fr.html"]
    for text in pages.values():
        assert "<script" not in text and "<b>" not in text and "<i>" not in text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in text
        root = parse(text)
        assert not root.find_all("script") and not root.find_all("b")
        row = root.find_all("tr", data_deliverable="L1M1D1")[0]
        assert ODD[0] in row.text() and ODD[1] in row.text()
        assert root.find_all("td", data_status="done")[0].text().startswith("V")


@KG
def test_deterministic(kg: KnowledgeGraph, bundled_pages: dict[str, str]) -> None:
    assert html_report(kg) == bundled_pages
    # the same graph in the other store (rdflib in memory) gives the same bytes
    assert html_report(metrograph.load(store="memory")) == bundled_pages


@KG
def test_write_html_report(kg: KnowledgeGraph, bundled_pages: dict[str, str],
                           tmp_path: Path) -> None:
    written = write_html_report(kg, tmp_path)
    assert [p.name for p in written] == sorted(bundled_pages)
    for path in written:
        assert path.read_text(encoding="utf-8") == bundled_pages[path.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(bundled_pages)  # no temp files
    with pytest.raises(InputError, match="does not exist"):
        write_html_report(kg, tmp_path / "missing")


@KG
def test_not_recorded_is_said_not_guessed(bundled_pages: dict[str, str]) -> None:
    fr = parse(bundled_pages["report-metropolis-2018-2020.fr.html"]).text()
    en = parse(bundled_pages["report-metropolis-2018-2020.en.html"]).text()
    assert "65 des 65 livrables n'ont aucun état enregistré" in fr
    assert "65 of 65 deliverables have no recorded status" in en


# ---------------------------------------------------------------------- the browser


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary: ``$METROGRAPH_CHROMIUM``, else one on PATH."""
    named = os.environ.get("METROGRAPH_CHROMIUM")
    if named:
        return named if Path(named).exists() else shutil.which(named)
    for candidate in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class DevToolsError(RuntimeError):
    """Chromium answered a DevTools command with an error, or stopped answering."""


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # runs in the child: the protocol's fds are 3 (in) and 4 (out)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
             "--force-color-profile=srgb", "--font-render-hinting=none",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            close_fds=False, preexec_fn=fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            data = data[os.write(self._to_child, data):]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise DevToolsError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise DevToolsError("Chromium closed the DevTools pipe: "
                                    + (self.proc.stderr.read().decode(errors="replace")[-2000:]
                                       if self.proc.stderr and self.proc.poll() is not None
                                       else ""))
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 60) -> dict[str, Any]:
        """Send a command and wait for its answer, keeping the events that arrive meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def wait_for(self, method: str, session: str, timeout: float = 60) -> dict[str, Any]:
        """Wait for the event ``method`` of ``session`` (or take it if it already came)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive(deadline))

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.call("Browser.close", timeout=10)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


#: Read the page back: what a reader sees (``innerText``) where the figures are.
READ_PAGE = r"""
(() => {
  const num = el => parseInt(el.innerText.trim(), 10);
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const figures = {};
  for (const el of document.querySelectorAll('[data-figure]')) {
    (figures[el.dataset.figure] ||= []).push({value: num(el), shown: shown(el)});
  }
  const progress = {};
  for (const el of document.querySelectorAll('[data-progress]')) {
    const counts = {};
    for (const s of el.querySelectorAll('[data-status]')) counts[s.dataset.status] = num(s);
    const bar = el.querySelector('svg[role=img]');
    progress[el.dataset.progress] = {counts, shown: shown(el),
      bar: bar ? Math.round(bar.getBoundingClientRect().width) : 0};
  }
  const deliverables = {};
  for (const tr of document.querySelectorAll('tr[data-deliverable]')) {
    const st = tr.querySelector('td.st');
    deliverables[tr.dataset.deliverable] = {status: st.dataset.status,
      symbol: st.innerText.trim().slice(0, 1), shown: shown(tr)};
  }
  const plans = {};
  for (const tr of document.querySelectorAll('tr[data-plan]')) {
    const cells = {};
    for (const td of tr.querySelectorAll('td[data-status]')) cells[td.dataset.status] = num(td);
    plans[tr.dataset.plan] = cells;
  }
  const charts = [...document.querySelectorAll('svg[role=img]')].map(s => ({
    label: s.getAttribute('aria-label') || '',
    title: (s.querySelector(':scope > title') || {}).textContent || '',
    desc: (s.querySelector(':scope > desc') || {}).textContent || ''}));
  const vw = window.innerWidth;
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-wrap') || el.closest('svg') && el.tagName !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 0.5) sticking.push(el.tagName + '#' + (el.id || '') +
                                                          '.' + el.className);
  }
  const scrolling = [...document.querySelectorAll('.table-wrap')]
    .filter(w => w.scrollWidth > w.clientWidth + 1)
    .map(w => (w.querySelector('caption') || {}).textContent || '');
  return {lang: document.documentElement.lang, title: document.title,
          innerWidth: vw, scrollWidth: document.documentElement.scrollWidth,
          bodyScrollWidth: document.body.scrollWidth, sticking: sticking.slice(0, 10),
          scrolling, figures, progress, deliverables, plans, charts,
          fontsLoaded: document.fonts.size};
})()
"""


@dataclass
class Rendered:
    """One page as Chromium rendered it at one width."""

    name: str
    width: int
    dom: dict[str, Any]
    requests: list[str]
    failures: list[str]
    console: list[str]
    screenshot: Path


def artifacts_dir() -> Path:
    base = os.environ.get("METROGRAPH_ARTIFACTS")
    folder = (Path(base) if base else REPO / "test-artifacts") / "html-report"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def render(browser: Chromium, page: Path, width: int, shot: Path) -> Rendered:
    """Load ``page`` at ``width`` CSS pixels, read it back, and save a full-page screenshot."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Network", "Runtime", "Log"):
            browser.call(f"{domain}.enable", session=session)
        mobile = width < 600
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 800 if mobile else 1000,
                      "deviceScaleFactor": 1, "mobile": mobile}, session=session)
        browser.events.clear()
        url = page.resolve().as_uri()
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session)
        dom = browser.call("Runtime.evaluate", {"expression": READ_PAGE, "returnByValue": True},
                           session=session)["result"]["value"]
        metrics = browser.call("Page.getLayoutMetrics", session=session)
        height = int(metrics["cssContentSize"]["height"]) + 1
        png = browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
            session=session)["data"]
        import base64

        shot.write_bytes(base64.b64decode(png))
        mine = [e for e in browser.events if e.get("sessionId") == session]
        requests = [e["params"]["request"]["url"] for e in mine
                    if e.get("method") == "Network.requestWillBeSent"]
        failures = [e["params"].get("errorText", "") + " " + e["params"].get("blockedReason", "")
                    for e in mine if e.get("method") == "Network.loadingFailed"]
        console = [e["params"]["entry"].get("text", "") for e in mine
                   if e.get("method") == "Log.entryAdded"]
        console += [str(e["params"].get("exceptionDetails")) for e in mine
                    if e.get("method") == "Runtime.exceptionThrown"]
        return Rendered(page.name, width, dom, requests, failures, console, shot)
    finally:
        browser.call("Target.closeTarget", {"targetId": target})


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium | None]:
    """Headless Chromium; None when there is none (each browser test then fails, saying so)."""
    binary = find_chromium()
    if binary is None:
        if os.environ.get("METROGRAPH_SKIP_BROWSER") == "1":
            pytest.skip("METROGRAPH_SKIP_BROWSER=1: the browser tests of the HTML report are "
                        "skipped")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="metrograph-chromium-") as profile:
        chromium = Chromium(binary, Path(profile))
        try:
            chromium.call("Browser.getVersion", timeout=60)
            yield chromium
        finally:
            chromium.close()


NO_BROWSER = ("headless Chromium is needed to test the HTML report in a real browser, and none "
              "was found (looked for $METROGRAPH_CHROMIUM, chromium, chromium-browser, "
              "google-chrome). Install it with `scripts/install-test-tools.sh` (Debian: apt-get "
              "install chromium), or set METROGRAPH_SKIP_BROWSER=1 to skip these tests.")


def need(browser: Chromium | None) -> Chromium:
    """The browser, or a failed test saying how to get one (never a skip)."""
    if browser is None:
        pytest.fail(NO_BROWSER, pytrace=False)
    return browser


WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.fixture(scope="module")
def written(kg: KnowledgeGraph, multi: KnowledgeGraph,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The pages of the bundled graph and of the multi-cycle graph, written to folders."""
    return {label: write_html_report(graph, tmp_path_factory.mktemp(f"html-{label}"))
            for label, graph in (("bundled", kg), ("multicycle", multi))}


@pytest.fixture(scope="module")
def site(written: dict[str, list[Path]],
         browser: Chromium | None) -> dict[tuple[str, str, str], Rendered]:
    """Every page rendered at both widths: (data set, page name, width name) -> what the
    browser shows (nothing without a browser)."""
    out: dict[tuple[str, str, str], Rendered] = {}
    if browser is None:
        return out
    shots = artifacts_dir()
    for label, paths in written.items():
        for path in paths:
            for width_name, width in WIDTHS.items():
                shot = shots / f"{label}--{path.name.removesuffix('.html')}--{width_name}.png"
                out[label, path.name, width_name] = render(browser, path, width, shot)
    return out


READ_PRINT = r"""
(() => ({
  innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
  hidden: ['nav.lang', 'nav.toc', '.skip'].map(s => document.querySelector(s))
    .filter(Boolean).map(el => getComputedStyle(el).display),
  print: matchMedia('print').matches,
}))()
"""


def print_page(browser: Chromium, page: Path, pdf: Path) -> dict[str, Any]:
    """Load ``page`` as printed on A4 (794 CSS px wide), read it back, and save it as PDF."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        browser.call("Page.enable", session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 794, "height": 1123, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
        browser.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", session)
        dom: dict[str, Any] = browser.call(
            "Runtime.evaluate", {"expression": READ_PRINT, "returnByValue": True},
            session=session)["result"]["value"]
        import base64

        data = browser.call("Page.printToPDF", {"printBackground": True}, session=session,
                            timeout=120)["data"]
        pdf.write_bytes(base64.b64decode(data))
        return dom
    finally:
        browser.call("Target.closeTarget", {"targetId": target})


@BOTH
def test_browser_shows_the_api_figures(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (label, name, _width), page in site.items():
        graph = kg if label == "bundled" else multi
        plan = next(p for p in graph.plans() if page_name(p, name.split(".")[-2]) == name)
        figures = {k: {v["value"] for v in vs} for k, vs in page.dom["figures"].items()}
        assert all(v["shown"] for vs in page.dom["figures"].values() for v in vs), name
        recorded = next(r for r in graph.progress("plan") if r.plan == plan.iri)
        for status, key in STATUS_KEYS.items():
            assert figures[f"recorded-{key}"] == {recorded.counts[status]}, (name, key)
        assert figures["recorded-total"] == {recorded.total}
        comparisons = graph.reported_vs_recorded(plan=plan.iri)
        if comparisons:
            [c] = comparisons
            assert figures["reported-total"] == {c.reported_total}
            for status in (Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED):
                assert figures[f"reported-{STATUS_KEYS[status]}"] == {c.reported[status]}
        else:
            assert not any(k.startswith("reported-") for k in figures)
        # every progress bar as the API counts it, shown, and drawn with a width
        expected = api_progress(graph, str(plan.iri))
        got = {k: v["counts"] for k, v in page.dom["progress"].items()}
        assert got == expected, name
        assert all(v["shown"] and v["bar"] > 0 for v in page.dom["progress"].values()), name
        # every deliverable, with its status symbol
        deliverables: list[Deliverable] = graph.deliverables(plan=plan.iri)
        assert sorted(page.dom["deliverables"]) == sorted(d.code for d in deliverables)
        for d in deliverables:
            shown = page.dom["deliverables"][d.code]
            assert (shown["status"], shown["symbol"], shown["shown"]) == (
                STATUS_KEYS[d.status], d.status.symbol, True), (name, d.code)


@BOTH
def test_browser_bundled_figures_as_the_source_reports_them(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for lang in LANGUAGES:
        for width in WIDTHS:
            dom = site["bundled", f"report-metropolis-2018-2020.{lang}.html", width].dom
            fig = {k: {v["value"] for v in vs} for k, vs in dom["figures"].items()}
            assert (fig["reported-total"], fig["reported-done"], fig["reported-in-progress"],
                    fig["reported-not-elaborated"]) == ({65}, {49}, {10}, {6})
            assert (fig["recorded-done"], fig["recorded-in-progress"],
                    fig["recorded-not-elaborated"], fig["recorded-not-recorded"]) == (
                        {0}, {0}, {0}, {65})
            assert {d["symbol"] for d in dom["deliverables"].values()} == {"–"}
    dom = site["multicycle", "report-metropolis-2021-2023.en.html", "desktop"].dom
    fig = {k: {v["value"] for v in vs} for k, vs in dom["figures"].items()}
    assert (fig["recorded-done"], fig["recorded-in-progress"], fig["recorded-not-elaborated"],
            fig["recorded-not-recorded"]) == ({3}, {2}, {1}, {2})
    assert dom["plans"][M21] == {"total": 8, "done": 3, "in-progress": 2, "not-elaborated": 1,
                                 "not-recorded": 2}
    assert dom["plans"][EX22]["total"] == 2 and dom["plans"][M18]["total"] == 65


@BOTH
def test_browser_no_request_leaves_the_page(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (_label, name, width), page in site.items():
        assert len(page.requests) == 1, (name, width, page.requests)
        assert page.requests[0].startswith("file://") and page.requests[0].endswith("/" + name)
        assert page.failures == [], (name, width, page.failures)
        assert page.console == [], (name, width, page.console)   # no CSP violation, no error
        assert page.dom["fontsLoaded"] == 0


@BOTH
def test_browser_nothing_overflows_at_phone_width(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (_label, name, width), page in site.items():
        dom = page.dom
        assert dom["innerWidth"] == WIDTHS[width], (name, width)
        assert dom["scrollWidth"] <= dom["innerWidth"], (name, width, dom["sticking"])
        assert dom["bodyScrollWidth"] <= dom["innerWidth"], (name, width, dom["sticking"])
        assert dom["sticking"] == [], (name, width)
        if width == "desktop":
            assert dom["scrolling"] == [], (name, "a table scrolls at desktop width")


@BOTH
def test_browser_every_chart_has_a_text_alternative(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (_label, name, _width), page in site.items():
        assert page.dom["charts"], name
        for chart in page.dom["charts"]:
            assert chart["label"] and chart["title"] == chart["label"] and chart["desc"], name
        lang = name.split(".")[-2]
        assert page.dom["lang"] == lang and page.dom["title"].endswith("· metrograph")


@BOTH
def test_browser_prints_cleanly(
        kg: KnowledgeGraph, multi: KnowledgeGraph, written: dict[str, list[Path]], browser: Chromium
        | None) -> None:
    chromium = need(browser)
    for label, paths in written.items():
        for path in paths:
            pdf = artifacts_dir() / f"{label}--{path.name.removesuffix('.html')}--print.pdf"
            dom = print_page(chromium, path, pdf)
            assert dom["print"] and dom["hidden"] == ["none", "none", "none"], path.name
            assert dom["scrollWidth"] <= dom["innerWidth"], path.name
            assert pdf.read_bytes()[:5] == b"%PDF-"


@BOTH
def test_browser_screenshots_are_kept(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    assert len(site) == (2 + 6) * len(WIDTHS)
    for (_label, _name, width), page in site.items():
        data = page.screenshot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        png_width = int.from_bytes(data[16:20], "big")
        png_height = int.from_bytes(data[20:24], "big")
        assert png_width == WIDTHS[width] and png_height > 600, page.screenshot
