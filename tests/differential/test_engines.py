"""Every shipped query gives the same rows in rdflib, embedded Oxigraph, Oxigraph's server,
Virtuoso and Apache Jena, on the bundled data, the multi-cycle fixture and a synthetic network
of edge cases (:mod:`.matrix`); where an engine cannot, the cell is a strict xfail naming the
engine's behaviour, with a minimal reproduction below.

The matrix runs once per session (about a minute); the table, engines by queries, is printed at
the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrograph.sparql.library import catalogue

from ..servers import SKIP_ENV, missing, start_oxigraph, start_virtuoso
from . import jena
from .engines import (
    JenaEngine,
    OxigraphServerEngine,
    PyoxigraphEngine,
    RdflibEngine,
    VirtuosoEngine,
)
from .matrix import TABLES, Matrix, build_data, run

ENGINES = ["rdflib", "pyoxigraph", "oxigraph-server", "virtuoso", "jena"]

#: (engine, query) -> the engine's behaviour that makes it answer otherwise (strict xfails:
#: when a cell comes right, its entry must go)
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    absent = jena.missing()
    if absent:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{absent} is not installed")
        pytest.fail(f"{absent} is not installed: run scripts/install-test-tools.sh, or set "
                    f"{SKIP_ENV}=1 to skip these tests", pytrace=False)
    work = tmp_path_factory.mktemp("differential")
    (work / "ox").mkdir()
    (work / "vt").mkdir()
    try:
        ox = start_oxigraph(work / "ox", union=True)
        vt = start_virtuoso(work / "vt")
    except FileNotFoundError:
        missing("a SPARQL server")
    try:
        engines = [RdflibEngine(), PyoxigraphEngine(),
                   OxigraphServerEngine(ox.query_url.rsplit("/", 1)[0]),
                   VirtuosoEngine(vt.query_url, vt.gsp_url), JenaEngine(work)]
        result = run(engines, build_data(work / "data"))
    finally:
        ox.stop()
        vt.stop()
    TABLES.append(("queries: engines agreeing with the expected answer (cases)", result.table()))
    yield result


def _describe(m: Matrix, engine: str, query: str) -> str:
    lines = []
    for case in m.disagreements(engine, query):
        got, want = m.answers[case][engine], m.expected(case)
        if got.error is not None:
            lines.append(f"{case.id}: {got.error[:200]}")
        else:
            extra, lost = set(got.rows) - set(want.rows), set(want.rows) - set(got.rows)
            lines.append(f"{case.id}: {len(got.rows)} rows, expected {len(want.rows)} "
                         f"({len(extra)} unexpected, {len(lost)} missing)")
    return "\n".join(lines)


CELLS = [(e, q) for q in sorted(catalogue()) for e in ENGINES]


@pytest.mark.parametrize(("engine", "query"), CELLS, ids=[f"{e}-{q}" for e, q in CELLS])
def test_engine_answers_as_the_others(request: pytest.FixtureRequest, matrix: Matrix,
                                      engine: str, query: str) -> None:
    reason = KNOWN.get((engine, query))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    assert not matrix.disagreements(engine, query), _describe(matrix, engine, query)


def test_the_matrix_is_not_vacuous(matrix: Matrix) -> None:
    """Most cases answer rows, every data set and engine took part."""
    answered = [c for c in matrix.answers if matrix.expected(c).rows]
    assert len(answered) >= 0.7 * len(matrix.answers)
    assert {c.data for c in matrix.answers} == {"bundled", "multicycle", "edge", "edge-twice"}
    assert matrix.engines == ENGINES


def test_jena_classpath_works_around_debian(tmp_path: Path) -> None:
    """The xerces message bundles are found: Jena starts (it fails with "internal error"
    without them)."""
    if jena.missing():
        pytest.skip("Jena is not installed")
    data = tmp_path / "d.nt"
    data.write_text('<http://e/a> <http://e/p> "2019-12-31"^^'
                    '<http://www.w3.org/2001/XMLSchema#date> .\n', encoding="utf-8")
    query = tmp_path / "q.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", encoding="utf-8")
    jena.run(tmp_path, "query", data, tmp_path / "out", [query])
    assert '"value": "1"' in (tmp_path / "out" / "q.srj").read_text(encoding="utf-8")
