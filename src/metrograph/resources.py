"""The packaged RDF and query files, read with :mod:`importlib.resources` (no network).

A wheel carries ``ontology/``, ``shapes/``, ``data/`` and ``queries/`` inside the package. An
editable install (``pip install -e .``) does not copy them: the package then reads the folders
of the source tree it was installed from (``src/metrograph/../../ontology``...), so one copy of
each file exists."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["bundled_parts", "data_files", "ontology_files", "package_dir", "query_files",
           "shape_files"]


_FOLDERS = ("ontology", "shapes", "data", "queries", "templates")


def package_dir(name: str) -> Traversable:
    """The packaged folder ``name`` (``ontology``, ``shapes``, ``data`` or ``queries``): inside
    the installed package, or in the source tree for an editable install."""
    packaged = files("metrograph").joinpath(name)
    if packaged.is_dir() or name not in _FOLDERS:
        return packaged
    source_tree = Path(__file__).resolve().parents[2] / name
    if source_tree.is_dir() and (source_tree.parent / "pyproject.toml").is_file():
        return source_tree
    return packaged


def _walk_named(folder: Traversable, suffix: str, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _walk_named(entry, suffix, f"{prefix}/{entry.name}")
        elif entry.name.endswith(suffix):
            yield f"{prefix}/{entry.name}", entry


def _files(folder: str, suffix: str = ".ttl") -> list[Traversable]:
    return [entry for _name, entry in _walk_named(package_dir(folder), suffix, folder)]


def bundled_parts() -> list[tuple[str, Traversable]]:
    """The bundled knowledge graph file by file, each with its path inside the package
    (``ontology/metrograph.ttl``, ``data/metropolis/2018-2020/plan.ttl``...)."""
    return [item for folder in ("ontology", "data")
            for item in _walk_named(package_dir(folder), ".ttl", folder)]


def ontology_files() -> list[Traversable]:
    """The ontology and its SKOS schemes (status, themes, link basis, SDG goals and targets)."""
    return _files("ontology")


def shape_files() -> list[Traversable]:
    """The SHACL shapes."""
    return _files("shapes")


def data_files() -> list[Traversable]:
    """The bundled data: organisations and every plan under ``data/``."""
    return _files("data")


def query_files() -> list[Traversable]:
    """The ``.rq`` files of the query library."""
    return _files("queries", ".rq")
