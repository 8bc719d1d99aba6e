"""The ``metrograph`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 validation found violations; 2 usage or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from metrograph import __version__
from metrograph.cli import types
from metrograph.errors import InputError, MetrographError
from metrograph.progress import Progress
from metrograph.stores import STORES
from metrograph.terminal import printable

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph
    from metrograph.sparql.results import QueryStream

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one line: what is wrong (the argument and the file or value), and where help is
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _printable_record(record: logging.LogRecord) -> bool:
    """A logging filter: the message of ``record`` with its control characters shown as
    escapes (a warning may quote data or a server's text)."""
    record.msg, record.args = printable(record.getMessage()), None
    return True


def _say(lines: list[str], output: str | None) -> None:
    """:func:`_write` of lines made for a terminal that may hold data or a server's text
    (control characters shown as escapes; data formats never pass through here)."""
    _write(printable("\n".join(lines) + "\n"), output)


def _json(payload: object, output: str | None) -> None:
    _write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", output)


def _store_dir(args: argparse.Namespace, files: Sequence[str] = ()) -> str | None:
    """The store directory to read (``--store-dir``, else ``METROGRAPH_STORE_DIR`` unless
    ``--endpoint`` is given), or ``None``; files to load are refused with it: they are added
    with ``metrograph add``."""
    if getattr(args, "store_dir", None) and getattr(args, "endpoint", None):
        raise MetrographError("give --store-dir or --endpoint, not both")
    chosen = _store_dir_given(args)
    if chosen is None:
        return None
    sources = [*getattr(args, "data", []), *files]
    if sources:
        raise MetrographError(f"{sources[0]}: a store directory ({chosen}) is read as it "
                              f"stands; add files to it first with `metrograph add "
                              f"--store-dir {chosen} FILE...`")
    if args.store == "memory":
        raise MetrographError("--store memory cannot read a store directory (an Oxigraph "
                              "store on disk)")
    return chosen


def _load(args: argparse.Namespace, files: Sequence[str] = ()) -> KnowledgeGraph:
    from metrograph.graph import KnowledgeGraph, load, open_store

    sources = [*getattr(args, "data", []), *files]
    store_dir = _store_dir(args, files)
    if store_dir is not None:
        return open_store(store_dir)
    if getattr(args, "endpoint", None):
        from metrograph.stores.remote import RemoteStore

        if sources:
            raise MetrographError("--endpoint queries the data on the server: --data and "
                                  "files are not loaded there (use `metrograph push`)")
        return KnowledgeGraph(store=RemoteStore(args.endpoint, timeout=args.http_timeout,
                                                max_bytes=args.max_response_bytes))
    with Progress("loading", quiet=args.quiet) as progress:
        return load(*sources, bundled_data=not args.no_bundled_data, store=args.store,
                    progress=progress,
                    graph_name=getattr(args, "graph_name", None))


def _write(text: str, output: str | None) -> None:
    if output:
        from metrograph.rdfio.writers import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)


def _store_info(args: argparse.Namespace, directory: str) -> int:
    """``info --store-dir``: the store's files and graphs, from its manifest (no query)."""
    from metrograph.stores.directory import StoreDirectory

    manifest = StoreDirectory(directory).manifest()
    if args.format == "json":
        payload = {"version": __version__, "store": "oxigraph", "store_dir": directory,
                   **manifest.to_json()}
        _json(payload, args.output)
        return EXIT_OK
    lines = [f"metrograph {__version__}, store directory: {directory} (generation "
             f"{manifest.generation}, made by metrograph {manifest.metrograph}, updated "
             f"{manifest.updated})",
             f"  statements    {manifest.triples}",
             f"  graphs        {len(manifest.graphs())}",
             f"  files         {len(manifest.entries)}"]
    lines += [f"  {e.kind:<8} {e.source}  {e.size} bytes  sha256 {e.sha256[:16]}…  "
              f"{e.triples} triples  <{e.graph}>  {e.added}" for e in manifest.entries]
    _say(lines, args.output)
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    directory = _store_dir(args)
    if directory is not None:
        return _store_info(args, directory)
    kg = _load(args)
    counts = kg.counts()
    plans = kg.plans()
    if args.format == "json":
        payload = {"version": __version__, "store": kg.store.name, "counts": counts,
                   "plans": [{"iri": str(p.iri), "cycle": p.cycle,
                              "organisation": str(p.organisation),
                              "guidelines": p.guidelines, "measures": p.measures,
                              "deliverables": p.deliverables} for p in plans]}
        _json(payload, args.output)
        return EXIT_OK
    lines = [f"metrograph {__version__}, store: {kg.store.name}"]
    lines += [f"  {key:<13} {value}" for key, value in counts.items()]
    lines += [f"  plan {p.cycle} ({p.iri}): {p.guidelines} guidelines, {p.measures} measures, "
              f"{p.deliverables} deliverables" for p in plans]
    _say(lines, args.output)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from metrograph.graph import load
    from metrograph.validation.report import shapes_graph

    # refused before the graph is loaded: a shapes file that is not readable RDF, that would
    # make its parser fetch a URL, read another file or expand without bound, or whose shapes
    # a validator could not run safely
    shapes_graph(args.shapes or ())
    store_dir = _store_dir(args, args.files)
    kg = (load(*args.files, bundled_data=False, store=args.store) if args.files
          else _load(args))
    with Progress("validating", quiet=args.quiet) as progress:
        if store_dir is not None and args.engine == "fast":
            from metrograph.validation.stored import validate_store

            report, how = validate_store(kg, store_dir, args.shapes or (), progress=progress)
            if how != "full":
                print(f"validation of {store_dir}: {how} (see metrograph validate --help)",
                      file=sys.stderr)
        else:
            report = kg.validate(shapes=args.shapes or (), engine=args.engine,
                                 progress=progress)
    if args.format == "json":
        from metrograph.validation.report import blank_node_description, report_json

        payload = report_json(report, lambda node: blank_node_description(kg.store, node))
        _json(payload, args.output)
    else:
        shown = report.results if args.verbose else report.violations + report.warnings[:20]
        lines = [str(r) for r in shown]
        hidden = len(report.results) - len(shown)
        if hidden > 0:
            lines.append(f"... and {hidden} more (use --verbose or --format json)")
        lines.append(report.summary())
        _say(lines, args.output)
    return EXIT_INVALID if report.has_violations else EXIT_OK


def _params(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise MetrographError(f"--param expects NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        if key.strip() in out:
            raise MetrographError(f"--param {key.strip()} is given twice: give each parameter "
                                  "once")
        out[key.strip()] = value
    return out


def cmd_query(args: argparse.Namespace) -> int:
    if bool(args.name) == bool(args.file):
        raise MetrographError("give a query NAME or --file FILE (one of them)")
    from metrograph.sparql.limits import QueryLimits
    from metrograph.sparql.results import to_table

    kg = _load(args)
    params = _params(args.param)
    limits = QueryLimits(allow_service=args.allow_remote, timeout=args.timeout,
                         max_rows=args.max_rows)
    page = {"offset": args.offset, "limit": args.limit}
    stream = (kg.stream_file(args.file, params, limits, **page) if args.file
              else kg.stream_query(args.name, params, limits, **page))
    if args.format == "table":  # column widths need every row
        _write(to_table(stream.collect()), args.output)
    elif args.output:
        _stream_to_file(stream, args.format, Path(args.output))
    else:
        stream.write(args.format, sys.stdout)
    return EXIT_OK


def _stream_to_file(stream: QueryStream, fmt: str, path: Path) -> None:
    """Write ``stream`` into ``path`` as :func:`~metrograph.rdfio.writers.atomic_writer` does:
    an error (a time or row bound) leaves ``path`` as it was."""
    import io

    from metrograph.rdfio.writers import atomic_writer

    with atomic_writer(path) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        stream.write(fmt, out)
        out.flush()
        out.detach()


def cmd_queries(args: argparse.Namespace) -> int:
    from metrograph.sparql.library import catalogue

    if args.format == "json":
        payload = [{"name": name, "question": q.question,
                    "parameters": [{"name": p.name, "type": p.type, "required": p.required,
                                    "description": p.description} for p in q.parameters]}
                   for name, q in sorted(catalogue().items())]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    for name, q in sorted(catalogue().items()):
        print(name)
        print(f"    {q.question}")
        for p in q.parameters:
            need = "required" if p.required else "optional"
            print(f"    --param {p.name}=<{p.type}> ({need}): {p.description}")
    return EXIT_OK


def _export_format(args: argparse.Namespace) -> str:
    """``export``'s format: ``--format``, else the one the ``-o`` suffix names (as ``import``
    reads it), else Turtle (on standard output; into a folder, refused as such on writing)."""
    if args.format or not args.output or Path(args.output).is_dir():
        return str(args.format or "ttl")
    from metrograph.rdfio.formats import format_for

    name = format_for(args.output).name
    if name == "xml":
        raise InputError("RDF/XML is read, not written: give another suffix or --format ttl, "
                         "nt, jsonld, trig or nq", source=args.output)
    return name


def cmd_export(args: argparse.Namespace) -> int:
    args.format = _export_format(args)  # before loading: a bad suffix ends at once
    if args.format != "csv" and (args.plan or args.force):
        raise MetrographError(f"{'--plan' if args.plan else '--force'} goes with --format csv "
                              f"(a plan folder); --format {args.format} writes the whole graph")
    kg = _load(args)
    if args.format == "csv":
        from metrograph.authoring import export_plan, write_folder
        from metrograph.rdfio.writers import union_graph

        if not args.output:
            raise MetrographError("--format csv writes a plan folder: give -o DIR")
        plan = kg.plan(args.plan)
        paths = write_folder(export_plan(union_graph(kg.store.dataset()), plan.iri),
                             args.output, overwrite=args.force)
        print(f"wrote {len(paths)} files of plan {plan.cycle} to {args.output}")
        return EXIT_OK
    if args.format == "nt":  # streamed from the store: constant memory at any size
        sys.stdout.flush()
        kg.write(args.output or sys.stdout.buffer, "nt")
        return EXIT_OK
    _write(kg.export(args.format), args.output)
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from metrograph.publishing.push import push

    source: object = args.source or _load(args)
    with Progress("pushing", quiet=args.quiet) as progress:
        report = push(source, args.graph_store, graph=args.graph,  # type: ignore[arg-type]
                      update_url=args.update, query_url=args.query, replace=not args.add,
                      default_graph=args.default_graph, timeout=args.http_timeout,
                      prune=args.prune, force=args.force, max_bytes=args.max_response_bytes,
                      progress=progress)
    print(printable(report.summary()))
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from metrograph.publishing.release import publish

    if not args.output and not args.site:
        raise MetrographError("give -o DIR (a release), --site DIR (a linked-data site), or both")
    issued = dt.date.fromisoformat(args.issued) if args.issued else None
    if args.output and issued is None:
        from metrograph.publishing.release import issued_default

        issued = issued_default()   # a bad SOURCE_DATE_EPOCH: one line, before any reading
    kg = _load(args)
    if args.site and args.output:  # both targets checked before either is written
        from metrograph.publishing.release import MARKER_FILE
        from metrograph.rdfio.folders import replaceable

        replaceable(Path(args.output), args.force, MARKER_FILE, "release")
    if args.site:
        from metrograph.publishing.site import write_site

        with Progress("writing the site", quiet=args.quiet):
            site = write_site(kg, args.site, overwrite=args.force, version=args.version,
                              base_url=args.base_url)
        print(f"wrote the site of {site.documents} IRIs ({site.pages} pages, {site.files} "
              f"files, {site.bytes} bytes) to {site.directory} in {site.seconds} s")
        if not args.output:
            return EXIT_OK
    with Progress("publishing", quiet=args.quiet):
        release = publish(kg, args.output, version=args.version, previous=args.previous,
                          endpoint=args.sparql_endpoint, overwrite=args.force,
                          base=args.base_url, issued=issued)
    print(f"published release {release.version} ({release.triples} triples) to "
          f"{release.directory}; every file checked:")
    for f in release.files:
        print(f"  {f.name:<24} {f.media_type:<22} {f.size:>9} bytes  sha256 {f.sha256[:16]}…")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from metrograph.authoring import write_template

    paths = write_template(args.folder, overwrite=args.force)
    print(f"wrote a plan template ({len(paths)} files) to {args.folder}; "
          "see README.txt there for the columns")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from rdflib import Dataset, URIRef

    from metrograph.authoring.csv_format import describe_focus, read_folder
    from metrograph.errors import AuthoringError
    from metrograph.graph import KnowledgeGraph
    from metrograph.rdfio.formats import format_for
    from metrograph.rdfio.writers import serialize, union_graph

    folder = read_folder(args.folder)
    graph = folder.graph
    fmt = format_for(args.output or "out.ttl", args.format)
    name = URIRef(f"urn:metrograph:import:{folder.plan}")
    # validated with the loaded graph, the folder's plan in place of any loaded copy of it
    context = folder.in_context(_load(args).store.dataset(), name)
    problems = folder.unresolved_links(union_graph(context))
    if problems:
        raise AuthoringError(Path(args.folder), problems)
    kg = KnowledgeGraph(store=args.store)
    kg.store.add_dataset(context)
    subjects = set(graph.subjects())
    report = kg.validate()
    mine = [r for r in report.results if r.focus in subjects]
    for r in mine:
        if r.severity == "Violation" or args.verbose:
            where = describe_focus(Path(args.folder), graph, r.focus)
            print(printable(f"{where}: {r.severity}: {r.message}"), file=sys.stderr)
    violations = [r for r in mine if r.severity == "Violation"]
    if violations:
        print(f"metrograph: {len(violations)} violation(s); nothing was written",
              file=sys.stderr)
        return EXIT_INVALID
    warnings = sum(r.severity == "Warning" for r in mine)
    ds = Dataset()
    target = ds.graph(name)
    target += graph
    _write(serialize(ds, fmt.name), args.output)
    if args.output:
        print(f"wrote {len(graph)} triples to {args.output} ({warnings} warning(s); "
              "use --verbose to list them)", file=sys.stderr)
    return EXIT_OK


def cmd_status_set(args: argparse.Namespace) -> int:
    from metrograph.authoring.status import record_status

    extra = [args.file] if Path(args.file).exists() and _store_dir(args) is None else []
    kg = _load(args, extra)
    node = record_status(kg, args.code, args.status, args.as_of, args.source, args.file,
                         plan=args.plan)
    print(f"recorded {node} in {args.file}")
    if kg.read_only:
        print(f"the store directory is read as it stands: add {args.file} to it with "
              "`metrograph add`")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    kg = _load(args)
    if args.format == "html":
        from metrograph.reports.html import html_report, write_html_report

        folder = Path(args.output or ".")
        if folder.exists() and not folder.is_dir():
            raise InputError("is a file; --format html writes a folder: give -o DIR",
                             source=str(folder))
        pages = html_report(kg, plan=args.plan)  # made before the folder: an error leaves none
        created = not folder.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder: {exc.strerror}",
                             source=str(folder)) from None
        try:
            written = write_html_report(kg, folder, plan=args.plan, pages=pages,
                                        overwrite=args.force)
        except BaseException:
            if created:  # the folder this run made, holding at most the list of its pages
                from metrograph.reports.html import REPORT_MARKER

                (folder / REPORT_MARKER).unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        for path in written:
            print(path)
        return EXIT_OK
    from metrograph.reports.markdown import markdown_report

    _write(markdown_report(kg, plan=args.plan), args.output)
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    from metrograph.stores.directory import ENV_VAR, StoreDirectory

    directory = args.store_dir or os.environ.get(ENV_VAR)
    if not directory:
        raise MetrographError(f"give the store directory: --store-dir DIR or {ENV_VAR}")
    with Progress("adding", quiet=args.quiet) as progress:
        outcome = StoreDirectory(directory).add(
            args.files, graph_name=args.graph_name, format=args.format,
            bundled_data=not args.no_bundled_data, progress=progress)
    for shown in outcome.earlier_versions:
        print(printable(f"metrograph: warning: {shown} was added before with other content: "
                        "its earlier triples stay in the store (graphs are named by content); "
                        "to keep one version of a file, add each with the same --graph-name "
                        "NAME"), file=sys.stderr)
    lines = [f"created the store {directory} with the bundled ontology, schemes, organisations"
             + ("" if args.no_bundled_data else " and plan")] if outcome.created else []
    lines += [f"replaced the graph <{graph}> (it held other content)"
              for graph in outcome.replaced]
    lines += [f"added {e.source}: {e.triples} new triples into <{e.graph}>"
              for e in outcome.added if e.kind != "bundled"]
    lines += [f"unchanged: {shown} is in the store already (same content, same graph); "
              "nothing to do" for shown in outcome.unchanged]
    lines += [f"the same: {shown} has the content of {first} (taken once)"
              for shown, first in outcome.repeated]
    state = "now holds" if outcome.changed else "holds"
    lines.append(f"store {directory} {state} {outcome.triples} triples (generation "
                 f"{outcome.generation})")
    _say(lines, None)  # file names may hold control characters
    return EXIT_OK


def _output(p: argparse.ArgumentParser, metavar: str = "FILE",
            text: str = "write to FILE (atomically) instead of standard output") -> None:
    p.add_argument("-o", "--output", metavar=metavar, help=text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``metrograph`` command."""
    parser = _Parser(prog="metrograph", description=(
        "Action plans as a knowledge graph. Loads the bundled ontology, schemes and the "
        "Metropolis 2018-2020 plan, plus any --data files. Exit codes: 0 ok, 1 validation "
        "failed, 2 usage or input error."))
    parser.add_argument("--version", action="version", version=f"metrograph {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--data", action="append", default=[], metavar="FILE",
                        type=types.input_path,
                        help="an RDF file to load on top (Turtle, N-Triples, JSON-LD, TriG, "
                             "N-Quads, RDF/XML); repeatable")
    common.add_argument("--graph-name", metavar="NAME",
                        help="the named graph the --data files go into (an IRI, or a name "
                             "under https://w3id.org/metrograph/graph/user/); by default one "
                             "named by each file's content, never by its path")
    common.add_argument("--no-bundled-data", action="store_true",
                        help="leave out the bundled plan (the ontology, vocabularies and "
                             "organisations stay)")
    common.add_argument("--store", choices=STORES, default="oxigraph",
                        help="where the graph is held: an embedded Oxigraph store (default: "
                             "Rust parsers and SPARQL engine) or rdflib in memory")
    common.add_argument("--store-dir", metavar="DIR", type=types.store_dir,
                        help="read the graph from this store directory (made by `metrograph "
                             "add`) instead of loading files: opened in milliseconds; default: "
                             "the METROGRAPH_STORE_DIR environment variable. --data and FILE "
                             "arguments are refused with it (add them with `metrograph add`)")
    common.add_argument("--endpoint", metavar="URL", type=types.http_url,
                        help="answer from a remote SPARQL 1.1 endpoint holding the graph "
                             "(e.g. a partner's server loaded with `metrograph push`) instead "
                             "of loading files; credentials come from METROGRAPH_USER / "
                             "METROGRAPH_PASSWORD or ~/.netrc, never from the command line")
    common.add_argument("--http-timeout", type=types.seconds, default=30.0, metavar="SECONDS",
                        help="the longest a request to a server may take, whole answer and "
                             "retries included (default 30)")
    common.add_argument("--max-response-bytes", type=types.byte_count, default=512 << 20,
                        metavar="BYTES",
                        help="the largest answer read from a server (default 512 MiB)")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display (it only shows on a terminal anyway)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    def command(func: Callable[[argparse.Namespace], int], name: str, help: str,
                description: str | None = None, *, shared: bool = True,
                within: argparse._SubParsersAction[_Parser] = sub) -> argparse.ArgumentParser:
        """The subcommand ``name`` running ``func``, with the common options when ``shared``."""
        p = within.add_parser(name, parents=[common] if shared else [], help=help,
                              description=description)
        p.set_defaults(func=func)
        return p

    p = command(cmd_info, "info", "what is loaded: counts and plans")
    _output(p)
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command(cmd_add, "add", "add RDF files or plan folders to a store directory",
                "Add RDF files or plan folders to the store directory --store-dir DIR (or "
                "METROGRAPH_STORE_DIR), created on first add with the bundled ontology, schemes, "
                "organisations and (unless --no-bundled-data) plan. A file already in the store "
                "(same SHA-256, same graph) is skipped; a graph name held with other content is "
                "replaced. All or nothing: on bad input (exit 2) or a crash, the store is "
                "unchanged; readers are never disturbed.", shared=False)
    p.add_argument("files", nargs="+", metavar="FILE", type=types.input_path,
                   help="RDF files (Turtle, N-Triples, JSON-LD, TriG, N-Quads, RDF/XML) or "
                        "plan folders")
    p.add_argument("--store-dir", metavar="DIR", type=types.store_dir,
                   help="the store directory (default: METROGRAPH_STORE_DIR)")
    p.add_argument("--graph-name", metavar="NAME",
                   help="the named graph the files go into (an IRI, or a name under "
                        "https://w3id.org/metrograph/graph/user/); by default one named by "
                        "each file's content")
    p.add_argument("--format", choices=("ttl", "nt", "jsonld", "trig", "nq", "xml"),
                   help="the files' format (default: from each file's suffix)")
    p.add_argument("--no-bundled-data", action="store_true",
                   help="when the store is created: leave out the bundled plan")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")

    p = command(cmd_validate, "validate", "validate with the SHACL shapes (exit 1 on violations)",
                "Validate FILES (with the ontology and schemes) or, without FILES, the loaded "
                "graph. Exit 0: no violations (warnings and infos may remain; JSON `conforms` is "
                "false then, as SHACL defines it); 1: violations; 2: bad input. On a store "
                "directory the report is kept beside it (validation.json): asked again on the "
                "same store it is reused; after `metrograph add` only what the added files can "
                "affect is validated again (the same results as a full run).")
    p.add_argument("files", nargs="*", metavar="FILE", type=types.input_path,
                   help="RDF files to validate")
    p.add_argument("--shapes", action="append", metavar="FILE", type=types.input_file,
                   help="extra SHACL shapes")
    p.add_argument("--engine", choices=("fast", "pyshacl"), default="fast",
                   help="fast: the shapes compiled to SPARQL, run in the store (default); "
                        "pyshacl: pySHACL on a copy (same results, much slower)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-v", "--verbose", action="store_true", help="list every result")
    _output(p)

    p = command(cmd_query, "query", "run a library query or a .rq file",
                "Run the library query NAME (see `metrograph queries`) or --file FILE; parameters "
                "are passed as bindings. csv, tsv and json answers are written row by row as the "
                "store produces them (bounded memory on the Oxigraph store); --limit and --offset "
                "cut pages.")
    p.add_argument("name", nargs="?", help="query name")
    p.add_argument("--file", metavar="FILE", type=types.input_file,
                   help="a SPARQL SELECT query file")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (IRI, CURIE such as mgs:done, string, date...)")
    p.add_argument("--format", choices=("table", "csv", "json", "tsv"), default="table")
    p.add_argument("--timeout", type=types.seconds, metavar="SECONDS",
                   help="stop the query after this many seconds (exit 2)")
    p.add_argument("--max-rows", type=types.row_count, metavar="N",
                   help="stop with an error when the query returns more than N rows (csv, "
                        "tsv and json stream their rows: on standard output the rows before "
                        "the error are written; with -o nothing is)")
    p.add_argument("--limit", type=types.row_count, metavar="N",
                   help="hand over at most N rows (after --offset); pages are stable when "
                        "the query has an ORDER BY")
    p.add_argument("--offset", type=types.row_count, metavar="M", default=0,
                   help="skip the first M rows")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow SERVICE and FROM <IRI> in a --file query (refused by default: "
                        "they fetch data from other servers)")
    _output(p)

    p = command(cmd_queries, "queries", "list the library's queries and their "
                "parameters", shared=False)
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command(cmd_export, "export", "write the graph as RDF, or a plan as a CSV folder",
                "Write the graph as RDF, or (--format csv) one plan as a folder in the "
                "spreadsheet authoring format.")
    p.add_argument("--format", choices=("ttl", "nt", "jsonld", "trig", "nq", "csv"),
                   help="default: from the -o suffix, else Turtle")
    p.add_argument("--plan", help="with --format csv: the plan (cycle code or IRI)")
    p.add_argument("--force", action="store_true", help="replace existing CSV files")
    _output(p, "FILE|DIR", "the RDF file to write (default: standard output); with "
            "--format csv, the plan folder to write (required)")

    p = command(cmd_publish, "publish",
                "write a checked release for partners (dumps, DCAT/VoID, changelog)",
                "Write a release into -o DIR: one plain graph as Turtle, N-Triples and JSON-LD "
                "(with its context), and named graphs (one per part) as TriG, N-Quads and "
                "metrograph.graphs.jsonld, deterministic; void.ttl (DCAT and VoID); CHANGES.md "
                "against --previous; SHA256SUMS. The release is checked (every file parses and "
                "holds the same graph, checksums match) before it replaces anything; an existing "
                "release is only replaced with --force, and a folder that is not a release never.")
    p.add_argument("--previous", metavar="DIR", type=types.input_folder,
                   help="the previous release, for CHANGES.md")
    p.add_argument("--version", type=types.version,
                   help="the release's version (default: metrograph's)")
    p.add_argument("--issued", metavar="YYYY-MM-DD", type=types.iso_date,
                   help="the release's issue date (default: the date of SOURCE_DATE_EPOCH "
                        "when set, else today)")
    p.add_argument("--sparql-endpoint", metavar="URL", type=types.http_url,
                   help="a public SPARQL endpoint serving this release, for void.ttl")
    p.add_argument("--base-url", metavar="URL", type=types.http_url,
                   help="where the release folder will be served (download URLs in void.ttl)")
    p.add_argument("--site", metavar="DIR",
                   help="also (or, without -o, only) write a static linked-data site into DIR: "
                        "a page in English and French, Turtle and JSON-LD for every IRI, the "
                        "ontology's documentation, and a .htaccess for content negotiation")
    p.add_argument("--force", action="store_true",
                   help="replace an existing release (a folder with .metrograph-release) or site")
    _output(p, "DIR", "the release folder to write (with --site: optional)")

    p = command(cmd_push, "push", "upload the graph (or a release) to a SPARQL server",
                "Upload a release folder, an RDF file, or (without SOURCE) the loaded graph, one "
                "named graph at a time, with the SPARQL 1.1 Graph Store Protocol, falling back to "
                "SPARQL Update. Each graph is staged and moved into place, so a failed push "
                "leaves the previous graph intact. Each push is recorded on the server (a digest "
                "and a count per graph): a graph it holds as pushed is not sent again. "
                "Credentials: METROGRAPH_USER / METROGRAPH_PASSWORD or ~/.netrc.")
    p.add_argument("source", nargs="?", metavar="SOURCE", type=types.input_path,
                   help="a release folder (metrograph publish) or an RDF file")
    p.add_argument("--graph-store", metavar="URL", type=types.http_url,
                   help="Graph Store Protocol URL (Oxigraph: …/store; Virtuoso: "
                        "…/sparql-graph-crud-auth)")
    p.add_argument("--update", metavar="URL", type=types.http_url,
                   help="SPARQL Update URL (Oxigraph: …/update; Virtuoso: …/sparql): staged, "
                        "atomic replacement and the fallback")
    p.add_argument("--query", metavar="URL", type=types.http_url,
                   help="SPARQL query URL, to count each upload")
    p.add_argument("--graph", metavar="IRI", type=types.iri, help="push only this named graph")
    p.add_argument("--default-graph", metavar="IRI", type=types.iri,
                   help="the named graph for triples outside any named graph")
    p.add_argument("--add", action="store_true", help="add to the graphs instead of replacing")
    p.add_argument("--prune", action="store_true",
                   help="drop the server's graphs under https://w3id.org/metrograph/graph/ that "
                        "this release no longer has (needs --update and --query)")
    p.add_argument("--force", action="store_true",
                   help="send every graph, even those the server holds as recorded (a graph "
                        "edited on the server without changing its number of triples)")

    p = command(cmd_template, "template", "write an empty plan folder (CSV "
                "authoring format)", shared=False)
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace an existing template")

    p = command(cmd_import, "import", "turn a plan folder (CSV) into RDF, checked by the shapes",
                "Read a plan folder, report every problem with file, row and column, validate it "
                "with the shapes together with the loaded graph (so links to earlier cycles are "
                "checked), and write RDF only when it is valid. Exit 1 on violations, 2 on "
                "unreadable input; nothing is written then.")
    p.add_argument("folder", metavar="DIR", type=types.input_folder)
    p.add_argument("--format", choices=("ttl", "nt", "jsonld", "trig", "nq"), default=None,
                   help="output format (default: from the -o suffix, else Turtle)")
    _output(p, "FILE", "write the RDF to FILE (default: standard output)")
    p.add_argument("-v", "--verbose", action="store_true", help="list warnings too")

    p = sub.add_parser("status", help="record status updates")
    status_sub = p.add_subparsers(dest="status_command", required=True, metavar="ACTION",
                                  parser_class=_Parser)
    s = command(cmd_status_set, "set", "record a dated status assessment (never an overwrite)",
                "Append a new dated assessment of a deliverable to FILE (an RDF file, created if "
                "missing) or to a plan folder's statuses.csv.", within=status_sub)
    s.add_argument("code", help="deliverable code, e.g. L1M3D2")
    s.add_argument("status", type=types.status_name,
                   help="done, in-progress, not-elaborated (or V, O, X)")
    s.add_argument("--as-of", required=True, metavar="DATE", type=types.iso_date,
                   help="YYYY-MM-DD")
    s.add_argument("--source", required=True, metavar="IRI", type=types.iri,
                   help="the IRI of the document the status comes from")
    s.add_argument("--plan", help="the plan (cycle code or IRI) when several are loaded")
    s.add_argument("--file", required=True, metavar="FILE", type=types.status_target,
                   help="where to record it: an RDF file or a plan folder")

    p = command(cmd_report, "report",
                "the implementation report: Markdown, or self-contained HTML pages",
                "The implementation report as the source lays it out. Markdown goes to standard "
                "output or -o FILE; --format html writes into the folder -o DIR one "
                "self-contained page per plan and language (French, English), the network "
                "overview (network.fr.html, network.en.html) and index.html.")
    p.add_argument("--plan", help="cycle code or IRI of one plan (default: every plan)")
    p.add_argument("--format", choices=("markdown", "html"), default="markdown")
    p.add_argument("--force", action="store_true",
                   help="html: replace files of the folder that an earlier report did not "
                        "write (index.html...)")
    _output(p, "FILE|DIR", "Markdown: the file to write (default: standard output); "
            "html: the folder to write the pages into (default: the current folder)")
    return parser


#: the options that name files or folders a command reads
_INPUTS = ("data", "files", "shapes", "file", "source", "folder", "previous", "store_dir")
#: the options that name a file or folder a command writes
_OUTPUTS = ("output", "site")


def _store_dir_given(args: argparse.Namespace) -> str | None:
    """The store directory a command reads: ``--store-dir``, else ``METROGRAPH_STORE_DIR``
    unless ``--endpoint`` is given (as :func:`_store_dir` chooses, without its checks)."""
    from metrograph.stores.directory import ENV_VAR

    if not hasattr(args, "store_dir"):
        return None
    if args.store_dir or getattr(args, "endpoint", None):
        return args.store_dir or None
    return os.environ.get(ENV_VAR) or None


def _refuse_output_clash(args: argparse.Namespace) -> None:
    """:class:`InputError` when an output (``-o``, ``--site``) is one of the command's inputs,
    holds one (a folder written whole replaces what it held) or lies inside an input folder:
    writing it would destroy what is being read."""
    if getattr(args, "command", None) == "status":
        return  # status set writes into its --file on purpose
    outputs = [(name, Path(getattr(args, name))) for name in _OUTPUTS
               if getattr(args, name, None)]
    if not outputs:
        return
    # METROGRAPH_STORE_DIR is an input as --store-dir is
    values = [_store_dir_given(args), *(getattr(args, name, None) for name in _INPUTS)]
    inputs = [Path(item) for value in values
              for item in (value if isinstance(value, list) else [value]) if item]
    # an HTML report writes its pages into a folder, leaving its other files alone
    pages_only = getattr(args, "command", None) == "report" and getattr(args, "format",
                                                                         None) == "html"
    for name, out in outputs:
        out_real = out.resolve()
        for given in inputs:
            real = given.resolve()
            same = out_real == real or (out.exists() and given.exists()
                                        and os.path.samefile(out, given))
            holds = out_real in real.parents and not pages_only
            if same or holds or real in out_real.parents:
                option = "-o" if name == "output" else "--" + name
                raise InputError(f"would overwrite an input ({given}): write the output "
                                 "elsewhere", source=f"{option} {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    if sys.stderr is None:  # closed (2>&-): errors have nowhere to go; the exit code stays
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None:  # closed (>&-): refused before anything is read or written
        print("metrograph: error: standard output is closed: give it a file or /dev/null",
              file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (one line on stderr), --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from metrograph.validation.literals import one_line_literal_warnings

    # library warnings (an ill-typed literal...) as one line each on stderr, no traceback
    logging.basicConfig(format="metrograph: warning: %(message)s", level=logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_printable_record)
    try:
        _refuse_output_clash(args)
        with one_line_literal_warnings():
            code: int = args.func(args)
        sys.stdout.flush()  # a write error on standard output (a full disk) shows here
        return code
    except MetrographError as exc:
        print(f"metrograph: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the environment failed us (standard output closed or full...)
        if isinstance(exc, BrokenPipeError):
            return EXIT_OK
        where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
        print(printable(f"metrograph: error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C: the files being written are removed
        # (SIGTERM and SIGHUP keep their default action: a Python handler runs only between
        # bytecodes, so it held the process for as long as a native step such as an Oxigraph
        # query lasted; a folder a killed run leaves is cleared by the next run)
        print("metrograph: error: stopped by SIGINT", file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
