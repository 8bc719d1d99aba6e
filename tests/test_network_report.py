"""The network overview at scale: a generated network of about 100,000 triples (51 organisations,
143 plans), its page weight bounded, and its filter working in headless Chromium.

The bound: at most 500 kB for 100k triples, so that the page stays under 5 MB for a 1M-triple
network (about 450 organisations and 1,300 plans) as the page grows linearly with the plans it
lists; and at most 5 kB per organisation, so that 1,000 organisations stay under 5 MB.
Screenshots at 1280 and 390 px wide go to ``test-artifacts/network-report/``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import metrograph
from metrograph.graph import KnowledgeGraph
from metrograph.reports.html import LANGUAGES, write_html_report
from metrograph.testing.synthetic import write

from .browser import Chromium, artifacts_dir, chromium_or_none, need, render
from .htmltree import parse

TRIPLES = 100_000
MAX_BYTES = 500_000
MAX_BYTES_PER_ORGANISATION = 5_000


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = tmp_path_factory.mktemp("network")
    write(folder / "network.ttl", TRIPLES, seed=0, defect_rate=0.0)
    return metrograph.load(folder / "network.ttl", bundled_data=False, store="oxigraph")


@pytest.fixture(scope="module")
def pages(network: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_html_report(network, tmp_path_factory.mktemp("network-pages"), plan_pages=False)


def test_every_organisation_and_plan_within_the_weight_bound(
        network: KnowledgeGraph, pages: list[Path]) -> None:
    assert [p.name for p in pages] == ["index.html", "network.en.html", "network.fr.html"]
    plans = network.plans()
    organisations = {p.organisation for p in plans}
    assert len(network) >= TRIPLES and len(organisations) > 40 and len(plans) > 100
    for lang in LANGUAGES:
        path = next(p for p in pages if p.name == f"network.{lang}.html")
        size = path.stat().st_size
        assert size <= MAX_BYTES, size
        assert size / len(organisations) <= MAX_BYTES_PER_ORGANISATION
        root = parse(path.read_text(encoding="utf-8"))
        assert {r.attrs["data-plan"] for r in root.find_all("tr", data_plan=None)} == {
            str(p.iri) for p in plans}
        heat = root.find_all("table", **{"class": "heat"})[0].find_all("tr", data_org=None)
        assert len(heat) == len(organisations)
        totals = {str(r.plan): r.total for r in network.progress("plan")}
        for row in root.find_all("tr", data_plan=None):
            cell = row.find_all("td", data_status="total")[0]
            assert int(cell.text()) == totals[row.attrs["data-plan"]]


#: Read the page back, then use the filter as a reader would, and read it again.
READ_NETWORK = r"""
(() => {
  const visible = () => [...document.querySelectorAll('table.heat tr[data-org]')]
    .filter(tr => tr.getBoundingClientRect().height > 0).map(tr => tr.dataset.org);
  const plans = () => [...document.querySelectorAll('table.plans tr[data-org]')]
    .filter(tr => tr.getBoundingClientRect().height > 0).length;
  const set = (id, value) => { const el = document.getElementById(id); el.value = value;
                               el.dispatchEvent(new Event('input')); };
  const out = {all: visible(), allPlans: plans(),
               formShown: document.getElementById('filters').getBoundingClientRect().height > 0,
               scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
               lang: document.documentElement.lang,
               charts: [...document.querySelectorAll('svg[role=img]')].every(s =>
                 s.getAttribute('aria-label') && s.querySelector(':scope > title'))};
  set('f-name', 'aurora'); out.byName = visible(); out.byNamePlans = plans();
  set('f-name', ''); set('f-goal', '5'); out.byGoal = visible();
  set('f-goal', ''); set('f-theme', 'youth'); out.byTheme = visible();
  out.count = document.getElementById('f-count').textContent;
  set('f-theme', '');
  return out;
})()
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium | None]:
    with chromium_or_none() as chromium:
        yield chromium


def test_browser_filters_inside_the_page(network: KnowledgeGraph, pages: list[Path],
                                         browser: Chromium | None) -> None:
    chromium = need(browser)
    slug = {p.organisation: str(p.organisation).rsplit("/", 1)[-1] for p in network.plans()}
    goal5: set[str] = set()
    for r in network.progress("sdg-goal"):
        if r.code == "5" and r.total:
            goal5.add(slug[next(p.organisation for p in network.plans() if p.iri == r.plan)])
    youth = {slug[next(p.organisation for p in network.plans() if p.iri == r.plan)]
             for r in network.progress("theme") if r.code == "youth"}
    names = network.sparql(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?o ?n WHERE { "
        "?o skos:prefLabel ?n }").dicts()
    aurora = {slug[r["o"]] for r in names if r["o"] in slug and "aurora" in str(r["n"]).lower()}
    assert aurora and goal5 and youth
    shots = artifacts_dir("network-report")
    for path in pages:
        for width_name, width in (("desktop", 1280), ("phone", 390)):
            shot = shots / f"{path.name.removesuffix('.html')}--{width_name}.png"
            page = render(chromium, path, width, shot, READ_NETWORK if path.name.startswith(
                "network.") else "({scrollWidth: document.documentElement.scrollWidth, "
                "innerWidth: innerWidth, lang: document.documentElement.lang})")
            dom: dict[str, Any] = page.dom
            assert page.console == [] and page.failures == [], (path.name, page.console)
            assert len(page.requests) == 1 and page.requests[0].endswith("/" + path.name)
            assert dom["scrollWidth"] <= dom["innerWidth"], (path.name, width)
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert int.from_bytes(data[16:20], "big") == width
            if not path.name.startswith("network."):
                assert dom["lang"] == "fr"
                continue
            assert dom["lang"] == path.name.split(".")[1] and dom["charts"]
            assert dom["formShown"]
            assert sorted(dom["all"]) == sorted(set(slug.values()))
            assert dom["allPlans"] == len(network.plans())
            assert sorted(dom["byName"]) == sorted(aurora)
            per_org: dict[str, int] = defaultdict(int)
            for p in network.plans():
                per_org[slug[p.organisation]] += 1
            assert dom["byNamePlans"] == sum(per_org[o] for o in aurora)
            assert sorted(dom["byGoal"]) == sorted(goal5)
            assert sorted(dom["byTheme"]) == sorted(youth)
            assert str(len(youth)) in dom["count"] and str(len(slug.values())) in dom["count"]
