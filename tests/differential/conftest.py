"""Prints the differential tables at the end of a run that computed them."""

from __future__ import annotations

import pytest

from .matrix import TABLES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, table in TABLES:
        terminalreporter.section(title)
        for line in table.splitlines():
            terminalreporter.write_line(line)
