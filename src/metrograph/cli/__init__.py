"""The ``metrograph`` command: argument parsing in :mod:`metrograph.cli.app`, the work in the
library."""

from metrograph.cli.app import main

__all__ = ["main"]
