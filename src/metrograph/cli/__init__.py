"""The ``metrograph`` command: argument parsing in :mod:`metrograph.cli.app` (number and path
types in :mod:`metrograph.cli.types`), the work in the library."""

from metrograph.cli.app import main

__all__ = ["main"]
