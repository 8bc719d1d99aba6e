"""The differential matrix: every shipped query, on every data set, with its parameters bound
the same way (SEP-0007 substitution into the text, :mod:`metrograph.sparql.binding`), answered
by every engine of :mod:`.engines` and compared row for row.

The data sets are the published dumps of: the bundled graph; the bundled graph with the
fictional multi-cycle fixture; a small synthetic network with the engines' edge cases
(``metrograph.testing.synthetic``, ``edge_cases=True``); and that network again with its
assessments held a second time, in a graph of their own (``edge-twice``: a triple held in two
graphs is one fact, so its answers must be the ``edge`` ones).

A case's *expected* answer is the one most engines give (ties go to the engine listed first in
:data:`PREFERENCE`); on ``edge-twice``, the expected answer of the same case on ``edge``. A
cell of the table counts the cases where an engine gives it.
Run ``python -m tests.differential`` for the table alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib.term import Node

import metrograph
from metrograph.sparql.binding import substitute
from metrograph.sparql.library import catalogue, coerce
from metrograph.testing.synthetic import write

from ..servers import start_oxigraph, start_virtuoso
from .engines import (
    Answer,
    Data,
    Engine,
    JenaEngine,
    OxigraphServerEngine,
    PyoxigraphEngine,
    RdflibEngine,
    VirtuosoEngine,
)

ID = "https://w3id.org/metrograph/id/"
M18 = ID + "metropolis/plan/2018-2020"
M21 = ID + "metropolis/plan/2021-2023"
MG = "https://w3id.org/metrograph/ontology#"
MGS = "https://w3id.org/metrograph/vocab/status/"
SDG = "http://metadata.un.org/sdg/"
ORG = ID + "org/"
DUPLICATE_GRAPH = "https://w3id.org/metrograph/graph/second-copy"
TWICE = "-twice"
#: (title, table) of each matrix computed in this process, printed at the end of a test run
TABLES: list[tuple[str, str]] = []
PREFERENCE = ("pyoxigraph", "jena", "oxigraph-server", "rdflib", "virtuoso")

#: a typical value of every parameter, per data set (the edge network's come from its data)
TYPICAL: dict[str, dict[str, str]] = {
    "bundled": {
        "plan": M18, "kind": MG + "Deliverable", "date": "2019-12-31", "measure": M18 + "/L1M3",
        "partner": ORG + "uclg", "organisation": ORG + "metropolis", "sdg": SDG + "5",
        "basis": "https://w3id.org/metrograph/vocab/link-basis/proposed", "goal": SDG + "11",
        "theme": "https://w3id.org/metrograph/vocab/theme/gender", "item": M18 + "/L1M3D2",
        "from": M18, "to": M21, "status": MGS + "done", "guideline": M18 + "/L1"},
}
TYPICAL["multicycle"] = {**TYPICAL["bundled"], "plan": M21, "measure": M18 + "/L1M5",
                         "item": M18 + "/L2M5D1", "status": MGS + "in-progress",
                         "guideline": M21 + "/L1", "goal": SDG + "5"}


@dataclass(frozen=True)
class Case:
    """One query with one set of parameter values, on one data set."""

    data: str
    query: str
    params: tuple[tuple[str, str], ...]

    @property
    def twin(self) -> Case | None:
        """The same case on the data set without duplicates (None: this is one)."""
        if self.data.endswith(TWICE):
            return Case(self.data[:-len(TWICE)], self.query, self.params)
        return None

    @property
    def id(self) -> str:
        shown = ",".join(f"{k}={v.rsplit('/', 1)[-1]}" for k, v in self.params)
        return f"{self.data}:{self.query}({shown})"

    def text(self) -> str:
        """The query text with the parameter values substituted."""
        q = catalogue()[self.query]
        by_name = {p.name: p for p in q.parameters}
        bindings: dict[str, Node] = {k: coerce(by_name[k], v) for k, v in self.params}
        return substitute(q.text, bindings)


def param_sets(query: str, typical: Mapping[str, str], each: bool = False
               ) -> list[dict[str, str]]:
    """The required parameters alone, (with ``each``) each optional one added alone, and all
    of them."""
    q = catalogue()[query]
    required = {p.name: typical[p.name] for p in q.parameters if p.required}
    sets = [required]
    for p in q.parameters:
        if each and not p.required:
            sets.append({**required, p.name: typical[p.name]})
    every = {p.name: typical[p.name] for p in q.parameters}
    if every not in sets:
        sets.append(every)
    return sets


def cases(data: str, typical: Mapping[str, str]) -> list[Case]:
    """Every query's cases on ``data``: each optional parameter alone as well on the
    multi-cycle fixture (the data the typical values are chosen for), to keep the run short."""
    return [Case(data, name, tuple(sorted(params.items())))
            for name in sorted(catalogue())
            for params in param_sets(name, typical, each=data == "multicycle")]


# ---------------------------------------------------------------------------- data sets

def _dumps(kg: metrograph.KnowledgeGraph, folder: Path, name: str,
           duplicate: str | None = None) -> Data:
    """The N-Quads and N-Triples dumps of ``kg``; lines of the N-Quads dump containing
    ``duplicate`` are also written into :data:`DUPLICATE_GRAPH`."""
    nq, nt = folder / f"{name}.nq", folder / f"{name}.nt"
    kg.export("nq", nq)
    kg.export("nt", nt)
    if duplicate is not None:
        lines = nq.read_text(encoding="utf-8").splitlines()
        copies = [line.rstrip()[:-1].rsplit(" ", 2)[0] + f" <{DUPLICATE_GRAPH}> .\n"
                  for line in lines if duplicate in line and not line.startswith("#")]
        with nq.open("a", encoding="utf-8") as out:
            out.writelines(copies)
    return Data(name, nq, nt)


def _edge_typical(data: Data) -> dict[str, str]:
    """Typical parameter values picked from the edge network itself."""
    store = pyoxigraph.Store()
    store.bulk_load(path=str(data.nquads), format=pyoxigraph.RdfFormat.N_QUADS)

    def first(text: str) -> dict[str, str]:
        prefixes = (f"PREFIX mg: <{MG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                    "PREFIX dcterms: <http://purl.org/dc/terms/> ")
        result = store.query(prefixes + text, use_default_graph_as_union=True)
        assert isinstance(result, pyoxigraph.QuerySolutions)
        for row in result:
            return {v.value: row[v].value for v in result.variables  # type: ignore[union-attr]
                    if row[v] is not None}
        raise AssertionError(f"no typical value in the edge network: {text}")

    later = first("SELECT ?to ?from ?org ?start WHERE { ?to mg:previousCycle ?from ; "
                  "dcterms:publisher ?org ; mg:startYear ?start . ?to mg:drops ?x } "
                  "ORDER BY ?to LIMIT 1")
    start = int(later["start"][:4])
    inside = first(f"SELECT ?measure ?guideline ?item WHERE {{ ?item a mg:Deliverable ; "
                   f"mg:parent ?measure . ?measure mg:parent ?guideline . "
                   f"?guideline mg:parent <{later['from']}> . "
                   f"?a mg:assessedItem ?item }} ORDER BY ?item LIMIT 1")
    partner = first("SELECT ?partner WHERE { ?d <https://schema.org/mentions> ?partner } "
                    "ORDER BY ?partner LIMIT 1")
    return {**TYPICAL["bundled"], "plan": later["from"], "from": later["from"],
            "to": later["to"], "organisation": later["org"], "date": f"{start - 2}-12-31",
            "measure": inside["measure"], "guideline": inside["guideline"],
            "item": inside["item"], "partner": partner["partner"],
            "theme": "https://w3id.org/metrograph/vocab/theme/youth",
            "status": MGS + "in-progress", "sdg": SDG + "11", "goal": SDG + "11"}


def build_data(folder: Path, edge_triples: int = 1200,
               seed: int = 3) -> list[tuple[Data, dict[str, str]]]:
    """The three data sets, dumped into ``folder``, with their typical parameter values."""
    fixture = Path(__file__).parent.parent / "fixtures" / "multicycle"
    multicycle = sorted([*fixture.glob("*.ttl"), fixture / "metropolis-2021-2023"])
    folder.mkdir(parents=True, exist_ok=True)
    out = [(_dumps(metrograph.load(store="memory"), folder, "bundled"), TYPICAL["bundled"]),
           (_dumps(metrograph.load(*multicycle, store="memory"), folder, "multicycle"),
            TYPICAL["multicycle"])]
    network = folder / "edge-network.ttl"
    write(network, edge_triples, seed=seed, defect_rate=0.0, edge_cases=True)
    kg = metrograph.load(network, bundled_data=False, store="memory")
    edge = _dumps(kg, folder, "edge")
    typical = _edge_typical(edge)
    out.append((edge, typical))
    out.append((_dumps(kg, folder, "edge" + TWICE, duplicate="/assessment/"), typical))
    return out


# ---------------------------------------------------------------------------- the run

@dataclass
class Matrix:
    """Every engine's answer to every case, and the expected answer of each."""

    engines: list[str]
    answers: dict[Case, dict[str, Answer]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def expected(self, case: Case) -> Answer:
        """The answer most engines give (ties: the engine first in :data:`PREFERENCE`); for a
        case on duplicated data, the expected answer of its twin."""
        if case.twin is not None and case.twin in self.answers:
            return self.expected(case.twin)
        by_engine = self.answers[case]
        votes = Counter(a.comparable() for a in by_engine.values() if a.error is None)
        if not votes:
            return Answer(error="every engine failed")
        best = max(votes.values())
        for name in PREFERENCE:
            a = by_engine.get(name)
            if a is not None and a.error is None and votes[a.comparable()] == best:
                return a
        raise AssertionError("unreachable")

    def agrees(self, case: Case, engine: str) -> bool:
        got = self.answers[case][engine]
        return got.error is None and got.comparable() == self.expected(case).comparable()

    def disagreements(self, engine: str, query: str) -> list[Case]:
        return [c for c in self.answers if c.query == query and not self.agrees(c, engine)]

    def table(self) -> str:
        """Engines by queries: the cases (query, data set, parameters) where each engine gives
        the expected answer, out of all."""
        queries = sorted({c.query for c in self.answers})
        width = max(len(q) for q in queries)
        cols = [max(len(e), 7) for e in self.engines]
        lines = ["query".ljust(width) + "  " + "  ".join(e.rjust(w) for e, w in
                                                         zip(self.engines, cols, strict=True))]
        totals = Counter[str]()
        count = 0
        for q in queries:
            mine = [c for c in self.answers if c.query == q]
            count += len(mine)
            cells = []
            for e, w in zip(self.engines, cols, strict=True):
                ok = sum(self.agrees(c, e) for c in mine)
                totals[e] += ok
                mark = "" if ok == len(mine) else " x"
                cells.append(f"{ok}/{len(mine)}{mark}".rjust(w))
            lines.append(q.ljust(width) + "  " + "  ".join(cells))
        lines.append("all".ljust(width) + "  " + "  ".join(
            f"{totals[e]}/{count}".rjust(w) for e, w in zip(self.engines, cols, strict=True)))
        lines.append("seconds".ljust(width) + "  " + "  ".join(
            f"{self.seconds.get(e, 0):.1f}".rjust(w)
            for e, w in zip(self.engines, cols, strict=True)))
        return "\n".join(lines)


def run(engines: Sequence[Engine], data_sets: Sequence[tuple[Data, Mapping[str, str]]]
        ) -> Matrix:
    """Load each data set into each engine in turn and answer every case."""
    matrix = Matrix([e.name for e in engines])
    for data, typical in data_sets:
        mine = cases(data.name, typical)
        texts = {c.id: c.text() for c in mine}
        for engine in engines:
            started = time.monotonic()
            engine.load(data)
            answers = engine.answer(texts)
            matrix.seconds[engine.name] = (matrix.seconds.get(engine.name, 0.0)
                                           + time.monotonic() - started)
            for c in mine:
                matrix.answers.setdefault(c, {})[engine.name] = answers[c.id]
    return matrix


__all__ = ["TABLES", "Case", "Matrix", "build_data", "cases", "run"]


def run_every_engine(work: Path) -> Matrix:
    """Every shipped query on every engine (rdflib, pyoxigraph, Oxigraph's server, Virtuoso,
    Jena), over the data sets of :func:`build_data`, with the servers started in ``work`` and
    stopped after. Raises ``FileNotFoundError`` when a server program is not installed."""
    (work / "ox").mkdir()
    (work / "vt").mkdir()
    ox = start_oxigraph(work / "ox", union=True)
    try:
        vt = start_virtuoso(work / "vt")
    except BaseException:
        ox.stop()
        raise
    try:
        engines: list[Engine] = [RdflibEngine(), PyoxigraphEngine(),
                                 OxigraphServerEngine(ox.query_url.rsplit("/", 1)[0]),
                                 VirtuosoEngine(vt.query_url, vt.gsp_url), JenaEngine(work)]
        return run(engines, build_data(work / "data"))
    finally:
        ox.stop()
        vt.stop()
