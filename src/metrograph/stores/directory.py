"""A store directory: the knowledge graph kept on disk in an Oxigraph store, loaded once, opened
in milliseconds by every command after.

Layout::

    DIR/manifest.json      what the store holds: the current generation, every file added
                           (SHA-256, size, graph, triples added, when), the bundled parts, the
                           metrograph version; replaced atomically, its rename is the commit
    DIR/gen-000007/        one Oxigraph (RocksDB) store: the generation the manifest names
    DIR/gen-000007.lock    readers of that generation hold a shared flock on it
    DIR/write.lock         a writer holds an exclusive flock on it: adds run one at a time
                           (it holds the writer's process id, told to an add that waits)
    DIR/.metrograph-copy-* a process's writable checkpoint of a generation (reasoning), locked
                           by its process; removed when it goes, or after a crash by the next
                           opening or add

Why generations: pyoxigraph's ``Store.read_only`` is "undefined behaviour" while another
process writes the same store, and RocksDB allows one read-write opening at a time, so a
committed generation is never written again. A writer checkpoints the current generation into
a new one (``Store.backup``: hard links, milliseconds at any size), bulk-loads into it (not
transactional, much faster; a failed generation is thrown away), flushes and closes it, then
writes the new manifest (temporary file, fsync, rename, fsync of the folder): killed before the
rename, the previous generation is still current. Readers hold a shared lock on their
generation's lock file; a writer removes an old generation only when it can lock it
exclusively without waiting.

A file whose SHA-256 and target graph are in the manifest already is skipped without taking
the write lock. A file added under a graph name the store holds with other content replaces
that graph; a file whose triples were kept only in that graph (each triple is held once, in the
graph that brought it first: the manifest counts them as ``shared``) is then loaded again from
where it was added, or the replacement is refused.

Measured (pyoxigraph 0.5.13, 2 shared cores, 1M-triple N-Triples): ``Store.load`` into an
on-disk store 44 s, ``bulk_load`` 14-26 s; the SPARQL scan for blank nodes 18 s, skipped when
the file's bytes show none; ``len`` walks every quad on disk (0.35 s per million), so the size
is tracked, not counted again. Compaction (``Store.optimize``): the bulk loader's RocksDB files
overlap, and every index seek reads each of them; compacted, the 10M-triple network answered
``plans`` in 20 s instead of 166 s (compacting took 25 s). So an add compacts only when the
triples loaded or cleared since the last compaction (``uncompacted``) reach :data:`COMPACT_AT`
of the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdflib import URIRef

from metrograph.errors import InputError, StoreError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.folders import fsync_dir
from metrograph.stores.oxigraph import OxigraphStore, sweep_copies

__all__ = ["ENV_VAR", "AddOutcome", "Entry", "Manifest", "StoreDirectory"]

_LOG = logging.getLogger(__name__)

#: the environment variable that names a store directory for the command line
ENV_VAR = "METROGRAPH_STORE_DIR"
MANIFEST = "manifest.json"
WRITE_LOCK = "write.lock"
FORMAT = "metrograph-store"
FORMAT_VERSION = 1
_GENERATION = re.compile(r"gen-(\d{6,})")
#: what a killed writer or reader may leave: a manifest not yet renamed, a checkpoint copy
_LEFTOVER = re.compile(r"\.manifest-[^/]*\.tmp|\.metrograph-copy-[^/]*")
_OPEN_ATTEMPTS = 200
#: an add compacts the new generation (``Store.optimize``) once the triples loaded or cleared
#: since the last compaction reach this share of the store's triples (see the module docstring)
COMPACT_AT = 0.05


@dataclass(frozen=True)
class Entry:
    """One file (or plan folder, or bundled part) the store holds."""

    source: str  #: its absolute path, or ``metrograph:ontology/...`` for a bundled part
    kind: str  #: ``file``, ``folder`` or ``bundled``
    sha256: str  #: of the file's bytes (a folder: of its CSV files' names and bytes)
    size: int  #: bytes
    graph: str  #: the named graph it went into
    triples: int  #: distinct triples it added (0: everything was held already)
    added: str  #: when, ISO 8601 UTC
    #: its triples another graph held already (kept there once, not in this file's graph):
    #: when that other graph is replaced, this file is loaded again so that none is lost
    shared: int = 0


@dataclass(frozen=True)
class Manifest:
    """What a store directory holds (``manifest.json``)."""

    generation: str
    triples: int
    entries: tuple[Entry, ...]
    bundled_data: bool
    metrograph: str
    created: str
    updated: str
    #: triples loaded or cleared since the store was last compacted (see :data:`COMPACT_AT`)
    uncompacted: int = 0

    def holds(self, sha256: str, graph: str) -> Entry | None:
        """The entry with this content in this graph, if any."""
        return next((e for e in self.entries if e.sha256 == sha256 and e.graph == graph), None)

    def graphs(self) -> list[str]:
        """The graphs the entries went into, in order of first appearance."""
        return list(dict.fromkeys(e.graph for e in self.entries))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "metrograph": self.metrograph, "created": self.created,
                "updated": self.updated, "generation": self.generation,
                "triples": self.triples, "uncompacted": self.uncompacted,
                "bundled_data": self.bundled_data, "files": [asdict(e) for e in self.entries]}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Manifest:
        """Read a manifest; :class:`StoreError` naming ``where`` when it is not one."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreError(f"{where}: not a metrograph store manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise StoreError(f"{where}: store format version {data.get('format_version')!r}; "
                             f"this metrograph reads version {FORMAT_VERSION}")
        try:
            files = _typed(data, "files", list)
            entries = tuple(Entry(**{k: _typed(e, k, _FIELD_TYPES[k], f"files[{i}].")
                                     for k in Entry.__dataclass_fields__
                                     if k != "shared" or k in e})  # older: no shared
                            for i, e in enumerate(files))
            generation = _typed(data, "generation", str)
            if not _GENERATION.fullmatch(generation):
                raise ValueError(f"bad generation {generation!r}")
            return cls(generation=generation, triples=_typed(data, "triples", int),
                       entries=entries, bundled_data=_typed(data, "bundled_data", bool),
                       metrograph=_typed(data, "metrograph", str),
                       created=_typed(data, "created", str),
                       updated=_typed(data, "updated", str),
                       # a store written before compaction was tracked: compact at next add
                       uncompacted=_typed(data, "uncompacted" if "uncompacted" in data
                                          else "triples", int))
        except ValueError as exc:
            raise StoreError(f"{where}: damaged manifest ({exc})") from None


#: the JSON type of each field of a manifest's file entry
_FIELD_TYPES: dict[str, type] = {"source": str, "kind": str, "sha256": str, "size": int,
                                 "graph": str, "triples": int, "added": str, "shared": int}


def _typed(data: Any, key: str, kind: type, where: str = "") -> Any:
    """``data[key]``, checked to be of JSON type ``kind`` (a count: a whole number, not
    negative); :class:`ValueError` naming ``where + key`` otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{where.rstrip('.')} is not an object")
    if key not in data:
        raise ValueError(f"{where}{key} is missing")
    value = data[key]
    count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not (count if kind is int else isinstance(value, kind)):
        wanted = {int: "a count", str: "a string", bool: "true or false", list: "a list"}
        raise ValueError(f"{where}{key} is {json.dumps(value)[:40]}, not {wanted[kind]}")
    return value


@dataclass
class AddOutcome:
    """What :meth:`StoreDirectory.add` did."""

    added: list[Entry] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  #: sources already held, skipped
    replaced: list[str] = field(default_factory=list)  #: graphs whose content was replaced
    created: bool = False  #: the directory was made by this add
    generation: str = ""  #: the current generation afterwards
    triples: int = 0  #: distinct triples in the store afterwards
    #: files added before from the same path with other content: graphs being named by
    #: content, their earlier triples stay (a graph name given with --graph-name replaces)
    earlier_versions: list[str] = field(default_factory=list)
    #: sources given again in this add (the same content for the same graph as an earlier
    #: one, through a link or a copy): (this one, the earlier one), added once
    repeated: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when a new generation was committed."""
        return bool(self.added or self.created)


@dataclass(frozen=True)
class _Source:
    path: Path
    shown: str
    kind: str
    sha256: str
    size: int
    graph: URIRef
    blank_marks: str = "_["  #: see :func:`_sha256_file`
    #: the file's (or folder's files') stat before it was hashed: compared after the load, so
    #: that a file changed meanwhile is never recorded with a checksum of other bytes
    stamp: tuple[object, ...] = ()


def _stamp(path: Path) -> tuple[object, ...]:
    """What changes when a file (or a file of a folder) is written: inode, size, times."""
    def one(p: Path) -> tuple[object, ...]:
        st = p.stat()
        return (p.name, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    try:
        if path.is_dir():
            return tuple(one(c) for c in sorted(path.iterdir()) if c.is_file())
        return one(path)
    except OSError:
        return ("unreadable",)


def _same_file(path: Path, fd: int) -> bool:
    """Whether ``fd`` is the file at ``path`` still (not removed, nor replaced)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sha256_file(path: Path, progress: Reporter = SILENT) -> tuple[str, int, str]:
    """The SHA-256 and size of a regular file, read in chunks (never whole), and which of the
    characters that start a blank node it holds: ``_`` for ``_:`` (the only way N-Triples
    writes one), ``[`` for ``[`` or ``(`` (Turtle's other ways)."""
    from metrograph.rdfio.inputs import check_input_path

    check_input_path(path)
    digest = hashlib.sha256()
    size = 0
    labelled = bracketed = False
    tail = b""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                # one-byte searches first (memchr): b"_:" in a 1.8 GB file costs 3.5 s more
                labelled = labelled or (tail == b"_" and chunk[:1] == b":") or (
                    b"_" in chunk and b"_:" in chunk)
                bracketed = bracketed or b"[" in chunk or b"(" in chunk
                tail = chunk[-1:]
                progress.advance(len(chunk))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    return digest.hexdigest(), size, ("_" if labelled else "") + ("[" if bracketed else "")


def _bytes(source: str | Path) -> int:
    """A file's size (a folder counts 0: its checksum is not reported byte by byte)."""
    try:
        return os.stat(source).st_size if not Path(source).is_dir() else 0
    except OSError:
        return 0


def _describe(path: str | Path, graph_name: str | None, progress: Reporter = SILENT) -> _Source:
    """Hash a file or plan folder and tell the graph it goes into."""
    from metrograph.graph import folder_bytes, user_graph
    from metrograph.rdfio.inputs import check_input_path

    p = check_input_path(path, folder=None)
    stamp = _stamp(p)
    if p.is_dir():
        content = folder_bytes(p)
        sha = hashlib.sha256(content).hexdigest()
        return _Source(p, str(path), "folder", sha, len(content),
                       user_graph(graph_name, digest=sha), stamp=stamp)
    progress.advance(0, detail=p.name)
    sha, size, marks = _sha256_file(p, progress)
    if size == 0:
        raise InputError("the file is empty", source=str(path))
    return _Source(p, str(path), "file", sha, size, user_graph(graph_name, digest=sha), marks,
                   stamp)


def _bundled(bundled_data: bool) -> list[tuple[str, Any, str, URIRef]]:
    """The bundled parts a store holds: (name, resource, sha256, graph)."""
    from metrograph.graph import GRAPH_BASE
    from metrograph.resources import bundled_parts

    out = []
    for name, part in bundled_parts():
        if not bundled_data and name.startswith("data/") and name.count("/") > 1:
            continue
        sha = hashlib.sha256(part.read_bytes()).hexdigest()
        out.append((name, part, sha, URIRef(GRAPH_BASE + name.removesuffix(".ttl"))))
    return out


def _bundled_bytes(name: str) -> bytes:
    """The bytes of the bundled part ``name`` (``ontology/metrograph.ttl``...)."""
    from metrograph.resources import bundled_parts

    return next(part.read_bytes() for n, part in bundled_parts() if n == name)


class StoreDirectory:
    """A store directory (see the module's documentation): open it read-only, add files."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"StoreDirectory({str(self.path)!r})"

    # ------------------------------------------------------------------ reading

    def exists(self) -> bool:
        """True when the directory holds a manifest (it is a store)."""
        return (self.path / MANIFEST).is_file()

    def manifest(self) -> Manifest:
        """The committed manifest; :class:`StoreError` when the directory is not a store."""
        where = str(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"{where}: not a folder (a store directory is a folder made by "
                             f"`metrograph add --store-dir DIR FILE...`)")
        if not self.path.is_dir():
            raise StoreError(f"{where}: no such store directory (create it with "
                             f"`metrograph add --store-dir {where} FILE...`)")
        try:
            text = (self.path / MANIFEST).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{where}: not a metrograph store (no {MANIFEST}; create one with "
                             f"`metrograph add --store-dir DIR FILE...`)") from None
        except OSError as exc:
            raise StoreError(f"{where}/{MANIFEST}: cannot read: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"{where}/{MANIFEST}: damaged manifest (not JSON: {exc})") from None
        return Manifest.from_json(data, f"{where}/{MANIFEST}")

    def open(self) -> OxigraphStore:
        """The current generation, opened read-only, with a shared lock on it held for as
        long as the returned store lives (a writer then leaves that generation in place)."""
        why = (f"the store directory {self.path} is opened read-only: add files with "
               f"`metrograph add --store-dir {self.path}` (metrograph.load(..., store_dir=...))")
        missing = None
        for _ in range(_OPEN_ATTEMPTS):
            manifest = self.manifest()
            lock_path = self.path / f"{manifest.generation}.lock"
            try:
                fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if missing == manifest.generation:  # twice, the manifest unchanged
                    raise StoreError(f"{lock_path}: missing: the store directory is damaged "
                                     "(its current generation has no lock file)") from None
                missing = manifest.generation
                continue  # a writer removed that generation after we read the manifest
            try:  # until the store holds it, any failure (Ctrl-C too) closes fd: no lock leaks
                fcntl.flock(fd, fcntl.LOCK_SH)
                if not _same_file(lock_path, fd):  # removed while we waited: read it again
                    os.close(fd)
                    continue
                store = OxigraphStore.open_read_only(self.path / manifest.generation, why)
                weakref.finalize(store, os.close, fd)  # the lock lives as long as the store
            except OSError as exc:
                os.close(fd)
                raise StoreError(f"{self.path}/{manifest.generation}: damaged store "
                                 f"({' '.join(str(exc).split())})") from None
            except BaseException:
                os.close(fd)
                raise
            sweep_copies(self.path)
            return store
        raise StoreError(f"{self.path}: the current generation kept changing while it was "
                         "being opened; try again")

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Hold the write lock (adds run one at a time). A first add that fails removes the
        directory it made, but only its lock file and the folder once empty: an add waiting
        for that lock finds its file gone and takes a new one (:meth:`_lock`)."""
        fd, created = self._lock()
        try:
            yield
        except BaseException:
            if created and not self.exists():
                with contextlib.suppress(OSError):
                    (self.path / WRITE_LOCK).unlink()  # while locked: waiters see it gone
                    self.path.rmdir()  # only if empty: another add may be creating it
            raise
        finally:
            os.close(fd)

    def _lock(self) -> tuple[int, bool]:
        """An exclusive flock on ``write.lock`` (the directory made if missing) and whether
        this add made the directory. The lock file is checked to be the one in place once
        locked (a failed first add removes it); an add that has to wait says so, naming the
        process that holds the lock."""
        for _ in range(_OPEN_ATTEMPTS):
            created = not self.path.is_dir()
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create the store directory: "
                                 f"{exc.strerror}") from None
            lock = self.path / WRITE_LOCK
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except FileNotFoundError:
                continue  # the directory was removed meanwhile (a first add that failed)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot write into the store directory: "
                                 f"{exc.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 20, 0).decode("ascii", "replace").strip() or "?"
                _LOG.warning("%s: another add (process %s) is writing the store: waiting "
                             "for it to finish", self.path, holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(lock, fd):
                with contextlib.suppress(OSError):  # who holds it, told to waiters if it can
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
                return fd, created
            os.close(fd)
        raise StoreError(f"{self.path}: the store directory kept being removed and made "
                         "again by other adds; try again")

    def _committed(self) -> Manifest | None:
        """The manifest, or ``None`` for a directory that is empty (but for our lock file):
        a directory holding anything else is refused, never written into."""
        if self.exists():
            return self.manifest()
        self._refuse_foreign()
        return None

    def _refuse_foreign(self) -> None:
        """Refuse a directory that holds anything but a store's files."""
        if not self.path.is_dir():
            raise StoreError(f"{self.path}: not a folder")
        foreign = [p.name for p in self.path.iterdir() if p.name != WRITE_LOCK
                   and not _GENERATION.fullmatch(p.name.removesuffix(".lock"))
                   and not _LEFTOVER.fullmatch(p.name)]
        if foreign:
            raise StoreError(f"{self.path}: not a metrograph store (no {MANIFEST}) and not "
                             f"empty ({', '.join(sorted(foreign)[:3])}...): give a new or "
                             "empty directory")

    def add(self, sources: Sequence[str | Path], *, graph_name: str | None = None,
            format: str | None = None, bundled_data: bool = True,
            progress: Reporter = SILENT) -> AddOutcome:
        """Add RDF files and plan folders (created with the bundled ontology, schemes and
        organisations and, unless ``bundled_data`` is False, the bundled plan). Files held
        already (same SHA-256, same graph) are skipped; if none is new, nothing is written.
        A file that cannot be read raises :class:`InputError` naming it (file, line, column)
        and the store is unchanged. Each source goes into the graph ``graph_name`` or one named
        by its content, as :meth:`metrograph.KnowledgeGraph.load_file` does; a named graph the
        store holds with other content is replaced."""
        progress.step("checksums", total=sum(_bytes(s) for s in sources) or None,
                      unit="bytes")
        unique: dict[tuple[str, URIRef], _Source] = {}
        repeated = []
        for d in (_describe(s, graph_name, progress) for s in sources):
            first = unique.setdefault((d.sha256, d.graph), d)
            if first is not d:
                repeated.append((d.shown, first.shown))
        described = list(unique.values())
        earlier: list[str] = []
        if self.exists():  # nothing new: no writer, no lock
            current = self.manifest()
            if graph_name is None:
                held = {(e.source, e.sha256) for e in current.entries}
                paths = {e.source for e in current.entries}
                earlier = [s.shown for s in described if str(s.path.resolve()) in paths
                           and (str(s.path.resolve()), s.sha256) not in held]
            if all(current.holds(s.sha256, str(s.graph)) for s in described) and (
                    self._bundled_changes(current) == []):
                return AddOutcome(unchanged=[s.shown for s in described],
                                  generation=current.generation, triples=current.triples,
                                  earlier_versions=earlier, repeated=repeated)
        elif self.path.exists():
            self._refuse_foreign()  # before the lock file is made there
        with self._write_lock():
            outcome = self._add_locked(described, format, bundled_data, progress)
        outcome.earlier_versions, outcome.repeated = earlier, repeated
        return outcome

    def _bundled_changes(self, manifest: Manifest) -> list[tuple[str, Any, str, URIRef]]:
        """The bundled parts of this metrograph that the store lacks or holds another version
        of (after an upgrade)."""
        return [part for part in _bundled(manifest.bundled_data)
                if not manifest.holds(part[2], str(part[3]))]

    def _add_locked(self, described: list[_Source], format: str | None, bundled_data: bool,
                    progress: Reporter) -> AddOutcome:
        from pyoxigraph import NamedNode

        from metrograph import __version__

        previous = self._committed()
        outcome = AddOutcome(created=previous is None)
        if previous is not None:
            bundled_data = previous.bundled_data
        parts = (_bundled(bundled_data) if previous is None
                 else self._bundled_changes(previous))
        # a graph is loaded when one of its sources is new; then all its sources of this add
        new_graphs = {str(s.graph) for s in described
                      if previous is None or not previous.holds(s.sha256, str(s.graph))}
        todo = [s for s in described if str(s.graph) in new_graphs]
        outcome.unchanged = [s.shown for s in described if str(s.graph) not in new_graphs]
        if previous is not None and not todo and not parts:
            outcome.generation, outcome.triples = previous.generation, previous.triples
            return outcome
        kept = list(previous.entries) if previous is not None else []
        replaced = {e.graph for e in kept
                    if e.graph in new_graphs or e.graph in {str(p[3]) for p in parts}}
        outcome.replaced = sorted(g for g in replaced if g in new_graphs)
        kept = [e for e in kept if e.graph not in replaced]
        # files whose triples were kept only in a replaced graph: loaded again after it
        again = [e for e in kept if e.shared] if replaced else []
        sources_again = [self._source_again(e, replaced) for e in again]
        self._remove_unused(previous.generation if previous else None)
        generation = self._next_generation()
        target = self.path / generation
        lock = self.path / f"{generation}.lock"
        lock.touch()
        try:
            store = self._start(previous, target)
            for g in sorted(replaced):
                store.native.clear_graph(NamedNode(g))
            entries = self._load_bundled(store, parts, progress)
            # on disk, len() walks every quad: the store's size is known without it unless
            # graphs were cleared or bundled parts loaded
            triples = (len(store) if replaced or parts or previous is None
                       else previous.triples)
            reloaded_triples = 0
            source_entries = self._load_sources(store, todo, format, progress, triples)
            triples += sum(e.triples for e in source_entries)
            entries += source_entries
            if again:
                reloaded = self._load_sources(store, sources_again, format, progress, triples)
                reloaded_triples = sum(e.triples for e in reloaded)
                triples += reloaded_triples
                merged = {e.source: dataclasses.replace(
                    e, triples=e.triples + r.triples, shared=r.shared)
                    for e, r in zip(again, reloaded, strict=True)}
                kept = [merged.get(e.source, e) if e in again else e for e in kept]
            progress.step("writing the store to disk")
            store.flush()
            cleared = sum(e.triples for e in previous.entries
                          if e.graph in replaced) if previous is not None else 0
            uncompacted = ((previous.uncompacted if previous is not None else 0) + cleared
                           + sum(e.triples for e in entries)
                           + reloaded_triples)
            if uncompacted >= COMPACT_AT * max(triples, 1):
                progress.step("compacting the store")
                store.native.optimize()
                uncompacted = 0
            del store
            gc.collect()  # close the read-write store before anyone may open it
            now = _now()
            manifest = Manifest(generation=generation, triples=triples,
                                entries=tuple(kept + entries), bundled_data=bundled_data,
                                metrograph=__version__,
                                created=previous.created if previous else now, updated=now,
                                uncompacted=uncompacted)
            self._commit(manifest)
        except BaseException as exc:
            gc.collect()
            shutil.rmtree(target, ignore_errors=True)
            lock.unlink(missing_ok=True)
            if isinstance(exc, OSError):  # the disk (full...), not the input
                raise StoreError(f"{self.path}: cannot write the store: "
                                 f"{exc.strerror or ' '.join(str(exc).split())}") from None
            raise
        outcome.added = entries
        outcome.generation, outcome.triples = generation, triples
        self._remove_unused(generation)
        return outcome

    def _source_again(self, entry: Entry, replaced: set[str]) -> _Source:
        """The file of ``entry``, to be loaded again because a graph that held some of its
        triples is replaced; :class:`StoreError` when it is gone or changed (nothing is
        written then)."""
        problem = None
        if entry.kind == "bundled":
            problem = "a bundled part of another metrograph version"
            for name, _part, sha, graph in _bundled(True):
                if f"metrograph:{name}" == entry.source and sha == entry.sha256:
                    return _Source(Path(name), entry.source, "bundled", sha, entry.size, graph)
        else:
            try:
                found = _describe(entry.source, None)
            except InputError as exc:
                problem = str(exc)
            else:
                if found.sha256 == entry.sha256:
                    return dataclasses.replace(found, graph=URIRef(entry.graph))
                problem = "it has changed since it was added"
        graphs = ", ".join(f"<{g}>" for g in sorted(replaced))
        raise StoreError(f"{self.path}: cannot replace {graphs}: {entry.source} has triples "
                         f"kept only there and cannot be loaded again ({problem}); add it "
                         "again first, or start a new store")

    def _start(self, previous: Manifest | None, target: Path) -> OxigraphStore:
        """The new generation, opened read-write: a checkpoint of the current one."""
        if previous is not None:
            try:
                OxigraphStore.open_read_only(self.path / previous.generation).native.backup(
                    str(target))
            except OSError as exc:
                raise StoreError(f"{self.path}/{previous.generation}: cannot copy the store "
                                 f"({' '.join(str(exc).split())})") from None
        return OxigraphStore(target, bulk=True)

    def _load_bundled(self, store: OxigraphStore, parts: list[tuple[str, Any, str, URIRef]],
                      progress: Reporter) -> list[Entry]:
        from metrograph.rdfio.formats import format_for

        entries = []
        if parts:
            progress.step("adding the bundled ontology and data", total=len(parts),
                          unit="files")
        for name, part, sha, graph in parts:
            data = part.read_bytes()
            dropped = store.dropped
            count = store.load(data, fmt=format_for(name), graph=graph,
                               source=f"metrograph:{name}")
            entries.append(Entry(f"metrograph:{name}", "bundled", sha, len(data), str(graph),
                                 count, _now(), store.dropped - dropped))
            progress.advance(1, detail=name)
        return entries

    def _load_sources(self, store: OxigraphStore, todo: list[_Source], format: str | None,
                      progress: Reporter, size: int) -> list[Entry]:
        """Load each source; ``size`` is the store's size before (it is tracked, not
        counted again)."""
        from metrograph.authoring.csv_format import import_folder
        from metrograph.rdfio.formats import format_for

        entries = []
        if todo:
            progress.step("adding", total=sum(s.size for s in todo) or None, unit="bytes")
        for s in todo:
            progress.advance(0, detail=s.path.name)
            dropped = store.dropped
            if s.kind == "bundled":
                count = store.load(_bundled_bytes(str(s.path)), fmt=format_for(str(s.path)),
                                   graph=s.graph, source=s.shown)
            elif s.kind == "folder":
                store.add(import_folder(s.path), s.graph)
                count = len(store) - size
                progress.advance(s.size)
            else:
                fmt = format_for(str(s.path), format)
                blank = "_" in s.blank_marks or ("[" in s.blank_marks and fmt.name != "nt")
                count = store.load_path(s.path, fmt=fmt, graph=s.graph, source=s.shown,
                                        progress=progress, blank_nodes=blank, size=size)
            if s.kind != "bundled" and _stamp(s.path) != s.stamp:
                raise InputError("changed while it was being added: nothing was added (add it "
                                 "again once it is written)", source=s.shown)
            size += count
            entries.append(Entry(s.shown if s.kind == "bundled" else str(s.path.resolve()),
                                 s.kind, s.sha256, s.size, str(s.graph), count, _now(),
                                 store.dropped - dropped))
        return entries

    def _commit(self, manifest: Manifest) -> None:
        """Write the manifest atomically: the rename is the commit point."""
        text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".tmp", dir=self.path)
        try:
            with os.fdopen(fd, "wb") as f:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(f.fileno(), 0o666 & ~umask)  # readable as the store's other files
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / MANIFEST)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(self.path)

    def _generations(self) -> list[str]:
        stems = {p.name.removesuffix(".lock") for p in self.path.iterdir()}
        return sorted((n for n in stems if _GENERATION.fullmatch(n)), key=lambda n: int(n[4:]))

    def _next_generation(self) -> str:
        numbers = [int(n[4:]) for n in self._generations()]
        return f"gen-{max(numbers, default=0) + 1:06d}"

    def _remove_unused(self, current: str | None) -> None:
        """Remove every generation but ``current`` that no reader holds (leftovers of a
        killed writer, generations replaced since); one in use is left for a later writer.
        Also removes manifest temporary files a killed writer left, and the writable copies
        (:meth:`OxigraphStore.copy`) of processes that have gone."""
        for stray in self.path.glob(".manifest-*.tmp"):
            stray.unlink(missing_ok=True)
        sweep_copies(self.path)
        for name in self._generations():
            if name == current:
                continue
            lock = self.path / f"{name}.lock"
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a reader still has it open
                shutil.rmtree(self.path / name, ignore_errors=True)
                lock.unlink(missing_ok=True)  # while locked: a waiting reader sees it gone
            finally:
                os.close(fd)
