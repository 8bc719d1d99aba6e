"""The packaged RDF and query files, read with :mod:`importlib.resources` (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["data_files", "ontology_files", "package_dir", "query_files", "shape_files"]


def package_dir(name: str) -> Traversable:
    """The packaged folder ``name`` (``ontology``, ``shapes``, ``data`` or ``queries``)."""
    return files("metrograph").joinpath(name)


def _walk(folder: Traversable, suffix: str) -> Iterator[Traversable]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _walk(entry, suffix)
        elif entry.name.endswith(suffix):
            yield entry


def ontology_files() -> list[Traversable]:
    """The ontology and its SKOS schemes (status, themes, link basis, SDG goals and targets)."""
    return list(_walk(package_dir("ontology"), ".ttl"))


def shape_files() -> list[Traversable]:
    """The SHACL shapes."""
    return list(_walk(package_dir("shapes"), ".ttl"))


def data_files() -> list[Traversable]:
    """The bundled data: organisations and every plan under ``data/``."""
    return list(_walk(package_dir("data"), ".ttl"))


def query_files() -> list[Traversable]:
    """The ``.rq`` files of the query library."""
    return list(_walk(package_dir("queries"), ".rq"))
