"""The installed package: data shipped inside it, version, lazy imports, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import metrograph
from metrograph.resources import data_files, ontology_files, query_files, shape_files

ROOT = Path(__file__).resolve().parents[1]


def _editable() -> bool:
    direct = distribution("metrograph").read_text("direct_url.json")
    return bool(direct and json.loads(direct).get("dir_info", {}).get("editable"))


def test_tests_use_the_installed_package() -> None:
    """CI installs the wheel: the tests then run against it, not against src/. A developer's
    editable install (pip install -e .) runs the source tree itself."""
    path = Path(metrograph.__file__).resolve()
    if _editable():
        assert path.is_relative_to(ROOT / "src"), path
    else:
        assert "site-packages" in path.parts or "dist-packages" in path.parts, path


def test_the_source_tree_runs_as_an_editable_install_would() -> None:
    """With src/ first on the path (as an editable install puts it), the RDF, shapes, queries
    and templates are read from the source tree's folders: every command works."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for args in (["info"], ["validate", "--quiet"], ["queries"],
                 ["query", "plans", "--format", "csv"], ["report"], ["--version"]):
        proc = subprocess.run([sys.executable, "-m", "metrograph", *args], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=180, check=False)
        assert proc.returncode == 0, (args, proc.stderr[-1500:])
        assert proc.stdout.strip(), args
    where = subprocess.run([sys.executable, "-c", "import metrograph; print(metrograph.__file__)"],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert Path(where.strip()).resolve().is_relative_to(ROOT / "src")


def test_the_wheel_ships_the_package_data(tmp_path: Path) -> None:
    """The wheel carries the RDF and query folders, the templates, message catalogues, the CSVW
    metadata and py.typed inside the package."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = tmp_path.glob("metrograph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("metrograph/py.typed", "metrograph/ontology/metrograph.ttl",
                   "metrograph/shapes/metrograph-shapes.ttl", "metrograph/queries/plans.rq",
                   "metrograph/data/metropolis/2018-2020/plan.ttl",
                   "metrograph/authoring/csv-metadata.json"):
        assert needed in names, needed
    assert any(n.startswith("metrograph/reports/templates/") for n in names)
    assert any(n.startswith("metrograph/reports/messages/") for n in names)
    assert not any(n.startswith("metrograph/testing/") and n.endswith(".ttl") for n in names)


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
