"""Validation of a store directory, kept beside it: a generation once validated is never
validated again, and one reached by adding files is validated only where they can matter.

Committed generations never change (:mod:`metrograph.stores.directory`), so
:func:`validate_store` keeps the last report made with the shipped shapes in
``DIR/validation.json``, with the files, checksums and graphs it was made on, and, asked again:

- on the same generation: returns it (``how == "saved"``) if made by this metrograph's shapes
  (else, after an upgrade, validates again);
- on a later one that only added files, on a store large enough for it to pay, with a small
  addition: validates incrementally, the new files' graphs as the addition
  (:mod:`metrograph.validation.incremental`: the same results as a full run, tested);
- otherwise (a graph replaced, the bundled parts updated, no saved report, extra shapes, a
  small store, a large addition): validates fully.

Finding what an addition touches costs a few hundred queries whatever the store's size; a full
run grows with it. Measured (2 shared cores): on a 6k-triple store, 500 triples added: 3.5 s
incremental, 0.9 s full; 5.5k added: 26 s against 2.2 s; on a 1M-triple on-disk store, 1k
added: 24 s against 78 s. So a store of fewer than :data:`INCREMENTAL_MIN_TRIPLES` triples
(``METROGRAPH_INCREMENTAL_MIN_TRIPLES`` changes it; 0: always incremental where it applies), or
an addition of more than :data:`INCREMENTAL_MAX_SHARE` of the store, is validated fully.

A report made on the generation the knowledge graph was opened on, when a writer has committed
a newer one meanwhile, is returned but not saved (it would be taken for the newer one's). The
report is saved after each run (atomically; a reader that cannot write the directory still gets
its report). Extra shape files are never saved or reused.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import URIRef

from metrograph.errors import InputError
from metrograph.progress import SILENT, Reporter

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph
    from metrograph.stores.directory import Manifest
    from metrograph.validation.report import ValidationReport

__all__ = ["INCREMENTAL_MAX_SHARE", "INCREMENTAL_MIN_TRIPLES", "SAVED", "validate_store"]

#: the saved report of a store directory, beside its manifest
SAVED = "validation.json"
#: stores smaller than this are validated fully after an add (see the module's documentation)
INCREMENTAL_MIN_TRIPLES = 500_000
#: additions larger than this share of the store are validated fully
INCREMENTAL_MAX_SHARE = 0.02


def _incremental_pays(manifest: Manifest, new: Sequence[str]) -> bool:
    import os

    try:
        floor = int(os.environ.get("METROGRAPH_INCREMENTAL_MIN_TRIPLES",
                                   INCREMENTAL_MIN_TRIPLES))
    except ValueError:
        floor = INCREMENTAL_MIN_TRIPLES
    added = sum(e.triples for e in manifest.entries if e.graph in set(new))
    return (manifest.triples >= floor and added <= INCREMENTAL_MAX_SHARE * manifest.triples) \
        or floor == 0


def _basis(manifest: Manifest) -> list[list[str]]:
    """What a report is made on: each file's checksum and graph, in the manifest's order."""
    return [[e.sha256, e.graph] for e in manifest.entries]


def _read_basis(path: Path) -> tuple[str, list[list[str]]] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        basis = doc["basis"]
        return str(basis["generation"]), [[str(a), str(b)] for a, b in basis["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(report: ValidationReport, path: Path, manifest: Manifest) -> None:
    """The report, with its basis, written atomically; silently not where the directory cannot
    be written (a reader's report is still correct, it is just not kept)."""
    from metrograph.rdfio.writers import write_atomic
    from metrograph.validation.report import save_report

    scratch = path.with_name(f".{path.name}.unsaved")
    try:
        save_report(report, scratch)
        doc = json.loads(scratch.read_text(encoding="utf-8"))
        doc["basis"] = {"generation": manifest.generation, "files": _basis(manifest)}
        write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=0).encode("utf-8"))
    except (InputError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):  # a read-only directory: nothing was written
            scratch.unlink(missing_ok=True)


def validate_store(kg: KnowledgeGraph, directory: str | Path,
                   shapes: Sequence[str | Path] = (), *,
                   progress: Reporter = SILENT) -> tuple[ValidationReport, str]:
    """Validate ``kg``, opened from the store directory ``directory``, reusing the report saved
    there; return the report and how it was made: ``"saved"``, ``"incremental"`` or
    ``"full"``. With extra ``shapes``, a full run that is not saved."""
    from metrograph.stores.directory import StoreDirectory
    from metrograph.validation.compiler import compiled_shapes
    from metrograph.validation.report import load_report

    if shapes:
        return kg.validate(shapes=shapes, progress=progress), "full"
    store_dir = StoreDirectory(directory)
    manifest = store_dir.manifest()
    path = store_dir.path / SAVED
    opened = getattr(kg.store, "path", None)
    if opened is None or Path(opened).name != manifest.generation:
        # a writer committed a newer generation since kg was opened (or kg is not this
        # directory's store): validate what kg holds, keep nothing
        return kg.validate(progress=progress), "full"
    saved = _read_basis(path)
    if saved is not None:
        generation, files = saved
        now = _basis(manifest)
        try:
            previous = load_report(path)
        except InputError:
            previous = None
        if previous is not None and previous.shapes_digest != compiled_shapes().digest:
            previous = None  # made by other shapes (another metrograph): validate again
        if previous is not None and generation == manifest.generation and files == now:
            return previous, "saved"
        held = {(sha, graph) for sha, graph in files}
        current = {(sha, graph) for sha, graph in now}
        old_graphs = {graph for _sha, graph in files}
        new = [graph for sha, graph in now if (sha, graph) not in held]
        if previous is not None and held <= current and not old_graphs & set(new) \
                and _incremental_pays(manifest, new):
            report = kg.validate(since=previous, added=[URIRef(g) for g in dict.fromkeys(new)],
                                 progress=progress)
            _save(report, path, manifest)
            return report, "incremental"
    report = kg.validate(progress=progress)
    _save(report, path, manifest)
    return report, "full"
