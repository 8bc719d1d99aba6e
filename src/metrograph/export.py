"""Serialising the graph deterministically, and writing files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from .errors import InputError
from .formats import format_for
from .namespaces import PREFIXES, bind_prefixes

__all__ = ["JSONLD_CONTEXT", "serialize", "union_graph", "write_atomic"]

#: The JSON-LD context metrograph publishes: its prefixes.
JSONLD_CONTEXT: dict[str, str] = dict(sorted(PREFIXES.items()))


def union_graph(dataset: Dataset) -> Graph:
    """The union of ``dataset``'s graphs as one graph (prefixes bound)."""
    return _union(dataset)


def _union(dataset: Dataset) -> Graph:
    g = bind_prefixes(Graph())
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def serialize(dataset: Dataset, fmt: str) -> str:
    """``dataset`` as ``ttl``, ``nt``, ``jsonld``, ``trig`` or ``nq``. Triple formats hold the
    union of the named graphs; TriG, N-Quads and JSON-LD keep them. Line-based output is sorted
    so that the same graph gives the same text."""
    f = format_for("x", fmt)
    if f.name == "ttl":
        return _union(dataset).serialize(format="longturtle")
    if f.name == "nt":
        lines = _union(dataset).serialize(format="nt").splitlines()
        return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())
    if f.name == "xml":
        return _union(dataset).serialize(format="pretty-xml")
    ds = Dataset()
    bind_prefixes(ds)
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if isinstance(g, URIRef):
            ds.graph(g).add((s, p, o))
    if f.name == "nq":
        lines = ds.serialize(format="nquads").splitlines()
        return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())
    if f.name == "trig":
        return ds.serialize(format="trig")
    if f.name == "jsonld":
        text = ds.serialize(format="json-ld", context=JSONLD_CONTEXT, sort_keys=True)
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    raise InputError(f"cannot export as {fmt!r}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place, so that a failed
    or interrupted run leaves any previous file intact."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError("the folder does not exist", source=str(path.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file private: give it the mode a plain open() would (or keep the
        # mode of the file it replaces)
        umask = os.umask(0)
        os.umask(umask)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
