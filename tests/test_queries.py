"""Every query of the library, with its expected answer on the bundled data and on the fictional
multi-cycle fixture (``tests/fixtures/multicycle/EXPECTED.md`` is the oracle), on both stores."""

from __future__ import annotations

import re
from typing import Any

import pytest

from metrograph.graph import KnowledgeGraph
from metrograph.sparql.library import catalogue

from .conftest import EX22, M18, M21

MGS = "https://w3id.org/metrograph/vocab/status/"
SDG = "http://metadata.un.org/sdg/"
ORG = "https://w3id.org/metrograph/id/org/"


def local(value: Any) -> str | None:
    """The last path segment of an IRI, or the value as text."""
    if value is None:
        return None
    text = str(value)
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if "://" in text else text


def counts(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(row[k]) for k in ("total", "done", "inProgress", "notElaborated",
                                        "notRecorded"))


# ---------------------------------------------------------------- the library itself

def test_at_least_twelve_documented_queries() -> None:
    queries = catalogue()
    assert len(queries) >= 12
    for name, q in queries.items():
        assert "?" in q.question, name
        assert q.row, name
        select = q.text.split("WHERE", 1)[0]
        for p in q.parameters:
            assert p.description, (name, p.name)
            assert re.search(rf"\?{p.name}\b", q.text.split("\nSELECT", 1)[1]), (name, p.name)
            # projected, so that every store can substitute it (Oxigraph requires it)
            assert re.search(rf"\?{p.name}\b", select), (name, p.name)
            assert not re.search(rf"BOUND\(\s*\?{p.name}\b", q.text), (name, p.name)


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_query_runs_on_both_graphs(kg: KnowledgeGraph, multi: KnowledgeGraph,
                                         name: str) -> None:
    q = catalogue()[name]
    params = {p.name: M18 + "/L1M3" for p in q.parameters if p.required}
    assert kg.query(name, **params).variables
    assert multi.query(name, **params).variables


# ---------------------------------------------------------------- bundled data

def test_plans_bundled(kg: KnowledgeGraph) -> None:
    [row] = kg.query("plans").rows
    assert (row["cycle"], row["guidelines"], row["measures"], row["deliverables"]) == (
        "2018-2020", 3, 27, 65)


def test_progress_bundled(kg: KnowledgeGraph) -> None:
    rows = kg.query("progress-by-guideline").rows
    assert [(r["code"], counts(r)) for r in rows] == [
        ("L1", (17, 0, 0, 0, 17)), ("L2", (27, 0, 0, 0, 27)), ("L3", (21, 0, 0, 0, 21))]
    [plan] = kg.query("progress-by-plan").rows
    assert counts(plan) == (65, 0, 0, 0, 65)
    rows = kg.query("progress-by-theme").rows
    assert [(local(r["theme"]), counts(r)) for r in rows] == [
        ("gender", (10, 0, 0, 0, 10)), ("youth", (4, 0, 0, 0, 4))]
    rows = kg.query("progress-by-sdg-goal").rows
    assert [(r["goalCode"], r["total"]) for r in rows] == [("5", 6), ("11", 7), ("16", 10),
                                                           ("17", 10)]


def test_without_status_and_reported_bundled(kg: KnowledgeGraph) -> None:
    assert len(kg.query("deliverables-without-status").rows) == 65
    assert len(kg.query("deliverables-without-status", date="2019-12-31").rows) == 65
    [r] = kg.query("reported-vs-recorded").rows
    assert (r["reportedTotal"], r["reportedDone"], r["reportedInProgress"],
            r["reportedNotElaborated"]) == (65, 49, 10, 6)
    assert (r["total"], r["done"], r["inProgress"], r["notElaborated"], r["notRecorded"]) == (
        65, 0, 0, 0, 65)
    assert kg.query("status-history").rows == []
    assert kg.query("status-on-date", date="2020-12-31").rows == []


def test_sdg_queries_bundled(kg: KnowledgeGraph) -> None:
    rows = kg.query("sdg-contributions", sdg=SDG + "5").rows
    assert sorted((r["code"], local(r["linked"])) for r in rows) == [
        ("L1M3", "5.5"), ("L1M3D2", "5.5"), ("L2M9", "5.c"), ("L3M8", "5.c")]
    assert {local(r["basis"]) for r in rows} == {"proposed"}
    rows = kg.query("sdg-contributions", sdg=SDG + "16.6").rows
    assert [r["code"] for r in rows] == ["L3M6"]
    rows = kg.query("sdg-goals-touched").rows
    assert [(r["goalCode"], r["links"], r["stated"]) for r in rows] == [
        ("5", 4, 0), ("11", 3, 0), ("16", 3, 0), ("17", 4, 0)]


def test_drilldown_and_partners_bundled(kg: KnowledgeGraph) -> None:
    rows = kg.query("measure-drilldown", measure=M18 + "/L1M3").rows
    assert [r["code"] for r in rows] == ["L1M3D1", "L1M3D2", "L1M3D3", "L1M3D4"]
    assert all(r["status"] is None for r in rows)
    rows = kg.query("partner-mentions", partner=ORG + "guangzhou").rows
    assert [r["code"] for r in rows] == ["L2M11", "L2M11D1", "L2M11D2"]
    rows = kg.query("partner-mentions", partner=ORG + "european-commission").rows
    assert [r["code"] for r in rows] == ["L3M5D2"]


def test_components_and_links_bundled(kg: KnowledgeGraph) -> None:
    assert len(kg.query("components").rows) == 95
    assert len(kg.query("components", kind="mg:Deliverable").rows) == 65
    links = kg.query("component-links").rows
    assert sum(r["link"] == "sdg" for r in links) == 14
    assert sum(r["link"] == "theme" for r in links) == 16


def test_cross_cycle_queries_are_empty_on_one_cycle(kg: KnowledgeGraph) -> None:
    for name in ("carried-over", "dropped", "status-changes-across-cycles"):
        assert kg.query(name).rows == []
    rows = kg.query("themes-over-cycles").rows
    assert [(local(r["theme"]), r["components"], r["deliverables"]) for r in rows] == [
        ("gender", 12, 10), ("youth", 4, 4)]


# ---------------------------------------------------------------- multi-cycle fixture

def test_plans_multi(multi: KnowledgeGraph) -> None:
    rows = multi.query("plans").rows
    got = {(str(r["plan"]), r["guidelines"], r["measures"], r["deliverables"]) for r in rows}
    assert got == {(M18, 3, 27, 65), (M21, 2, 4, 8), (EX22, 1, 1, 2)}
    rows = multi.query("plans", organisation=ORG + "example-network").rows
    assert [str(r["plan"]) for r in rows] == [EX22]


def test_progress_multi(multi: KnowledgeGraph) -> None:
    by_plan = {str(r["plan"]): counts(r) for r in multi.query("progress-by-plan").rows}
    assert by_plan == {M18: (65, 6, 2, 2, 55), M21: (8, 3, 2, 1, 2), EX22: (2, 1, 0, 0, 1)}
    rows = multi.query("progress-by-guideline", plan=M21).rows
    assert [(r["code"], counts(r)) for r in rows] == [("L1", (4, 2, 1, 0, 1)),
                                                      ("L2", (4, 1, 1, 1, 1))]
    rows = multi.query("progress-by-guideline", plan=M18).rows
    assert [(r["code"], counts(r)) for r in rows] == [
        ("L1", (17, 3, 1, 2, 11)), ("L2", (27, 2, 0, 0, 25)), ("L3", (21, 1, 1, 0, 19))]
    rows = multi.query("progress-by-measure", plan=M21).rows
    assert [(r["code"], counts(r)) for r in rows] == [
        ("L1M1", (2, 1, 1, 0, 0)), ("L1M2", (2, 1, 0, 0, 1)),
        ("L2M1", (2, 1, 0, 0, 1)), ("L2M2", (2, 0, 1, 1, 0))]
    rows = multi.query("progress-by-measure", guideline=M18 + "/L1").rows
    assert {r["code"]: counts(r) for r in rows}["L1M8"] == (2, 1, 0, 1, 0)


def test_progress_by_theme_and_goal_multi(multi: KnowledgeGraph) -> None:
    got = {(local(r["plan"]), local(r["theme"])): counts(r)
           for r in multi.query("progress-by-theme").rows}
    assert got == {("2018-2020", "gender"): (10, 3, 0, 1, 6),
                   ("2018-2020", "youth"): (4, 1, 0, 0, 3),
                   ("2021-2023", "gender"): (3, 1, 1, 0, 1),
                   ("2021-2023", "youth"): (2, 1, 0, 0, 1),
                   ("2022-2024", "youth"): (2, 1, 0, 0, 1)}
    rows = multi.query("progress-by-sdg-goal", plan=M21).rows
    assert [(r["goalCode"], counts(r)) for r in rows] == [("5", (1, 1, 0, 0, 0)),
                                                          ("11", (2, 1, 0, 0, 1))]
    rows = multi.query("progress-by-sdg-goal", plan=M18).rows
    assert [(r["goalCode"], counts(r)) for r in rows] == [
        ("5", (6, 2, 0, 1, 3)), ("11", (7, 1, 0, 0, 6)), ("16", (10, 1, 1, 0, 8)),
        ("17", (10, 0, 0, 0, 10))]


def test_status_history_and_dates_multi(multi: KnowledgeGraph) -> None:
    assert len(multi.query("status-history").rows) == 26
    rows = multi.query("status-history", item=M18 + "/L2M5D1").rows
    assert [(str(r["asOf"]), local(r["status"])) for r in rows] == [
        ("2018-12-31", "in-progress"), ("2019-12-31", "in-progress"), ("2020-12-31", "done")]
    # what was in progress at the end of 2019, and done by the end of 2020?
    in_2019 = {r["code"] for r in multi.query("status-on-date", date="2019-12-31", plan=M18,
                                               status=MGS + "in-progress").rows}
    assert in_2019 == {"L1M3D2", "L1M5D1", "L1M8D2", "L2M5D1"}
    done_2020 = {r["code"] for r in multi.query("status-on-date", date="2020-12-31", plan=M18,
                                                 status=MGS + "done").rows}
    assert done_2020 == {"L1M3D2", "L1M4D1", "L1M8D1", "L2M2D2", "L2M5D1"}
    assert in_2019 & done_2020 == {"L1M3D2", "L2M5D1"}
    current = {r["code"]: local(r["status"]) for r in multi.query("status-on-date",
                                                                  plan=M18).rows}
    assert current["L3M8D1"] == "done" and len(current) == 10
    on_2020 = {r["code"]: local(r["status"]) for r in multi.query(
        "status-on-date", plan=M18, date="2020-12-31").rows}
    assert on_2020["L3M8D1"] == "in-progress"
    assert len(multi.query("deliverables-without-status", plan=M18).rows) == 55
    assert len(multi.query("deliverables-without-status", plan=M18, date="2019-12-31").rows) == 59
    assert len(multi.query("deliverables-without-status").rows) == 58


def test_reported_vs_recorded_multi(multi: KnowledgeGraph) -> None:
    rows = {local(r["plan"]): r for r in multi.query("reported-vs-recorded").rows}
    assert set(rows) == {"2018-2020", "2021-2023"}
    r = rows["2021-2023"]
    assert (r["reportedTotal"], r["reportedDone"], r["reportedInProgress"],
            r["reportedNotElaborated"]) == (8, 4, 3, 1)
    assert counts(r) == (8, 3, 2, 1, 2)
    [r] = multi.query("reported-vs-recorded", plan=M21, date="2022-12-31").rows
    assert counts(r) == (8, 1, 3, 0, 4)
    [r] = multi.query("reported-vs-recorded", plan=M18, date="2019-12-31").rows
    assert counts(r) == (65, 2, 4, 0, 59)


def test_carried_over_multi(multi: KnowledgeGraph) -> None:
    rows = multi.query("carried-over", to=M21, **{"from": M18}).rows
    got = sorted((r["code"], local(r["relation"]), r["earlierCode"], local(r["earlierStatus"]))
                 for r in rows)
    assert got == [
        ("L1M1", "continues", "L1M3", None),
        ("L1M1D1", "continues", "L1M3D2", "done"),
        ("L1M1D2", "continues", "L1M5D1", "in-progress"),
        ("L2M1D1", "replaces", "L2M2D2", "done"),
        ("L2M1D2", "continues", "L2M5D1", "done"),
        ("L2M2D1", "splitFrom", "L3M6D4", "in-progress"),
        ("L2M2D2", "splitFrom", "L3M6D4", "in-progress"),
    ]


def test_dropped_and_status_changes_multi(multi: KnowledgeGraph) -> None:
    rows = multi.query("dropped", to=M21).rows
    assert sorted((r["earlierCode"], local(r["kind"]), local(r["earlierStatus"]))
                  for r in rows) == [("L1M3D3", "Deliverable", "not-elaborated"),
                                     ("L1M8", "Measure", None)]
    rows = multi.query("status-changes-across-cycles", to=M21).rows
    got = sorted((r["code"], r["earlierCode"], local(r["earlierStatus"]), local(r["status"]),
                  bool(r["changed"])) for r in rows)
    assert got == [("L1M1", "L1M3", None, None, False),
                   ("L1M1D1", "L1M3D2", "done", "done", False),
                   ("L1M1D2", "L1M5D1", "in-progress", "in-progress", False),
                   ("L2M1D2", "L2M5D1", "done", None, True)]


def test_themes_over_cycles_multi(multi: KnowledgeGraph) -> None:
    rows = multi.query("themes-over-cycles", organisation=ORG + "metropolis").rows
    got = [(local(r["plan"]), local(r["theme"]), r["components"], r["measures"],
            r["deliverablesTagged"], r["deliverables"]) for r in rows]
    assert got == [("2018-2020", "gender", 12, 5, 7, 10), ("2018-2020", "youth", 4, 2, 2, 4),
                   ("2021-2023", "gender", 3, 1, 2, 3), ("2021-2023", "youth", 2, 1, 1, 2)]
    rows = multi.query("themes-over-cycles", theme="mgt:youth").rows
    assert [(local(r["plan"]), r["deliverables"]) for r in rows] == [
        ("2022-2024", 2), ("2018-2020", 4), ("2021-2023", 2)]


def test_sdg_and_partners_multi(multi: KnowledgeGraph) -> None:
    rows = multi.query("sdg-contributions", plan=M21).rows
    assert sorted((r["code"], local(r["linked"]), local(r["basis"])) for r in rows) == [
        ("L1M1D1", "5.5", "stated"), ("L2M1", "11", "proposed")]
    rows = multi.query("sdg-goals-touched", plan=M21).rows
    assert [(r["goalCode"], r["links"], r["stated"]) for r in rows] == [("5", 1, 1),
                                                                         ("11", 1, 0)]
    rows = multi.query("partner-mentions", partner=ORG + "uclg", plan=M21).rows
    assert [r["code"] for r in rows] == ["L1M2D1"]


def test_codes_are_scoped_by_organisation_and_cycle(multi: KnowledgeGraph) -> None:
    rows = [r for r in multi.query("components").rows if r["code"] == "L1M1D1"]
    assert {str(r["plan"]) for r in rows} == {M18, M21, EX22}
    assert len({str(r["item"]) for r in rows}) == 3


def test_an_organisation_with_several_english_names_gives_one_order(tmp_path: Any) -> None:
    """A partner may have several English names (no shape forbids it), in tags of any case:
    its mentions come one row per name, in the same order on both stores and in plain rdflib
    on the N-Triples dump (rdflib orders tagged literals by tag first, Oxigraph by text)."""
    import rdflib

    import metrograph
    from metrograph.sparql.library import catalogue as library

    names = tmp_path / "names.ttl"
    names.write_text(f'<{ORG}uclg> <http://www.w3.org/2004/02/skos/core#prefLabel> '
                     '"Zeta"@en, "Alpha"@en-GB, "Beta"@EN, "Alpha"@en .\n', encoding="utf-8")
    text = library()["partner-mentions"].text
    uclg = {"partner": rdflib.URIRef(ORG + "uclg")}
    answers = []
    for store in ("memory", "oxigraph"):
        kg = metrograph.load(names, store=store)
        answers.append([(local(r["item"]), r["name"].n3()) for r in
                        kg.store.select(text, uclg).dicts()])  # type: ignore[union-attr]
    kg.write(tmp_path / "kg.nt")
    plain = rdflib.Graph().parse(tmp_path / "kg.nt", format="nt").query(text, initBindings=uclg)
    answers.append([(local(r.item), r.name.n3()) for r in plain])  # type: ignore[union-attr]
    assert answers[0] == answers[1] == answers[2]
    first = [name for item, name in answers[0] if item == answers[0][0][0]]
    assert first == ['"Alpha"@en', '"Alpha"@en-gb', '"Beta"@en',
                     '"United Cities and Local Governments"@en', '"Zeta"@en']
