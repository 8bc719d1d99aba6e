"""Every option the command accepts does something, and says truthfully what it takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrograph.cli import main
from metrograph.cli.app import build_parser


def _subparsers() -> dict[str, object]:
    parser = build_parser()
    [action] = [a for a in parser._actions if a.dest == "command"]
    return dict(action.choices)  # type: ignore[arg-type]


def test_every_output_option_names_what_it_writes() -> None:
    expected = {"info": "FILE", "validate": "FILE", "query": "FILE", "export": "FILE|DIR",
                "publish": "DIR", "import": "FILE", "report": "FILE|DIR"}
    seen = {}
    for name, sub in _subparsers().items():
        for action in sub._actions:  # type: ignore[attr-defined]
            if "-o" in action.option_strings:
                seen[name] = action.metavar
    assert seen == expected


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from metrograph import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"metrograph {__version__}"


def test_info_writes_to_output_and_speaks_json(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "info.json"
    assert main(["info", "--format", "json", "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    info = json.loads(out.read_text(encoding="utf-8"))
    assert info["counts"]["deliverables"] == 65
    [plan] = info["plans"]
    assert (plan["cycle"], plan["guidelines"], plan["measures"]) == ("2018-2020", 3, 27)
    assert main(["info", "-o", str(tmp_path / "info.txt"), "--quiet"]) == 0
    assert "plan 2018-2020" in (tmp_path / "info.txt").read_text(encoding="utf-8")


def test_queries_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queries", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    by_name = {q["name"]: q for q in listing}
    assert "plans" in by_name and by_name["plans"]["question"]
    assert {"name", "type", "required", "description"} <= set(
        by_name["sdg-contributions"]["parameters"][0])


def test_commands_without_output_refuse_it(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["queries", "-o", "x"], ["push", "-o", "x"], ["template", "d", "-o", "x"]):
        assert main(args) == 2, args
    capsys.readouterr()
