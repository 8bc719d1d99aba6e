"""Recording a status update: a new dated assessment with its source, never an overwrite."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from metrograph.errors import InputError
from metrograph.graph import KnowledgeGraph
from metrograph.model import Deliverable, Status
from metrograph.namespaces import MG, bind_prefixes
from metrograph.rdfio.formats import format_for

__all__ = ["assessment_graph", "record_status"]


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
    file (created if missing, rewritten atomically). ``kg`` must hold the deliverable. An
    assessment of the same deliverable on the same day is refused: history is never
    overwritten. Returns the new assessment's IRI."""
    from metrograph.authoring.csv_format import import_folder
    from metrograph.rdfio.writers import serialize, write_atomic

    item = kg.get(code, plan=plan)
    if not isinstance(item, Deliverable):
        raise InputError(f"{code} is a {item.kind}, not a deliverable")
    parsed = Status.parse(status)
    day = as_of if isinstance(as_of, dt.date) else _day(as_of)
    if not source.startswith(("http://", "https://", "urn:")) or any(c in source for c in
                                                                       ' <>"{}|^`\\'):
        raise InputError(f"--source must be the IRI of the source document, got {source!r}")
    for record in item.history:
        if record.as_of == day:
            raise InputError(f"{item.code} already has a status on {day.isoformat()} "
                             f"({record.status.value}, {record.assessment}); history is never "
                             "overwritten: record a later assessment instead")
    new = assessment_graph(item, parsed, day, URIRef(source))
    path = Path(target)
    if path.is_dir():
        sheet = path / "statuses.csv"
        old = sheet.read_bytes() if sheet.exists() else None
        rows = list(csv.reader(io.StringIO((old or b"code,status,as_of,source\n").decode(
            "utf-8-sig"))))
        rows.append([item.code, parsed.value, day.isoformat(), source])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        write_atomic(sheet, buf.getvalue().encode("utf-8"))
        try:
            import_folder(path)
        except InputError:
            if old is None:
                sheet.unlink()
            else:
                write_atomic(sheet, old)
            raise
    else:
        fmt = format_for(path)
        existing = Graph()
        if path.exists():
            try:
                existing.parse(path, format=fmt.rdflib_name)
            except Exception as exc:
                raise InputError(f"cannot read: {exc}", source=str(path)) from None
        from rdflib import Dataset

        ds = Dataset()
        target_graph = ds.graph(URIRef(path.resolve().as_uri()))
        for triple in existing:
            target_graph.add(triple)
        for triple in new:
            target_graph.add(triple)
        write_atomic(path, serialize(ds, fmt.name).encode("utf-8"))
    kg.add_graph(new, URIRef(path.resolve().as_uri()))
    return URIRef(f"{item.plan}/assessment/{item.code}/{day.isoformat()}")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of expects a date YYYY-MM-DD, got {value!r}") from None
