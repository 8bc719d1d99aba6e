"""Shared fixtures. Tests run against the INSTALLED metrograph package, never ``src/``."""

from __future__ import annotations

from pathlib import Path

import pytest

import metrograph
from metrograph.graph import KnowledgeGraph

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
#: the fictional multi-cycle fixture: Turtle files and one plan folder in the authoring format
MULTICYCLE = sorted([*(FIXTURES / "multicycle").glob("*.ttl"),
                     FIXTURES / "multicycle" / "metropolis-2021-2023"])
SEED_NAME = "000_483cd9003a4b42df.txt"

M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"
M21 = "https://w3id.org/metrograph/id/metropolis/plan/2021-2023"
EX22 = "https://w3id.org/metrograph/id/example-network/plan/2022-2024"


def seed_path() -> Path | None:
    """The OCR'd source report, from ``shared/seeds`` beside the checkout (absent elsewhere)."""
    for parent in HERE.resolve().parents:
        candidate = parent / "shared" / "seeds" / SEED_NAME
        if candidate.exists():
            return candidate
    return None


STORES = ["memory", "oxigraph"]


@pytest.fixture(scope="session", params=STORES)
def kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    """The bundled knowledge graph (ontology, schemes, the 2018-2020 plan), in each store.
    Do not modify."""
    return metrograph.load(store=request.param)


@pytest.fixture(scope="session", params=STORES)
def multi(request: pytest.FixtureRequest) -> KnowledgeGraph:
    """The bundled graph plus the fictional multi-cycle fixture, in each store. Do not modify."""
    return metrograph.load(*MULTICYCLE, store=request.param)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the hardening tests tried (each kind of attempt, counted)."""
    from .tally import TALLY

    if not TALLY:
        return
    terminalreporter.section("what the hardening tests tried")
    for what, n in sorted(TALLY.items()):
        terminalreporter.write_line(f"{n:>7}  {what}")
    terminalreporter.write_line("none crashed, hung, wrote a partial file or changed a query's "
                                "meaning (each would have failed its test)")
