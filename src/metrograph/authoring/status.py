"""Recording a status update: a new dated assessment with its source, never an overwrite.

Concurrent updates of one target are serialised by a lock file beside it (``.NAME.lock``):
under the lock the target is read again, checked for the same day, and rewritten atomically,
so no update is lost. An update is refused, nothing written, where the result would be refused
later: a source that is not an IRI the CSV format and the stores accept, a date before the plan
starts, and for a plan folder anything ``metrograph import`` would refuse because of the new row
(a violation the folder, validated with the loaded graph, did not have without it). The row
follows the column order of the file's own header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from filelock import FileLock, Timeout
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from metrograph.authoring.schema import escape, tables
from metrograph.errors import InputError
from metrograph.graph import KnowledgeGraph
from metrograph.model import Deliverable, Status
from metrograph.namespaces import MG, bind_prefixes
from metrograph.rdfio.formats import format_for

__all__ = ["LOCK_TIMEOUT", "assessment_graph", "record_status"]

#: Seconds to wait for another writer of the same target.
LOCK_TIMEOUT = 60.0


def assessment_graph(item: Deliverable, status: Status, as_of: dt.date,
                     source: URIRef) -> Graph:
    """The triples of one assessment of ``item`` (IRI ``<plan>/assessment/<code>/<date>``)."""
    if status is Status.NOT_RECORDED or status.iri is None:
        raise InputError("'not recorded' is the absence of an assessment: give done, "
                         "in-progress or not-elaborated")
    g = bind_prefixes(Graph())
    node = URIRef(f"{item.plan}/assessment/{item.code}/{as_of.isoformat()}")
    g.add((node, RDF.type, MG.StatusAssessment))
    g.add((node, MG.assessedItem, item.iri))
    g.add((node, MG.status, status.iri))
    g.add((node, MG.asOf, Literal(as_of.isoformat(), datatype=XSD.date)))
    g.add((node, DCTERMS.source, source))
    return g


def record_status(kg: KnowledgeGraph, code: str, status: str | Status, as_of: str | dt.date,
                  source: str, target: str | Path, plan: str | None = None) -> URIRef:
    """Record that deliverable ``code`` (of ``plan``) had ``status`` on ``as_of`` according to
    ``source`` (an IRI), appending to ``target``: a plan folder (its ``statuses.csv``) or an RDF
    file (created if missing, rewritten atomically; a symbolic link is written through). ``kg``
    must hold the deliverable. An assessment of the same deliverable on the same day is refused:
    history is never overwritten. ``kg`` sees the new assessment unless it is read-only (a
    store directory: add ``target`` to it then). Returns the new assessment's IRI."""
    item = kg.get(code, plan=plan)
    if not isinstance(item, Deliverable):
        raise InputError(f"{code} is a {item.kind}, not a deliverable")
    parsed = Status.parse(status)
    day = as_of if isinstance(as_of, dt.date) else _day(as_of)
    column = tables()["statuses.csv"].column("source")
    assert column is not None
    checked, problem = column.parse(source)  # the check of a statuses.csv cell
    if problem or checked != [source]:
        raise InputError(f"--source must be the IRI of the source document, got {source!r}"
                         + (f": {problem}" if problem else ""))
    start = kg.plan(item.plan).start_year
    if start is not None and day.year < start:
        raise InputError(f"{item.code} belongs to a plan that starts in {start}: it has no "
                         f"status on {day.isoformat()}, before its plan begins (import and "
                         "validate would refuse the assessment)")
    for record in item.history:
        if record.as_of == day:
            _refuse(item, day, f"{record.status.value}, {record.assessment}")
    new = assessment_graph(item, parsed, day, URIRef(source))
    path = Path(target).resolve()
    if not path.parent.is_dir():
        raise InputError("the folder does not exist", source=str(path.parent))
    try:
        with FileLock(path.parent / f".{path.name}.lock", timeout=LOCK_TIMEOUT):
            if path.is_dir():
                _append_row(kg, path, item, parsed, day, source)
            else:
                _append_triples(path, item, day, new)
    except Timeout:
        raise InputError(f"another process has held the lock for {LOCK_TIMEOUT:.0f} s; "
                         "try again", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(path)) from None
    if not kg.read_only:  # a store directory is read-only: `metrograph add` the file to it
        kg.add_graph(new, URIRef(path.as_uri()))
    return URIRef(f"{item.plan}/assessment/{item.code}/{day.isoformat()}")


def _refuse(item: Deliverable, day: dt.date, what: str) -> None:
    raise InputError(f"{item.code} already has a status on {day.isoformat()} ({what}); history "
                     "is never overwritten: record a later assessment instead")


def _append_row(kg: KnowledgeGraph, folder: Path, item: Deliverable, status: Status,
                day: dt.date, source: str) -> None:
    """Append the assessment to the folder's statuses.csv, in the order of its header, if the
    folder with it reads, and validates with ``kg``'s data as the import validates it with no
    violation the row brings."""
    from metrograph.authoring.csv_format import read_folder
    from metrograph.authoring.folder import csv_text
    from metrograph.authoring.reader import read_table
    from metrograph.rdfio.writers import write_atomic

    sheet = folder / "statuses.csv"
    for old_row in read_table(folder, "statuses.csv", []):
        if (old_row["code"], old_row["as_of"]) == (item.code, day.isoformat()):
            _refuse(item, day, f"statuses.csv, row {old_row.number}")
    row = {"code": item.code, "status": status.value, "as_of": day.isoformat(), "source": source}
    old = sheet.read_bytes() if sheet.is_file() else b""
    try:
        text = old.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8: save it as UTF-8 CSV", source=str(sheet)) from None
    header = next(csv.reader(io.StringIO(text, newline="")), None) if text.strip() else None
    if header is None:
        data = csv_text("statuses.csv", [row]).encode("utf-8")
    else:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(
            [escape(row.get(name.strip(), "")) for name in header])
        data = old + (b"" if old.endswith(b"\n") else b"\r\n") + buf.getvalue().encode("utf-8")
    updated = read_folder(folder, replace={"statuses.csv": data.decode("utf-8-sig")})
    # the violations the new row brings: those of links to cycles that are not loaded now
    # (import resolves them against what it loads) are the folder's, before and after
    try:
        before = set(read_folder(folder).violations(kg.store.dataset()))
    except InputError:  # the file as it was does not read (empty): every violation is new
        before = set()
    new = [v for v in updated.violations(kg.store.dataset()) if v not in before]
    if new:
        raise InputError(f"with this assessment the folder would not import ({len(new)} "
                         "violation(s)); nothing was written:\n  " + "\n  ".join(new),
                         source=str(folder))
    write_atomic(sheet, data)


def _append_triples(path: Path, item: Deliverable, day: dt.date, new: Graph) -> None:
    """Add the assessment to the RDF file ``path``, as it is now."""
    from metrograph.rdfio.formats import read_graph
    from metrograph.rdfio.writers import serialize, write_atomic

    fmt = format_for(path)
    # read as every input is read: a regular file, nothing fetched, errors naming it
    existing = read_graph(path) if path.exists() else Graph()
    for a in existing.subjects(MG.assessedItem, item.iri):
        if existing.value(a, MG.asOf) == Literal(day.isoformat(), datatype=XSD.date):
            _refuse(item, day, str(a))
    ds = Dataset()
    target = ds.graph(URIRef(path.as_uri()))
    for triple in (*existing, *new):
        target.add(triple)
    write_atomic(path, serialize(ds, fmt.name).encode("utf-8"))


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of expects a date YYYY-MM-DD, got {value!r}") from None
