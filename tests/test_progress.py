"""Progress display (metrograph.progress, drawn by rich): real progress on a terminal, nothing
off a terminal or with --quiet. The command runs for real under a pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

import metrograph
from metrograph.progress import SILENT, Progress
from metrograph.testing.synthetic import write


def _run_in_pty(*args: str, timeout: float = 120) -> tuple[int, str]:
    """Run ``python -m metrograph ARGS`` with stdout and stderr on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "metrograph", *args], stdin=subprocess.DEVNULL,
                            stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process has ended
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
        raise AssertionError("metrograph did not finish under the pseudo-terminal")
    os.close(controller)
    return proc.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal() -> None:
    code, screen = _run_in_pty("validate")
    assert code == 0, screen
    assert "loading" in screen and "validating" in screen
    assert "validating: done" in screen
    assert "\x1b[" in screen  # drawn, redrawn in place


def test_progress_is_silent_with_quiet_on_a_terminal() -> None:
    code, screen = _run_in_pty("validate", "--quiet")
    assert code == 0, screen
    assert "loading" not in screen and "validating" not in screen
    assert "conforms" in screen.lower() or "violation" in screen.lower()


def test_progress_is_silent_off_a_terminal() -> None:
    proc = subprocess.run([sys.executable, "-m", "metrograph", "validate"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_bytes_read_through_its_reader() -> None:
    stream = _Tty()
    with Progress("loading", total=10_000, unit="bytes", stream=stream) as progress:
        reader = progress.reader(io.BytesIO(b"x" * 10_000))
        while reader.read(1000):
            pass
        task = progress._bar.tasks[0]  # the rich task behind the line
        assert task.completed == 10_000 and task.total == 10_000
    assert "loading: done" in stream.getvalue()


def test_silent_reporter_and_disabled_progress_do_nothing() -> None:
    SILENT.step("x", 3, "files")
    SILENT.advance(3)
    stream = io.StringIO()  # not a terminal
    with Progress("loading", total=3, stream=stream) as progress:
        progress.advance(3, detail="a.ttl")
        assert progress.reader(io.BytesIO(b"abc")).read() == b"abc"
    assert stream.getvalue() == ""


class _Recorder:
    """A Reporter that keeps what it was told."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float | None, str]] = []
        self.done: dict[str, float] = {}

    def step(self, label: str, total: float | None = None, unit: str = "") -> None:
        self.steps.append((label, total, unit))
        self.done[label] = 0

    def advance(self, n: float = 1, detail: str | None = None) -> None:
        self.done[self.steps[-1][0]] += n

    def reader(self, raw: IO[bytes]) -> IO[bytes]:
        return Progress.reader(self, raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_loading_and_validating_report_real_progress(store: str, tmp_path: Path) -> None:
    data = tmp_path / "net.nt"
    write(data, 3000, seed=3)
    recorder = _Recorder()
    kg = metrograph.load(data, store=store, progress=recorder)
    assert recorder.steps[0] == ("loading", data.stat().st_size, "bytes")
    assert recorder.done["loading"] == data.stat().st_size  # every byte parsed, counted once
    if store == "memory":  # validation's progress is the same code on every store; rdflib's
        return             # SPARQL engine needs minutes for this network
    kg.validate(progress=recorder)
    label, total, unit = recorder.steps[-1]
    assert (label, unit) == ("validating", "constraints") and total and total > 10
    assert recorder.done["validating"] == total


def test_a_large_load_shows_bytes_and_constraints_on_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "net.nt"
    write(data, 5000, seed=5)
    code, screen = _run_in_pty("validate", "--data", str(data))
    assert code in (0, 1), screen
    assert "kB" in screen or "MB" in screen  # bytes parsed of the file's size
    assert "constraints" in screen  # constraints validated of N
