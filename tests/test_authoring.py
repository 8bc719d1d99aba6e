"""The spreadsheet authoring format: template, import with located errors, export, round trip,
status updates over time, and the cross-cycle questions from Python, the CLI and SPARQL."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic

import metrograph
from metrograph.authoring import export_plan, import_folder, plan_graph, tables, write_folder
from metrograph.cli import main
from metrograph.errors import AuthoringError, InputError
from metrograph.model import Deliverable, Status
from metrograph.rdfio.writers import union_graph

from .conftest import FIXTURES, M18, M21, MULTICYCLE, STORES

FICTIONAL = FIXTURES / "multicycle" / "metropolis-2021-2023"
SOURCE = "https://w3id.org/metrograph/id/example/source/fictional-review"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "plan"
    shutil.copytree(FICTIONAL, target)
    return target


def _edit(folder: Path, name: str, rows: list[list[str]] | None = None,
          append: list[str] | None = None) -> None:
    path = folder / name
    if rows is not None:
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    if append is not None:
        with path.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerow(append)


def _problems(folder: Path) -> list[str]:
    with pytest.raises(AuthoringError) as info:
        import_folder(folder)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("store", STORES)
def test_round_trip_of_the_2018_2020_plan(tmp_path: Path, store: str) -> None:
    kg = metrograph.load(store=store)
    union = union_graph(kg.store.dataset())
    original = plan_graph(union, URIRef(M18))
    assert len(original) > 700
    write_folder(export_plan(union, URIRef(M18)), tmp_path / "m18")
    again = import_folder(tmp_path / "m18")
    assert isomorphic(original, plan_graph(again, URIRef(M18)))
    # the organisations it names are shipped with metrograph: no row, no new fact
    assert not (tmp_path / "m18" / "organisations.csv").exists()
    assert isomorphic(original, again)
    rows = list(csv.DictReader((tmp_path / "m18" / "deliverables.csv").open(encoding="utf-8")))
    assert len(rows) == 65 and rows[0]["code"] == "L1M1D1"


def test_the_fictional_cycle_is_written_in_the_authoring_format() -> None:
    g = import_folder(FICTIONAL)
    assert (URIRef(M21), None, None) in g
    kg = metrograph.load(*MULTICYCLE)
    union = union_graph(kg.store.dataset())
    assert isomorphic(plan_graph(union, URIRef(M21)), plan_graph(g, URIRef(M21)))
    notes = " ".join(str(o) for o in g.objects(URIRef(M21), None))
    assert "FICTIONAL EXAMPLE DATA FOR TESTS" in notes


def test_template_is_documented_and_importable(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", str(tmp_path / "t")]) == 0
    names = {p.name for p in (tmp_path / "t").iterdir()}
    assert set(tables()) | {"README.txt", "csv-metadata.json"} == names
    readme = (tmp_path / "t" / "README.txt").read_text(encoding="utf-8")
    for table in tables().values():
        assert table.file in readme and table.description in readme
        assert all(c.description in readme for c in table.columns)
    g = import_folder(tmp_path / "t")
    assert {str(s).rsplit("/", 1)[-1] for s in g.subjects()} == {
        "my-organisation", "2024-2027", "L1", "L1M1", "L1M1D1"}
    assert main(["template", str(tmp_path / "t")]) == 2
    out = tmp_path / "t.ttl"
    assert main(["import", str(tmp_path / "t"), "-o", str(out)]) == 0
    assert out.exists()
    capsys.readouterr()


@pytest.mark.parametrize("file,edit,expected", [
    ("deliverables.csv", ["L1M9D1", "x", "", "", ""],
     "deliverables.csv, row 10, column code: L1M9D1 belongs to L1M9"),
    ("deliverables.csv", ["L1M1-D3", "x", "", "", ""],
     "deliverables.csv, row 10, column code: 'L1M1-D3' is not a code like L1M3D2"),
    ("deliverables.csv", ["L1M1D1", "x", "", "", ""],
     "deliverables.csv, row 10, column code: L1M1D1 appears twice (also deliverables.csv, row 2)"),
    ("deliverables.csv", ["L1M1D3", "", "", "", ""],
     "deliverables.csv, row 10, column label: the cell is empty: The source's own text"),
    ("deliverables.csv", ["L1M1D3", "x", "", "climate", ""],
     "deliverables.csv, row 10, column themes: 'climate' is not a theme (gender, youth)"),
    ("statuses.csv", ["L1M1D1", "finished", "2023-01-01", SOURCE],
     "statuses.csv, row 11, column status: 'finished' is not a status"),
    ("statuses.csv", ["L1M1D1", "done", "31/12/2023", SOURCE],
     "statuses.csv, row 11, column as_of: '31/12/2023' is not a date YYYY-MM-DD"),
    ("statuses.csv", ["L1M1D1", "done", "2023-12-31", SOURCE],
     "statuses.csv, row 11, column as_of: L1M1D1 already has a status on 2023-12-31 (row 3)"),
    ("statuses.csv", ["L1M1D1", "done", "2024-01-31", ""],
     "statuses.csv, row 11, column source: the cell is empty: Where the status comes from"),
    ("statuses.csv", ["L9M9D9", "done", "2024-01-31", SOURCE],
     "statuses.csv, row 11, column code: no guideline, measure or deliverable 'L9M9D9'"),
    ("sdg-links.csv", ["L1M1D2", "18", "proposed", "why", "", ""],
     "sdg-links.csv, row 4, column sdg: '18' is not an SDG goal"),
    ("sdg-links.csv", ["L1M1D2", "5.1", "proposed", "", "", ""],
     "sdg-links.csv, row 4, column justification: a proposed link needs"),
    ("sdg-links.csv", ["L1M1D2", "5.1", "maybe", "why", "", ""],
     "sdg-links.csv, row 4, column basis: 'maybe' is not stated or proposed"),
    ("links.csv", ["L1M1D2", "inherits", "2018-2020", "L1M1D1", ""],
     "links.csv, row 11, column relation: 'inherits' is not one of continues"),
])
def test_every_problem_names_file_row_and_column(tmp_path: Path, file: str, edit: list[str],
                                                  expected: str) -> None:
    folder = _copy(tmp_path)
    _edit(folder, file, append=edit)
    problems = _problems(folder)
    assert any(expected in p for p in problems), problems


def test_structural_problems(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "measures.csv").unlink()
    _edit(folder, "plan.csv", rows=[
        ["organisation", "cycle", "start_year", "end_year", "colour"],
        ["Metropolis!", "2021-2023", "21", "2023", "red"]])
    problems = _problems(folder)
    assert any(p.startswith("plan.csv, row 1, column colour: unknown column") for p in problems)
    assert any("plan.csv, row 2, column organisation: 'Metropolis!' is not an organisation id"
               in p for p in problems)
    folder = _copy(tmp_path / "b")
    (folder / "measures.csv").unlink()
    assert any(p == "measures.csv: the file is missing (see `metrograph template`)"
               for p in _problems(folder))
    folder = _copy(tmp_path / "c")
    (folder / "guidelines.csv").write_bytes("code,label\nL1,\xe9t\xe9\n".encode("latin-1"))
    assert any(p.startswith("guidelines.csv, row 2, column label: not UTF-8") for p in
               _problems(folder))
    with pytest.raises(InputError, match="not a folder"):
        import_folder(tmp_path / "nowhere")


def test_cli_import_reports_and_writes_nothing(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    out = tmp_path / "out.ttl"
    out.write_text("# previous output\n", encoding="utf-8")
    _edit(folder, "deliverables.csv", append=["L1M9D1", "x", "", "", ""])
    assert main(["import", str(folder), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "deliverables.csv, row 10, column code" in err and "nothing was written" in err
    assert out.read_text(encoding="utf-8") == "# previous output\n"


def test_cli_import_checks_links_to_earlier_cycles(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    out = tmp_path / "out.ttl"
    assert main(["import", str(folder), "-o", str(out)]) == 0
    out.unlink()
    # a continuation must point to an earlier cycle of the same organisation
    _edit(folder, "links.csv", append=["L1M2D2", "continues", "2022-2024", "L1M1D1",
                                       "example-network"])
    code = main(["import", str(folder), "--data",
                 str(FIXTURES / "multicycle" / "example-network-2022-2024.ttl"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "deliverables.csv, row" in err and "(L1M2D2)" in err and "Violation" in err
    assert not out.exists()


def test_status_history_over_time_in_a_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "statuses.ttl"
    src = "https://w3id.org/metrograph/id/metropolis/source/mid-term-review-2019"
    assert main(["status", "set", "L1M3D2", "in-progress", "--as-of", "2019-12-31",
                 "--source", src, "--file", str(target)]) == 0
    assert main(["status", "set", "L1M3D2", "V", "--as-of", "2020-12-31",
                 "--source", src, "--file", str(target)]) == 0
    before = target.read_bytes()
    assert main(["status", "set", "L1M3D2", "X", "--as-of", "2020-12-31",
                 "--source", src, "--file", str(target)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["status", "set", "L1M3D2", "done", "--as-of", "2021-02-30",
                 "--source", src, "--file", str(target)]) == 2
    assert main(["status", "set", "L1M3D2", "done", "--as-of", "2021-01-01",
                 "--source", "a mid-term review", "--file", str(target)]) == 2
    kg = metrograph.load(target)
    d = kg.get("L1M3D2")
    assert isinstance(d, Deliverable)
    assert [r.status for r in d.history] == [Status.IN_PROGRESS, Status.DONE]
    assert d.status is Status.DONE
    import datetime as dt

    assert d.status_on(dt.date(2019, 12, 31)) is Status.IN_PROGRESS
    in_2019 = {r["code"] for r in kg.query("status-on-date", date="2019-12-31",
                                            status="mgs:in-progress").rows}
    done_2020 = {r["code"] for r in kg.query("status-on-date", date="2020-12-31",
                                              status="mgs:done").rows}
    assert in_2019 & done_2020 == {"L1M3D2"}
    [c] = kg.reported_vs_recorded(date="2019-12-31")
    assert c.recorded[Status.IN_PROGRESS] == 1 and c.recorded[Status.DONE] == 0
    [c] = kg.reported_vs_recorded()
    assert c.recorded[Status.DONE] == 1 and c.difference(Status.DONE) == 48
    assert not kg.validate().has_violations
    capsys.readouterr()


def test_status_set_in_a_plan_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    assert main(["status", "set", "L1M2D2", "done", "--as-of", "2024-01-15", "--source", SOURCE,
                 "--plan", "2021-2023", "--data", str(folder), "--file", str(folder)]) == 0
    rows = list(csv.DictReader((folder / "statuses.csv").open(encoding="utf-8")))
    assert rows[-1] == {"code": "L1M2D2", "status": "done", "as_of": "2024-01-15",
                        "source": SOURCE}
    kg = metrograph.load(folder)
    d = kg.get("L1M2D2", plan="2021-2023")
    assert isinstance(d, Deliverable) and d.status is Status.DONE
    capsys.readouterr()


def test_cross_cycle_questions_from_python_cli_and_sparql(
        multi: metrograph.KnowledgeGraph, capsys: pytest.CaptureFixture[str]) -> None:
    # Python: per-cycle share done, carried-over work and its end-of-cycle status
    shares = {p.code: round(p.share(Status.DONE), 3) for p in multi.progress("plan")}
    assert shares == {"2018-2020": round(6 / 65, 3), "2021-2023": 0.375, "2022-2024": 0.5}
    later = multi.get("L1M1D1", plan=M21)
    assert isinstance(later, Deliverable) and later.status is Status.DONE
    themes = {(p.plan.rsplit("/", 1)[-1], p.code): p.share(Status.DONE)
              for p in multi.progress("theme")}
    assert themes[("2021-2023", "gender")] == pytest.approx(1 / 3)
    # CLI: the same files, as --data options
    data = [x for f in MULTICYCLE for x in ("--data", str(f))]
    assert main(["query", "dropped", *data, "--param", f"to={M21}", "--format", "csv"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 3 and {line.split(",")[3] for line in out[1:]} == {"L1M3D3", "L1M8"}
    assert main(["query", "carried-over", *data, "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"relation": {') == 7
    assert main(["query", "themes-over-cycles", *data, "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 6
