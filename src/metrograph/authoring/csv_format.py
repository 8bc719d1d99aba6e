"""The spreadsheet authoring format: a plan as a folder of CSV files, imported to RDF and
exported back.

A plan folder holds (UTF-8, comma-separated, a header row; a row number below is the
spreadsheet's: the header is row 1):

``plan.csv``          one row: organisation, cycle, start_year, end_year, language, title,
                      title_en, publisher, source, previous_cycle, note, comment
``sources.csv``       documents the plan, statuses and figures come from: id (IRI), title,
                      title_lang, title_en, publisher, date, language, temporal, derived_from,
                      sha256, note, comment, attributed_to
``guidelines.csv``    code (L1), label, label_en, themes, mentions
``measures.csv``      code (L1M3), label (the expected outcome), label_en, themes, mentions
``deliverables.csv``  code (L1M3D2), label, label_en, themes, mentions
``sdg-links.csv``     code, sdg (5, 5.5, 11.a), basis (stated | proposed), justification,
                      attributed_to, source
``statuses.csv``      code, status (done | in-progress | not-elaborated, or V | O | X), as_of
                      (YYYY-MM-DD), source (a sources.csv id)
``links.csv``         code, relation (continues | replaces | splitFrom | drops), earlier_cycle,
                      earlier_code, earlier_organisation (default: the plan's)
``reported.csv``      one row or none: total, done, in_progress, not_elaborated, source,
                      derived_from, note, note_lang
``organisations.csv`` organisations the plan names (publisher, partners): id, type
                      (FormalOrganization | Organization | OrganizationalUnit), name_en,
                      name_fr, alt_names (``UCLG@en;CGLU@fr``), unit_of, homepage, comment.
                      Organisations metrograph ships (metropolis, uclg…) need no row.

``label`` is the source's own text in the plan's ``language``; ``label_en`` is the project's
translation (``mg:translatedLabel``). ``themes`` and ``mentions`` hold ``;``-separated
identifiers (``gender;youth``, ``uclg;global-taskforce``). A component's parent and position
come from its code. Only ``plan.csv`` and ``guidelines.csv``… ``deliverables.csv`` are required.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SDO, SKOS, XSD

from metrograph.errors import AuthoringError, InputError
from metrograph.model import Status
from metrograph.namespaces import ID, MG, MGB, MGO, MGS, MGT, SDG, bind_prefixes, plan_iri

__all__ = [
    "FILES",
    "AuthoringError",
    "Problem",
    "describe_focus",
    "export_plan",
    "import_folder",
    "plan_graph",
    "write_folder",
    "write_template",
]

SPDX = Namespace("http://spdx.org/rdf/terms#")
LANG = Namespace("http://id.loc.gov/vocabulary/iso639-1/")

FILES: dict[str, list[str]] = {
    "plan.csv": ["organisation", "cycle", "start_year", "end_year", "language", "title",
                 "title_en", "publisher", "source", "previous_cycle", "note", "comment"],
    "sources.csv": ["id", "title", "title_lang", "title_en", "publisher", "date", "language",
                    "temporal", "derived_from", "sha256", "note", "comment", "attributed_to"],
    "guidelines.csv": ["code", "label", "label_en", "themes", "mentions"],
    "measures.csv": ["code", "label", "label_en", "themes", "mentions"],
    "deliverables.csv": ["code", "label", "label_en", "themes", "mentions"],
    "sdg-links.csv": ["code", "sdg", "basis", "justification", "attributed_to", "source"],
    "statuses.csv": ["code", "status", "as_of", "source"],
    "links.csv": ["code", "relation", "earlier_cycle", "earlier_code", "earlier_organisation"],
    "reported.csv": ["total", "done", "in_progress", "not_elaborated", "source", "derived_from",
                     "note", "note_lang"],
    "organisations.csv": ["id", "type", "name_en", "name_fr", "alt_names", "unit_of",
                          "homepage", "comment"],
}
REQUIRED = ("plan.csv", "guidelines.csv", "measures.csv", "deliverables.csv")
LEVELS = (("guidelines.csv", MG.Guideline, re.compile(r"^L(\d+)$")),
          ("measures.csv", MG.Measure, re.compile(r"^(L\d+)M(\d+)$")),
          ("deliverables.csv", MG.Deliverable, re.compile(r"^(L\d+M\d+)D(\d+)$")))
RELATIONS = {"continues": MG.continues, "replaces": MG.replaces, "splitFrom": MG.splitFrom,
             "drops": MG.drops}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CYCLE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
_SDG = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}|[a-z]))?$")
_SourceRef = Callable[[str, int, str, str], "URIRef | None"]


@dataclass(frozen=True)
class Problem:
    """One problem in a plan folder: where it is and what to fix."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class _Reader:
    folder: Path
    problems: list[Problem] = field(default_factory=list)

    def problem(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(file, row, column, message))

    def rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        path = self.folder / name
        if not path.exists():
            if name in REQUIRED:
                self.problem(name, None, None, "the file is missing (see `metrograph template`)")
            return []
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problem(name, None, None, f"not UTF-8 (byte {exc.start}): save it as UTF-8 CSV")
            return []
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            table = list(reader)
        except csv.Error as exc:
            self.problem(name, reader.line_num, None, f"not valid CSV: {exc}")
            return []
        if not table:
            self.problem(name, 1, None, "the header row is missing")
            return []
        header = [h.strip() for h in table[0]]
        expected = FILES[name]
        unknown = [h for h in header if h and h not in expected]
        for h in unknown:
            self.problem(name, 1, h, f"unknown column; the columns are: {', '.join(expected)}")
        if "code" in expected and "code" not in header and name != "links.csv":
            self.problem(name, 1, "code", "the column is missing")
        out = []
        for number, cells in enumerate(table[1:], start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                self.problem(name, number, None,
                             f"{len(cells)} cells but {len(header)} columns in the header")
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            out.append((number, row))
        return out


def _split(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]


def _year(r: _Reader, file: str, row: int, column: str, value: str) -> Literal | None:
    if not re.fullmatch(r"\d{4}", value):
        r.problem(file, row, column, f"expected a year such as 2021, got {value!r}")
        return None
    return Literal(value, datatype=XSD.gYear)


def _date_literal(value: str) -> Literal | None:
    if re.fullmatch(r"\d{4}", value):
        return Literal(value, datatype=XSD.gYear)
    try:
        return Literal(dt.date.fromisoformat(value).isoformat(), datatype=XSD.date)
    except ValueError:
        return None


def _iri(value: str) -> URIRef | None:
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+|urn:[^\s<>\"{}|\\^`]+", value):
        return URIRef(value)
    return None


def import_folder(folder: str | Path) -> Graph:
    """Read a plan folder and return its RDF graph. Every problem is collected and raised
    together as :class:`AuthoringError` (file, row, column, what to fix)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder (expected a plan folder of CSV files)", source=str(folder))
    r = _Reader(folder)
    g = bind_prefixes(Graph())
    plan_rows = r.rows("plan.csv")
    if len(plan_rows) != 1:
        if plan_rows or (folder / "plan.csv").exists():
            r.problem("plan.csv", None, None, f"expected exactly one plan row, found "
                      f"{len(plan_rows)}")
        raise AuthoringError(folder, r.problems)
    number, p = plan_rows[0]
    org = p.get("organisation", "")
    cycle = p.get("cycle", "")
    for col, value, pattern, hint in (("organisation", org, _SLUG, "lower-case letters, digits, -"),
                                      ("cycle", cycle, _CYCLE, "e.g. 2021-2023")):
        if not pattern.fullmatch(value):
            r.problem("plan.csv", number, col, f"{value!r} is not a valid identifier ({hint})")
    if r.problems:
        raise AuthoringError(folder, r.problems)
    plan = plan_iri(org, cycle)
    base = str(plan) + "/"
    lang = p.get("language") or "fr"
    sources = _sources(r, g)

    def source_ref(file: str, row: int, column: str, value: str) -> URIRef | None:
        if not value:
            return None
        if value in sources:
            return sources[value]
        iri = _iri(value)
        if iri is None:
            r.problem(file, row, column, f"{value!r} is neither a sources.csv id nor an IRI")
        return iri

    g.add((plan, RDF.type, MG.ActionPlan))
    g.add((plan, SKOS.notation, Literal(cycle)))
    for col, prop in (("start_year", MG.startYear), ("end_year", MG.endYear)):
        year = _year(r, "plan.csv", number, col, p.get(col, ""))
        if year is not None:
            g.add((plan, prop, year))
    if p.get("title"):
        g.add((plan, DCTERMS.title, Literal(p["title"], lang=lang)))
    if p.get("title_en"):
        g.add((plan, MG.translatedLabel, Literal(p["title_en"], lang="en")))
    publisher = p.get("publisher") or org
    g.add((plan, DCTERMS.publisher, MGO[publisher]))
    src = source_ref("plan.csv", number, "source", p.get("source", ""))
    if src is not None:
        g.add((plan, DCTERMS.source, src))
    if p.get("previous_cycle"):
        g.add((plan, MG.previousCycle, plan_iri(org, p["previous_cycle"])))
    if p.get("note"):
        g.add((plan, SKOS.editorialNote, Literal(p["note"], lang="en")))
    if p.get("comment"):
        g.add((plan, RDFS.comment, Literal(p["comment"], lang="en")))

    _organisations(r, g)
    codes = _components(r, g, plan, base, lang)
    _sdg_links(r, g, base, codes, source_ref)
    _statuses(r, g, base, codes, source_ref)
    _links(r, g, plan, org, codes)
    _reported(r, g, plan, base, source_ref)
    if r.problems:
        raise AuthoringError(folder, r.problems)
    return g


ORG_TYPES = ("FormalOrganization", "Organization", "OrganizationalUnit")


def _organisations(r: _Reader, g: Graph) -> None:
    for number, o in r.rows("organisations.csv"):
        slug = o.get("id", "")
        if not _SLUG.fullmatch(slug):
            r.problem("organisations.csv", number, "id", f"{slug!r} is not an organisation id "
                      "(lower-case letters, digits, -)")
            continue
        kind = o.get("type") or "Organization"
        if kind not in ORG_TYPES:
            r.problem("organisations.csv", number, "type", f"expected {', '.join(ORG_TYPES)}")
            continue
        node = MGO[slug]
        for cls in (ORG[kind], FOAF.Organization, PROV.Agent):
            g.add((node, RDF.type, cls))
        if not (o.get("name_en") or o.get("name_fr")):
            r.problem("organisations.csv", number, "name_en", "give a name (name_en or name_fr)")
        for col, lang in (("name_en", "en"), ("name_fr", "fr")):
            if o.get(col):
                g.add((node, SKOS.prefLabel, Literal(o[col], lang=lang)))
        for alt in _split(o.get("alt_names", "").replace(",", ";")):
            text, _, lang = alt.rpartition("@")
            if not text or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", lang):
                r.problem("organisations.csv", number, "alt_names",
                          f"write each name as NAME@LANG, e.g. CGLU@fr (got {alt!r})")
                continue
            g.add((node, SKOS.altLabel, Literal(text, lang=lang)))
        if o.get("unit_of"):
            g.add((node, ORG.unitOf, MGO[o["unit_of"]]))
            g.add((MGO[o["unit_of"]], ORG.hasUnit, node))
        if o.get("homepage"):
            page = _iri(o["homepage"])
            if page is None:
                r.problem("organisations.csv", number, "homepage", "expected a web address")
            else:
                g.add((node, FOAF.homepage, page))
        if o.get("comment"):
            g.add((node, RDFS.comment, Literal(o["comment"], lang="en")))


def _sources(r: _Reader, g: Graph) -> dict[str, URIRef]:
    out: dict[str, URIRef] = {}
    for number, s in r.rows("sources.csv"):
        iri = _iri(s.get("id", ""))
        if iri is None:
            r.problem("sources.csv", number, "id", "expected the document's IRI (https://…)")
            continue
        out[s["id"]] = iri
        g.add((iri, RDF.type, MG.SourceDocument))
        if s.get("title"):
            g.add((iri, DCTERMS.title, Literal(s["title"], lang=s.get("title_lang") or "en")))
        if s.get("title_en"):
            g.add((iri, MG.translatedLabel, Literal(s["title_en"], lang="en")))
        if s.get("publisher"):
            g.add((iri, DCTERMS.publisher, MGO[s["publisher"]]))
        if s.get("attributed_to"):
            g.add((iri, PROV.wasAttributedTo, MGO[s["attributed_to"]]))
        if s.get("date"):
            date = _date_literal(s["date"])
            if date is None:
                r.problem("sources.csv", number, "date", "expected YYYY or YYYY-MM-DD")
            else:
                g.add((iri, DCTERMS.date, date))
        if s.get("language"):
            g.add((iri, DCTERMS.language, LANG[s["language"]]))
        if s.get("temporal"):
            g.add((iri, DCTERMS.temporal, Literal(s["temporal"])))
        if s.get("derived_from"):
            derived = _iri(s["derived_from"])
            if derived is None:
                r.problem("sources.csv", number, "derived_from", "expected an IRI")
            else:
                g.add((iri, PROV.wasDerivedFrom, derived))
        if s.get("sha256"):
            if not re.fullmatch(r"[0-9a-f]{64}", s["sha256"]):
                r.problem("sources.csv", number, "sha256", "expected 64 lower-case hex digits")
            else:
                node = BNode()
                g.add((iri, SPDX.checksum, node))
                g.add((node, RDF.type, SPDX.Checksum))
                g.add((node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
                g.add((node, SPDX.checksumValue, Literal(s["sha256"], datatype=XSD.hexBinary)))
        if s.get("note"):
            g.add((iri, SKOS.editorialNote, Literal(s["note"], lang="en")))
        if s.get("comment"):
            g.add((iri, RDFS.comment, Literal(s["comment"], lang="en")))
    return out


def _components(r: _Reader, g: Graph, plan: URIRef, base: str,
                lang: str) -> dict[str, tuple[str, int]]:
    """Add guidelines, measures, deliverables; return code -> (file, row)."""
    codes: dict[str, tuple[str, int]] = {}
    for file, cls, pattern in LEVELS:
        for number, c in r.rows(file):
            code = c.get("code", "")
            m = pattern.fullmatch(code)
            if m is None:
                shape = {"guidelines.csv": "L1", "measures.csv": "L1M3",
                         "deliverables.csv": "L1M3D2"}[file]
                r.problem(file, number, "code", f"{code!r} is not a code like {shape}")
                continue
            if code in codes:
                first = codes[code]
                r.problem(file, number, "code", f"{code} appears twice (also {first[0]}, row "
                          f"{first[1]})")
                continue
            if cls == MG.Guideline:
                parent, position = plan, int(m.group(1))
            else:
                parent_code, position = m.group(1), int(m.group(2))
                if parent_code not in codes:
                    where = "guidelines.csv" if cls == MG.Measure else "measures.csv"
                    r.problem(file, number, "code", f"{code} belongs to {parent_code}, which "
                              f"{where} does not have: add it there or fix the code")
                    continue
                parent = URIRef(base + parent_code)
            codes[code] = (file, number)
            item = URIRef(base + code)
            g.add((item, RDF.type, cls))
            g.add((item, SKOS.notation, Literal(code)))
            g.add((item, SDO.position, Literal(position)))
            g.add((item, MG.parent, parent))
            if not c.get("label"):
                r.problem(file, number, "label", "the source's text is missing")
            else:
                g.add((item, SKOS.prefLabel, Literal(c["label"], lang=lang)))
                if cls == MG.Measure:
                    g.add((item, MG.expectedOutcome, Literal(c["label"], lang=lang)))
            if c.get("label_en"):
                g.add((item, MG.translatedLabel, Literal(c["label_en"], lang="en")))
            for theme in _split(c.get("themes", "")):
                if theme not in ("gender", "youth"):
                    r.problem(file, number, "themes", f"unknown theme {theme!r} (gender, youth)")
                else:
                    g.add((item, MG.theme, MGT[theme]))
            for org in _split(c.get("mentions", "")):
                if not _SLUG.fullmatch(org):
                    r.problem(file, number, "mentions", f"{org!r} is not an organisation id")
                else:
                    g.add((item, SDO.mentions, MGO[org]))
    return codes


def _known(r: _Reader, file: str, number: int, code: str,
           codes: dict[str, tuple[str, int]]) -> bool:
    if code not in codes:
        r.problem(file, number, "code", f"no guideline, measure or deliverable {code!r} in "
                  "this plan")
        return False
    return True


def _sdg_links(r: _Reader, g: Graph, base: str, codes: dict[str, tuple[str, int]],
               source_ref: _SourceRef) -> None:
    for number, s in r.rows("sdg-links.csv"):
        code = s.get("code", "")
        if not _known(r, "sdg-links.csv", number, code, codes):
            continue
        sdg = s.get("sdg", "").removeprefix(str(SDG))
        m = _SDG.fullmatch(sdg)
        if m is None or not 1 <= int(m.group(1)) <= 17:
            r.problem("sdg-links.csv", number, "sdg",
                      f"{s.get('sdg')!r} is not an SDG goal (1-17) or target (5.5, 11.a)")
            continue
        basis = s.get("basis", "")
        if basis not in ("stated", "proposed"):
            r.problem("sdg-links.csv", number, "basis", "expected stated or proposed")
            continue
        link = URIRef(f"{base}sdg-link/{code}/{sdg}")
        g.add((link, RDF.type, MG.SDGLink))
        g.add((link, MG.contributor, URIRef(base + code)))
        g.add((link, MG.sdg, SDG[sdg]))
        g.add((link, MG.linkBasis, MGB[basis]))
        if s.get("justification"):
            g.add((link, MG.justification, Literal(s["justification"], lang="en")))
        elif basis == "proposed":
            r.problem("sdg-links.csv", number, "justification",
                      "a proposed link needs a one-line justification")
        if s.get("attributed_to"):
            g.add((link, PROV.wasAttributedTo, MGO[s["attributed_to"]]))
        src = source_ref("sdg-links.csv", number, "source", s.get("source", ""))
        if src is not None:
            g.add((link, DCTERMS.source, src))


def _statuses(r: _Reader, g: Graph, base: str, codes: dict[str, tuple[str, int]],
              source_ref: _SourceRef) -> None:
    seen: dict[tuple[str, str], int] = {}
    for number, s in r.rows("statuses.csv"):
        code = s.get("code", "")
        if not _known(r, "statuses.csv", number, code, codes):
            continue
        try:
            status = Status.parse(s.get("status", ""))
            if status is Status.NOT_RECORDED:
                raise ValueError("'not recorded' is the absence of a row, not a status")
        except ValueError as exc:
            r.problem("statuses.csv", number, "status", str(exc))
            continue
        try:
            day = dt.date.fromisoformat(s.get("as_of", ""))
        except ValueError:
            r.problem("statuses.csv", number, "as_of", "expected a date YYYY-MM-DD")
            continue
        key = (code, day.isoformat())
        if key in seen:
            r.problem("statuses.csv", number, "as_of", f"{code} already has a status on "
                      f"{day.isoformat()} (row {seen[key]}): one assessment per day")
            continue
        seen[key] = number
        node = URIRef(f"{base}assessment/{code}/{day.isoformat()}")
        g.add((node, RDF.type, MG.StatusAssessment))
        g.add((node, MG.assessedItem, URIRef(base + code)))
        g.add((node, MG.status, MGS[status.value]))
        g.add((node, MG.asOf, Literal(day.isoformat(), datatype=XSD.date)))
        src = source_ref("statuses.csv", number, "source", s.get("source", ""))
        if src is None:
            r.problem("statuses.csv", number, "source", "say where the status comes from")
        else:
            g.add((node, DCTERMS.source, src))


def _links(r: _Reader, g: Graph, plan: URIRef, org: str,
           codes: dict[str, tuple[str, int]]) -> None:
    for number, s in r.rows("links.csv"):
        relation = s.get("relation", "")
        if relation not in RELATIONS:
            r.problem("links.csv", number, "relation", f"expected one of {', '.join(RELATIONS)}")
            continue
        earlier_org = s.get("earlier_organisation") or org
        earlier_cycle, earlier_code = s.get("earlier_cycle", ""), s.get("earlier_code", "")
        if not _CYCLE.fullmatch(earlier_cycle):
            r.problem("links.csv", number, "earlier_cycle", "the earlier cycle is missing")
            continue
        if not re.fullmatch(r"L\d+(M\d+(D\d+)?)?", earlier_code):
            r.problem("links.csv", number, "earlier_code", "expected a code such as L1M3D2")
            continue
        earlier = URIRef(f"{plan_iri(earlier_org, earlier_cycle)}/{earlier_code}")
        if relation == "drops":
            if s.get("code"):
                r.problem("links.csv", number, "code", "leave code empty: the plan drops it")
                continue
            g.add((plan, MG.drops, earlier))
            continue
        code = s.get("code", "")
        if not _known(r, "links.csv", number, code, codes):
            continue
        g.add((URIRef(f"{plan}/{code}"), RELATIONS[relation], earlier))


def _reported(r: _Reader, g: Graph, plan: URIRef, base: str, source_ref: _SourceRef) -> None:
    rows = r.rows("reported.csv")
    if len(rows) > 1:
        r.problem("reported.csv", rows[1][0], None, "at most one row of reported figures")
    for number, s in rows[:1]:
        node = URIRef(base + "reported")
        values: dict[str, int] = {}
        for col in ("total", "done", "in_progress", "not_elaborated"):
            if s.get(col, "") == "" and col != "total":
                continue
            try:
                values[col] = int(s.get(col, ""))
                if values[col] < 0:
                    raise ValueError
            except ValueError:
                r.problem("reported.csv", number, col, "expected a whole number ≥ 0")
        if "total" not in values:
            continue
        g.add((node, RDF.type, MG.ReportedProgress))
        g.add((node, MG.reportedFor, plan))
        g.add((node, MG.reportedTotal, Literal(values["total"])))
        for col, status in (("done", "done"), ("in_progress", "in-progress"),
                            ("not_elaborated", "not-elaborated")):
            if col in values:
                count = URIRef(f"{base}reported/{status}")
                g.add((node, MG.statusCount, count))
                g.add((count, RDF.type, MG.StatusCount))
                g.add((count, MG.status, MGS[status]))
                g.add((count, MG.count, Literal(values[col])))
        src = source_ref("reported.csv", number, "source", s.get("source", ""))
        if src is not None:
            g.add((node, DCTERMS.source, src))
        if s.get("derived_from"):
            derived = _iri(s["derived_from"])
            if derived is not None:
                g.add((node, PROV.wasDerivedFrom, derived))
        if s.get("note"):
            g.add((node, SKOS.scopeNote, Literal(s["note"], lang=s.get("note_lang") or "en")))


# ---------------------------------------------------------------- export

def plan_graph(union: Graph, plan: URIRef) -> Graph:
    """The triples that describe ``plan`` in ``union``: the plan, its components, their
    assessments and SDG links, its reported figures and its source documents (organisations
    and vocabularies are left out)."""
    out = bind_prefixes(Graph())
    subjects: set[Any] = {plan}
    components = {s for s in union.subjects(MG.parent, None)
                  if _root(union, s) == plan}
    subjects |= components
    for c in components:
        subjects |= set(union.subjects(MG.assessedItem, c))
        subjects |= set(union.subjects(MG.contributor, c))
    for rep in union.subjects(MG.reportedFor, plan):
        subjects.add(rep)
        subjects |= set(union.objects(rep, MG.statusCount))
    documents: set[URIRef] = set()
    frontier = set(subjects)
    while frontier:
        found = {o for s in frontier for p in (DCTERMS.source, PROV.wasDerivedFrom)
                 for o in union.objects(s, p)
                 if isinstance(o, URIRef) and (o, RDF.type, MG.SourceDocument) in union}
        frontier = found - documents
        documents |= found
    subjects |= documents
    todo = list(subjects)
    while todo:
        s = todo.pop()
        for p, o in union.predicate_objects(s):
            out.add((s, p, o))
            if isinstance(o, BNode) and o not in subjects:
                subjects.add(o)
                todo.append(o)
    return out


def _root(g: Graph, node: Any) -> Any:
    seen = set()
    while True:
        parent = g.value(node, MG.parent)
        if parent is None or parent in seen:
            return node
        seen.add(parent)
        node = parent


def _text(g: Graph, s: Any, p: URIRef, lang: str | None = None) -> str:
    for o in g.objects(s, p):
        if isinstance(o, Literal) and (lang is None or o.language == lang):
            return str(o)
    return ""


def _slug(value: object, ns: Namespace) -> str:
    text = str(value)
    return text[len(str(ns)):] if text.startswith(str(ns)) else text


def _plan_key(iri: URIRef) -> tuple[str, str] | None:
    m = re.fullmatch(re.escape(str(ID)) + r"([^/]+)/plan/([^/]+)", str(iri))
    return (m.group(1), m.group(2)) if m else None


def export_plan(union: Graph, plan: URIRef) -> dict[str, list[dict[str, str]]]:
    """The plan as rows of the authoring format, file by file."""
    key = _plan_key(plan)
    if key is None:
        raise InputError(f"{plan} is not a metrograph plan IRI (…/id/ORG/plan/CYCLE)")
    org, cycle = key
    g = plan_graph(union, plan)
    base = str(plan) + "/"
    title = next((o for o in g.objects(plan, DCTERMS.title) if isinstance(o, Literal)), None)
    labels = [o for c in g.subjects(MG.parent, None) for o in g.objects(c, SKOS.prefLabel)
              if isinstance(o, Literal)]
    lang = (title.language if title is not None and title.language else
            labels[0].language if labels and labels[0].language else "fr")
    sources = sorted({d for d in g.subjects(RDF.type, MG.SourceDocument)}, key=str)
    previous = g.value(plan, MG.previousCycle)
    out: dict[str, list[dict[str, str]]] = {name: [] for name in FILES}
    out["plan.csv"].append({
        "organisation": org, "cycle": cycle,
        "start_year": str(g.value(plan, MG.startYear) or ""),
        "end_year": str(g.value(plan, MG.endYear) or ""), "language": lang,
        "title": str(title or ""), "title_en": _text(g, plan, MG.translatedLabel, "en"),
        "publisher": _slug(g.value(plan, DCTERMS.publisher) or "", MGO),
        "source": str(g.value(plan, DCTERMS.source) or ""),
        "previous_cycle": (_plan_key(URIRef(str(previous))) or ("", ""))[1] if previous else "",
        "note": _text(g, plan, SKOS.editorialNote), "comment": _text(g, plan, RDFS.comment)})
    for d in sources:
        dtitle = next((o for o in g.objects(d, DCTERMS.title) if isinstance(o, Literal)), None)
        checksum = g.value(g.value(d, SPDX.checksum), SPDX.checksumValue) if g.value(
            d, SPDX.checksum) else None
        out["sources.csv"].append({
            "id": str(d), "title": str(dtitle or ""),
            "title_lang": (dtitle.language or "") if dtitle is not None else "",
            "title_en": _text(g, d, MG.translatedLabel, "en"),
            "publisher": _slug(g.value(d, DCTERMS.publisher) or "", MGO),
            "date": str(g.value(d, DCTERMS.date) or ""),
            "language": _slug(g.value(d, DCTERMS.language) or "", LANG),
            "temporal": str(g.value(d, DCTERMS.temporal) or ""),
            "derived_from": str(g.value(d, PROV.wasDerivedFrom) or ""),
            "sha256": str(checksum or ""), "note": _text(g, d, SKOS.editorialNote),
            "comment": _text(g, d, RDFS.comment),
            "attributed_to": _slug(g.value(d, PROV.wasAttributedTo) or "", MGO)})
    for file, cls, _pattern in LEVELS:
        items = sorted(g.subjects(RDF.type, cls), key=lambda i: _code_key(str(g.value(
            i, SKOS.notation))))
        for item in items:
            out[file].append({
                "code": str(g.value(item, SKOS.notation)),
                "label": _text(g, item, SKOS.prefLabel, lang),
                "label_en": _text(g, item, MG.translatedLabel, "en"),
                "themes": ";".join(sorted(_slug(t, MGT) for t in g.objects(item, MG.theme))),
                "mentions": ";".join(sorted(_slug(o, MGO) for o in g.objects(item,
                                                                              SDO.mentions)))})
            for rel_name, rel in RELATIONS.items():
                for earlier in sorted(g.objects(item, rel), key=str):
                    out["links.csv"].append(_link_row(str(g.value(item, SKOS.notation)),
                                                      rel_name, earlier, org))
    for earlier in sorted(g.objects(plan, MG.drops), key=str):
        out["links.csv"].append(_link_row("", "drops", earlier, org))
    for link in sorted(g.subjects(RDF.type, MG.SDGLink), key=str):
        contributor = g.value(link, MG.contributor)
        out["sdg-links.csv"].append({
            "code": str(contributor)[len(base):], "sdg": _slug(g.value(link, MG.sdg), SDG),
            "basis": _slug(g.value(link, MG.linkBasis), MGB),
            "justification": _text(g, link, MG.justification),
            "attributed_to": _slug(g.value(link, PROV.wasAttributedTo) or "", MGO),
            "source": str(g.value(link, DCTERMS.source) or "")})
    assessments = sorted(g.subjects(RDF.type, MG.StatusAssessment),
                         key=lambda a: (str(g.value(a, MG.assessedItem)), str(g.value(a, MG.asOf))))
    for a in assessments:
        out["statuses.csv"].append({
            "code": str(g.value(a, MG.assessedItem))[len(base):],
            "status": _slug(g.value(a, MG.status), MGS), "as_of": str(g.value(a, MG.asOf)),
            "source": str(g.value(a, DCTERMS.source) or "")})
    for rep in g.subjects(MG.reportedFor, plan):
        row = {"total": str(g.value(rep, MG.reportedTotal)),
               "source": str(g.value(rep, DCTERMS.source) or ""),
               "derived_from": str(g.value(rep, PROV.wasDerivedFrom) or ""),
               "note": _text(g, rep, SKOS.scopeNote), "note_lang": ""}
        note = next((o for o in g.objects(rep, SKOS.scopeNote) if isinstance(o, Literal)), None)
        row["note_lang"] = (note.language or "") if note is not None else ""
        for count in g.objects(rep, MG.statusCount):
            col = _slug(g.value(count, MG.status), MGS).replace("-", "_")
            row[col] = str(g.value(count, MG.count))
        out["reported.csv"].append(row)
    referenced = {o for o in union.objects(None, None) if isinstance(o, URIRef)
                  and str(o).startswith(str(MGO)) and (None, None, o) in g}
    for node in sorted(referenced, key=str):
        out["organisations.csv"].append(_organisation_row(union, node))
    return out


def _organisation_row(g: Graph, node: URIRef) -> dict[str, str]:
    kinds = [t for t in ORG_TYPES if (node, RDF.type, ORG[t]) in g]
    alts = sorted(f"{o}@{o.language}" for o in g.objects(node, SKOS.altLabel)
                  if isinstance(o, Literal) and o.language)
    return {"id": _slug(node, MGO), "type": kinds[0] if kinds else "Organization",
            "name_en": _text(g, node, SKOS.prefLabel, "en"),
            "name_fr": _text(g, node, SKOS.prefLabel, "fr"), "alt_names": ";".join(alts),
            "unit_of": _slug(g.value(node, ORG.unitOf) or "", MGO),
            "homepage": str(g.value(node, FOAF.homepage) or ""),
            "comment": _text(g, node, RDFS.comment)}


def _link_row(code: str, relation: str, earlier: object, org: str) -> dict[str, str]:
    m = re.fullmatch(re.escape(str(ID)) + r"([^/]+)/plan/([^/]+)/(.+)", str(earlier))
    e_org, e_cycle, e_code = m.groups() if m else ("", "", str(earlier))
    return {"code": code, "relation": relation, "earlier_cycle": e_cycle,
            "earlier_code": e_code, "earlier_organisation": "" if e_org == org else e_org}


def _code_key(code: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


def _csv_text(name: str, rows: Iterable[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FILES[name], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in FILES[name]})
    return buf.getvalue()


def write_folder(tables: dict[str, list[dict[str, str]]], folder: str | Path,
                 *, overwrite: bool = False) -> list[Path]:
    """Write the authoring tables as CSV files in ``folder`` (each file atomically). Refuses to
    replace existing files unless ``overwrite``."""
    from metrograph.rdfio.writers import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / name for name in FILES if tables.get(name) or name in REQUIRED]
    clash = [p for p in targets if p.exists()]
    if clash and not overwrite:
        raise InputError(f"{len(clash)} file(s) already exist; use --force to replace them",
                         source=str(clash[0]))
    for path in targets:
        write_atomic(path, _csv_text(path.name, tables.get(path.name, [])).encode("utf-8"))
    return targets


def write_template(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write an empty plan folder: every CSV with its header, and an example row in plan.csv
    and the component files to show the shape of the data."""
    example = {
        "organisations.csv": [{"id": "my-organisation", "type": "FormalOrganization",
                               "name_en": "My organisation", "name_fr": "Mon organisation"}],
        "plan.csv": [{"organisation": "my-organisation", "cycle": "2024-2027",
                      "start_year": "2024", "end_year": "2027", "language": "fr",
                      "title": "Plan d'action 2024-2027", "title_en": "Action Plan 2024-2027",
                      "publisher": "my-organisation", "source": "", "previous_cycle": "",
                      "note": "", "comment": ""}],
        "guidelines.csv": [{"code": "L1", "label": "Texte de la ligne directrice",
                            "label_en": "Text of the guideline"}],
        "measures.csv": [{"code": "L1M1", "label": "Résultat attendu de la mesure",
                          "label_en": "Expected outcome of the measure", "themes": "gender"}],
        "deliverables.csv": [{"code": "L1M1D1", "label": "Livrable",
                              "label_en": "Deliverable"}],
    }
    from metrograph.rdfio.writers import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in FILES]
    clash = [p for p in paths if p.exists()]
    if clash and not overwrite:
        raise InputError("the folder already holds a plan; use --force to replace it",
                         source=str(clash[0]))
    for path in paths:
        write_atomic(path, _csv_text(path.name, example.get(path.name, [])).encode("utf-8"))
    doc = (__doc__ or "").strip() + "\n"
    write_atomic(folder / "README.txt", doc.encode("utf-8"))
    return [*paths, folder / "README.txt"]


def describe_focus(folder: Path, graph: Graph, focus: Any) -> str:
    """Where in a plan folder the resource ``focus`` of an imported ``graph`` comes from:
    ``file, row N (CODE)`` where it can be told, else its IRI."""
    text = str(focus)
    kinds = {MG.Guideline: "guidelines.csv", MG.Measure: "measures.csv",
             MG.Deliverable: "deliverables.csv", MG.StatusAssessment: "statuses.csv",
             MG.SDGLink: "sdg-links.csv", MG.ReportedProgress: "reported.csv",
             MG.ActionPlan: "plan.csv", MG.SourceDocument: "sources.csv"}
    file = next((f for cls, f in kinds.items()
                 if (focus, RDF.type, cls) in graph), None)
    if file is None:
        return text
    code = graph.value(focus, SKOS.notation) if file.endswith("s.csv") else None
    if file in ("statuses.csv", "sdg-links.csv"):
        item = graph.value(focus, MG.assessedItem) or graph.value(focus, MG.contributor)
        code = graph.value(item, SKOS.notation) if item is not None else None
    r = _Reader(folder)
    for number, row in r.rows(file):
        if code is not None and row.get("code") == str(code):
            return f"{folder / file}, row {number} ({code})"
        if row.get("id") == text or file == "plan.csv":
            return f"{folder / file}, row {number}"
    return f"{folder / file} ({text})"
