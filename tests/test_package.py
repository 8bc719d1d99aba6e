"""The installed package: data shipped inside it, version, lazy imports, no network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import metrograph
from metrograph.resources import data_files, ontology_files, query_files, shape_files


def test_tests_use_the_installed_package() -> None:
    path = Path(metrograph.__file__).resolve()
    assert "site-packages" in path.parts or "dist-packages" in path.parts, path


def test_version_comes_from_package_metadata() -> None:
    from importlib.metadata import version

    assert metrograph.__version__ == version("metrograph") != "0.0.0"


def test_package_ships_rdf_and_queries() -> None:
    names = {f.name for f in ontology_files()}
    assert {"metrograph.ttl", "status.ttl", "themes.ttl", "link-basis.ttl", "sdg.ttl"} <= names
    assert [f.name for f in shape_files()]
    assert {"plan.ttl", "plan-meta.ttl", "sdg-links.ttl", "organisations.ttl"} <= {
        f.name for f in data_files()}
    assert len(query_files()) >= 12


def test_import_is_lazy_and_offline() -> None:
    code = ("import sys, socket\n"
            "def no(*a, **k): raise RuntimeError('network at import')\n"
            "socket.socket.connect = no\n"
            "import metrograph\n"
            "heavy = [m for m in ('rdflib', 'pyshacl', 'owlrl') if m in sys.modules]\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_is_listed() -> None:
    for name in metrograph.__all__:
        assert getattr(metrograph, name) is not None
