"""The knowledge graph: load, look up, summarise, query, validate, reason and export.

Everything here goes through the :class:`~metrograph.stores.base.Store` interface and the query
library, so it answers the same whichever store holds the triples.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from metrograph.errors import (
    DataError,
    InputError,
    NotFoundError,
    QueryError,
    QueryParameterError,
)
from metrograph.model import (
    Component,
    Deliverable,
    Guideline,
    Measure,
    Plan,
    ProgressRow,
    ReportedComparison,
    SDGLinkInfo,
    Status,
    StatusRecord,
    assessment_date,
    goal_of,
)
from metrograph.namespaces import BASE, MG, MGT, SDG
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.formats import Format, format_for
from metrograph.rdfio.inputs import read_input
from metrograph.resources import bundled_parts
from metrograph.sparql.library import NamedQuery, get_query, parse_query_text
from metrograph.sparql.limits import (
    SAFE,
    QueryLimits,
    check_query,
    deadline_check,
    time_limit,
)
from metrograph.sparql.results import QueryStream, python_rows, to_python
from metrograph.stores import MemoryStore, SelectResult, Store, make_store

if TYPE_CHECKING:
    from metrograph.validation.report import ValidationReport

__all__ = ["KnowledgeGraph", "QueryResult", "QueryStream", "load", "open_store"]

GRAPH_BASE = BASE + "graph/"
_VALID_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_GRAPH_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_./-]*[A-Za-z0-9_-])?")
C = TypeVar("C", bound=Component)


class QueryResult:
    """The answer of a named query: rows of Python values, or SPARQL 1.1 JSON / CSV / TSV."""

    def __init__(self, query: NamedQuery, result: SelectResult) -> None:
        self.query = query
        self.raw = result

    @property
    def variables(self) -> list[str]:
        """The projected variable names."""
        return self.raw.variables

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Rows as dictionaries of Python values (IRIs as ``URIRef``, unbound as ``None``)."""
        return python_rows(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def serialize(self, fmt: str) -> str:
        """The rows as ``json``, ``csv``, ``tsv`` (SPARQL 1.1 results) or ``table`` text."""
        from metrograph.sparql import results

        writers = {"json": results.to_json, "csv": results.to_csv, "tsv": results.to_tsv,
                   "table": results.to_table}
        if fmt not in writers:
            raise InputError(f"unknown results format {fmt!r} (known: {', '.join(writers)})")
        return writers[fmt](self.raw)


def user_graph(name: str | None, content: bytes = b"", *, digest: str | None = None) -> URIRef:
    """The named graph of data a user loads: ``name`` (an absolute IRI, or a name under
    ``…/graph/user/``), or else a name made from a hash of ``content`` (or its SHA-256
    ``digest`` in hexadecimal, when already computed). The graphs of the bundled parts, of
    reasoning and of content (``…/graph/user/sha256-…``) are refused as names: data loaded
    into one would be replaced by them, or replace them."""
    if name is None:
        digest = digest or hashlib.sha256(content).hexdigest()
        return URIRef(f"{GRAPH_BASE}user/sha256-{digest[:32]}")
    if _VALID_IRI.fullmatch(name) and "/" in name:
        graph = URIRef(name)
    elif _GRAPH_NAME.fullmatch(name):
        graph = URIRef(f"{GRAPH_BASE}user/{name}")
    else:
        raise InputError(f"graph name {name!r}: give an absolute IRI or a name of letters, "
                         "digits, '.', '_', '-' and '/'")
    if graph.startswith(GRAPH_BASE) and (not graph.startswith(f"{GRAPH_BASE}user/")
                                         or graph.startswith(f"{GRAPH_BASE}user/sha256-")):
        raise InputError(f"graph name {name!r}: reserved for metrograph's own graphs (the "
                         f"bundled parts, reasoning, files named by content); give a name "
                         f"under {GRAPH_BASE}user/ or another IRI")
    return graph


def folder_bytes(folder: Path) -> bytes:
    """A plan folder's content: each CSV file's name and bytes, in name order."""
    return b"".join(path.name.encode() + b"\0" + read_input(path) + b"\0"
                    for path in sorted(folder.glob("*.csv")))


def _year(value: object) -> int | None:
    """A plan's start or end year as a number (None when absent or not a year)."""
    try:
        return int(str(value)) if value else None
    except ValueError:
        return None


class KnowledgeGraph:
    """A metrograph knowledge graph held in a :class:`Store` (rdflib in memory by default)."""

    def __init__(self, store: Store | str | None = None) -> None:
        self.store: Store = make_store(store)
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ loading

    def load_bundled(self, data: bool = True) -> KnowledgeGraph:
        """Add the bundled ontology, SKOS schemes and organisations and, unless ``data`` is
        False, the bundled plans (the Metropolis 2018-2020 plan), one named graph per file."""
        for name, part in bundled_parts():
            if not data and name.startswith("data/") and name.count("/") > 1:
                continue
            graph = URIRef(GRAPH_BASE + name.removesuffix(".ttl"))
            self.store.load(part.read_bytes(), fmt=format_for(name), graph=graph,
                            source=f"metrograph:{name}")
        self._cache.clear()
        return self

    def load_file(self, source: str | Path, format: str | None = None,
                  graph_name: str | None = None, *, progress: Reporter = SILENT) -> int:
        """Add an RDF file (Turtle, N-Triples, JSON-LD, TriG, N-Quads or RDF/XML, told by its
        suffix or by ``format``) or a plan folder in the authoring format; return the number of
        distinct triples added. An unreadable file raises :class:`InputError` naming it (file,
        row and column for a folder) and adds nothing. The triples go into the named graph
        ``graph_name`` (:func:`user_graph`), by default one named by the file's content, never
        by its path. ``progress`` is advanced by the bytes parsed."""
        path = _path(source)
        if path.is_dir():
            from metrograph.authoring.csv_format import import_folder

            graph = import_folder(path)
            self.store.add(graph, user_graph(graph_name, folder_bytes(path)))
            progress.advance(_size(path))
            self._cache.clear()
            return len(graph)
        fmt: Format = format_for(source, format)
        data = read_input(path)
        if not data.strip():
            raise InputError("the file is empty", source=str(path))
        count = self.store.load(data, fmt=fmt, graph=user_graph(graph_name, data),
                                source=str(path), progress=progress)
        self._cache.clear()
        return count

    def add_graph(self, graph: Graph, name: str | URIRef | None = None) -> None:
        """Add an rdflib graph's triples (into the named graph ``name``)."""
        if not isinstance(graph, Graph):
            raise InputError(f"add_graph() takes an rdflib Graph, not {type(graph).__name__}")
        self.store.add(graph, URIRef(name or GRAPH_BASE + "added"))
        self._cache.clear()

    def __len__(self) -> int:
        """The number of distinct triples."""
        return len(self.store)

    @property
    def read_only(self) -> bool:
        """True for a graph that cannot change (a store directory opened with
        :func:`open_store`): updates and loads raise :class:`~metrograph.errors.StoreError`."""
        return getattr(self.store, "read_only", None) is not None

    # ------------------------------------------------------------------ SPARQL

    def _run_select(self, text: str, bindings: Mapping[str, Node] | None,
                    limits: QueryLimits) -> SelectResult:
        with time_limit(limits.timeout) as check:
            return self.store.select(text, bindings, max_rows=limits.max_rows, check=check)

    def sparql(self, text: str, bindings: Mapping[str, Node] | None = None, *,
               limits: QueryLimits = SAFE) -> SelectResult:
        """Run a SELECT query given as text (untrusted): values go in ``bindings``, never into
        the text. Updates, ``SERVICE`` and remote ``FROM`` are refused unless ``limits`` allow
        them; ``limits`` may also bound the time and the number of rows."""
        limits = _limits(limits)
        check_query(text, limits)
        for name, value in _params(bindings).items():
            if isinstance(value, URIRef) and not _VALID_IRI.fullmatch(str(value)):
                raise QueryParameterError(f"binding {name!r} is not a valid IRI: {value!r}")
        return self._run_select(text, bindings, limits)

    def update(self, text: str, *, allow_update: bool = False) -> None:
        """Run a SPARQL Update on the store: refused unless ``allow_update=True``."""
        limits = QueryLimits(allow_update=allow_update)
        if check_query(text, limits) != "update":
            raise QueryError("not a SPARQL Update (use sparql() for queries)")
        self.store.update(text)
        self._cache.clear()

    def query(self, name: str, /, **params: object) -> QueryResult:
        """Run the library query ``name`` with typed parameters (passed as bindings).

        >>> kg.query("deliverables-without-status", plan="https://w3id.org/metrograph/id/metropolis/plan/2018-2020")
        """
        return self.run_query(name, params)

    def run_query(self, name: str, params: Mapping[str, object] | None = None,
                  limits: QueryLimits = SAFE) -> QueryResult:
        """Run the library query ``name`` with ``params`` (passed as bindings), within
        ``limits`` (time and rows)."""
        q = get_query(name)
        return QueryResult(q, self._run_select(q.text, q.bindings(_params(params)),
                                               _limits(limits)))

    def query_file(self, path: str | Path, params: Mapping[str, object] | None = None,
                   limits: QueryLimits = SAFE) -> QueryResult:
        """Run a query from a file (untrusted, checked as :meth:`sparql` does), with parameters
        declared in its header like the library's."""
        with _query_file(path, _limits(limits)) as q:
            return QueryResult(q, self._run_select(q.text, q.bindings(_params(params)), limits))

    def iter_query(self, name: str, /, **params: object) -> QueryStream:
        """The library query ``name`` read row by row (:class:`QueryStream`: iterate it for
        rows of Python values), in bounded memory on the Oxigraph store.

        >>> for row in kg.iter_query("deliverables"): ...
        """
        return self.stream_query(name, params)

    def stream_query(self, name: str, params: Mapping[str, object] | None = None,
                     limits: QueryLimits = SAFE, *, offset: int = 0,
                     limit: int | None = None) -> QueryStream:
        """:meth:`run_query` read row by row, rows ``offset`` to ``offset + limit``; ``limits``
        are checked as the rows are read."""
        return self._stream(get_query(name), params, limits, offset, limit)

    def stream_file(self, path: str | Path, params: Mapping[str, object] | None = None,
                    limits: QueryLimits = SAFE, *, offset: int = 0,
                    limit: int | None = None) -> QueryStream:
        """:meth:`query_file` read row by row (see :meth:`stream_query`)."""
        with _query_file(path, _limits(limits)) as q:
            return self._stream(q, params, limits, offset, limit)

    def _stream(self, q: NamedQuery, params: Mapping[str, object] | None, limits: QueryLimits,
                offset: int, limit: int | None) -> QueryStream:
        for name, value in (("offset", offset), ("limit", limit)):
            if (value is not None or name == "offset") and (
                    isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InputError(f"{name} is a whole number of rows, zero or more"
                                 + (" (or None)" if name == "limit" else "")
                                 + f"; not {value!r}")
        limits = _limits(limits)
        stream = self.store.select_iter(q.text, q.bindings(_params(params)),
                                        max_rows=limits.max_rows,
                                        check=deadline_check(limits.timeout))
        return QueryStream(q.name, stream, offset=offset, limit=limit)

    def _terms(self, name: str) -> list[dict[str, Node | None]]:
        """The rows of the library query ``name`` as RDF terms (a label keeps its language
        tag), cached until the graph changes."""
        key = "terms:" + name
        if key not in self._cache:
            self._cache[key] = _require(self.run_query(name).raw.dicts(), name)
        rows: list[dict[str, Node | None]] = self._cache[key]
        return rows

    def _rows(self, name: str, **params: object) -> list[dict[str, Any]]:
        key = name + repr(sorted(params.items()))
        if key not in self._cache:
            self._cache[key] = _require(self.run_query(name, params).rows, name)
        rows: list[dict[str, Any]] = self._cache[key]
        return rows

    # ------------------------------------------------------------------ typed access

    def plans(self) -> list[Plan]:
        """Every plan, by organisation and start year."""
        out = []
        for rows in _by_item(self._terms("plans"), "plan"):
            r = {k: to_python(v) for k, v in min(rows, key=_row_key).items()}
            title = {k: str(v) for k, v in (("fr", _one_label(rows, "title", "fr")),
                                            ("en", _one_label(rows, "titleEn", "en"))) if v}
            out.append(Plan(iri=r["plan"], cycle=str(r["cycle"]), organisation=r["organisation"],
                            start_year=_year(r["start"]), end_year=_year(r["end"]),
                            title=title, guidelines=int(r["guidelines"]),
                            measures=int(r["measures"]), deliverables=int(r["deliverables"])))
        return out

    def plan(self, ref: str | URIRef | None = None, organisation: str | None = None) -> Plan:
        """A plan by IRI or cycle code (``"2018-2020"``); the only plan when ``ref`` is None."""
        plans = self.plans()
        if ref is None:
            if len(plans) == 1:
                return plans[0]
            raise NotFoundError(f"{len(plans)} plans are loaded; name one: "
                                + ", ".join(str(p.iri) for p in plans))
        found = [p for p in plans if str(p.iri) == str(ref) or (
            p.cycle == str(ref) and (organisation is None or str(p.organisation).endswith(
                "/" + organisation) or str(p.organisation) == organisation))]
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFoundError(f"no plan {ref!r}; loaded: "
                                + ", ".join(f"{p.cycle} ({p.iri})" for p in plans))
        raise NotFoundError(f"{len(found)} plans have the cycle {ref!r}; give the organisation "
                            "or the plan's IRI: " + ", ".join(str(p.iri) for p in found))

    def _plan_iri(self, plan: str | URIRef | Plan | None) -> URIRef | None:
        if plan is None:
            return None
        if isinstance(plan, Plan):
            return plan.iri
        return self.plan(plan).iri

    def _links(self) -> dict[URIRef, dict[str, list[Any]]]:
        """The themes, partner mentions and SDG links each plan and component carries."""
        if "links" in self._cache:
            cached: dict[URIRef, dict[str, list[Any]]] = self._cache["links"]
            return cached
        links: dict[URIRef, dict[str, list[Any]]] = {}
        for r in self._rows("component-links"):
            entry = links.setdefault(r["item"], {"theme": [], "mentions": [], "sdg": []})
            if r["link"] == "sdg":
                entry["sdg"].append(SDGLinkInfo(r["target"], r["basis"], r["justification"],
                                                r["node"]))
            else:
                entry[r["link"]].append(r["target"])
        self._cache["links"] = links
        return links

    def _plan_links(self) -> dict[URIRef, dict[str, list[Any]]]:
        """:meth:`_links` of the plans alone (what their components inherit)."""
        plans = {p.iri for p in self.plans()}
        return {item: entry for item, entry in self._links().items() if item in plans}

    def _components(self) -> list[Component]:
        if "components" in self._cache:
            comps: list[Component] = self._cache["components"]
            return comps
        links = self._links()
        history: dict[URIRef, list[StatusRecord]] = {}
        for r in self._rows("status-history"):
            where = f"the assessment {r['assessment'].n3()}"
            history.setdefault(r["item"], []).append(StatusRecord(
                Status.of_assessment(r["status"], where), assessment_date(r["asOf"], where),
                r["source"], r["assessment"]))
        kinds: dict[URIRef, type[Component]] = {MG.Guideline: Guideline, MG.Measure: Measure,
                                                MG.Deliverable: Deliverable}
        out: list[Component] = []
        for rows in _by_item(self._terms("components"), "item"):
            # one component per IRI, whatever the data (two French labels, two parents...:
            # the shapes report it); the label in each language range as _one_label picks it
            r = {k: to_python(v) for k, v in min(rows, key=_row_key).items()}
            labels = {k: str(v) for k, v in (("fr", _one_label(rows, "labelFr", "fr")),
                                             ("en", _one_label(rows, "labelEn", "en"))) if v}
            entry = links.get(r["item"], {"theme": [], "mentions": [], "sdg": []})
            common: dict[str, Any] = dict(
                iri=r["item"], code=str(r["code"]), position=r["position"], parent=r["parent"],
                plan=r["plan"], labels=labels, themes=tuple(sorted(set(entry["theme"]))),
                mentions=tuple(sorted(set(entry["mentions"]))),
                sdg_links=tuple(sorted(entry["sdg"], key=lambda s: str(s.sdg))))
            cls = kinds[r["kind"]]
            if cls is Deliverable:
                common["history"] = tuple(sorted(history.get(r["item"], []),
                                                 key=lambda h: h.as_of))
            out.append(cls(**common))
        out.sort(key=lambda c: (str(c.plan), _code_key(c.code)))
        self._cache["components"] = out
        return out

    def _select(self, cls: type[C], plan: str | URIRef | Plan | None,
                within: str | URIRef | Component | None = None,
                theme: str | URIRef | None = None,
                sdg: str | URIRef | None = None) -> list[C]:
        plan_iri = self._plan_iri(plan)
        comps = self._components()
        by_iri = {c.iri: c for c in comps}
        within_iri = None
        if within is not None:
            within_iri = within.iri if isinstance(within, Component) else self.get(
                within, plan=plan_iri).iri
        theme_iri = None if theme is None else (
            URIRef(str(theme)) if "/" in str(theme) else MGT[str(theme)])
        sdg_iri = None if sdg is None else (URIRef(str(sdg)) if "/" in str(sdg) else SDG[str(sdg)])

        plan_links = self._plan_links()

        def lineage(c: Component) -> list[Component]:
            chain = [c]
            while chain[-1].parent in by_iri and len(chain) <= len(by_iri):
                chain.append(by_iri[chain[-1].parent])
            return chain

        out = []
        for c in comps:
            if not isinstance(c, cls):
                continue
            if plan_iri is not None and c.plan != plan_iri:
                continue
            chain = lineage(c)
            if within_iri is not None and within_iri not in [x.iri for x in chain[1:]]:
                continue
            # a theme or SDG link on the component, one of its parents or its plan, as the
            # queries count them (progress-by-theme, progress-by-sdg-goal)
            themes = [t for x in chain for t in x.themes]
            sdgs = [link.sdg for x in chain for link in x.sdg_links]
            own = plan_links.get(c.plan, {})
            themes += own.get("theme", [])
            sdgs += [link.sdg for link in own.get("sdg", [])]
            if theme_iri is not None and theme_iri not in themes:
                continue
            if sdg_iri is not None and not any(
                    linked == sdg_iri or goal_of(linked) == sdg_iri for linked in sdgs):
                continue
            out.append(c)
        return out

    def components(self, plan: str | URIRef | Plan | None = None) -> list[Component]:
        """Every guideline, measure and deliverable (of ``plan``), in code order."""
        return self._select(Component, plan)

    def guidelines(self, plan: str | URIRef | Plan | None = None) -> list[Guideline]:
        """The guidelines (of ``plan``, given by IRI or cycle code), in code order."""
        return self._select(Guideline, plan)

    def measures(self, plan: str | URIRef | Plan | None = None,
                 guideline: str | URIRef | Guideline | None = None,
                 theme: str | URIRef | None = None,
                 sdg: str | URIRef | None = None) -> list[Measure]:
        """The measures, filtered by plan, guideline (code or IRI), theme (``gender``, ``youth``
        or IRI) and SDG goal or target (``"5"``, ``"5.5"`` or IRI), each carried by the measure
        or inherited from its guideline or plan."""
        return self._select(Measure, plan, guideline, theme, sdg)

    def deliverables(self, plan: str | URIRef | Plan | None = None,
                     guideline: str | URIRef | Guideline | None = None,
                     measure: str | URIRef | Measure | None = None,
                     theme: str | URIRef | None = None,
                     status: str | Status | None = None,
                     sdg: str | URIRef | None = None) -> list[Deliverable]:
        """The deliverables, filtered by plan, guideline, measure, theme and SDG goal or target
        (each carried by the deliverable or inherited from its measure, guideline or plan, as
        the progress queries count them) and by
        current status (``Status.NOT_RECORDED`` or ``"not-recorded"`` for none recorded)."""
        found = self._select(Deliverable, plan, measure if measure is not None else guideline,
                             theme, sdg)
        if measure is not None and guideline is not None:
            g = guideline if isinstance(guideline, Component) else self.get(
                guideline, plan=self._plan_iri(plan))
            found = [d for d in found if self.get(d.parent).parent == g.iri]
        if status is not None:
            try:
                wanted = Status.parse(status)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            found = [d for d in found if d.status is wanted]
        return found

    def get(self, ref: str | URIRef, plan: str | URIRef | Plan | None = None) -> Component:
        """A guideline, measure or deliverable by IRI or code (``"L1M3D2"``); give ``plan`` when
        several loaded plans use the code."""
        plan_iri = self._plan_iri(plan)
        comps = self._components()
        found = [c for c in comps if str(c.iri) == str(ref)]
        if not found:
            code = str(ref).strip().upper()
            found = [c for c in comps if c.code.upper() == code
                     and (plan_iri is None or c.plan == plan_iri)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFoundError(f"no guideline, measure or deliverable {ref!r}"
                                + (f" in plan {plan_iri}" if plan_iri else ""))
        raise NotFoundError(f"{len(found)} plans have a component coded {ref!r}; give the plan: "
                            + ", ".join(str(c.plan) for c in found))

    # ------------------------------------------------------------------ summaries

    def progress(self, by: str = "guideline",
                 plan: str | URIRef | Plan | None = None) -> list[ProgressRow]:
        """Deliverables counted by current status per ``plan``, ``guideline``, ``measure``,
        ``theme`` or ``sdg-goal``; ``Status.NOT_RECORDED`` counts those with no assessment."""
        spec = {"plan": ("progress-by-plan", "plan", "cycle"),
                "guideline": ("progress-by-guideline", "guideline", "code"),
                "measure": ("progress-by-measure", "measure", "code"),
                "theme": ("progress-by-theme", "theme", "theme"),
                "sdg-goal": ("progress-by-sdg-goal", "goal", "goalCode")}
        if not isinstance(by, str) or by not in spec:
            raise InputError(f"cannot summarise progress by {by!r} (choose: {', '.join(spec)})")
        name, group, code = spec[by]
        plan_iri = self._plan_iri(plan)
        params = {"plan": plan_iri} if plan_iri is not None else {}
        out = []
        for r in _require(self.run_query(name, params).rows, name):
            if r["total"] is None:  # rdflib's row for a parameter that matches nothing
                continue  # (tests/differential: test_rdflib_answers_no_row_for_a_grouped...)
            counts = {Status.DONE: int(r["done"]), Status.IN_PROGRESS: int(r["inProgress"]),
                      Status.NOT_ELABORATED: int(r["notElaborated"]),
                      Status.NOT_RECORDED: int(r["notRecorded"])}
            _all_counted(r, counts, f"{by} {r[group].n3()}")
            label = str(r[code]).rsplit("/", 1)[-1] if by == "theme" else str(r[code])
            out.append(ProgressRow(group=r[group], code=label, plan=r["plan"], counts=counts))
        if by == "sdg-goal":
            out.sort(key=lambda p: (str(p.plan), int(p.code) if p.code.isdigit() else 0))
        return out

    def reported_vs_recorded(self, plan: str | URIRef | Plan | None = None,
                             date: dt.date | str | None = None) -> list[ReportedComparison]:
        """For each plan with reported figures: the figures the source reports, next to those
        recorded per deliverable (as they stood on ``date`` when given)."""
        given = {"plan": self._plan_iri(plan), "date": date}
        params = {key: value for key, value in given.items() if value is not None}
        out = []
        for r in _require(self.run_query("reported-vs-recorded", params).rows,
                          "reported-vs-recorded"):
            if r["reportedTotal"] is None or r["total"] is None:  # rdflib: see progress()
                continue
            reported: dict[Status, int | None] = {
                Status.DONE: _opt_int(r["reportedDone"]),
                Status.IN_PROGRESS: _opt_int(r["reportedInProgress"]),
                Status.NOT_ELABORATED: _opt_int(r["reportedNotElaborated"])}
            recorded = {Status.DONE: int(r["done"] or 0),
                        Status.IN_PROGRESS: int(r["inProgress"] or 0),
                        Status.NOT_ELABORATED: int(r["notElaborated"] or 0),
                        Status.NOT_RECORDED: int(r["notRecorded"] or 0)}
            _all_counted(r, recorded, f"plan {r['plan'].n3()}")
            out.append(ReportedComparison(plan=r["plan"], reported_total=int(r["reportedTotal"]),
                                          reported=reported, recorded_total=int(r["total"] or 0),
                                          recorded=recorded))
        return out

    def counts(self) -> dict[str, int]:
        """Statements (distinct triples), plans, guidelines, measures, deliverables and
        assessments loaded."""
        comps = self._components()
        return {"statements": len(self), "plans": len(self.plans()),
                "guidelines": sum(isinstance(c, Guideline) for c in comps),
                "measures": sum(isinstance(c, Measure) for c in comps),
                "deliverables": sum(isinstance(c, Deliverable) for c in comps),
                "assessments": sum(len(c.history) for c in comps if isinstance(c, Deliverable))}

    # ------------------------------------------------------------ validation, reasoning, export

    def validate(self, shapes: Iterable[str | Path] = (), engine: str = "fast", *,
                 progress: Reporter = SILENT, since: ValidationReport | None = None,
                 added: Iterable[str | URIRef] | Graph = ()) -> ValidationReport:
        """Validate against the shipped SHACL shapes (plus extra shape files); the graph is not
        modified. ``engine="fast"`` (default) runs the shapes compiled to SPARQL in the store,
        with pySHACL's results (tested) at a fraction of the time; ``engine="pyshacl"`` runs
        pySHACL on a copy. ``progress`` is told the constraints validated of N. With ``since``
        (a full report made before some data was added) and ``added`` (the named graphs it went
        into, or an rdflib graph of its triples), only the focus nodes the addition can affect
        are validated again, for the report a full validation gives."""
        shapes = [shapes] if isinstance(shapes, str | Path) else shapes
        try:
            shapes = [_path(shape) for shape in shapes]
        except TypeError:
            raise InputError(f"shapes is a list of shape files, not {shapes!r}") from None
        if since is not None:
            if engine != "fast":
                raise InputError("incremental validation (since=...) runs the fast engine")
            from metrograph.validation.incremental import validate_added

            return validate_added(self.store, since, added, extra_shapes=shapes,
                                  progress=progress)
        if engine == "fast":
            from metrograph.validation.compiler import validate_fast

            return validate_fast(self.store, extra_shapes=shapes, progress=progress)
        if engine == "pyshacl":
            from metrograph.validation.report import validate_dataset

            return validate_dataset(self.store.dataset(), extra_shapes=shapes)
        raise InputError(f"unknown validation engine {engine!r} (fast, pyshacl)")

    def reasoned(self, engine: str = "owlrl") -> KnowledgeGraph:
        """A new graph holding this one plus what reasoning derives; this one is unchanged.
        ``engine="owlrl"``: the full OWL-RL closure (owlrl; slow beyond ~10k triples);
        ``engine="rules"``: the inferences the queries rely on (part-of closure, the ontology's
        sub-property and sub-class entailments), materialised by targeted rules in an
        Oxigraph store (tested equal to owlrl's closure restricted to them)."""
        if engine == "rules":
            from metrograph.reasoning.rules import materialise

            copy = KnowledgeGraph(self.store.copy())
            materialise(copy.store)
            return copy
        if engine != "owlrl":
            raise InputError(f"unknown reasoning engine {engine!r} (owlrl, rules)")
        from metrograph.reasoning.owlrl import owl_rl_closure

        inferred = owl_rl_closure(self.store.dataset())
        out = KnowledgeGraph(MemoryStore())
        out.store.add_dataset(self.store.dataset())
        out.store.add(inferred, URIRef(GRAPH_BASE + "inferred"))
        return out

    def export(self, fmt: str = "ttl", path: str | Path | None = None) -> str:
        """Serialise as ``ttl``, ``nt``, ``jsonld``, ``trig`` or ``nq``; write it to ``path``
        atomically when given. Returns the text (for a large graph, :meth:`write` streams
        N-Triples to a file instead)."""
        from metrograph.rdfio.writers import serialize, write_atomic

        if format_for("x", _format_name(fmt)).name == "nt":
            buffer = io.BytesIO()
            self.store.write_ntriples(buffer)
            text = buffer.getvalue().decode("utf-8")
        else:
            text = serialize(self.store.dataset(), fmt)
        if path is not None:
            write_atomic(Path(path), text.encode("utf-8"))
        return text

    def write(self, path: str | Path | BinaryIO, fmt: str = "nt") -> None:
        """Write the graph to ``path`` (a file, replaced atomically, or a binary stream such as
        ``sys.stdout.buffer``) as ``fmt``. N-Triples is streamed from the store as it is read
        (constant memory at any size: :meth:`Store.write_ntriples`); other formats are
        serialised whole first (:meth:`export`)."""
        from metrograph.rdfio.writers import atomic_writer

        fmt = _format_name(fmt)
        if isinstance(path, str | Path):
            target: AbstractContextManager[BinaryIO] = atomic_writer(Path(path))
        elif callable(getattr(path, "write", None)):
            target = contextlib.nullcontext(path)
        else:
            raise InputError(f"write() takes a file name or a binary stream, not {path!r}")
        with target as out:
            if format_for("x", fmt).name == "nt":
                self.store.write_ntriples(out)
            else:
                out.write(self.export(fmt).encode("utf-8"))


@contextlib.contextmanager
def _query_file(path: str | Path, limits: QueryLimits) -> Iterator[NamedQuery]:
    """The SELECT query in the file ``path`` (untrusted: checked against ``limits``), its
    parameters declared in its header like the library's. A query error raised in the block
    names the file (and, for an undeclared parameter, says how to declare one)."""
    try:
        file = _path(path)
        try:
            text = read_input(file).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not valid UTF-8", source=str(file)) from None
        if not re.sub(r"#[^\n]*", "", text).strip():
            raise InputError("the file holds no query", source=str(file))
        if check_query(text, limits) == "update":
            raise QueryError("a query file must hold a SELECT query; run updates with update()")
        yield parse_query_text(file.stem, text)
    except QueryError as exc:
        message = str(exc)
        if str(path) not in message:
            message = f"{path}: {message}"
        if isinstance(exc, QueryParameterError) and "has no parameter" in message:
            message += ("; a query file declares its parameters in its header, as the shipped "
                        "queries do: '# Parameters:' then '#   NAME (TYPE, optional): what it "
                        "is' (TYPE: iri, string, integer, date, year)")
        raise type(exc)(message) from None


#: the variables each library query read by the typed API binds in every row (outside any
#: OPTIONAL): an answer leaving one unbound comes from an engine that did not evaluate the query
#: (a server answering something else), and is refused rather than read as None
_ALWAYS_BOUND: dict[str, tuple[str, ...]] = {
    "plans": ("plan", "cycle", "organisation", "guidelines", "measures", "deliverables"),
    "components": ("item", "code", "kind", "plan"),
    "component-links": ("item", "link", "target"),
    "status-history": ("item", "assessment", "status", "asOf"),
    "progress-by-plan": ("plan",), "progress-by-guideline": ("guideline", "plan"),
    "progress-by-measure": ("measure", "plan"), "progress-by-theme": ("theme", "plan"),
    "progress-by-sdg-goal": ("goal", "plan"), "reported-vs-recorded": ("plan",),
}


def _require(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """``rows``, the answer to the library query ``name``; :class:`QueryError` when a row
    leaves unbound a variable the query always binds (:data:`_ALWAYS_BOUND`)."""
    for number, row in enumerate(rows, start=1):
        if "total" in row and row["total"] is None:
            continue  # rdflib's row for a grouped query that matches nothing (see progress)
        for var in _ALWAYS_BOUND.get(name, ()):
            if row.get(var) is None:
                raise QueryError(f"the answer to {name!r} leaves ?{var} unbound in row "
                                 f"{number}, which the query always binds: the store did not "
                                 "evaluate the query as SPARQL 1.1 says")
    return rows


def _by_item(rows: Iterable[dict[str, Node | None]],
             key: str) -> list[list[dict[str, Node | None]]]:
    """``rows`` grouped by the value of ``key``, in the order of their first row."""
    groups: dict[Node | None, list[dict[str, Node | None]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return list(groups.values())


def _row_key(row: Mapping[str, Node | None]) -> tuple[str, ...]:
    """An order of the rows of one item that does not depend on the store (the row the typed
    API reads where the data give an item two values of a one-valued property)."""
    return tuple("" if row[k] is None else str(getattr(row[k], "n3", str)()) for k in sorted(row))


def _one_label(rows: Iterable[Mapping[str, Node | None]], column: str,
               language: str) -> Literal | None:
    """The label of ``column`` among ``rows`` in the language range ``language`` (a primary
    tag: ``fr`` matches ``fr`` and ``fr-ca``, as ``langMatches`` does in the queries): the
    shapes allow one (mgsh:ComponentLabelShape, mgsh:ActionPlanTitleShape,
    mgsh:TranslationPerLanguageShape); where the data hold more, the one tagged exactly
    ``language``, then the first by tag and text."""
    found = {v for r in rows if isinstance(v := r.get(column), Literal)
             and (v.language or "").lower().split("-")[0] == language}
    if not found:
        return None
    return min(found, key=lambda v: (v.language != language, v.language or "", str(v)))


def _limits(limits: object) -> QueryLimits:
    """``limits``, checked to be :class:`QueryLimits` (:class:`InputError` otherwise)."""
    if not isinstance(limits, QueryLimits):
        raise InputError(f"limits is a QueryLimits(...), not {limits!r}")
    return limits


def _params(params: object) -> Mapping[str, Any]:
    """Query parameters or bindings: a mapping of names to values (None: none)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise QueryParameterError(f"parameters are a mapping of names to values, not {params!r}")
    return params


def _path(source: object) -> Path:
    """A file name given as ``str`` or a path object (:class:`InputError` otherwise)."""
    if not isinstance(source, str | os.PathLike):
        raise InputError(f"a file name (str or Path) is expected, not {source!r}")
    return Path(source)


def _format_name(fmt: object) -> str:
    """An RDF format's name (:class:`InputError` for anything but text)."""
    if not isinstance(fmt, str):
        raise InputError(f"an RDF format is named by text (ttl, nt, jsonld, trig, nq, xml), "
                         f"not {fmt!r}")
    return fmt


def _opt_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _code_key(code: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


def load(*sources: str | Path, bundled: bool = True, bundled_data: bool = True,
         store: Store | str | None = None, format: str | None = None,
         graph_name: str | None = None, progress: Reporter = SILENT,
         store_dir: str | Path | None = None) -> KnowledgeGraph:
    """Load a knowledge graph: the bundled ontology, schemes and organisations (unless
    ``bundled=False``), the bundled 2018-2020 plan (unless ``bundled_data=False``), and the given
    RDF files or plan folders on top. ``store`` is ``"oxigraph"`` (default), ``"memory"``
    (rdflib) or a :class:`Store`; ``graph_name``: see :meth:`KnowledgeGraph.load_file`;
    ``progress`` is told the bytes parsed. With ``store_dir``, the sources are added to that
    store directory (created on first use with the bundled parts, as ``bundled_data`` says;
    files already in it are skipped), opened read-only (:func:`open_store`); ``store`` and
    ``bundled=False`` cannot go with it. A triple loaded twice is one fact, counted once by
    every query, on every store.

    >>> kg = metrograph.load()
    >>> len(kg.deliverables())
    65
    """
    from metrograph.validation.literals import one_line_literal_warnings

    if store_dir is not None:
        if store is not None or not bundled:
            raise InputError("store_dir holds its own Oxigraph store with the bundled parts: "
                             "give neither store nor bundled=False with it")
        from metrograph.stores.directory import StoreDirectory

        directory = StoreDirectory(store_dir)
        if sources or not directory.exists():
            with one_line_literal_warnings():
                directory.add(sources, graph_name=graph_name, format=format,
                              bundled_data=bundled_data, progress=progress)
        return KnowledgeGraph(directory.open())
    kg = KnowledgeGraph(store)
    with one_line_literal_warnings():  # an ill-typed literal: one warning line, no traceback
        if bundled:
            kg.load_bundled(data=bundled_data)
        sizes = [_size(source) for source in sources]
        if sources:
            progress.step("loading", total=sum(sizes) or None, unit="bytes")
        for source in sources:
            kg.load_file(source, format=format, graph_name=graph_name, progress=progress)
            progress.advance(0, detail=Path(source).name)
    return kg


def open_store(store_dir: str | Path) -> KnowledgeGraph:
    """The knowledge graph in the store directory ``store_dir`` (filled by ``metrograph add`` or
    ``load(..., store_dir=...)``), opened read-only in milliseconds as it stands now: updates
    and loads raise :class:`~metrograph.errors.StoreError`, as does a directory that is not a
    metrograph store.

    >>> kg = metrograph.open_store("/srv/network-store")
    """
    from metrograph.stores.directory import StoreDirectory

    return KnowledgeGraph(StoreDirectory(store_dir).open())


def _size(source: str | Path) -> int:
    """The bytes of a file (or of a plan folder's CSV files), 0 when it cannot be told."""
    path = Path(source)
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.glob("*.csv"))
        return path.stat().st_size
    except OSError:
        return 0


def plan_sequence(plans: Sequence[Plan]) -> list[Plan]:
    """Plans in cycle order (by organisation, then start year)."""
    return sorted(plans, key=lambda p: (str(p.organisation), p.start_year or 0, p.cycle))


def _all_counted(row: Mapping[str, Any], counts: Mapping[Status, int], group: str) -> None:
    """:class:`~metrograph.errors.DataError` when a summary's ``?total`` is not the sum of its
    status counts: some deliverables' current status is outside the status scheme, and no
    typed figure may drop them silently."""
    total = row.get("total")
    if total is None:
        return
    other = int(total) - sum(counts.values())
    if other:
        raise DataError(f"{other} deliverable(s) of the {group} have a current mg:status "
                        "outside mgs:done, mgs:in-progress, mgs:not-elaborated "
                        "(mgsh:AssessmentStatusShape; `metrograph validate` lists every "
                        "violation)")
