"""Importing a plan folder, the spreadsheet authoring format, to RDF.

The files and columns are described once, in the CSVW metadata ``csv-metadata.json``
(:mod:`metrograph.authoring.schema`); :mod:`~metrograph.authoring.reader` checks every cell
against it. This module turns the checked rows into the plan's triples and adds the checks that
span rows and files (codes and their parents, one assessment per day, links to earlier cycles).
Every problem is collected and raised together as :class:`AuthoringError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, SDO, SKOS, XSD

from metrograph.authoring.reader import Problem, Row, read_table
from metrograph.authoring.schema import tables
from metrograph.errors import AuthoringError, InputError
from metrograph.model import Status
from metrograph.namespaces import MG, MGO, MGS, SDG, bind_prefixes, plan_iri

__all__ = ["LEVELS", "RELATIONS", "PlanFolder", "describe_focus", "import_folder",
           "read_folder"]

SPDX = Namespace("http://spdx.org/rdf/terms#")
_N = "[1-9][0-9]*"  # a position: ASCII digits, no leading zero (L1, never L01)
LEVELS = (("guidelines.csv", MG.Guideline, re.compile(f"L({_N})")),
          ("measures.csv", MG.Measure, re.compile(f"(L{_N})M({_N})")),
          ("deliverables.csv", MG.Deliverable, re.compile(f"(L{_N}M{_N})D({_N})")))
RELATIONS = {"continues": MG.continues, "replaces": MG.replaces, "splitFrom": MG.splitFrom,
             "drops": MG.drops}


@dataclass
class PlanFolder:
    """A plan folder read into RDF: its graph, its plan, and the earlier components its
    ``links.csv`` names (row number, IRI), which only the loaded graph can resolve."""

    folder: Path
    graph: Graph
    plan: URIRef
    earlier: list[tuple[int, URIRef]] = field(default_factory=list)
    replace: Mapping[str, str] = field(default_factory=dict)

    def unresolved_links(self, known: Graph) -> list[Problem]:
        """A problem for each link to an earlier component that ``known`` does not hold."""
        components = {s for _file, cls, _p in LEVELS for s in known.subjects(RDF.type, cls)}
        return [Problem("links.csv", row, "earlier_code",
                        f"no component {str(iri).rsplit('/', 1)[-1]} in plan "
                        f"{str(iri).rsplit('/', 1)[0]}: load that plan (--data) or fix the code")
                for row, iri in self.earlier if iri not in components]

    def violations(self, loaded: Dataset) -> list[str]:
        """The shape violations of this folder's resources, found as ``metrograph import``
        finds them: validated with ``loaded``, this folder's plan in place of any copy of it
        there; each located (``file, row N (CODE): message``)."""
        from metrograph.graph import KnowledgeGraph

        kg = KnowledgeGraph(store="oxigraph")
        kg.store.add_dataset(self.in_context(loaded, URIRef(f"urn:metrograph:import:"
                                                            f"{self.plan}")))
        subjects = set(self.graph.subjects())
        return [f"{describe_focus(self.folder, self.graph, r.focus, self.replace)}: "
                f"{r.message}"
                for r in kg.validate().results
                if r.focus in subjects and r.severity == "Violation"]

    def in_context(self, loaded: Dataset, name: URIRef) -> Dataset:
        """``loaded`` with this folder's plan in place of any copy of it there: the triples that
        describe the plan in ``loaded``, and every triple the folder states, leave their graphs;
        the folder's graph is added as ``name``. Each fact is then held once."""
        from metrograph.authoring.exporter import plan_graph
        from metrograph.rdfio.writers import union_graph

        stale = plan_graph(union_graph(loaded), self.plan) + self.graph
        out = Dataset()
        for s, p, o, g in loaded.quads((None, None, None, None)):
            if (s, p, o) not in stale and isinstance(g, URIRef):
                out.graph(g).add((s, p, o))
        target = out.graph(name)
        for triple in self.graph:
            target.add(triple)
        return out


@dataclass
class _Import:
    folder: Path
    replace: Mapping[str, str]
    problems: list[Problem] = field(default_factory=list)
    graph: Graph = field(default_factory=lambda: bind_prefixes(Graph()))

    def rows(self, file: str) -> list[Row]:
        return read_table(self.folder, file, self.problems, self.replace.get(file))

    def mapped(self, subject: Any, row: Row, file: str) -> None:
        """The triples of ``row``'s columns that the metadata maps (``propertyUrl``)."""
        for column in tables()[file].columns:
            if column.property is not None:
                for value in row.list(column.name):
                    self.graph.add((subject, column.property, column.term(value)))

    def problem(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(file, row, column, message))

    def add(self, s: Any, p: URIRef, o: Any) -> None:
        self.graph.add((s, p, o))

    def text(self, s: Any, p: URIRef, value: str, lang: str | None = None) -> None:
        if value:
            self.graph.add((s, p, Literal(value, lang=lang)))


def read_folder(folder: str | Path, replace: Mapping[str, str] | None = None) -> PlanFolder:
    """Read the plan folder ``folder`` (with ``replace``'s texts in place of those files).
    Raises :class:`AuthoringError` listing every problem (file, row, column, what to fix)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder (expected a plan folder of CSV files)", source=str(folder))
    r = _Import(folder, replace or {})
    _unknown_files(r, folder)
    plan_rows = r.rows("plan.csv")
    if len(plan_rows) != 1 and not r.problems:
        r.problem("plan.csv", None, None, f"expected one plan row, found {len(plan_rows)}")
    if r.problems:
        raise AuthoringError(folder, r.problems)
    p = plan_rows[0]
    org, cycle, lang = p["organisation"], p["cycle"], p["language"]
    plan = plan_iri(org, cycle)
    base = str(plan) + "/"
    r.add(plan, RDF.type, MG.ActionPlan)
    r.add(plan, SKOS.notation, Literal(cycle))
    r.mapped(plan, p, "plan.csv")
    r.text(plan, DCTERMS.title, p["title"], lang)
    if not p["publisher"]:
        r.add(plan, DCTERMS.publisher, MGO[org])
    if p["previous_cycle"]:
        r.add(plan, MG.previousCycle, plan_iri(org, p["previous_cycle"]))
    _organisations(r)
    _sources(r)
    codes = _components(r, plan, base, lang)
    _sdg_links(r, base, codes)
    _statuses(r, base, codes)
    earlier = _links(r, plan, org, codes)
    _reported(r, plan, base)
    if r.problems:
        raise AuthoringError(folder, r.problems)
    return PlanFolder(folder, r.graph, plan, earlier, dict(replace or {}))


def _unknown_files(r: _Import, folder: Path) -> None:
    """A CSV file the format does not know (``status.csv`` for ``statuses.csv``) is a problem:
    read as nothing, its rows would be silently lost."""
    import difflib

    known = list(tables())
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError:
        return
    for name in names:
        if name.lower().endswith(".csv") and name not in known:
            close = difflib.get_close_matches(name.lower(), known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            r.problem(name, None, None, f"not a file of a plan folder{hint}; its files: "
                      + ", ".join(known))


def import_folder(folder: str | Path) -> Graph:
    """Read a plan folder and return its RDF graph. Every problem is collected and raised
    together as :class:`AuthoringError` (file, row, column, what to fix)."""
    return read_folder(folder).graph


def _once(r: _Import, file: str, row: Row, key: object, what: str,
          seen: dict[object, int], column: str) -> bool:
    """Whether ``key`` is met for the first time in ``file`` (else a problem: two rows would
    merge into one resource, with two names, titles or dates)."""
    if key in seen:
        r.problem(file, row.number, column, f"{what} appears twice (also row {seen[key]}): "
                  "one row each")
        return False
    seen[key] = row.number
    return True


def _organisations(r: _Import) -> None:
    seen: dict[object, int] = {}
    for o in r.rows("organisations.csv"):
        if not o["id"] or not _once(r, "organisations.csv", o, o["id"], o["id"], seen, "id"):
            continue
        node = MGO[o["id"]]
        for cls in (ORG[o["type"]], FOAF.Organization, PROV.Agent):
            r.add(node, RDF.type, cls)
        if not (o["name_en"] or o["name_fr"]):
            r.problem("organisations.csv", o.number, "name_en", "give a name (name_en or name_fr)")
        r.mapped(node, o, "organisations.csv")
        for alt in o.list("alt_names"):
            text, _, lang = alt.rpartition("@")
            r.text(node, SKOS.altLabel, text, lang)
        if o["unit_of"]:
            r.add(MGO[o["unit_of"]], ORG.hasUnit, node)


def _sources(r: _Import) -> None:
    seen: dict[object, int] = {}
    for s in r.rows("sources.csv"):
        if not s["id"] or not _once(r, "sources.csv", s, s["id"], s["id"], seen, "id"):
            continue
        iri = URIRef(s["id"])
        r.add(iri, RDF.type, MG.SourceDocument)
        r.mapped(iri, s, "sources.csv")
        r.text(iri, DCTERMS.title, s["title"], s["title_lang"])
        if len(s["date"]) == 4:
            r.add(iri, DCTERMS.date, Literal(s["date"], datatype=XSD.gYear))
        elif s["date"]:
            try:
                r.add(iri, DCTERMS.date, Literal(dt.date.fromisoformat(s["date"]).isoformat(),
                                                 datatype=XSD.date))
            except ValueError:
                r.problem("sources.csv", s.number, "date", f"{s['date']!r} is not a date that "
                          "exists")
        if s["sha256"]:
            node = BNode()
            r.add(iri, SPDX.checksum, node)
            r.add(node, RDF.type, SPDX.Checksum)
            r.add(node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
            r.add(node, SPDX.checksumValue, Literal(s["sha256"], datatype=XSD.hexBinary))


def _components(r: _Import, plan: URIRef, base: str, lang: str) -> dict[str, tuple[str, int]]:
    """Add guidelines, measures, deliverables; return code -> (file, row)."""
    codes: dict[str, tuple[str, int]] = {}
    for file, cls, pattern in LEVELS:
        for c in r.rows(file):
            code = c["code"]
            m = pattern.fullmatch(code)
            if m is None:
                continue
            if code in codes:
                first = codes[code]
                r.problem(file, c.number, "code", f"{code} appears twice (also {first[0]}, row "
                          f"{first[1]})")
                continue
            parent: URIRef = plan
            if cls != MG.Guideline:
                parent = URIRef(base + m.group(1))
                if m.group(1) not in codes:
                    where = "guidelines.csv" if cls == MG.Measure else "measures.csv"
                    r.problem(file, c.number, "code", f"{code} belongs to {m.group(1)}, which "
                              f"{where} does not have: add it there or fix the code")
                    continue
            codes[code] = (file, c.number)
            item = URIRef(base + code)
            r.add(item, RDF.type, cls)
            r.add(item, SKOS.notation, Literal(code))
            r.add(item, SDO.position, Literal(int(m.groups()[-1])))
            r.add(item, MG.parent, parent)
            r.text(item, SKOS.prefLabel, c["label"], lang)
            if cls == MG.Measure:
                r.text(item, MG.expectedOutcome, c["label"], lang)
            r.mapped(item, c, file)
    return codes


def _known(r: _Import, file: str, row: Row, codes: dict[str, tuple[str, int]]) -> bool:
    if row["code"] not in codes:
        if row["code"]:
            r.problem(file, row.number, "code", f"no guideline, measure or deliverable "
                      f"{row['code']!r} in this plan")
        return False
    return True


def _sdg_links(r: _Import, base: str, codes: dict[str, tuple[str, int]]) -> None:
    seen: dict[object, int] = {}
    for s in r.rows("sdg-links.csv"):
        if not _known(r, "sdg-links.csv", s, codes) or not s["sdg"] or not s["basis"]:
            continue
        sdg = s["sdg"].removeprefix(str(SDG))
        if not _once(r, "sdg-links.csv", s, (s["code"], sdg), f"the link from {s['code']} to "
                     f"SDG {sdg}", seen, "sdg"):
            continue
        link = URIRef(f"{base}sdg-link/{s['code']}/{sdg}")
        r.add(link, RDF.type, MG.SDGLink)
        r.add(link, MG.contributor, URIRef(base + s["code"]))
        r.add(link, MG.sdg, SDG[sdg])
        r.mapped(link, s, "sdg-links.csv")
        if s["basis"] == "proposed" and not s["justification"]:
            r.problem("sdg-links.csv", s.number, "justification",
                      "a proposed link needs a one-line justification")


def _statuses(r: _Import, base: str, codes: dict[str, tuple[str, int]]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for s in r.rows("statuses.csv"):
        code, day = s["code"], s["as_of"]
        if not _known(r, "statuses.csv", s, codes) or not s["status"] or not day:
            continue
        if (code, day) in seen:
            r.problem("statuses.csv", s.number, "as_of", f"{code} already has a status on "
                      f"{day} (row {seen[code, day]}): one assessment per day")
            continue
        seen[code, day] = s.number
        node = URIRef(f"{base}assessment/{code}/{day}")
        r.add(node, RDF.type, MG.StatusAssessment)
        r.add(node, MG.assessedItem, URIRef(base + code))
        r.add(node, MG.status, MGS[Status.parse(s["status"]).value])
        r.mapped(node, s, "statuses.csv")


def _links(r: _Import, plan: URIRef, org: str,
           codes: dict[str, tuple[str, int]]) -> list[tuple[int, URIRef]]:
    earlier_items = []
    for s in r.rows("links.csv"):
        if not (s["relation"] and s["earlier_cycle"] and s["earlier_code"]):
            continue
        earlier_org = s["earlier_organisation"] or org
        if (earlier_org, s["earlier_cycle"]) == (org, str(plan).rsplit("/", 1)[-1]):
            r.problem("links.csv", s.number, "earlier_cycle", "a link goes to an earlier cycle, "
                      "not to this plan")
            continue
        earlier = URIRef(f"{plan_iri(earlier_org, s['earlier_cycle'])}/{s['earlier_code']}")
        if s["relation"] == "drops":
            if s["code"]:
                r.problem("links.csv", s.number, "code", "leave code empty: the plan drops it")
                continue
            r.add(plan, MG.drops, earlier)
        elif not s["code"]:
            r.problem("links.csv", s.number, "code", f"which component {s['relation']} "
                      f"{s['earlier_code']}?")
            continue
        elif _known(r, "links.csv", s, codes):
            r.add(URIRef(f"{plan}/{s['code']}"), RELATIONS[s["relation"]], earlier)
        earlier_items.append((s.number, earlier))
    return earlier_items


def _reported(r: _Import, plan: URIRef, base: str) -> None:
    rows = r.rows("reported.csv")
    if len(rows) > 1:
        r.problem("reported.csv", rows[1].number, None, "at most one row of reported figures")
    for s in rows[:1]:
        if not s["total"]:
            continue
        node = URIRef(base + "reported")
        r.add(node, RDF.type, MG.ReportedProgress)
        r.add(node, MG.reportedFor, plan)
        r.mapped(node, s, "reported.csv")
        for col, status in (("done", "done"), ("in_progress", "in-progress"),
                            ("not_elaborated", "not-elaborated")):
            if s[col]:
                count = URIRef(f"{base}reported/{status}")
                r.add(node, MG.statusCount, count)
                r.add(count, RDF.type, MG.StatusCount)
                r.add(count, MG.status, MGS[status])
                r.add(count, MG.count, Literal(int(s[col])))
        r.text(node, SKOS.scopeNote, s["note"], s["note_lang"])


def describe_focus(folder: Path, graph: Graph, focus: Any,
                   replace: Mapping[str, str] | None = None) -> str:
    """Where in a plan folder the resource ``focus`` of an imported ``graph`` comes from:
    ``file, row N (CODE)`` where it can be told, else its IRI (``replace``: texts read in place
    of files, as by :func:`read_folder`)."""
    kinds = {MG.Guideline: "guidelines.csv", MG.Measure: "measures.csv",
             MG.Deliverable: "deliverables.csv", MG.StatusAssessment: "statuses.csv",
             MG.SDGLink: "sdg-links.csv", MG.ReportedProgress: "reported.csv",
             MG.ActionPlan: "plan.csv", MG.SourceDocument: "sources.csv"}
    file = next((f for cls, f in kinds.items() if (focus, RDF.type, cls) in graph), None)
    if file is None:
        return str(focus)
    item = graph.value(focus, MG.assessedItem) or graph.value(focus, MG.contributor) or focus
    code = graph.value(item, SKOS.notation)
    # the cells that make the focus's IRI, beside the code: the day, the SDG
    made = {"statuses.csv": ("as_of", str(graph.value(focus, MG.asOf))),
            "sdg-links.csv": ("sdg", str(graph.value(focus, MG.sdg)).removeprefix(str(SDG)))}
    for row in read_table(folder, file, [], (replace or {}).get(file)):
        column, value = made.get(file, ("", ""))
        if (code is not None and row["code"] == str(code)
                and row[column].removeprefix(str(SDG)) == value) \
                or row["id"] == str(focus) or file in ("plan.csv", "reported.csv"):
            return f"{folder / file}, row {row.number}" + (f" ({code})" if code else "")
    return f"{folder / file} ({focus})"
