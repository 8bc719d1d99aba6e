"""The Python API on the bundled data: typed access, summaries, validation, reasoning, export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

import metrograph
from metrograph.errors import InputError, NotFoundError, QueryParameterError, UnknownQueryError
from metrograph.model import Deliverable, Measure, Status
from metrograph.stores import STORES

from .tally import count

M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"


def test_load_bundled_counts(kg) -> None:  # type: ignore[no-untyped-def]
    counts = kg.counts()
    assert counts["plans"] == 1
    assert (counts["guidelines"], counts["measures"], counts["deliverables"]) == (3, 27, 65)
    assert counts["assessments"] == 0
    [plan] = kg.plans()
    assert plan.cycle == "2018-2020" and (plan.start_year, plan.end_year) == (2018, 2020)
    assert plan.organisation == URIRef("https://w3id.org/metrograph/id/org/metropolis")
    assert (plan.guidelines, plan.measures, plan.deliverables) == (3, 27, 65)


def test_lookup_by_code_and_iri(kg) -> None:  # type: ignore[no-untyped-def]
    d = kg.get("L3M6D4")
    assert isinstance(d, Deliverable)
    assert d.label("fr") == "Manuel de procédure administrative clair et efficace"
    assert d.label("en")
    assert kg.get(str(d.iri)) == d
    assert kg.get("l3m6d4") == d
    assert d.parent == URIRef(M18 + "/L3M6") and d.plan == URIRef(M18)
    m = kg.get("L1M3")
    assert isinstance(m, Measure)
    assert m.expected_outcome and m.expected_outcome.startswith("Metropolis a influencé")
    with pytest.raises(NotFoundError):
        kg.get("L9M9D9")


def test_filters(kg) -> None:  # type: ignore[no-untyped-def]
    assert len(kg.deliverables(guideline="L1")) == 17
    assert len(kg.deliverables(guideline="L2")) == 27
    assert [d.code for d in kg.deliverables(measure="L1M3")] == [
        "L1M3D1", "L1M3D2", "L1M3D3", "L1M3D4"]
    assert len(kg.deliverables(plan="2018-2020")) == 65
    assert len(kg.deliverables(plan=M18, status="not-recorded")) == 65
    assert kg.deliverables(status="done") == []
    assert len(kg.measures(guideline="L2")) == 11
    # themes inherited from the measure: L1M3's four deliverables are all gender work
    assert {d.code for d in kg.deliverables(theme="gender")} >= {"L1M3D1", "L1M3D4", "L3M8D1"}
    assert [m.code for m in kg.measures(theme="youth")] == ["L1M4", "L2M10"]
    # SDG goal and target, linked on a measure or a deliverable
    assert [d.code for d in kg.deliverables(sdg="5.5")] == ["L1M3D1", "L1M3D2", "L1M3D3",
                                                           "L1M3D4"]
    assert {m.code for m in kg.measures(sdg="5")} == {"L1M3", "L2M9", "L3M8"}
    assert {m.code for m in kg.measures(sdg="http://metadata.un.org/sdg/16.6")} == {"L3M6"}
    with pytest.raises(InputError):
        kg.deliverables(status="finished")


def test_partner_mentions(kg) -> None:  # type: ignore[no-untyped-def]
    uclg = URIRef("https://w3id.org/metrograph/id/org/uclg")
    assert {c.code for c in [*kg.measures(), *kg.deliverables()] if uclg in c.mentions} == {
        "L1M7", "L1M7D2", "L3M5D2"}
    rows = kg.query("partner-mentions", partner=uclg).rows
    assert [r["code"] for r in rows] == ["L1M7", "L1M7D2", "L3M5D2"]


def test_progress_summaries(kg) -> None:  # type: ignore[no-untyped-def]
    by_guideline = kg.progress("guideline")
    assert [(p.code, p.total) for p in by_guideline] == [("L1", 17), ("L2", 27), ("L3", 21)]
    for p in by_guideline:
        assert p.counts[Status.NOT_RECORDED] == p.total
        assert p.share(Status.DONE) == 0.0 and p.share(Status.NOT_RECORDED) == 1.0
    [plan] = kg.progress("plan")
    assert plan.total == 65 and plan.counts[Status.NOT_RECORDED] == 65
    measures = kg.progress("measure")
    assert len(measures) == 27 and sum(p.total for p in measures) == 65
    themes = {p.code: p.total for p in kg.progress("theme")}
    assert themes == {"gender": 10, "youth": 4}
    goals = {p.code: p.total for p in kg.progress("sdg-goal")}
    assert goals == {"5": 6, "11": 7, "16": 10, "17": 10}
    with pytest.raises(InputError):
        kg.progress("colour")


def test_reported_versus_recorded(kg) -> None:  # type: ignore[no-untyped-def]
    [c] = kg.reported_vs_recorded()
    assert c.reported_total == 65 and c.recorded_total == 65 and c.total_difference == 0
    assert c.recorded[Status.NOT_RECORDED] == 65
    assert c.difference(Status.DONE) == 49
    assert c.difference(Status.IN_PROGRESS) == 10
    assert c.difference(Status.NOT_ELABORATED) == 6


def test_named_query_rows_and_formats(kg) -> None:  # type: ignore[no-untyped-def]
    result = kg.query("deliverables-without-status", plan=M18)
    assert len(result) == 65
    assert result.rows[0]["code"] == "L1M1D1"
    doc = json.loads(result.serialize("json"))
    assert doc["head"]["vars"] == ["plan", "item", "code", "label", "date"]
    assert doc["results"]["bindings"][0]["label"]["xml:lang"] == "fr"
    csv = result.serialize("csv")
    assert csv.startswith("plan,item,code,label,date\r\n") and csv.count("\r\n") == 66
    tsv = result.serialize("tsv")
    assert tsv.splitlines()[0] == "?plan\t?item\t?code\t?label\t?date"
    assert '"L1M1D1"' in tsv.splitlines()[1]
    assert "(65 rows)" in result.serialize("table")


def test_query_parameters_are_typed_and_checked(kg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownQueryError):
        kg.query("no-such-query")
    with pytest.raises(QueryParameterError):
        kg.query("plans", colour="red")
    with pytest.raises(QueryParameterError):
        kg.query("measure-drilldown")
    with pytest.raises(QueryParameterError):
        kg.query("status-on-date", date="end of 2019")
    with pytest.raises(QueryParameterError):
        kg.query("components", plan="not an iri> } DROP ALL {")
    rows = kg.query("measure-drilldown", measure=M18 + "/L2M2").rows
    assert [r["code"] for r in rows] == [f"L2M2D{i}" for i in range(1, 6)]
    assert all(r["status"] is None for r in rows)
    # a CURIE works for IRIs
    assert len(kg.query("components", kind="mg:Measure").rows) == 27


def test_string_values_cannot_change_a_query(kg) -> None:  # type: ignore[no-untyped-def]
    text = "SELECT ?item ?code WHERE { ?item <http://www.w3.org/2004/02/skos/core#notation> ?code }"
    from rdflib import Literal

    for evil in ['L1M1D1" } ?s ?p ?o { "', "L1M1D1\n}", "<http://x>", '"@en']:
        assert len(kg.sparql(text, {"code": Literal(evil)})) == 0
    assert len(kg.sparql(text, {"code": Literal("L1M1D1")})) == 1


def test_validate_reports_and_does_not_mutate(kg) -> None:  # type: ignore[no-untyped-def]
    before = len(kg)
    report = kg.validate()
    assert len(kg) == before
    assert not report.has_violations and not report.conforms  # warnings only: SHACL
    assert report.violations == []
    assert len(report.warnings) == 65
    assert {str(w.focus) for w in report.warnings} == {str(d.iri) for d in kg.deliverables()}
    assert all("status" in w.message.lower() for w in report.warnings)
    assert len(report.graph) > 0
    assert report.summary().startswith("no violations")


def test_validate_finds_violations_in_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("""
        @prefix mg: <https://w3id.org/metrograph/ontology#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/metrograph/id/metropolis/plan/2018-2020/L1M1D9> a mg:Deliverable ;
            skos:notation "L1M1D9" ; skos:prefLabel "Livrable sans parent"@fr .
    """, encoding="utf-8")
    kg = metrograph.load(bad)
    report = kg.validate()
    assert not report.conforms
    focus = {str(v.focus) for v in report.violations}
    assert "https://w3id.org/metrograph/id/metropolis/plan/2018-2020/L1M1D9" in focus
    assert all(v.message for v in report.violations)


def test_reasoned_is_a_new_graph(kg) -> None:  # type: ignore[no-untyped-def]
    before = len(kg)
    reasoned = kg.reasoned()
    assert len(kg) == before
    assert len(reasoned) > before


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig", "nq", "xml"])
def test_export_round_trips(kg, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"out.{fmt}"
    text = kg.export(fmt, path)
    assert path.read_text(encoding="utf-8") == text
    assert kg.export(fmt) == text  # deterministic
    again = metrograph.load(path, bundled=False)
    original = Graph()
    for s, p, o, _g in kg.store.dataset().quads((None, None, None, None)):
        original.add((s, p, o))
    loaded = Graph()
    for s, p, o, _g in again.store.dataset().quads((None, None, None, None)):
        loaded.add((s, p, o))
    assert isomorphic(original, loaded)
    if fmt in ("trig", "nq", "jsonld"):
        names = set(again.store.graph_names())
        assert URIRef("https://w3id.org/metrograph/graph/ontology/metrograph") in names
        assert URIRef("https://w3id.org/metrograph/graph/data/metropolis/2018-2020/plan") in names


def test_jsonld_uses_the_published_context(kg) -> None:  # type: ignore[no-untyped-def]
    from metrograph.rdfio.writers import JSONLD_CONTEXT

    doc = json.loads(kg.export("jsonld"))
    assert doc["@context"] == JSONLD_CONTEXT
    assert JSONLD_CONTEXT["mg"] == "https://w3id.org/metrograph/ontology#"


def test_load_user_files_on_top_or_instead(tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonld"
    extra.write_text(json.dumps({
        "@context": {"mg": "https://w3id.org/metrograph/ontology#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": "https://w3id.org/metrograph/id/metropolis/plan/2018-2020/assessment/L1M1D1/2020-12-31",
        "@type": "mg:StatusAssessment",
        "mg:assessedItem": {"@id": M18 + "/L1M1D1"},
        "mg:status": {"@id": "https://w3id.org/metrograph/vocab/status/done"},
        "mg:asOf": {"@value": "2020-12-31", "@type": "xsd:date"}}), encoding="utf-8")
    kg = metrograph.load(extra)
    d = kg.get("L1M1D1")
    assert isinstance(d, Deliverable) and d.status is Status.DONE
    assert len(kg.deliverables(status=Status.NOT_RECORDED)) == 64
    alone = metrograph.load(extra, bundled=False)
    assert alone.plans() == [] and len(alone) == 4


@pytest.mark.parametrize("content,suffix,needle", [
    ("", ".ttl", "empty"),
    # the line, and the column where the parser gives it (Oxigraph does, rdflib does not)
    ("@prefix x: <http://x/> .\nx:a x:b .\nx:c x:d", ".ttl", r"bad\.ttl:2(:\d+)?: not valid ttl"),
    ("{not json", ".jsonld", "not valid jsonld"),
    ("<a> <b> .", ".nt", "not valid nt"),
    ("<http://x/a> <http://x/b> <http://x/c> .", ".csv", "suffix"),
])
@pytest.mark.parametrize("store", STORES)
def test_bad_files_raise_input_error_naming_the_file(
        tmp_path: Path, content: str, suffix: str, needle: str, store: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        metrograph.load(path, bundled=False, store=store)
    assert str(path) in str(info.value)
    assert re.search(needle, str(info.value))
    count("malformed input files")


def test_non_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ttl"
    path.write_bytes("<http://x/a> <http://x/b> \"é\" .".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        metrograph.load(path, bundled=False)
    with pytest.raises(InputError, match="no such file"):
        metrograph.load(tmp_path / "missing.ttl", bundled=False)


def test_store_interface_is_small_and_swappable() -> None:
    from metrograph.stores import MemoryStore, Store

    store = MemoryStore()
    assert isinstance(store, Store)
    kg = metrograph.load(store=store)
    assert kg.store is store
    ds = store.dataset()
    assert isinstance(ds, Dataset) and len(list(ds.quads((None, None, None, None)))) == len(kg)


def test_typed_objects_round_trip_to_rdf(multi) -> None:  # type: ignore[no-untyped-def]
    """graph -> objects -> graph loses nothing the model defines."""
    from metrograph.rdfio.objects import MODEL_PREDICATES, to_rdf
    from metrograph.rdfio.writers import union_graph

    rebuilt = to_rdf(multi.plans(), multi.components())
    union = union_graph(multi.store.dataset())
    subjects = set(rebuilt.subjects())
    expected = Graph()
    for s in subjects:
        for p, o in union.predicate_objects(s):
            if p in MODEL_PREDICATES and not (
                    p == URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
                    and str(o).startswith("http://www.w3.org/ns/prov#")):
                if p == URIRef("http://purl.org/dc/terms/source") and (
                        s, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        URIRef("https://w3id.org/metrograph/ontology#StatusAssessment")
                ) not in union:
                    continue
                expected.add((s, p, o))
    assert len(rebuilt) > 900
    assert isomorphic(rebuilt, expected), sorted(set(expected) ^ set(rebuilt))[:5]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig", "nq"])
def test_export_is_byte_identical_across_processes(fmt: str) -> None:
    """Blank-node ids differ from one process to the next; the exported bytes do not."""
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "metrograph"
    runs = [subprocess.run([str(exe), "export", "--format", fmt], capture_output=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) > 100_000


# ------------------------------------------------------------------ the graph model: one fact once

PLAN_TTL = """\
@prefix ex: <https://example.org/ns/> .
# FICTIONAL TEST DATA: a blank-node structure and plain triples
ex:a ex:p [ ex:q [ ex:r 1 ] ] ; ex:s "text"@en .
"""


#: on rdflib's engine (slow: seconds a query), the queries that count
COUNTING = ("plans", "progress-by-plan", "progress-by-guideline", "reported-vs-recorded",
            "sdg-goals-touched")


def _every_query(kg: metrograph.KnowledgeGraph) -> dict[str, list[tuple[object, ...]]]:
    from metrograph.sparql.library import catalogue

    out = {}
    for name, q in sorted(catalogue().items()):
        if kg.store.name == "memory" and name not in COUNTING:
            continue
        params = {p.name: M18 + "/L1M3" for p in q.parameters if p.required}
        out[name] = [tuple(row) for row in kg.query(name, **params).raw.rows]
    return out


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from metrograph.publishing.release import publish

    folder = tmp_path_factory.mktemp("model") / "release"
    publish(metrograph.load(), folder)
    return folder


@pytest.mark.parametrize("store", STORES)
def test_a_triple_loaded_twice_counts_once(store: str, release_dir: Path,
                                           tmp_path: Path) -> None:
    """Issue 15.1: the bundled data plus the release made from it (every dump format), or a
    file loaded twice, gives every shipped query exactly the rows of a single load."""
    user = tmp_path / "user.ttl"
    user.write_text(PLAN_TTL, encoding="utf-8")
    single = metrograph.load(user, store=store)
    expected = _every_query(single)
    assert expected["plans"] and len(expected["plans"]) == 1
    loads = [[user, user]] + [[user, release_dir / name] for name in (
        "metrograph.nt", "metrograph.ttl", "metrograph.trig", "metrograph.nq",
        "metrograph.jsonld", "metrograph.graphs.jsonld")]
    if store == "memory":  # rdflib is slow: the plain and the named forms
        loads = [loads[0], loads[1], loads[3]]
    for sources in loads:
        kg = metrograph.load(*sources, store=store)
        assert _every_query(kg) == expected, sources[-1].name
        assert len(kg) == len(single), sources[-1].name
        assert kg.counts() == single.counts(), sources[-1].name
        count("double loads that changed no query row")


@pytest.mark.parametrize("store", STORES)
def test_statements_count_distinct_triples(store: str, tmp_path: Path) -> None:
    """counts()["statements"] and len() count distinct triples, not quads."""
    kg = metrograph.load(store=store)
    distinct = len({(s, p, o) for s, p, o, _g in kg.store.dataset().quads()})
    assert kg.counts()["statements"] == len(kg) == distinct
    # a triple written into a second graph by an update is still one triple
    kg.update("INSERT DATA { GRAPH <https://example.org/g2> { "
              f"<{M18}> a <https://w3id.org/metrograph/ontology#ActionPlan> }} }}",
              allow_update=True)
    assert kg.counts()["statements"] == distinct
    assert len(kg.query("plans").rows) == 1
    assert kg.counts()["plans"] == 1


@pytest.mark.parametrize("store", STORES)
def test_user_graphs_are_named_by_content_or_by_the_user(store: str, tmp_path: Path) -> None:
    """Issue 15.2: never by a local path; the same file from two folders is the same graph."""
    names = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "user.ttl"
        path.write_text(PLAN_TTL, encoding="utf-8")
        kg = metrograph.load(path, bundled=False, store=store)
        names.append(kg.store.graph_names())
        assert not any(str(g).startswith("file:") for g in names[-1])
    assert names[0] == names[1]
    named = metrograph.load(tmp_path / "one" / "user.ttl", bundled=False, store=store,
                            graph_name="partner-2024")
    assert named.store.graph_names() == [
        URIRef("https://w3id.org/metrograph/graph/user/partner-2024")]
    with pytest.raises(InputError, match="graph name"):
        metrograph.load(tmp_path / "one" / "user.ttl", bundled=False, graph_name="a b")


#: assessments the typed API cannot represent (the shapes report each): the status outside the
#: scheme, the "not recorded" pseudo-status, an impossible date, a date and time, a plain string
BAD_ASSESSMENTS = {
    "status outside the scheme": ("mgs:cancelled", '"2020-01-01"^^xsd:date', "mg:status"),
    "not-recorded as a status": ("mgs:not-recorded", '"2020-01-01"^^xsd:date', "mg:status"),
    "a literal as status": ('"done"', '"2020-01-01"^^xsd:date', "mg:status"),
    "impossible date": ("mgs:done", '"2020-13-45"^^xsd:date', "mg:asOf"),
    "date and time": ("mgs:done", '"2020-01-01T10:00:00"^^xsd:dateTime', "mg:asOf"),
    "plain string date": ("mgs:done", '"yesterday"', "mg:asOf"),
}


def _bad_assessment(tmp_path: Path, status: str, date: str) -> Path:
    path = tmp_path / "bad-assessment.ttl"
    path.write_text(f"""@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix mgs: <https://w3id.org/metrograph/vocab/status/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://example.org/assessment/1> a mg:StatusAssessment ;
    mg:assessedItem <{M18}/L1M1D1> ; mg:status {status} ; mg:asOf {date} ;
    dcterms:source <https://example.org/review> .
""", encoding="utf-8")
    return path


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case", sorted(BAD_ASSESSMENTS))
def test_data_the_typed_api_cannot_represent_is_a_data_error(tmp_path: Path, store: str,
                                                             case: str) -> None:
    """An assessment whose status or date breaks the shapes: the typed views raise DataError
    naming the assessment, the property and the shape, on every store; the report command
    exits 2 with that one line (no traceback); validation reports the same assessment."""
    import subprocess
    import sys

    status, date, prop = BAD_ASSESSMENTS[case]
    path = _bad_assessment(tmp_path, status, date)
    kg = metrograph.load(path, store=store)
    for call in (kg.deliverables, lambda: kg.get("L1M1D1"), kg.counts):
        with pytest.raises(metrograph.DataError) as info:
            call()
        message = str(info.value)
        assert "<https://example.org/assessment/1>" in message and prop in message, message
        assert "metrograph validate" in message
    if prop == "mg:status":  # the summaries count it nowhere: they say so
        for summary in (lambda: kg.progress("guideline"), lambda: kg.progress("plan"),
                        kg.reported_vs_recorded):
            with pytest.raises(metrograph.DataError, match=r"1 deliverable.*outside"):
                summary()
    if store == "oxigraph":  # validation is the store's (the compiled shapes on rdflib's
        # engine, 15 s here: tests/test_scale.py); the typed views above are the API's
        focus = {str(r.focus) for r in kg.validate().results if r.severity == "Violation"}
        assert "https://example.org/assessment/1" in focus
    done = subprocess.run([sys.executable, "-m", "metrograph", "report", "--data", str(path),
                           "--store", store], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("metrograph: warning")]
    assert len(lines) == 1 and lines[0].startswith("metrograph: error: the assessment <https://")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("store", STORES)
def test_summaries_of_a_plan_without_deliverables_are_empty_on_every_store(
        tmp_path: Path, store: str) -> None:
    """A plan loaded before its deliverables, asked for by name: no rows on every store (rdflib
    answered a row of unbound counts, and the typed summaries raised TypeError)."""
    plan = "https://w3id.org/metrograph/id/metropolis/plan/2021-2023"
    path = tmp_path / "empty-plan.ttl"
    path.write_text(f"""@prefix mg: <https://w3id.org/metrograph/ontology#> .
@prefix mgo: <https://w3id.org/metrograph/id/org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{plan}> a mg:ActionPlan ; skos:notation "2021-2023" ; dcterms:publisher mgo:metropolis ;
    mg:startYear "2021"^^xsd:gYear ; mg:endYear "2023"^^xsd:gYear .
""", encoding="utf-8")
    kg = metrograph.load(path, store=store)
    for by in ("plan", "guideline", "measure", "theme", "sdg-goal"):
        assert kg.progress(by, plan=plan) == [], by
    assert kg.reported_vs_recorded(plan=plan) == []


@pytest.mark.parametrize("store", STORES)
def test_literals_are_held_in_one_form_on_every_store(tmp_path: Path, store: str) -> None:
    """"x" and "x"^^xsd:string are one term; a language tag's case does not make another; a
    date keeps its time zone; a number is held in its canonical form: on every store, the
    same count and the same terms as Oxigraph holds them."""
    path = tmp_path / "forms.ttl"
    path.write_text("""@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:p "x" , "x"^^xsd:string , "y"@fr , "y"@FR , "065"^^xsd:integer , "65"^^xsd:integer ,
    "2019-12-31Z"^^xsd:date , "2019-12-31"^^xsd:date .
""", encoding="utf-8")
    kg = metrograph.load(path, bundled=False, store=store)
    assert len(kg) == 5
    rows = kg.sparql("SELECT ?o WHERE { <http://example.org/a> ?p ?o }").rows
    texts = sorted(Literal(r[0]).n3() if not isinstance(r[0], Literal) else r[0].n3()
                   for r in rows)
    assert '"2019-12-31Z"^^<http://www.w3.org/2001/XMLSchema#date>' in texts
    assert '"65"^^<http://www.w3.org/2001/XMLSchema#integer>' in texts
    assert '"y"@fr' in texts and '"x"' in texts
