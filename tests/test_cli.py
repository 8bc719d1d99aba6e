"""The ``metrograph`` command: every subcommand, its output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metrograph.cli import main

M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert "deliverables  65" in out and "measures      27" in out
    assert "plan 2018-2020" in out


def test_validate_bundled_conforms_with_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert out.strip().endswith("no violations: 0 violation(s), 65 warning(s), 0 info(s)")
    code, out, _ = run(capsys, "validate", "--format", "json")
    doc = json.loads(out)
    assert doc["conforms"] is False and doc["hasViolations"] is False  # SHACL: warnings
    assert len(doc["results"]) == 65
    assert {r["resultSeverity"] for r in doc["results"]} == {"Warning"}


def test_validate_bad_file_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix mg: <https://w3id.org/metrograph/ontology#> .\n"
        "<https://w3id.org/metrograph/id/x/plan/2020-2022/L1> a mg:Guideline .\n",
        encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1
    assert "Violation" in out and "https://w3id.org/metrograph/id/x/plan/2020-2022/L1" in out


def test_input_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(broken))
    assert code == 2 and str(broken) in err
    code, _, err = run(capsys, "query", "no-such-query")
    assert code == 2 and "no query named" in err
    code, _, err = run(capsys, "query", "plans", "--param", "nonsense")
    assert code == 2 and "NAME=VALUE" in err
    assert main(["frobnicate"]) == 2


def test_query_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "progress-by-guideline", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "plan,guideline,code,label,total,done,inProgress,notElaborated,notRecorded"
    assert len(lines) == 4 and lines[1].endswith(",17,0,0,0,17")
    code, out, _ = run(capsys, "query", "deliverables-without-status", "--param",
                       f"plan={M18}", "--format", "json")
    assert len(json.loads(out)["results"]["bindings"]) == 65
    code, out, _ = run(capsys, "query", "sdg-contributions", "--param", "sdg=sdg:5")
    assert code == 0 and "(4 rows)" in out
    code, out, _ = run(capsys, "query", "plans", "--format", "tsv")
    assert out.startswith("?plan\t?cycle")


def test_query_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rq = tmp_path / "mine.rq"
    rq.write_text(
        "# Question: Which deliverable has a code?\n"
        "# Parameters:\n#   code (string, required): the code\n# Row: one deliverable\n"
        "SELECT ?d WHERE { ?d <http://www.w3.org/2004/02/skos/core#notation> ?code }\n",
        encoding="utf-8")
    code, out, _ = run(capsys, "query", "--file", str(rq), "--param", "code=L2M3D1",
                       "--format", "csv")
    assert code == 0 and out.strip().splitlines()[1] == f"{M18}/L2M3D1"


def test_queries_lists_every_query(capsys: pytest.CaptureFixture[str]) -> None:
    from metrograph.sparql.library import catalogue

    code, out, _ = run(capsys, "queries")
    assert code == 0
    for name, q in catalogue().items():
        assert name in out and q.question in out


def test_export_to_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "kg.nt"
    code, _, _ = run(capsys, "export", "--format", "nt", "-o", str(target))
    assert code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) > 2800


def test_report_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    code, _, _ = run(capsys, "report", "-o", str(target))
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Mise en place du Plan d'action 2018-2020")
    assert "| Total | 65 | 65 | |" in text
    assert "| V Réalisé / Done | 49 | 0 | 49 |" in text
    assert "| O En cours / In progress | 10 | 0 | 10 |" in text
    assert "| X Non élaboré / Not elaborated | 6 | 0 | 6 |" in text
    assert "not yet recorded" in text and "Écart" not in text and "difference" not in text
    assert text.count("## LIGNE DIRECTRICE") == 3
    assert text.count("\n### L") == 27
    assert text.count("| – | L") == 65  # every deliverable marked "not recorded"
    assert "| – | L3M6D4 | Manuel de procédure administrative clair et efficace" in text


def test_installed_entry_point() -> None:
    exe = Path(sys.executable).parent / "metrograph"
    assert exe.exists(), "the metrograph command is installed beside the interpreter"
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("info", "validate", "query", "queries", "export", "report"):
        assert command in out
