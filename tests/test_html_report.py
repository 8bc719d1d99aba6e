"""The HTML report: the pages as parsed HTML against the API, then in headless Chromium.

The browser tests render every page of the bundled graph and of the multi-cycle fixture at
desktop (1280 px) and phone (390 px) width, keep full-page screenshots in
``test-artifacts/html-report/`` (git-ignored; or ``$METROGRAPH_ARTIFACTS/html-report/``), and
read the figures back from the rendered DOM. See ``browser.py`` for Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from rdflib import URIRef

import metrograph
from metrograph.errors import InputError, NotFoundError
from metrograph.graph import KnowledgeGraph
from metrograph.model import Status
from metrograph.reports.html import (
    LANGUAGES,
    SDG_COLOURS,
    html_report,
    page_name,
    write_html_report,
)
from metrograph.reports.markdown import markdown_report

from .browser import Chromium, Rendered, artifacts_dir, chromium_or_none, need, render
from .conftest import EX22, M18, M21
from .htmltree import Node, ints, parse

STATUS_KEYS = {s: s.value for s in Status}
PLAN_PAGES = {M18: "report-metropolis-2018-2020", M21: "report-metropolis-2021-2023",
              EX22: "report-example-network-2022-2024"}
LOCAL_HREF = re.compile(
    r"(report-[A-Za-z0-9._-]+\.(fr|en)|network\.(fr|en)|index)\.html(#[A-Za-z0-9_.-]+)?")

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


def plan_pages(pages: dict[str, str]) -> Iterator[tuple[str, str, Node]]:
    """(name, language, parsed page) of every plan page."""
    for name, text in sorted(pages.items()):
        if name.startswith("report-"):
            yield name, name.split(".")[-2], parse(text)


# ---------------------------------------------------------------------- pages and links


@BOTH
def test_pages(kg: KnowledgeGraph, multi: KnowledgeGraph, bundled_pages: dict[str, str],
               multi_pages: dict[str, str]) -> None:
    assert sorted(bundled_pages) == [
        "index.html", "network.en.html", "network.fr.html",
        "report-metropolis-2018-2020.en.html", "report-metropolis-2018-2020.fr.html"]
    assert len(multi_pages) == 3 * len(LANGUAGES) + 3
    for p in multi.plans():
        for lang in LANGUAGES:
            assert page_name(p, lang) in multi_pages
    assert sorted(html_report(multi, plan="2021-2023")) == [
        "report-metropolis-2021-2023.en.html", "report-metropolis-2021-2023.fr.html"]
    assert sorted(html_report(multi, plan_pages=False)) == [
        "index.html", "network.en.html", "network.fr.html"]
    with pytest.raises(NotFoundError):
        html_report(kg, plan="1999-2001")
    with pytest.raises(ValueError):
        page_name(kg.plan(), "de")


@BOTH
def test_every_link_resolves(bundled_pages: dict[str, str], multi_pages: dict[str, str],
                             multi: KnowledgeGraph) -> None:
    for pages in (bundled_pages, multi_pages):
        ids = {name: {n.attrs["id"] for n in parse(text).iter() if "id" in n.attrs}
               for name, text in pages.items()}
        for name, text in pages.items():
            for a in parse(text).find_all("a"):
                href = a.attrs["href"]
                target, _, anchor = href.partition("#")
                target = target or name
                assert target in pages, (name, href)
                assert not anchor or anchor in ids[target], (name, href)
    # index.html links every other page, in both languages
    index = parse(multi_pages["index.html"])
    assert {a.attrs["href"] for a in index.find_all("main")[0].find_all("a")} == set(
        multi_pages) - {"index.html"}
    assert index.find_all("html")[0].attrs["lang"] == "fr"
    assert all(n.attrs["lang"] == "en" for n in index.find_all(lang=None)
               if n.tag != "html" and "English" in n.text() and n.tag == "a")
    rows = {r.attrs["data-plan"] for r in index.find_all("tr", data_plan=None)}
    assert rows == {str(p.iri) for p in multi.plans()}


@KG
def test_pages_link_to_each_other_by_language(bundled_pages: dict[str, str]) -> None:
    for name, text in bundled_pages.items():
        if name == "index.html":
            continue
        lang = name.split(".")[-2]
        other = next(x for x in LANGUAGES if x != lang)
        root = parse(text)
        assert root.find_all("html")[0].attrs["lang"] == lang
        switch = root.find_all("nav", **{"class": "lang"})[0]
        hrefs = [a.attrs["href"] for a in switch.find_all("a")]
        assert hrefs == [name.replace(f".{lang}.html", f".{other}.html")]
        assert switch.find_all("a")[0].attrs["lang"] == other
        assert switch.find_all("span", aria_current="page")[0].attrs["lang"] == lang


@BOTH
def test_self_contained(bundled_pages: dict[str, str], multi_pages: dict[str, str]) -> None:
    script = (files("metrograph.reports") / "templates" / "network.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    for name, text in {**bundled_pages, **multi_pages}.items():
        root = parse(text)
        scripts = root.find_all("script")
        csp = root.find_all("meta", http_equiv="Content-Security-Policy")[0].attrs["content"]
        if name.startswith("network."):
            # one inline script, the filter, allowed by its hash and by nothing else
            assert len(scripts) == 1 and "src" not in scripts[0].attrs, name
            assert scripts[0].text() == script
            assert csp == ("default-src 'none'; style-src 'unsafe-inline'; "
                           f"script-src 'sha256-{digest}'; img-src data:")
        else:
            assert not scripts, name
            assert csp == "default-src 'none'; style-src 'unsafe-inline'; img-src data:", name
        assert not root.find_all("img") and not root.find_all("iframe"), name
        assert not root.find_all("object") and not root.find_all("embed"), name
        for node in root.iter():
            for attr in ("src", "href", "srcset", "poster", "data", "action"):
                value = node.attrs.get(attr)
                if value is not None:
                    assert value.startswith("#") or LOCAL_HREF.fullmatch(value), (name, value)
            assert not any(k.startswith("on") for k in node.attrs), (name, node.tag)
            assert "url(" not in node.attrs.get("style", ""), (name, node.tag)
        for link in root.find_all("link"):
            assert link.attrs["rel"] == "alternate", name      # nothing a browser would fetch
        css = "".join(n.text() for n in root.find_all("style"))
        assert "url(" not in css and "@import" not in css and "@font-face" not in css


# ---------------------------------------------------------------------- the plan page


@BOTH
def test_every_deliverable_with_its_status_and_both_texts(
        kg: KnowledgeGraph, multi: KnowledgeGraph, bundled_pages: dict[str, str],
        multi_pages: dict[str, str]) -> None:
    for graph, pages in ((kg, bundled_pages), (multi, multi_pages)):
        for p in graph.plans():
            deliverables = graph.deliverables(plan=p.iri)
            any_status = any(d.status is not Status.NOT_RECORDED for d in deliverables)
            for lang in LANGUAGES:
                root = parse(pages[page_name(p, lang)])
                rows = {r.attrs["data-deliverable"]: r
                        for r in root.find_all("tr", data_deliverable=None)}
                assert sorted(rows) == sorted(d.code for d in deliverables)
                for d in deliverables:
                    row = rows[d.code]
                    assert row.attrs["data-status"] == STATUS_KEYS[d.status]
                    cells = row.find_all("td", **{"class": "st"})
                    # a status column only where some status is recorded: no column of dashes
                    assert len(cells) == (1 if any_status else 0), d.code
                    if any_status:
                        symbol = cells[0].find_all("span", aria_hidden="true")[0].text()
                        assert symbol == d.status.symbol
                    src = row.find_all("p", **{"class": "src"})[0]
                    assert src.attrs["lang"] == "fr" and src.text() == d.label("fr")
                    tr = row.find_all("p", **{"class": "tr"})[0]
                    assert tr.attrs["lang"] == "en" and tr.text() == d.label("en")
                    first = next(n for n in row.find_all("p"))
                    assert first.attrs["lang"] == lang     # the page's language first


@BOTH
def test_one_legend_no_badges(bundled_pages: dict[str, str],
                              multi_pages: dict[str, str]) -> None:
    for _name, lang, root in plan_pages({**bundled_pages, **multi_pages}):
        assert not root.find_all(**{"class": "mark"})
        assert len(root.find_all("aside", **{"class": "legend-box"})) == 1
        legend = root.find_all("aside", **{"class": "legend-box"})[0].text()
        assert {"fr": "traduction du projet metrograph",
                "en": "metrograph project's translation"}[lang] in legend


@KG
def test_bundled_headline_figures(kg: KnowledgeGraph, bundled_pages: dict[str, str]) -> None:
    [cmp] = kg.reported_vs_recorded()
    for name, lang, root in plan_pages(bundled_pages):
        # a figure may be shown more than once (key figures, chart, table): always the same
        fig = {k: set(ints(root.find_all(data_figure=k))) for k in (
            "reported-total", "reported-done", "reported-in-progress",
            "reported-not-elaborated", "recorded-total", "recorded-done",
            "recorded-in-progress", "recorded-not-elaborated", "recorded-not-recorded")}
        assert fig == {"reported-total": {cmp.reported_total},
                       "reported-done": {cmp.reported[Status.DONE]},
                       "reported-in-progress": {cmp.reported[Status.IN_PROGRESS]},
                       "reported-not-elaborated": {cmp.reported[Status.NOT_ELABORATED]},
                       "recorded-total": {65}, "recorded-done": {0},
                       "recorded-in-progress": {0}, "recorded-not-elaborated": {0},
                       "recorded-not-recorded": {65}}, name
        assert fig["reported-done"] == {49}
        table = root.find_all("table", **{"class": "figures"})[0]
        heads = [th.text() for th in table.find_all("th", scope="col")]
        assert heads[-1] == {"en": "Reported by the source, not yet recorded deliverable by "
                                   "deliverable",
                             "fr": "Rapporté par la source, pas encore enregistré livrable par "
                                   "livrable"}[lang]
        pending = [r.find_all("td")[-1].text() for r in table.find_all("tr")[1:4]]
        assert pending == [str(cmp.difference(s)) for s in
                           (Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED)]
        assert "Difference" not in root.text() and "Écart" not in root.text()


@KG
def test_empty_states_say_it_once(bundled_pages: dict[str, str]) -> None:
    for name, lang, root in plan_pages(bundled_pages):
        text = root.text()
        notice = {"en": "None of the 65 deliverables has a status recorded",
                  "fr": "Aucun des 65 livrables n'a encore d'état enregistré"}[lang]
        assert text.count(notice) == 1, name
        assert len(root.find_all("p", **{"class": "notice"})) == 1
        # no grey bars, no rows of zero counts, no status column of dashes
        assert not root.find_all("div", data_progress=None), name
        assert not root.find_all("ul", **{"class": "counts"}), name
        assert not root.find_all("td", **{"class": "st"}), name
        assert len(root.find_all("svg", **{"class": "bar"})) == 1   # the reported figures
        assert "V 0" not in text and "– 17" not in text


@KG
def test_organisation_name_in_the_header(kg: KnowledgeGraph,
                                         bundled_pages: dict[str, str]) -> None:
    names = {str(r["lang"]): str(r["name"]) for r in kg.sparql(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT (LANG(?n) AS ?lang) ?name WHERE { ?org skos:prefLabel ?n BIND (STR(?n) AS ?name) }",
        {"org": kg.plan().organisation}).dicts()}
    assert names["fr"] == "Metropolis, association mondiale des grandes métropoles"
    for _name, lang, root in plan_pages(bundled_pages):
        header = root.find_all("header")[0]
        assert header.find_all("p", **{"class": "org"})[0].text() == names[lang]
        assert "organisation: metropolis" not in header.text()


def labels(graph: KnowledgeGraph, iri: str) -> dict[str, str]:
    """The preferred names of ``iri`` by language, as the graph has them."""
    rows = graph.sparql("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                        "SELECT (LANG(?n) AS ?lang) (STR(?n) AS ?name) "
                        "WHERE { ?c skos:prefLabel ?n }",
                        {"c": URIRef(iri)}).dicts()
    return {str(r["lang"]): str(r["name"]) for r in rows}


@BOTH
def test_french_labels_on_french_pages(kg: KnowledgeGraph, multi: KnowledgeGraph,
                                       bundled_pages: dict[str, str],
                                       multi_pages: dict[str, str]) -> None:
    gender = labels(kg, "https://w3id.org/metrograph/vocab/theme/gender")
    goal5 = labels(kg, "http://metadata.un.org/sdg/5")
    target55 = labels(kg, "http://metadata.un.org/sdg/5.5")
    assert gender == {"fr": "Genre", "en": "Gender"}
    for lang in LANGUAGES:
        root = parse(multi_pages[f"report-metropolis-2021-2023.{lang}.html"])
        theme = root.find_all("section", id="t-gender")[0].find_all("h3")[0]
        assert theme.text() == gender[lang] and "lang" not in theme.find_all("span")[0].attrs
        sdg5 = root.find_all("section", id="sdg-5")[0]
        assert sdg5.find_all("p", **{"class": "goal-title"})[0].text() == goal5[lang]
        assert target55[lang] in sdg5.text()
        assert target55["en" if lang == "fr" else "fr"] not in sdg5.text()
        strip = root.find_all("svg", **{"class": "sdg-strip"})[0]
        faded = [g for g in strip.find_all("g") if g.attrs.get("opacity")]
        assert len(strip.find_all("g")) == 17 and len(faded) == 15
        badge = sdg5.find_all("svg", **{"class": "sdg-badge"})[0]
        assert badge.find_all("rect")[0].attrs["fill"] == SDG_COLOURS[5]
    fr = parse(bundled_pages["report-metropolis-2018-2020.fr.html"])
    headings = [h.text() for h in fr.find_all("h3") if h.parent and h.parent.attrs.get(
        "class") == "theme"]
    assert headings == ["Genre", "Jeunesse"]
    links = fr.find_all("tr", data_basis=None)
    assert len(links) == len(kg.query("sdg-contributions", plan=M18).rows) == 14
    assert all("proposé par metrograph" in r.text() for r in links)
    m21 = parse(multi_pages["report-metropolis-2021-2023.en.html"])
    basis = sorted(r.attrs["data-basis"] for r in m21.find_all("tr", data_basis=None))
    assert basis == ["proposed", "stated"]


def progress_of(root: Node) -> dict[str, dict[str, int]]:
    out = {}
    for block in root.find_all("div", data_progress=None):
        counts = {n.attrs["data-status"]: int(n.text())
                  for n in block.find_all("span", data_status=None)}
        assert sum(counts.values()) == int(block.attrs["data-total"])
        out[block.attrs["data-progress"]] = {k: v for k, v in counts.items() if v}
    return out


def api_progress(graph: KnowledgeGraph, plan: str) -> dict[str, dict[str, int]]:
    out = {}
    for by in ("guideline", "measure", "theme", "sdg-goal"):
        for row in graph.progress(by, plan=plan):
            out[f"{by}:{row.code}"] = {STATUS_KEYS[s]: n for s, n in row.counts.items() if n}
    return out


@MULTI
def test_progress_equals_the_api(multi: KnowledgeGraph, multi_pages: dict[str, str]) -> None:
    for p in multi.plans():
        expected = api_progress(multi, str(p.iri))
        for lang in LANGUAGES:
            assert progress_of(parse(multi_pages[page_name(p, lang)])) == expected
    root = parse(multi_pages["report-metropolis-2021-2023.en.html"])
    got = {k: ints(root.find_all(data_figure=k))[-1] for k in (
        "reported-total", "reported-done", "reported-in-progress", "reported-not-elaborated",
        "recorded-done", "recorded-in-progress", "recorded-not-elaborated",
        "recorded-not-recorded")}
    [c] = multi.reported_vs_recorded(plan=M21)
    assert got == {"reported-total": c.reported_total,
                   **{f"reported-{s.value}": c.reported[s] for s in (
                       Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED)},
                   **{f"recorded-{s.value}": c.recorded[s] for s in Status}}
    ex = parse(multi_pages["report-example-network-2022-2024.fr.html"])
    assert not ex.find_all(data_figure="reported-total")
    assert "ne rapporte aucun chiffre" in ex.text()


# ---------------------------------------------------------------------- across cycles


@BOTH
def test_across_cycles(kg: KnowledgeGraph, multi: KnowledgeGraph,
                       bundled_pages: dict[str, str], multi_pages: dict[str, str]) -> None:
    for _name, _lang, root in plan_pages(bundled_pages):
        assert not root.find_all(id="cycles")     # a single plan: nothing to compare
    m21 = parse(multi_pages["report-metropolis-2021-2023.en.html"])
    carried = multi.query("carried-over", to=M21).rows
    dropped = multi.query("dropped", to=M21).rows
    # the flow chart from 2018-2020 to 2021-2023, with its text alternative
    flow = m21.find_all("svg", **{"class": "flow"})[0]
    assert flow.attrs["role"] == "img"
    by_rel: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in carried:
        by_rel[str(r["relation"]).rsplit("#", 1)[-1]].append(r)
    words = {"continues": "continued", "replaces": "replaced", "splitFrom": "split"}
    for rel, rows in by_rel.items():
        earlier = len({r["earlier"] for r in rows})
        later = len({r["item"] for r in rows})
        assert f"{earlier} {words[rel]} → {later}" in flow.attrs["aria-label"]
    assert f"{len(dropped)} dropped" in flow.attrs["aria-label"]
    # every link, with the end-of-cycle status against the current one
    table = m21.find_all("table", **{"class": "carried"})[0]
    rows = table.find_all("tr", data_relation=None)
    assert sorted(r.attrs["data-relation"] for r in rows) == sorted(
        str(r["relation"]).rsplit("#", 1)[-1] for r in carried)
    changes = {str(r["code"]): r for r in multi.query("status-changes-across-cycles",
                                                      to=M21).rows}
    for row in rows:
        later = row.find_all("td")[1].text().split()[0]
        if later in changes and later.count("D"):
            end = row.find_all("td", data_end=None)[0].attrs["data-end"]
            now = row.find_all("td", data_current=None)[0].attrs["data-current"]
            expected = changes[later]
            assert end == Status.from_iri(expected["earlierStatus"]).value
            assert now == Status.from_iri(expected["status"]).value
    assert changes and any(str(r["changed"]) == "True" for r in changes.values())
    text = m21.find_all("table", **{"class": "dropped"})[0].text()
    assert all(str(r["earlierCode"]) in text for r in dropped)
    # themes and SDG goals over the organisation's cycles
    over = m21.find_all("table", **{"class": "over-cycles"})
    themes = {r.find_all("th")[0].text(): [c.text() for c in r.find_all("td")]
              for r in over[0].find_all("tr")[1:]}
    tallies = {(str(r["plan"]), str(r["theme"]).rsplit("/", 1)[-1]): str(r["deliverables"])
               for r in multi.query("themes-over-cycles").rows}
    assert themes == {"Gender": [tallies[M18, "gender"], tallies[M21, "gender"]],
                      "Youth": [tallies[M18, "youth"], tallies[M21, "youth"]]}
    goals = {r.find_all("th")[0].text().split("Sustainable")[0].split(" ")[1].strip():
             [c.text() for c in r.find_all("td")] for r in over[1].find_all("tr")[1:]}
    sdg = {(str(r.plan), r.code): str(r.total) for r in multi.progress("sdg-goal")}
    for goal, cells in goals.items():
        num = re.match(r"\d+", goal)
        assert num is not None
        assert cells == [sdg.get((M18, num[0]), "—"), sdg.get((M21, num[0]), "—")]
    # the earlier plan's page tells the same story from its side, linking to the later page
    m18 = parse(multi_pages["report-metropolis-2018-2020.en.html"])
    onward = m18.find_all("table", **{"class": "onward"})[0]
    assert len(onward.find_all("tr", data_relation=None)) == len(carried) + len(dropped)
    assert any(a.attrs["href"] == "report-metropolis-2021-2023.en.html#d-L1M1D1"
               for a in onward.find_all("a"))
    assert not m18.find_all("svg", **{"class": "flow"})     # no previous cycle
    # the Example Network has one plan only: no section about cycles at all
    ex = parse(multi_pages["report-example-network-2022-2024.en.html"])
    assert not ex.find_all(id="cycles") and "cycle" not in ex.find_all("nav")[-1].text()


# ---------------------------------------------------------------------- across the network


@MULTI
def test_network_overview(multi: KnowledgeGraph, multi_pages: dict[str, str]) -> None:
    progress = {str(r.plan): r for r in multi.progress("plan")}
    for lang in LANGUAGES:
        root = parse(multi_pages[f"network.{lang}.html"])
        rows = {r.attrs["data-plan"]: r for r in root.find_all("tr", data_plan=None)}
        assert sorted(rows) == sorted(progress)
        for plan, row in rows.items():
            assert int(row.find_all("td", data_status="total")[0].text()) == progress[plan].total
            label = row.find_all("svg", role="img")[0].attrs["aria-label"]
            assert f"{progress[plan].total} " in label
            href = row.find_all("a")[0].attrs["href"]
            assert href == f"{PLAN_PAGES[plan]}.{lang}.html"
        # the heat map: deliverables per organisation and goal, all cycles
        heat: dict[tuple[str, int], int] = defaultdict(int)
        org_of = {str(p.iri): str(p.organisation).rsplit("/", 1)[-1] for p in multi.plans()}
        for r in multi.progress("sdg-goal"):
            heat[org_of[str(r.plan)], int(r.code)] += r.total
        table = root.find_all("table", **{"class": "heat"})[0]
        for row in table.find_all("tr", data_org=None):
            cells = [c.text() for c in row.find_all("td")]
            assert cells == [str(heat[row.attrs["data-org"], g] or "") for g in range(1, 18)]
        assert len(table.find_all("tr", data_org=None)) == 2
        themes = {r.attrs["data-theme"] for r in root.find_all("tr", data_theme=None)}
        assert themes == {"gender", "youth"}
        assert {int(n.text()) for n in root.find_all(data_figure="plans")} == {3}


# ---------------------------------------------------------------------- for everyone


@BOTH
def test_charts_and_tables_are_accessible(bundled_pages: dict[str, str],
                                          multi_pages: dict[str, str]) -> None:
    for name, text in {**bundled_pages, **multi_pages}.items():
        root = parse(text)
        assert root.find_all("header") and len(root.find_all("main")) == 1, name
        assert len(root.find_all("h1")) == 1
        for svg in root.find_all("svg", role="img"):
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
        levels = [int(n.tag[1]) for n in root.iter() if re.fullmatch(r"h[1-6]", n.tag)]
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), name
        ids = [n.attrs["id"] for n in root.iter() if "id" in n.attrs]
        assert len(ids) == len(set(ids)), name


def test_catalogues_match_the_templates() -> None:
    folder = files("metrograph.reports")
    fr = json.loads((folder / "messages" / "fr.json").read_text("utf-8"))
    en = json.loads((folder / "messages" / "en.json").read_text("utf-8"))
    assert sorted(fr) == sorted(en)
    used: set[str] = set()
    for template in (folder / "templates").iterdir():
        if template.name.endswith(".j2"):
            used |= set(re.findall(r"\bt\([\"']([^\"']+)[\"']", template.read_text("utf-8")))
    used = {key for key in used if not key.endswith("_")}        # prefixes of composed keys
    assert used and used <= set(fr), used - set(fr)
    assert all(f"status.{s.value}" in fr for s in Status)


ODD = ("<script>alert('x')</script> & \"quoted\" <b>bold</b>", "Ça & <i>là</i> 'ici'")


def _plan_turtle(plan: str, title_fr: str, title_en: str, guideline: tuple[str, str],
                 measure: tuple[str, str]) -> str:
    """Turtle of a plan of test-org, 2030-2031, with one guideline and one measure, labelled
    (French, English) with the texts given."""
    return f"""
@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{plan}> a mg:ActionPlan ; skos:notation "2030-2031" ;
    dcterms:publisher <https://w3id.org/metrograph/id/org/test-org> ;
    mg:startYear "2030"^^xsd:gYear ; mg:endYear "2031"^^xsd:gYear ;
    dcterms:title {json.dumps(title_fr)}@fr ; mg:translatedLabel {json.dumps(title_en)}@en .
<{plan}/L1> a mg:Guideline ; skos:notation "L1" ; schema:position 1 ; mg:parent <{plan}> ;
    skos:prefLabel {json.dumps(guideline[0])}@fr ;
    mg:translatedLabel {json.dumps(guideline[1])}@en .
<{plan}/L1M1> a mg:Measure ; skos:notation "L1M1" ; schema:position 1 ; mg:parent <{plan}/L1> ;
    skos:prefLabel {json.dumps(measure[0])}@fr ; mg:translatedLabel {json.dumps(measure[1])}@en .
"""


def test_text_is_escaped(tmp_path: Path) -> None:
    plan = "https://w3id.org/metrograph/id/test-org/plan/2030-2031"
    ttl = tmp_path / "odd.ttl"
    ttl.write_text(_plan_turtle(plan, ODD[0], ODD[1], (ODD[0], ODD[1]), (ODD[1], ODD[0]))
                   + f"""@prefix mgs: <https://w3id.org/metrograph/vocab/status/> .
<{plan}/L1M1D1> a mg:Deliverable ; skos:notation "L1M1D1" ; schema:position 1 ;
    mg:parent <{plan}/L1M1> ;
    skos:prefLabel {json.dumps(ODD[0])}@fr ; mg:translatedLabel {json.dumps(ODD[1])}@en .
<{plan}/assessment/L1M1D1/2031-12-31> a mg:StatusAssessment ;
    mg:assessedItem <{plan}/L1M1D1> ; mg:status mgs:done ; mg:asOf "2031-12-31"^^xsd:date .
""", encoding="utf-8")
    graph = metrograph.load(ttl, bundled_data=False, store="oxigraph")
    pages = html_report(graph)
    assert "report-test-org-2030-2031.en.html" in pages
    for text in pages.values():
        assert "<script>alert" not in text and "<b>" not in text and "<i>" not in text
        root = parse(text)
        assert not root.find_all("b")
    page = pages["report-test-org-2030-2031.fr.html"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;" in page
    row = parse(page).find_all("tr", data_deliverable="L1M1D1")[0]
    assert ODD[0] in row.text() and ODD[1] in row.text()
    assert parse(page).find_all("td", data_status="done")[0].text().startswith("V")
    assert "<script>" not in markdown_report(graph)


#: Labels that would be Markdown or HTML if written as they are, and every line break
#: ``str.splitlines`` knows.
HOSTILE = ("Parité <script>alert(1)</script> [clic](http://evil.example/) *gras* `code` "
           "![img](x.png) &amp; <http://a.example> www.evil.example a@b.example ~~s~~ __u__",
           "# Titre | forged | row |",
           "1. liste\r2) autre\u2028- puce\x85+ plus\x0b> cité\x0c===\x1c---\x1d\x1e\u2029fin\\",
           "Plan <img src=x onerror=alert(1)>\n\n## Injected heading")
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _hostile_plan(folder: Path) -> KnowledgeGraph:
    plan = "https://w3id.org/metrograph/id/test-org/plan/2030-2031"
    ttl = folder / "hostile.ttl"
    ttl.write_text(_plan_turtle(plan, HOSTILE[3], HOSTILE[3], (HOSTILE[1], HOSTILE[2]),
                                (HOSTILE[2], HOSTILE[1]))
                   + "".join(f"""
<{plan}/L1M1D{i}> a mg:Deliverable ; skos:notation "L1M1D{i}" ; schema:position {i} ;
    mg:parent <{plan}/L1M1> ;
    skos:prefLabel {json.dumps(text)}@fr ; mg:translatedLabel {json.dumps(text)}@en .
""" for i, text in enumerate(HOSTILE, 1)), encoding="utf-8")
    return metrograph.load(ttl, bundled_data=False, store="oxigraph")


def _literal(text: str) -> str:
    """``text`` as a reader should see it: its white space (line breaks too) one space."""
    return " ".join(text.split())


def assert_literal_markdown(source: str, texts: tuple[str, ...]) -> str:
    """``source`` rendered by a CommonMark renderer (raw HTML on, tables on) shows each of
    ``texts`` as text: no tag, link, emphasis or code comes from them. Returns the HTML."""
    import html as html_lib

    from markdown_it import MarkdownIt

    assert not any(c in source for c in _LINE_BREAKS.replace("\n", ""))
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    tags = set(re.findall(r"<([a-z0-9]+)", rendered))
    assert tags <= {"h1", "h2", "h3", "p", "em", "strong", "table", "thead", "tbody", "tr", "th",
                    "td", "br", "ul", "li", "hr"}, tags
    plain = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    for text in texts:
        assert _literal(text) in plain, text
    # GitHub's extended autolinks (not CommonMark) are broken up too
    assert "http://" not in source and "www.evil" not in source and "a@b" not in source
    return rendered


def test_markdown_is_literal(tmp_path: Path) -> None:
    """Every value from the data reaches the Markdown report as literal text, one line."""
    text = markdown_report(_hostile_plan(tmp_path))
    rendered = assert_literal_markdown(text, HOSTILE)
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.S)
    deliverables = [r for r in rows if "L1M1D" in r]
    assert len(deliverables) == len(HOSTILE)
    assert all(r.count("<td") == 3 for r in deliverables)
    assert rendered.count("<h1>") == 1 and "Injected heading</h2>" not in rendered
    # the template environment escapes whatever a template prints: no filter to forget
    from metrograph.reports.markdown import markdown_environment
    assert markdown_environment().from_string("{{ x }}").render(x="<b>*x*</b>") == \
        "\\<b\\>\\*x\\*\\</b\\>"


PARTNER_LINKS = """
@prefix mg:   <https://w3id.org/metrograph/ontology#> .
@prefix mgb:  <https://w3id.org/metrograph/vocab/link-basis/> .
@prefix mgo:  <https://w3id.org/metrograph/id/org/> .
@prefix m18:  <https://w3id.org/metrograph/id/metropolis/plan/2018-2020/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
m18:sdg-link\\/L1M1D1\\/16.7 a mg:SDGLink ; mg:contributor m18:L1M1D1 ;
    mg:sdg <http://metadata.un.org/sdg/16.7> ; mg:linkBasis mgb:proposed ;
    mg:justification "Proposed by UCLG's reviewers."@en ; prov:wasAttributedTo mgo:uclg .
m18:sdg-link\\/L1M1D2\\/16.6 a mg:SDGLink ; mg:contributor m18:L1M1D2 ;
    mg:sdg <http://metadata.un.org/sdg/16.6> ; mg:linkBasis mgb:proposed ;
    mg:justification "Two reviewers."@en ;
    prov:wasAttributedTo mgo:uclg , mgo:metrograph-project .
m18:sdg-link\\/L1M1D3\\/16.8 a mg:SDGLink ; mg:contributor m18:L1M1D3 ;
    mg:sdg <http://metadata.un.org/sdg/16.8> ; mg:linkBasis mgb:proposed ;
    mg:justification "Nobody on record."@en .
"""


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_sdg_links_say_who_proposed_them(tmp_path: Path, store: str) -> None:
    """A proposed SDG link is reported as proposed by whoever it is attributed to."""
    data = tmp_path / "partner.ttl"
    data.write_text(PARTNER_LINKS, encoding="utf-8")
    graph = metrograph.load(data, store=store)
    text = markdown_report(graph, plan="2018-2020")
    assert "L1M1D1 → 16.7 (proposed by United Cities and Local Governments)" in text
    assert ("L1M1D2 → 16.6 (proposed by metrograph project, United Cities and Local "
            "Governments)") in text
    assert "L1M1D3 → 16.8 (proposed; who proposed it is not recorded)" in text
    assert text.count("(proposed by metrograph)") == 14
    pages = html_report(graph, plan="2018-2020")
    for lang, own, by in (("en", "proposed by metrograph", "proposed by {}"),
                          ("fr", "proposé par metrograph", "proposé par {}")):
        root = parse(pages[f"report-metropolis-2018-2020.{lang}.html"])
        rows = {r.find_all("a")[0].text() + " " + re.findall(r"\b(\d+(?:\.[0-9a-z]+)?)",
                                                              r.find_all("td")[0].text())[0]: r
                for r in root.find_all("tr", data_basis=None)}
        uclg = "United Cities and Local Governments" if lang == "en" else \
            "Cités et Gouvernements Locaux Unis"
        assert by.format(uclg) in rows["L1M1D1 16.7"].text()
        assert rows["L1M1D1 16.7"].attrs["data-proposers"] == \
            "https://w3id.org/metrograph/id/org/uclg"
        assert own not in rows["L1M1D1 16.7"].text()
        assert own not in rows["L1M1D3 16.8"].text()
        bases = [b.text() for b in root.find_all("span", **{"class": None})
                 if b.attrs.get("class", "").startswith("basis ")]
        assert bases.count(own) == 14 and len(bases) == 17
        note = root.find_all("p", **{"class": "note"})
        counts = " ".join(n.text() for n in note)
        assert ("14 proposed by metrograph. 2 proposed by others" if lang == "en"
                else "14 proposé(s) par metrograph. 2 proposé(s) par d'autres") in counts
    rights = pub_rights()
    assert "proposed SDG links are the metrograph project's work" not in rights
    assert "attributed to the project" in rights


def pub_rights() -> str:
    from metrograph.publishing.release import RIGHTS
    return RIGHTS


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
    # no temporary files; the list of what the report wrote, for the next one
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*bundled_pages,
                                                                 ".metrograph-report"])
    with pytest.raises(InputError, match="does not exist"):
        write_html_report(kg, tmp_path / "missing")


def test_invalid_data_one_row_per_deliverable(tmp_path: Path) -> None:
    """A second English translation (data that fails validation) does not list the
    deliverable twice, and both stores give the same report."""
    data = tmp_path / "second.ttl"
    data.write_text(f"<{M18}/L1M1D1> <https://w3id.org/metrograph/ontology#translatedLabel> "
                    '"A second translation"@en .\n', encoding="utf-8")
    texts = [markdown_report(metrograph.load(data, store=store), plan="2018-2020")
             for store in ("oxigraph", "memory")]
    assert texts[0] == texts[1]
    assert len(re.findall(r"^\| . \| L1M1D1 \|", texts[0], re.M)) == 1
    pages = html_report(metrograph.load(data, store="oxigraph"), plan="2018-2020")
    root = parse(pages["report-metropolis-2018-2020.en.html"])
    assert len(root.find_all("tr", data_deliverable="L1M1D1")) == 1


KILLED_WRITER = """
import os, signal, sys
import metrograph
from metrograph.reports.html import write_html_report
kg = metrograph.load(*sys.argv[3:], store="oxigraph")
real, n = os.replace, [0]
def dying(*args, **kwargs):  # each file (the list, then the pages) is renamed into place
    real(*args, **kwargs)
    n[0] += 1
    if n[0] == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = dying
write_html_report(kg, sys.argv[1])
"""


@pytest.mark.parametrize(("after", "earlier"), [(1, False), (3, False), (2, True), (4, True)])
def test_a_killed_html_report_is_completed_by_the_next(tmp_path: Path, after: int,
                                                       earlier: bool) -> None:
    """A report killed while it writes its pages (SIGKILL after ``after`` files), into a
    folder with or without an ``earlier`` report, leaves a folder that the next run, without
    --force, brings to the new report whole."""
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    if earlier:
        ran = subprocess.run([sys.executable, "-m", "metrograph", "report", "-q", "--format",
                              "html", "-o", str(out)], capture_output=True, text=True,
                             timeout=300)
        assert ran.returncode == 0, ran.stderr
    data = tmp_path / "more.ttl"
    data.write_text(PARTNER_LINKS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out), str(after),
                             str(data)], capture_output=True, text=True, timeout=300, env=env)
    assert killed.returncode == -9, killed.stderr
    again = subprocess.run([sys.executable, "-m", "metrograph", "report", "-q", "--format",
                            "html", "-o", str(out), "--data", str(data)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    want = html_report(metrograph.load(data, store="oxigraph"))
    for name, text in want.items():
        assert (out / name).read_text(encoding="utf-8") == text, name
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted([*want, "notes.txt",
                                                            ".metrograph-report"])


@MULTI
def test_markdown_from_the_same_model(multi: KnowledgeGraph) -> None:
    text = markdown_report(multi, plan="2021-2023")
    [c] = multi.reported_vs_recorded(plan=M21)
    assert f"| V Réalisé / Done | {c.reported[Status.DONE]} | {c.recorded[Status.DONE]} | " \
           f"{c.difference(Status.DONE)} |" in text
    for d in multi.deliverables(plan=M21):
        assert text.count(f"| {d.status.symbol} | {d.code} | {d.label('fr')}") == 1
    assert "## Du cycle 2018-2020 au cycle 2021-2023" in text
    assert "| L2M5D1 | continues | L2M1D2 | V Done | – No status recorded |" in text
    assert "- **Genre** / Gender:" in text


# ---------------------------------------------------------------------- in the browser


#: Read the page back: what a reader sees (``innerText``) where the figures are.
READ_PAGE = r"""
(() => {
  const num = el => parseInt(el.innerText.trim(), 10);
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const figures = {};
  for (const el of document.querySelectorAll('[data-figure]')) {
    (figures[el.dataset.figure] ||= []).push({value: num(el), shown: shown(el)});
  }
  const deliverables = {};
  for (const tr of document.querySelectorAll('tr[data-deliverable]')) {
    deliverables[tr.dataset.deliverable] = {status: tr.dataset.status, shown: shown(tr)};
  }
  const charts = [...document.querySelectorAll('svg[role=img]')].map(s => ({
    label: s.getAttribute('aria-label') || '', shown: shown(s),
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
  const scrolling = [...document.querySelectorAll('.table-wrap:not(.heat-wrap)')]
    .filter(w => w.scrollWidth > w.clientWidth + 1)
    .map(w => (w.querySelector('caption') || {}).textContent || '');
  return {lang: document.documentElement.lang, title: document.title,
          innerWidth: vw, scrollWidth: document.documentElement.scrollWidth,
          sticking: sticking.slice(0, 10), scrolling, figures, deliverables, charts,
          fontsLoaded: document.fonts.size};
})()
"""

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium | None]:
    with chromium_or_none() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def site(kg: KnowledgeGraph, multi: KnowledgeGraph, browser: Chromium | None,
         tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Rendered]:
    """Every page of the bundled and multi-cycle graphs at both widths: (data set, page name,
    width name) -> what the browser shows (nothing without a browser)."""
    out: dict[tuple[str, str, str], Rendered] = {}
    if browser is None:
        return out
    shots = artifacts_dir("html-report")
    for label, graph in (("bundled", kg), ("multicycle", multi)):
        for path in write_html_report(graph, tmp_path_factory.mktemp(f"html-{label}")):
            if label == "bundled" and not path.name.startswith("report-"):
                continue        # the network and index pages: seen with the multi-cycle graph
            for width_name, width in WIDTHS.items():
                shot = shots / f"{label}--{path.name.removesuffix('.html')}--{width_name}.png"
                out[label, path.name, width_name] = render(browser, path, width, shot, READ_PAGE)
    return out


@BOTH
def test_browser_shows_the_api_figures(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (label, name, _width), page in site.items():
        if not name.startswith("report-"):
            continue
        graph = kg if label == "bundled" else multi
        plan = next(p for p in graph.plans() if page_name(p, name.split(".")[-2]) == name)
        figures = {k: {v["value"] for v in vs} for k, vs in page.dom["figures"].items()}
        assert all(v["shown"] for vs in page.dom["figures"].values() for v in vs), name
        recorded = next(r for r in graph.progress("plan") if r.plan == plan.iri)
        for status, key in STATUS_KEYS.items():
            if f"recorded-{key}" in figures:
                assert figures[f"recorded-{key}"] == {recorded.counts[status]}, (name, key)
        assert figures["recorded-total"] == {recorded.total}
        deliverables = graph.deliverables(plan=plan.iri)
        assert {k: v["status"] for k, v in page.dom["deliverables"].items()} == {
            d.code: d.status.value for d in deliverables}
        assert all(v["shown"] for v in page.dom["deliverables"].values())


@BOTH
def test_browser_no_request_no_console_message(
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
        assert dom["sticking"] == [], (name, width)
        if width == "desktop":
            assert dom["scrolling"] == [], (name, "a table scrolls at desktop width")


@BOTH
def test_browser_every_chart_has_a_text_alternative(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    for (_label, name, _width), page in site.items():
        for chart in page.dom["charts"]:
            assert chart["label"] and chart["title"] == chart["label"] and chart["desc"], name
            assert chart["shown"], name
        lang = "fr" if name == "index.html" else name.split(".")[-2]
        assert page.dom["lang"] == lang and page.dom["title"].endswith("· metrograph")
        if name.startswith(("report-", "network.")):
            assert page.dom["charts"], name


@BOTH
def test_browser_screenshots_are_kept(
        kg: KnowledgeGraph, multi: KnowledgeGraph, site: dict[tuple[str, str, str], Rendered],
        browser: Chromium | None) -> None:
    need(browser)
    assert len(site) == (2 + 9) * len(WIDTHS)
    for (_label, _name, width), page in site.items():
        data = page.screenshot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == WIDTHS[width]
        assert int.from_bytes(data[20:24], "big") > 400, page.screenshot
