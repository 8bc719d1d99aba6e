"""An embedded Oxigraph store (pyoxigraph): the same :class:`~metrograph.stores.base.Store`
interface, with Oxigraph's Rust parsers and SPARQL engine for large graphs."""

from __future__ import annotations

import fcntl
import functools
import io
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID as DEFAULT_GRAPH
from rdflib.term import Node

from metrograph.errors import QueryError, QueryParameterError, StoreError
from metrograph.progress import SILENT, Reporter
from metrograph.rdfio.canonical import (
    canonical_quads,
    content_labelled,
    from_ox,
    has_blank,
    to_ox,
)
from metrograph.rdfio.formats import OXIGRAPH_FORMATS as _FORMATS
from metrograph.rdfio.formats import Format
from metrograph.rdfio.guards import check_safe
from metrograph.rdfio.syntax import check_xml, reading
from metrograph.stores.base import (
    SelectResult,
    SelectStream,
    TripleAccess,
    bind_text,
    bounded_rows,
    checked_stream,
    star_columns,
    star_extra,
)
from metrograph.stores.oxigraph_answers import Undecodable, decode_tsv

__all__ = ["COPY_PREFIX", "OxigraphStore", "from_ox", "sweep_copies", "to_ox"]

#: the name prefix of the writable copies of an on-disk store (:meth:`OxigraphStore.copy`)
COPY_PREFIX = ".metrograph-copy-"
_COPY_OWNER = "owner.lock"
#: a copy folder younger than this is left alone (its process may be creating it)
_COPY_GRACE_SECONDS = 60.0


def _drop_copy(folder: Path, fd: int) -> None:
    """Remove a copy's folder, then release its owner lock."""
    shutil.rmtree(folder, ignore_errors=True)
    if fd >= 0:
        os.close(fd)


def sweep_copies(directory: Path) -> list[Path]:
    """Remove the copy folders in ``directory`` whose process has gone (killed before its copy
    was garbage-collected): those whose owner lock nobody holds, or that have none after the
    grace period. Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(COPY_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        try:
            if time.time() - folder.stat().st_mtime < _COPY_GRACE_SECONDS:
                continue  # its process may still be creating it
        except OSError:
            continue  # removed meanwhile
        try:
            fd = os.open(folder / _COPY_OWNER, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)  # killed before it took its lock
            removed.append(folder)
            continue
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive and holds the copy
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


def _ox() -> Any:
    try:
        import pyoxigraph
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise QueryError("the Oxigraph store needs pyoxigraph: pip install 'metrograph[oxigraph]'"
                         ) from exc
    return pyoxigraph


_F = TypeVar("_F", bound=Callable[..., Any])


def _detach(exc: BaseException, outer: BaseException | None = None) -> BaseException:
    """``exc`` with the local variables of the finished frames of its traceback cleared, and
    those of the exceptions it chains (``__cause__``, ``__context__``) down to ``outer`` (the
    exception being handled when the call began, whose frames are the caller's). What those
    frames held (a pyoxigraph ``QuerySolutions``, ``QueryTriples`` or ``QuadIter``) is freed
    now, in this thread: pyoxigraph's results are "unsendable" (pyo3), and one freed by another
    thread is leaked, with a ``RuntimeError`` printed. The traceback's lines are kept."""
    seen: set[int] = set()
    chain: list[BaseException] = [exc]
    while chain:
        current = chain.pop()
        if current is outer or id(current) in seen:
            continue
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)  # skips frames still running
        chain += [e for e in (current.__cause__, current.__context__) if e is not None]
    return exc


def _frees_here(method: _F) -> _F:
    """``method`` whose exceptions leave without the pyoxigraph objects their frames held
    (:func:`_detach`): an exception raised by the store may be handed over to another thread
    (:func:`_bounded`'s caller, a validation thread pool's), which must not be the one that
    frees them."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = sys.exception()
        try:
            return method(*args, **kwargs)
        except BaseException as exc:
            _detach(exc, outer)
            raise

    return cast(_F, wrapper)


def _bounded(work: Callable[[], SelectResult], check: Callable[[], None]) -> SelectResult:
    """Run ``work`` in a worker thread (Oxigraph releases the GIL while it evaluates) and call
    ``check`` every 50 ms; when ``check`` raises (time is up), stop waiting. Oxigraph cannot
    cancel a running query: the abandoned evaluation ends on its own in the background. Every
    pyoxigraph object ``work`` makes is freed in the worker: its answer is made of rdflib
    terms, and its exception is handed over with its frames cleared (:func:`_detach`)."""
    box: list[SelectResult | BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed over to the waiting thread
            box.append(_detach(exc))

    worker = threading.Thread(target=run, name="metrograph-oxigraph-query", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if worker.is_alive():
            check()
    outcome = box[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _term(term: Any) -> Node:
    node = from_ox(term)
    if node is None:
        raise TypeError("unexpected unbound term")
    return node


_MISSING = object()

#: the most terms :meth:`OxigraphStore.select_iter` keeps converted at a time
STREAM_CACHE = 65536

_WRITES = re.compile(r"\b(?:INSERT|LOAD|ADD|COPY|MOVE)\b", re.IGNORECASE)

#: The quads of one graph (given as the query's default graph) that mention a blank node: a fixed
#: text without values, run in Rust so that a large graph is not walked in Python.
_BLANK_QUADS = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }"


def _syntax_message(exc: SyntaxError) -> str:
    """Oxigraph's SPARQL syntax error on one line, without the grammar's character classes
    (``expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' ...``)."""
    text = " ".join(str(exc).split())
    if "Prefix not found" in text:
        return re.sub(r"expected one of .*", "a prefix that the query does not declare", text)
    head, _, _rest = text.partition(", ['")
    return head if len(head) <= 300 else head[:300] + "…"


#: the lines :func:`write_sorted_lines` sorts in memory at a time (about 10 MB of N-Triples)
SORT_RUN_LINES = 50_000


def write_sorted_lines(store: Any, out: BinaryIO, run_lines: int = SORT_RUN_LINES,
                       extra: Iterable[bytes] = ()) -> None:
    """Every distinct triple of the pyoxigraph ``store`` as N-Triples written by Oxigraph, one
    line each, sorted (by code point), blank nodes labelled by RDFC-1.0: the same graph gives
    the same bytes whatever store held it. Memory stays bounded at any size: Oxigraph dumps
    the graphs to a temporary file; runs of ``run_lines`` lines are sorted into temporary
    files and merged. Only the triples with a blank node are held, to be labelled. ``extra``
    lines (each ending with a line feed) are merged in."""
    import heapq

    ox = _ox()
    graphs = [*store.named_graphs(), ox.DefaultGraph()]
    # the triples of the union: blank nodes labelled as one graph, whatever graph holds them
    blank = [ox.Quad(sol[0], sol[1], sol[2], ox.DefaultGraph()) for g in graphs
             for sol in store.query(_BLANK_QUADS, default_graph=g)]
    held_labels = {_nt_line(ox, q) for q in blank}
    relabelled = sorted({_nt_line(ox, q) for q in canonical_quads(blank)} | set(extra))
    with tempfile.TemporaryDirectory(prefix="metrograph-nt-") as folder:
        dump = Path(folder) / "dump.nt"
        with open(dump, "wb") as sink:
            for g in graphs:
                store.dump(sink, format=ox.RdfFormat.N_TRIPLES, from_graph=g)
        runs: list[Path] = []
        with open(dump, "rb") as fh:
            while True:
                lines = [line for _ in range(run_lines) if (line := fh.readline())]
                if not lines:
                    break
                run = Path(folder) / f"run-{len(runs)}.nt"
                run.write_bytes(b"".join(sorted(
                    {line if line.endswith(b"\n") else line + b"\n" for line in lines}
                    - held_labels)))
                runs.append(run)
        dump.unlink()
        files = [open(run, "rb") for run in runs]  # noqa: SIM115 - closed below
        try:
            last = None
            for line in heapq.merge(relabelled, *files):
                if line != last:
                    out.write(line)
                    last = line
        finally:
            for reader in files:
                reader.close()


def _nt_line(ox: Any, quad: Any) -> bytes:
    """The N-Triples line Oxigraph writes for ``quad``'s triple."""
    return cast(bytes, ox.serialize([ox.Triple(quad.subject, quad.predicate, quad.object)],
                                    format=ox.RdfFormat.N_TRIPLES))


class OxigraphStore:
    """pyoxigraph's store (in memory, or on disk when ``path`` is given); queries see the
    union of all graphs.

    The graph model (the same as :class:`~metrograph.stores.memory.MemoryStore`'s): the graph
    is the *set* of distinct triples; each triple is held in one graph only, the first that
    brought it (within one load, the graph whose name sorts first), and blank-node structures
    are labelled by content (:func:`~metrograph.rdfio.canonical.content_labelled`). Loading a
    file twice, or a release on top of the data it was made from, adds nothing. Oxigraph's
    union default graph counts a triple once per graph that holds it (fixed upstream after
    0.5.13): with one copy of each triple, every figure counts distinct facts."""

    name = "oxigraph"

    def __init__(self, path: str | Path | None = None, *, bulk: bool = False) -> None:
        """An in-memory store, or the on-disk store at ``path`` opened read-write (created if
        missing). ``bulk``: :meth:`load_path` parses large N-Triples and Turtle files with
        Oxigraph's bulk loader, which is not transactional: a file that fails half-way leaves
        what it had loaded, so ``bulk`` is for a store its caller throws away on error (a store
        directory's new generation, :mod:`metrograph.stores.directory`)."""
        ox = _ox()
        self._store = ox.Store(str(path)) if path else ox.Store()
        #: the folder of an on-disk store (None in memory)
        self.path = Path(path) if path else None
        self._bulk = bulk
        #: triples not kept in the graph they were loaded into because another graph held them
        #: already, counted since the store was opened (a store directory records it per file)
        self.dropped = 0
        self.read_only: str | None = None

    @classmethod
    def open_read_only(cls, path: str | Path, why: str = "") -> OxigraphStore:
        """The on-disk store at ``path``, opened read-only: no process may write it meanwhile
        (pyoxigraph: "undefined behaviour"), which a store directory ensures by never writing
        a generation once committed. A change asked of it raises :class:`StoreError` saying
        ``why`` (what to do instead)."""
        store = cls()
        store._store = _ox().Store.read_only(str(path))
        store.path = Path(path)
        store.read_only = why or f"the store at {path} is opened read-only"
        return store

    def _writable(self) -> None:
        if self.read_only is not None:
            raise StoreError(self.read_only)

    def flush(self) -> None:
        """Write every buffer to disk (an on-disk store)."""
        self._writable()
        self._store.flush()

    @property
    def native(self) -> Any:
        """The underlying ``pyoxigraph.Store``."""
        return self._store

    @_frees_here
    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str,
             progress: Reporter = SILENT) -> int:
        """Parse ``data`` with Oxigraph's parser into the named graph ``graph`` (a quad
        format's default graph becomes ``graph``); return the distinct triples added. A syntax
        error adds nothing. A triple format is parsed straight into the store (``Store.load`` is
        transactional), its blank nodes then relabelled by content; a quad format goes through
        a list first (its default graph renamed ``graph``)."""
        ox = _ox()
        self._writable()
        check_safe(data, fmt.name, source)
        if fmt.name == "xml":
            check_xml(data, source)
        before = len(self._store)
        name = ox.NamedNode(str(graph))
        rdf_format = getattr(ox.RdfFormat, _FORMATS[fmt.name])
        if not fmt.quads:
            # Oxigraph reads the bytes as it parses them: the reader counts them as progress
            with reading(data, fmt.name, source):
                self._store.load(input=progress.reader(io.BytesIO(data)), format=rdf_format,
                                 base_iri=str(graph), to_graph=name)
            return self._settle(name, before, True)
        with reading(data, fmt.name, source):
            quads = [q if isinstance(q.graph_name, ox.NamedNode)
                     else ox.Quad(q.subject, q.predicate, q.object, name)
                     for q in ox.parse(progress.reader(io.BytesIO(data)), format=rdf_format,
                                       base_iri=str(graph))]
        self._insert(quads)
        return len(self._store) - before

    @_frees_here
    def load_path(self, path: Path, *, fmt: Format, graph: URIRef, source: str,
                  progress: Reporter = SILENT, blank_nodes: bool = True,
                  size: int | None = None) -> int:
        """:meth:`load` from a file. With ``bulk`` (see the constructor), N-Triples and Turtle
        are streamed from the file into Oxigraph's bulk loader, never held in memory whole (a
        10M-triple file is 1.8 GB); blank nodes are then labelled by content and repeated
        triples removed, as :meth:`load` does. ``blank_nodes=False`` tells that the file has
        none (no ``_:``, ``[`` or ``(`` in its bytes): finding them takes a scan of the graph,
        18 s at 1M triples on disk. ``size``: the store's size, when the caller knows it (on
        disk, ``len`` walks every quad: 0.35 s per million). Other formats, or without
        ``bulk``, go through :meth:`load`."""
        from metrograph.rdfio.inputs import BOM, read_input

        if not (self._bulk and fmt.name in ("nt", "ttl")):
            return self.load(read_input(path), fmt=fmt, graph=graph, source=source,
                             progress=progress)
        ox = _ox()
        self._writable()
        before = len(self._store) if size is None else size
        name = ox.NamedNode(str(graph))
        rdf_format = getattr(ox.RdfFormat, _FORMATS[fmt.name])
        with reading(None, fmt.name, source), open(path, "rb") as raw:
            if raw.read(len(BOM)) != BOM:  # a byte order mark is not part of the text
                raw.seek(0)
            self._store.bulk_load(input=progress.reader(raw), format=rdf_format,
                                  base_iri=str(graph), to_graph=name)
        return self._settle(name, before, blank_nodes)

    def _settle(self, graph: Any, before: int, blank_nodes: bool) -> int:
        """After a load into ``graph`` of a store that held ``before`` triples: relabel by
        content the graph's blank nodes (if it may hold some), remove the triples another
        graph holds (nothing new cannot repeat a triple); return the triples added."""
        ox = _ox()
        blank = [ox.Quad(sol[0], sol[1], sol[2], graph) for sol in (
            self._store.query(_BLANK_QUADS, default_graph=graph) if blank_nodes else ())]
        for q in blank:
            self._store.remove(q)
        self._store.extend(content_labelled(blank))
        after = len(self._store)
        if after > before:
            after -= self._deduplicate({graph: after - before}, total=after)
        return after - before

    def _insert(self, quads: list[Any]) -> None:
        """Add ``quads``, blank nodes labelled by content, each triple kept once."""
        if any(has_blank(q) for q in quads):
            quads = content_labelled(quads)
        self._store.extend(quads)
        self._deduplicate(Counter(q.graph_name for q in quads))

    def _deduplicate(self, new: dict[Any, int], total: int | None = None) -> int:
        """Remove from each graph of ``new`` (graph -> quads added) the triples another graph
        holds: a graph that was there before, or a new one whose name sorts first. The smaller
        side is walked (quads of the new graph, or of the others) and each quad looked up on
        the other side. ``total``: the store's size when the caller knows it. Returns the
        quads removed."""
        ox = _ox()
        total = len(self._store) if total is None else total
        removed = 0
        graphs = [*self._store.named_graphs(), ox.DefaultGraph()]
        for g in sorted(new, key=str):
            others = [h for h in graphs if h != g and (h not in new or str(h) < str(g))]
            if not others:
                continue
            doomed = []
            if new[g] <= total - new[g]:
                for q in self._store.quads_for_pattern(None, None, None, g):
                    if any(hit.graph_name in others for hit in self._store.quads_for_pattern(
                            q.subject, q.predicate, q.object, None)):
                        doomed.append(q)
            else:
                for h in others:
                    for q in self._store.quads_for_pattern(None, None, None, h):
                        doomed.extend(self._store.quads_for_pattern(
                            q.subject, q.predicate, q.object, g))
            for q in doomed:
                self._store.remove(q)
            removed += len(doomed)
        self.dropped += removed
        return removed

    @_frees_here
    def add(self, graph: Graph, into: URIRef) -> None:
        ox = _ox()
        self._writable()
        g = ox.NamedNode(str(into))
        self._insert([ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in graph])

    @_frees_here
    def add_dataset(self, dataset: Dataset) -> None:
        ox = _ox()
        self._writable()
        quads = []
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = ox.NamedNode(str(g if isinstance(g, URIRef) else DEFAULT_GRAPH))
            quads.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name))
        self._insert(quads)

    def _prepare(self, query: str, bindings: Mapping[str, Node] | None
                 ) -> tuple[str, dict[Any, Any]]:
        """The text to evaluate (values written into it, :func:`~metrograph.stores.base.bind_text`,
        sub-SELECTs included) and, for blank-node values, Oxigraph substitutions."""
        ox = _ox()
        text, _star = bind_text(query, bindings)
        subs: dict[Any, Any] = {}
        if text is query:
            try:
                subs = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
            except ValueError as exc:
                raise QueryParameterError(f"invalid parameter value: {exc}") from None
        return text, subs

    def _execute(self, text: str, subs: dict[Any, Any]) -> Any:
        try:
            return self._store.query(text, use_default_graph_as_union=True,
                                     substitutions=subs or None)
        except SyntaxError as exc:
            raise QueryError(f"query failed: {_syntax_message(exc)}") from exc
        except (OSError, ValueError, TypeError) as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

    def _run(self, query: str, bindings: Mapping[str, Node] | None) -> Any:
        return self._execute(*self._prepare(query, bindings))

    def _solutions(self, text: str, subs: dict[Any, Any]) -> Any:
        ox = _ox()
        result = self._execute(text, subs)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        return result

    def _select_tsv(self, text: str, subs: dict[Any, Any]) -> SelectResult | None:
        """The answer read through Oxigraph's TSV serialiser
        (:mod:`~metrograph.stores.oxigraph_answers`); ``None`` where that route does not
        apply (no variables, a term it does not read)."""
        ox = _ox()
        result = self._solutions(text, subs)
        variables = [v.value for v in result.variables]
        if not variables:
            return None
        try:
            data = result.serialize(format=ox.QueryResultsFormat.TSV)
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc
        try:
            return SelectResult(variables, decode_tsv(data, variables))
        except Undecodable:
            return None

    def _answer(self, query: str, bindings: Mapping[str, Node] | None, max_rows: int | None,
                ) -> tuple[list[str], Iterator[tuple[Node | None, ...]]]:
        """The variables and rows of a SELECT, solution by solution, bounded by ``max_rows``.
        Terms are converted with a cache of at most :data:`STREAM_CACHE` terms, so memory
        stays bounded whatever the length of the answer."""
        result = self._solutions(*self._prepare(query, bindings))
        variables = [v.value for v in result.variables]
        extra = star_extra(variables, bindings, bind_text(query, bindings)[1])

        def rows() -> Iterator[tuple[Node | None, ...]]:
            seen: dict[Any, Node | None] = {}
            try:
                for sol in result:
                    row = []
                    for v in variables:
                        term = sol[v]
                        node = None if term is None else seen.get(term, _MISSING)
                        if node is _MISSING:
                            if len(seen) >= STREAM_CACHE:
                                seen.clear()
                            node = seen[term] = from_ox(term)
                        row.append(node)
                    yield tuple(row)  # type: ignore[arg-type]
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                # evaluation is lazy: errors (a SERVICE call that failed...) surface here
                raise QueryError(f"query failed: {' '.join(str(exc).split())}") from exc

        return (variables + [k for k, _ in extra],
                bounded_rows(rows(), max_rows, None, [v for _, v in extra]))

    @_frees_here
    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        """Run a SELECT. Without a row bound, the answer is read through Oxigraph's TSV
        serialiser (see :mod:`metrograph.stores.oxigraph_answers`); with one, solution by solution,
        stopping past ``max_rows``."""

        def evaluate() -> SelectResult:
            if max_rows is None:
                fast = self._select_tsv(*self._prepare(query, bindings))
                if fast is not None:
                    return star_columns(fast, bindings, bind_text(query, bindings)[1])
            variables, rows = self._answer(query, bindings, max_rows)
            return SelectResult(variables, list(rows))

        return evaluate() if check is None else _bounded(evaluate, check)

    @_frees_here
    def select_iter(self, query: str, bindings: Mapping[str, Node] | None = None, *,
                    max_rows: int | None = None,
                    check: Callable[[], None] | None = None) -> SelectStream:
        """Run a SELECT and hand its rows over as Oxigraph produces them (``QuerySolutions``
        is lazy: a ``LIMIT`` or an abandoned iteration stops the evaluation), in bounded
        memory. With ``check`` (a time bound), the answer is made in a worker thread and
        ``check`` called every 50 ms while it is awaited
        (:func:`~metrograph.stores.base.checked_stream`), so one long step of the engine (the
        sort before an ``ORDER BY``'s first row, an aggregate) is bounded too; Oxigraph cannot
        cancel it: the abandoned step ends on its own in the background."""
        return checked_stream(lambda: self._answer(query, bindings, max_rows), check, _detach)

    @_frees_here
    def update(self, update: str) -> None:
        """Run a SPARQL Update; a triple it wrote into a second graph is then kept once."""
        self._writable()
        try:
            self._store.update(update)
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:  # Runtime: no such graph
            raise QueryError(f"update failed: {' '.join(str(exc).split())}") from exc
        if _WRITES.search(update):  # a DELETE alone cannot make a second copy
            ox = _ox()
            self._deduplicate({g: 0 for g in [*self._store.named_graphs(), ox.DefaultGraph()]})

    def concurrent_reads(self) -> bool:
        """True: Oxigraph evaluates queries outside the GIL, safely."""
        return True

    @_frees_here
    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        ox = _ox()
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    @_frees_here
    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        ox = _ox()
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        out = Graph()
        for t in result:
            out.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        return out

    @_frees_here
    def dataset(self) -> Dataset:
        ox = _ox()
        copy = Dataset()
        for quad in self._store:
            # triples an update wrote outside any named graph stay in the default graph
            target = (copy.default_context if isinstance(quad.graph_name, ox.DefaultGraph)
                      else copy.graph(URIRef(quad.graph_name.value)))
            target.add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
        return copy

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every distinct triple (each is held in one graph only), read straight from
        Oxigraph, each distinct term converted once."""
        cache: dict[Any, Any] = {}

        def term(t: Any) -> Any:
            found = cache.get(t)
            if found is None:
                found = cache[t] = from_ox(t)
            return found

        for q in self._store:
            yield term(q.subject), term(q.predicate), term(q.object)

    @_frees_here
    def graph_names(self) -> list[URIRef]:
        ox = _ox()
        return sorted(URIRef(g.value) for g in self._store.named_graphs()
                      if isinstance(g, ox.NamedNode)
                      and next(iter(self._store.quads_for_pattern(None, None, None, g)), None))

    @_frees_here
    def write_ntriples(self, out: BinaryIO) -> None:
        """Every distinct triple as N-Triples, the same graph giving the same bytes. In memory:
        one sorted line each, blank nodes by RDFC-1.0, as every other store, in bounded memory
        (:func:`write_sorted_lines`). On disk: dumped by Oxigraph graph by graph (names in
        order, then the default graph) in constant memory, in the order of its on-disk index,
        which depends only on the content (terms keyed by a fixed hash of their text, blank
        nodes labelled by content when loaded); the in-memory order varies between processes."""
        if self.path is None:
            write_sorted_lines(self._store, out)
            return
        ox = _ox()
        graphs = sorted((g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)),
                        key=lambda g: g.value)
        for g in [*graphs, ox.DefaultGraph()]:
            self._store.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=g)

    @_frees_here
    def copy(self) -> OxigraphStore:
        """A writable copy: in memory for an in-memory store; for an on-disk store, a RocksDB
        checkpoint (``Store.backup``: hard links, milliseconds at any size) in a temporary
        folder beside it, removed when the copy is garbage-collected. The copy's process holds
        an exclusive lock on the folder's ``owner.lock`` while the copy lives: a folder left by
        a killed process is removed by a later :func:`sweep_copies` of that directory."""
        if self.path is None:
            copy = OxigraphStore()
            copy._store.bulk_extend(self._store)
            return copy
        try:
            folder = Path(tempfile.mkdtemp(prefix=COPY_PREFIX, dir=self.path.parent))
        except OSError as exc:
            raise StoreError(f"cannot copy the store at {self.path} (reasoning works on a "
                             f"copy beside it): {exc.strerror or exc}") from None
        fd = -1
        try:
            fd = os.open(folder / _COPY_OWNER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._store.backup(str(folder / "store"))
            copy = OxigraphStore(folder / "store")
        except OSError as exc:
            _drop_copy(folder, fd)
            raise StoreError(f"cannot copy the store at {self.path}: {exc}") from None
        weakref.finalize(copy, _drop_copy, folder, fd)
        return copy

    def __len__(self) -> int:
        """The number of distinct triples (each is held in one graph)."""
        return len(self._store)

    def triple_access(self) -> TripleAccess:
        """Native reads and writes, in Oxigraph's own terms (no conversion)."""
        return _NativeAccess(self)


class _NativeAccess(TripleAccess):
    store: OxigraphStore

    def term(self, iri: URIRef) -> Any:
        return _ox().NamedNode(str(iri))

    def is_literal(self, node: Any) -> bool:
        return isinstance(node, _ox().Literal)

    def rows(self, query: str, bindings: Mapping[str, Node]) -> Any:
        return self.store._solutions(*self.store._prepare(query, bindings))

    def pairs(self, p: URIRef) -> set[tuple[Any, Any]]:
        quads = self.store._store.quads_for_pattern(None, self.term(p), None)
        return {(q.subject, q.object) for q in quads}

    def instances(self, c: URIRef) -> set[Any]:
        quads = self.store._store.quads_for_pattern(None, self.term(RDF.type), self.term(c))
        return {q.subject for q in quads}

    def add(self, triples: list[tuple[Any, Any, Any]], into: URIRef) -> None:
        quad, g = _ox().Quad, self.term(into)
        self.store._store.extend(quad(s, p, o, g) for s, p, o in triples)
