"""What the hardening tests tried, counted, for the summary at the end of the run."""

from __future__ import annotations

from collections import Counter

TALLY: Counter[str] = Counter()


def count(what: str, n: int = 1) -> None:
    """Add ``n`` to the tally of ``what`` (e.g. ``"injection attempts"``)."""
    TALLY[what] += n
