"""The ``metrograph`` command: argument parsing in :mod:`metrograph.cli.app` (number and path
types in :mod:`metrograph.cli.types`), the work in the library."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code (see :func:`metrograph.cli.app.main`)."""
    from metrograph.cli.app import main as run

    return run(argv)
