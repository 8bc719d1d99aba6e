"""Releases (``metrograph.publishing.release``): files, description, determinism, changelog,
safety."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, VOID

import metrograph
from metrograph.errors import InputError, ReleaseCheckError
from metrograph.graph import KnowledgeGraph, user_graph
from metrograph.namespaces import MG
from metrograph.publishing import release as pub
from metrograph.publishing.site import write_site
from metrograph.rdfio.formats import FORMATS
from metrograph.rdfio.writers import JSONLD_CONTEXT
from metrograph.resources import bundled_parts

from .tally import count

ISSUED = dt.date(2024, 5, 1)
SPDX = Namespace("http://spdx.org/rdf/terms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # plain namespaces: rdflib's closed DCAT lacks
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # dcat:version (DCAT 3)
IANA = "https://www.iana.org/assignments/media-types/"
GRAPH = "https://w3id.org/metrograph/graph/"
M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020/"
DUMPS = {"metrograph.ttl": "ttl", "metrograph.nt": "nt", "metrograph.jsonld": "jsonld",
         "metrograph.trig": "trig", "metrograph.nq": "nq", "metrograph.graphs.jsonld": "jsonld"}
PLAIN = {"metrograph.ttl", "metrograph.nt", "metrograph.jsonld"}
ALL_FILES = {*DUMPS, "context.jsonld", "void.ttl", "CHANGES.md", "SHA256SUMS",
             ".metrograph-release"}
PARTS = {GRAPH + "ontology", GRAPH + "vocabularies", GRAPH + "organisations",
         GRAPH + "metropolis/2018-2020"}


def union(dataset: Dataset) -> Graph:
    g = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def parse(path: Path) -> Dataset:
    ds = Dataset()
    fmt = FORMATS[DUMPS.get(path.name, "ttl")]
    if fmt.quads:
        ds.parse(path, format=fmt.rdflib_name)
    else:
        ds.graph(URIRef("urn:x-test:g")).parse(path, format=fmt.rdflib_name)
    return ds


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def siblings(folder: Path) -> list[str]:
    """What else than the release folders lies beside ``folder`` (temporary leftovers)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def bundled() -> KnowledgeGraph:
    return metrograph.load()


@pytest.fixture(scope="module")
def release(bundled: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> pub.Release:
    return pub.publish(bundled, tmp_path_factory.mktemp("pub") / "release", issued=ISSUED)


@pytest.fixture(scope="module")
def void(release: pub.Release) -> Graph:
    path = release.directory / "void.ttl"
    return Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())


def dataset_node(void: Graph) -> URIRef:
    [node] = list(void.subjects(RDF.type, DCAT.Dataset))
    assert isinstance(node, URIRef)
    return node


# ------------------------------------------------------------------------------------ files


def test_release_holds_the_files(release: pub.Release) -> None:
    folder = release.directory
    assert {p.name for p in folder.iterdir()} == ALL_FILES
    assert {f.name for f in release.files} == ALL_FILES
    media = {f.name: f.media_type for f in release.files}
    assert media["metrograph.ttl"] == "text/turtle"
    assert media["metrograph.nt"] == "application/n-triples"
    assert media["metrograph.jsonld"] == "application/ld+json"
    assert media["metrograph.trig"] == "application/trig"
    for f in release.files:
        data = (folder / f.name).read_bytes()
        assert f.size == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
    nt_lines = (folder / "metrograph.nt").read_text(encoding="utf-8").count("\n")
    assert release.triples == nt_lines == len(metrograph.load())
    for name in DUMPS:
        assert release.file(name).triples == nt_lines
    assert release.file("CHANGES.md").triples is None
    assert release.description == (folder / "void.ttl").read_text(encoding="utf-8")
    assert release.changes == (folder / "CHANGES.md").read_text(encoding="utf-8")
    assert oct(folder.stat().st_mode & 0o777) == oct(0o755)


def test_sha256sums_checks_every_other_file(release: pub.Release) -> None:
    folder = release.directory
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == ALL_FILES - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=folder, check=True)


def test_jsonld_uses_the_published_context(release: pub.Release) -> None:
    doc = json.loads((release.directory / "metrograph.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == JSONLD_CONTEXT
    context = json.loads((release.directory / "context.jsonld").read_text(encoding="utf-8"))
    assert context == {"@context": JSONLD_CONTEXT}


# ------------------------------------------------------------------------------ description


def test_void_describes_every_download(release: pub.Release, void: Graph) -> None:
    folder = release.directory.resolve()
    ds = dataset_node(void)
    assert (ds, RDF.type, VOID.Dataset) in void
    distributions = list(void.objects(ds, DCAT.distribution))
    assert len(distributions) == len(DUMPS)
    seen = set()
    for dist in distributions:
        assert (dist, RDF.type, DCAT.Distribution) in void
        url = void.value(dist, DCAT.downloadURL)
        name = str(url).rsplit("/", 1)[-1]
        assert str(url) == (folder / name).as_uri()  # relative, resolved against void.ttl
        assert (ds, VOID.dataDump, url) in void
        data = (folder / name).read_bytes()
        assert void.value(dist, DCAT.mediaType) == URIRef(IANA + FORMATS[DUMPS[name]].media_type)
        size = void.value(dist, DCAT.byteSize)
        assert isinstance(size, Literal) and size.datatype == XSD.nonNegativeInteger
        assert size.toPython() == len(data)
        checksum = void.value(dist, SPDX.checksum)
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        seen.add(name)
    assert seen == set(DUMPS)
    # the JSON-LD dumps point to their context, itself described
    jsonlds = [d for d in distributions
               if str(void.value(d, DCAT.downloadURL)).endswith(".jsonld")]
    assert len(jsonlds) == 2
    assert len({void.value(d, DCTERMS.conformsTo) for d in jsonlds}) == 1
    context = void.value(jsonlds[0], DCTERMS.conformsTo)
    assert str(context) == (folder / "context.jsonld").as_uri()
    data = (folder / "context.jsonld").read_bytes()
    assert void.value(context, DCAT.byteSize).toPython() == len(data)  # type: ignore[union-attr]
    assert str(void.value(void.value(context, SPDX.checksum), SPDX.checksumValue)) == \
        hashlib.sha256(data).hexdigest()


def test_void_metadata(release: pub.Release, void: Graph) -> None:
    ds = dataset_node(void)
    assert str(void.value(ds, OWL.versionInfo)) == metrograph.__version__ == release.version
    assert str(void.value(ds, DCAT["version"])) == metrograph.__version__
    assert void.value(ds, DCTERMS.issued) == Literal(ISSUED)
    assert {t.language for t in void.objects(ds, DCTERMS.title)} == {"en", "fr"}
    assert void.value(ds, DCTERMS.description) is not None
    assert void.value(ds, DCTERMS.publisher) == URIRef(
        "https://w3id.org/metrograph/id/org/metrograph-project")
    assert URIRef("https://w3id.org/metrograph/id/org/metropolis") in set(
        void.objects(ds, DCTERMS.creator))
    assert void.value(ds, DCTERMS.license) is not None
    assert set(void.objects(ds, DCTERMS.source)) == {
        URIRef("https://w3id.org/metrograph/id/metropolis/source/report-2018-2020"),
        URIRef("https://w3id.org/metrograph/id/metropolis/source/report-2018-2020-ocr")}
    citation = str(void.value(ds, DCTERMS.bibliographicCitation))
    assert "Knowledge Organization System for the United Nations" in citation
    examples = list(void.objects(ds, VOID.exampleResource))
    assert 1 <= len(examples) <= 5
    assert all(str(e).startswith(M18) and "D" in str(e).rsplit("/", 1)[-1] for e in examples)
    assert void.value(ds, VOID.sparqlEndpoint) is None


def test_void_counts(release: pub.Release, void: Graph) -> None:
    ds = dataset_node(void)
    nt_lines = (release.directory / "metrograph.nt").read_text(encoding="utf-8").count("\n")
    assert void.value(ds, VOID.triples).toPython() == nt_lines  # type: ignore[union-attr]
    classes = {void.value(p, VOID["class"]): void.value(p, VOID.entities).toPython()  # type: ignore[union-attr]
               for p in void.objects(ds, VOID.classPartition)}
    assert classes[MG.Deliverable] == 65
    assert classes[MG.Measure] == 27
    assert classes[MG.Guideline] == 3
    assert classes[MG.ActionPlan] == 1
    properties = {void.value(p, VOID.property): void.value(p, VOID.triples).toPython()  # type: ignore[union-attr]
                  for p in void.objects(ds, VOID.propertyPartition)}
    assert sum(properties.values()) == nt_lines
    nt = Graph().parse(release.directory / "metrograph.nt", format="nt")
    assert properties[MG.translatedLabel] == len(list(nt.triples((None, MG.translatedLabel, None))))


def test_endpoint_and_base(bundled: KnowledgeGraph, tmp_path: Path) -> None:
    out = pub.publish(bundled, tmp_path / "r", issued=ISSUED, version="9.9",
                      endpoint="https://sparql.example.org/metrograph",
                      base="https://example.org/releases/9.9")
    void = Graph().parse(out.directory / "void.ttl", format="turtle")
    ds = dataset_node(void)
    assert ds == URIRef("https://w3id.org/metrograph/dataset/9.9")
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef("https://sparql.example.org/metrograph")
    urls = {str(void.value(d, DCAT.downloadURL)) for d in void.objects(ds, DCAT.distribution)}
    assert urls == {f"https://example.org/releases/9.9/{name}" for name in DUMPS}


# ------------------------------------------------------------------------------- the graph


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_every_dump_holds_the_graph(release: pub.Release, bundled: KnowledgeGraph,
                                    name: str) -> None:
    expected = union(bundled.store.dataset())
    found = union(parse(release.directory / name))
    assert len(found) == len(expected)
    assert isomorphic(found, expected)


def test_trig_has_one_named_graph_per_part(release: pub.Release) -> None:
    ds = parse(release.directory / "metrograph.trig")
    graphs: dict[str, Graph] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        graphs.setdefault(str(g), Graph()).add((s, p, o))
    assert set(graphs) == PARTS == {str(p) for p in release.parts}
    assert (URIRef("https://w3id.org/metrograph/ontology"), RDF.type, OWL.Ontology) in \
        graphs[GRAPH + "ontology"]
    vocab = graphs[GRAPH + "vocabularies"]
    for scheme in ("vocab/status", "vocab/theme", "vocab/link-basis"):
        assert (URIRef("https://w3id.org/metrograph/" + scheme), RDF.type,
                SKOS.ConceptScheme) in vocab
    assert (URIRef("http://metadata.un.org/sdg"), RDF.type, SKOS.ConceptScheme) in vocab
    plan = graphs[GRAPH + "metropolis/2018-2020"]
    assert len(set(plan.subjects(RDF.type, MG.Deliverable))) == 65
    assert len(set(plan.subjects(RDF.type, MG.SDGLink))) > 0  # sdg-links.ttl is in the part
    assert set(graphs[GRAPH + "organisations"].subjects(RDF.type, None))
    assert sum(len(g) for g in graphs.values()) == release.triples


def test_part_of() -> None:
    g = "https://w3id.org/metrograph/graph/"
    assert pub.part_of(URIRef(g + "ontology/metrograph")) == URIRef(g + "ontology")
    for scheme in ("status", "themes", "link-basis", "sdg"):
        assert pub.part_of(URIRef(g + "ontology/" + scheme)) == URIRef(g + "vocabularies")
    assert pub.part_of(URIRef(g + "data/organisations")) == URIRef(g + "organisations")
    assert pub.part_of(URIRef(g + "data/metropolis/2018-2020/plan-meta")) == URIRef(
        g + "metropolis/2018-2020")
    assert pub.part_of(URIRef(g + "data/other-net/2022-2024/plan")) == URIRef(
        g + "other-net/2022-2024")
    user = URIRef("file:///tmp/my-statuses.ttl")
    assert pub.part_of(user) == user


def rapper_count(path: Path, syntax: str) -> int:
    result = subprocess.run(["rapper", "-i", syntax, "-c", str(path)], capture_output=True,
                            text=True, check=True)
    match = re.search(r"returned (\d+) triples", result.stderr)
    assert match, result.stderr
    return int(match.group(1))


def test_rapper_counts_the_same_triples(release: pub.Release) -> None:
    if shutil.which("rapper") is None:
        if os.environ.get("METROGRAPH_SKIP_RAPPER") == "1":
            pytest.skip("rapper is missing and METROGRAPH_SKIP_RAPPER=1")
        pytest.fail("rapper (Debian's raptor2-utils), the independent parser that checks the "
                    "dumps, is not installed: run scripts/install-test-tools.sh, or set "
                    "METROGRAPH_SKIP_RAPPER=1 to skip this test")
    folder = release.directory
    nt_lines = (folder / "metrograph.nt").read_text(encoding="utf-8").count("\n")
    assert rapper_count(folder / "metrograph.ttl", "turtle") == nt_lines
    assert rapper_count(folder / "metrograph.nt", "ntriples") == nt_lines
    assert rapper_count(folder / "metrograph.trig", "trig") == nt_lines
    void = Graph().parse(folder / "void.ttl", format="turtle")
    assert rapper_count(folder / "void.ttl", "turtle") == len(void)


# ---------------------------------------------------------------------------- determinism

TRICKY = """\
@prefix ex: <https://example.org/ns/> .
# blank nodes only structure tells apart, and some that nothing tells apart
ex:a ex:p [ ex:q [ ex:r 1 ] ] , [ ex:q [ ex:r 1 ] ] , [ ex:q [ ex:r 2 ] ] .
_:c1 ex:next _:c2 . _:c2 ex:next _:c3 . _:c3 ex:next _:c1 .
_:d1 ex:next _:d2 . _:d2 ex:next _:d1 .
ex:b ex:list ( "x" "y" [ ex:r 3 ] ) .
# literals and IRIs that need escaping
ex:c ex:text "quote \\" backslash \\\\ tab \\t newline \\n return \\r control \\u0001 end" ,
        '''two
lines''' , "typed"^^<http://www.w3.org/2001/XMLSchema#string> , "colour"@en-GB ,
        "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> , "Ünïcødé ✓ 𝄞"@fr ;
    ex:link <https://example.org/a%20b?q=1&r=(x)#frag> , <https://example.org/ns/5.5> ,
        <https://example.org/ns/with.dot.> .
"""


def publish_in_subprocess(out: Path, store: str = "memory", *files: Path) -> None:
    code = (
        "import datetime, sys\n"
        "import metrograph\n"
        "from metrograph.publishing.release import publish\n"
        "kg = metrograph.load(*sys.argv[3:], store=sys.argv[2])\n"
        "publish(kg, sys.argv[1], issued=datetime.date(2024, 5, 1))\n")
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    subprocess.run([sys.executable, "-c", code, str(out), store, *map(str, files)],
                   check=True, env=env)


def test_same_graph_same_bytes(release: pub.Release, bundled: KnowledgeGraph,
                               tmp_path: Path) -> None:
    again = pub.publish(bundled, tmp_path / "again", issued=ISSUED)
    publish_in_subprocess(tmp_path / "subprocess")
    ox = pub.publish(metrograph.load(store="oxigraph"), tmp_path / "oxigraph", issued=ISSUED)
    first = snapshot(release.directory)
    assert snapshot(again.directory) == first
    assert snapshot(tmp_path / "subprocess") == first
    assert snapshot(ox.directory) == first


def test_blank_nodes_are_labelled_canonically(tmp_path: Path) -> None:
    extra = tmp_path / "tricky.ttl"
    extra.write_text(TRICKY, encoding="utf-8")
    # the same store on both sides (Oxigraph stores numbers and language tags canonically)
    kg = metrograph.load(extra, store="memory")
    here = pub.publish(kg, tmp_path / "here", issued=ISSUED)
    publish_in_subprocess(tmp_path / "there", "memory", extra)
    assert snapshot(tmp_path / "there") == snapshot(here.directory)
    # the user's file keeps its own named graph, named by its content
    assert user_graph(None, extra.read_bytes()) in here.parts
    nt = (here.directory / "metrograph.nt").read_text(encoding="utf-8")
    assert nt.splitlines() == sorted(nt.splitlines())
    for name in DUMPS:
        assert isomorphic(union(parse(here.directory / name)), union(kg.store.dataset())), name
    if shutil.which("rapper"):
        lines = len(nt.splitlines())
        assert rapper_count(here.directory / "metrograph.ttl", "turtle") == lines
        assert rapper_count(here.directory / "metrograph.trig", "trig") == lines


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_oxigraph_reads_every_dump(release: pub.Release, name: str) -> None:
    """A second, independent parser (Oxigraph's, in Rust) reads the same statements."""
    import pyoxigraph as ox

    formats = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
               "jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG,
               "nq": ox.RdfFormat.N_QUADS}
    path = release.directory / name
    quads = list(ox.parse(path=str(path), format=formats[DUMPS[name]],
                          base_iri=path.resolve().as_uri()))
    assert len({(q.subject, q.predicate, q.object) for q in quads}) == release.triples
    names = {str(q.graph_name.value) for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    # the named forms keep one named graph per part, each triple in one; the plain forms
    # hold their union as one graph
    assert names == (set() if name in PLAIN else PARTS)
    if name not in PLAIN:
        assert len(quads) == release.triples


# ------------------------------------------------------------------------------ changelog

ASSESSMENTS = """\
@prefix mg:      <https://w3id.org/metrograph/ontology#> .
@prefix mgs:     <https://w3id.org/metrograph/vocab/status/> .
@prefix m18:     <https://w3id.org/metrograph/id/metropolis/plan/2018-2020/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
# FICTIONAL TEST DATA
<https://w3id.org/metrograph/id/example/source/test-review> a mg:SourceDocument ;
    dcterms:title "Fictional review (test data)"@en .
"""
IN_PROGRESS_2019 = """\
m18:assessment-L1M1D1-2019 a mg:StatusAssessment ; mg:assessedItem m18:L1M1D1 ;
    mg:status mgs:in-progress ; mg:asOf "2019-12-31"^^xsd:date ;
    dcterms:source <https://w3id.org/metrograph/id/example/source/test-review> .
"""
DONE_2020 = """\
m18:assessment-L1M1D1-2020 a mg:StatusAssessment ; mg:assessedItem m18:L1M1D1 ;
    mg:status mgs:done ; mg:asOf "2020-12-31"^^xsd:date ;
    dcterms:source <https://w3id.org/metrograph/id/example/source/test-review> .
"""
NEW_DELIVERABLE = """\
@prefix schema: <https://schema.org/> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
m18:L1M1D4 a mg:Deliverable ; skos:notation "L1M1D4" ; schema:position 4 ;
    mg:parent m18:L1M1 ; skos:prefLabel "Livrable ajouté"@fr ;
    mg:translatedLabel "Added deliverable"@en .
"""
OLD_LABEL = "Calendrier d'événements internationaux"
NEW_LABEL = "Calendrier des événements internationaux"


def bundled_data_copy(folder: Path, change_label: bool) -> list[Path]:
    """The bundled plan files, copied (with one French label changed when asked)."""
    out = []
    for name, part in bundled_parts():
        if not name.startswith("data/") or name.count("/") < 2:  # plans only
            continue
        text = part.read_text(encoding="utf-8")
        if change_label and name.endswith("/plan.ttl"):
            assert text.count(f'"{OLD_LABEL}"@fr') == 1
            text = text.replace(f'"{OLD_LABEL}"@fr', f'"{NEW_LABEL}"@fr')
        path = folder / name.replace("/", "__")
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def test_changelog_against_a_previous_release(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old_status = tmp_path / "old" / "statuses.ttl"
    old_status.write_text(ASSESSMENTS + IN_PROGRESS_2019, encoding="utf-8")
    previous = metrograph.load(old_status)
    first = pub.publish(previous, tmp_path / "r1", version="2024.1", issued=dt.date(2024, 1, 1))
    assert "First release" in first.changes

    new_status = tmp_path / "new" / "statuses.ttl"
    new_status.write_text(ASSESSMENTS + IN_PROGRESS_2019 + DONE_2020 + NEW_DELIVERABLE,
                          encoding="utf-8")
    current = metrograph.load(*bundled_data_copy(tmp_path / "new", change_label=True),
                              new_status, bundled_data=False)
    second = pub.publish(current, tmp_path / "r2", version="2024.2", issued=ISSUED,
                         previous=first.directory)
    text = (second.directory / "CHANGES.md").read_text(encoding="utf-8")
    assert text == second.changes
    assert "# metrograph 2024.2" in text and "since 2024.1" in text
    assert "## Status changes (1)" in text
    assert "- L1M1D1 (metropolis 2018-2020): in progress → done (as of 2020-12-31)" in text
    assert "## Text changes (1)" in text
    assert "- L1M1D1 (metropolis 2018-2020), French text:" in text
    assert f"was: « {OLD_LABEL} »" in text and f"now: « {NEW_LABEL} »" in text
    assert "## Added (1)" in text
    assert "- deliverable L1M1D4 (metropolis 2018-2020): « Livrable ajouté »" in text
    assert "## Removed (0)" in text

    # the other way round, the deliverable is removed and the status goes back
    back = pub.changelog(previous, current, version="x", issued=ISSUED)
    assert "## Removed (1)" in back and "L1M1D4" in back
    assert "in progress" in back.split("## Status changes")[1]


def test_changelog_text_is_literal_markdown(tmp_path: Path) -> None:
    """Labels, codes and versions reach CHANGES.md as literal Markdown text."""
    from .test_html_report import HOSTILE, _hostile_plan, assert_literal_markdown

    (tmp_path / "empty.ttl").write_text("# nothing\n<urn:x:a> <urn:x:b> <urn:x:c> .\n",
                                        encoding="utf-8")
    empty = metrograph.load(tmp_path / "empty.ttl", bundled_data=False)
    hostile = _hostile_plan(tmp_path)
    text = pub.changelog(hostile, empty, version="1.0 <b>x</b>", issued=ISSUED,
                         previous_version="[0.9](http://evil.example/)")
    assert "## Added (6)" in text
    assert_literal_markdown(text, (*HOSTILE, "1.0 <b>x</b>", "[0.9](http://evil.example/)"))
    # a release built on it holds that text
    release = pub.publish(hostile, tmp_path / "r", issued=ISSUED,
                          previous=pub.publish(empty, tmp_path / "r0", issued=ISSUED).directory)
    assert_literal_markdown(release.changes, HOSTILE)


def _publish_cli(out: Path, *args: str, epoch: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    return subprocess.run([sys.executable, "-m", "metrograph", "publish", "-q", "-o", str(out),
                           *args], capture_output=True, text=True, timeout=300, env=env)


def test_issued_date_is_pinned(tmp_path: Path) -> None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) and --issued pin the issue date, so a
    release built again on another day is the same bytes; bad values: exit 2, one line."""
    first = _publish_cli(tmp_path / "a", epoch="1600000000")
    again = _publish_cli(tmp_path / "b", epoch="1600000000")
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    files_a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert files_a == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert b'dcterms:issued "2020-09-13"^^xsd:date' in files_a["void.ttl"]
    assert b"Issued 2020-09-13." in files_a["CHANGES.md"]
    # --issued wins over the environment
    pinned = _publish_cli(tmp_path / "c", "--issued", "2024-02-29", epoch="1600000000")
    assert pinned.returncode == 0, pinned.stderr
    assert b"Issued 2024-02-29." in (tmp_path / "c" / "CHANGES.md").read_bytes()
    # the API: the environment's date when none is given
    os.environ["SOURCE_DATE_EPOCH"] = "86399"
    try:
        assert pub.issued_default() == dt.date(1970, 1, 1)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert pub.issued_default() == dt.date.today()
    for args, epoch, word in ((("--issued", "2024-02-30"), None, "--issued"),
                              (("--issued", "20240101"), None, "--issued"),
                              ((), "yesterday", "SOURCE_DATE_EPOCH"),
                              ((), "-1", "SOURCE_DATE_EPOCH"),
                              ((), "1e9", "SOURCE_DATE_EPOCH"),
                              ((), "9" * 30, "SOURCE_DATE_EPOCH")):
        bad = _publish_cli(tmp_path / "bad", *args, epoch=epoch)
        assert bad.returncode == 2, (args, epoch, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1 and word in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr and not (tmp_path / "bad").exists()


def test_previous_must_be_a_release(bundled: KnowledgeGraph, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"metrograph\.nt is missing"):
        pub.publish(bundled, tmp_path / "r", previous=tmp_path, issued=ISSUED)
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------- writing it safely


def test_refuses_a_folder_that_is_not_empty(bundled: KnowledgeGraph, tmp_path: Path) -> None:
    target = tmp_path / "r"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not empty"):
        pub.publish(bundled, target, issued=ISSUED)
    assert snapshot(target) == {"notes.txt": b"mine"}
    # issue 14.9: --force replaces a release only, never a folder of other files
    (target / "sub").mkdir()
    (target / "sub" / "data.csv").write_text("keep", encoding="utf-8")
    with pytest.raises(InputError, match="not a metrograph release"):
        pub.publish(bundled, target, issued=ISSUED, overwrite=True)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (target / "sub" / "data.csv").read_text(encoding="utf-8") == "keep"
    assert siblings(target) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    pub.publish(bundled, empty, issued=ISSUED)
    assert {p.name for p in empty.iterdir()} == ALL_FILES
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        pub.publish(bundled, afile, issued=ISSUED, overwrite=True)


def test_overwrite_replaces_the_release(bundled: KnowledgeGraph, tmp_path: Path) -> None:
    target = tmp_path / "r"
    pub.publish(bundled, target, version="1", issued=ISSUED)
    (target / "stray.txt").write_text("left from before", encoding="utf-8")
    with pytest.raises(InputError):
        pub.publish(bundled, target, version="2", issued=ISSUED)
    second = pub.publish(bundled, target, version="2", issued=ISSUED, overwrite=True)
    assert {p.name for p in target.iterdir()} == ALL_FILES
    assert 'owl:versionInfo "2"' in second.description
    assert siblings(target) == []


def test_a_failed_check_leaves_the_previous_release(bundled: KnowledgeGraph, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r"
    pub.publish(bundled, target, version="1", issued=ISSUED)
    before = snapshot(target)

    monkeypatch.setattr(pub, "turtle_text", lambda graph: "this is { not turtle\n")
    with pytest.raises(ReleaseCheckError, match=r"^metrograph\.ttl: does not parse") as err:
        pub.publish(bundled, target, version="2", issued=ISSUED, overwrite=True)
    assert err.value.file == "metrograph.ttl"
    assert snapshot(target) == before
    assert siblings(target) == []
    monkeypatch.undo()

    # valid N-Triples that lost a triple: parses, but is not the same graph
    real = pub.ntriples_text
    monkeypatch.setattr(pub, "ntriples_text", lambda graph: "".join(
        real(graph).splitlines(keepends=True)[1:]))
    with pytest.raises(ReleaseCheckError, match="same graph") as err:
        pub.publish(bundled, target, version="2", issued=ISSUED, overwrite=True)
    assert err.value.file == "metrograph.nt"
    assert snapshot(target) == before
    monkeypatch.undo()

    # nothing there before: nothing there after
    monkeypatch.setattr(pub, "trig_text", lambda parts: "<a> <b> <c> .\n")
    with pytest.raises(ReleaseCheckError) as err:
        pub.publish(bundled, tmp_path / "fresh", issued=ISSUED)
    assert err.value.file == "metrograph.trig"
    assert not (tmp_path / "fresh").exists()
    assert siblings(target) == []


def test_check_release_finds_tampering(release: pub.Release, tmp_path: Path) -> None:
    pub.check_release(release.directory)
    copy = tmp_path / "copy"
    shutil.copytree(release.directory, copy)
    with (copy / "metrograph.nt").open("ab") as fh:
        fh.write(b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
    with pytest.raises(ReleaseCheckError, match="SHA-256") as err:
        pub.check_release(copy)
    assert err.value.file == "metrograph.nt"
    # fix SHA256SUMS to match: the graph check and void.ttl still catch it
    sums = copy / "SHA256SUMS"
    digest = hashlib.sha256((copy / "metrograph.nt").read_bytes()).hexdigest()
    sums.write_text(re.sub(r"^[0-9a-f]{64}(?=  metrograph\.nt$)", digest,
                           sums.read_text(encoding="utf-8"), flags=re.MULTILINE),
                    encoding="utf-8")
    with pytest.raises(ReleaseCheckError) as err:
        pub.check_release(copy)
    assert err.value.file == "metrograph.nt"


# ------------------------------------------------------------- plain and named forms (15.3)


def test_plain_dumps_load_as_one_graph_named_ones_as_parts(release: pub.Release,
                                                           void: Graph) -> None:
    """rdflib's ``Graph().parse`` reads every triple from the plain dumps; the named forms
    hold one graph per part; void.ttl says which is which."""
    for name in DUMPS:
        path = release.directory / name
        if name in PLAIN:
            assert len(Graph().parse(path, format=FORMATS[DUMPS[name]].rdflib_name)) \
                == release.triples, name
        else:
            ds = Dataset()
            ds.parse(path, format=FORMATS[DUMPS[name]].rdflib_name)
            assert {str(g) for _s, _p, _o, g in ds.quads((None, None, None, None))} == PARTS
    notes = {}
    for dist in void.objects(None, DCAT.distribution):
        url = str(void.value(dist, DCAT.downloadURL)).rsplit("/", 1)[-1]
        notes[url] = str(void.value(dist, DCTERMS.description))
    assert set(notes) == set(DUMPS)
    for name, note in notes.items():
        assert note == (pub.PLAIN_NOTE if name in PLAIN else pub.NAMED_NOTE), name


def _http(url: str, data: bytes | None = None, content_type: str | None = None,
          method: str | None = None) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, data=data, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    request.add_header("Accept", "application/sparql-results+json")
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


def _count(base: str, pattern: str) -> int:
    from urllib.parse import quote

    body = _http(f"{base}/query?query=" + quote(f"SELECT (COUNT(*) AS ?n) {{ {pattern} }}"))
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_an_oxigraph_server_loads_every_dump_by_plain_http(release: pub.Release,
                                                           tmp_path: Path) -> None:
    """Each plain dump POSTed into the default graph of a real Oxigraph server (not through
    metrograph) holds every triple; each named form POSTed as a dataset gives the parts, each
    triple once."""
    if os.environ.get("METROGRAPH_SKIP_SERVERS") == "1":
        pytest.skip("METROGRAPH_SKIP_SERVERS=1")
    from .servers import start_oxigraph

    server = start_oxigraph(tmp_path, union=False)
    base = server.query_url.rsplit("/", 1)[0]
    try:
        for name in DUMPS:
            data = (release.directory / name).read_bytes()
            media = FORMATS[DUMPS[name]].media_type
            _http(f"{base}/update", b"DROP ALL", "application/sparql-update")
            if name in PLAIN:
                _http(f"{base}/store?default", data, media, "POST")
                assert _count(base, "?s ?p ?o") == release.triples, name
                assert _count(base, "GRAPH ?g { ?s ?p ?o }") == 0, name
            else:
                _http(f"{base}/store", data, media, "POST")
                assert _count(base, "?s ?p ?o") == 0, name
                assert _count(base, "GRAPH ?g { ?s ?p ?o }") == release.triples, name
                assert _count(base, "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }") \
                    == len(PARTS), name
            count("release dumps loaded into a real Oxigraph server by plain HTTP")
    finally:
        server.stop()


def test_the_same_data_from_two_folders_gives_the_same_release(tmp_path: Path) -> None:
    """Issue 15.2: graph names come from content (or a name the user gives), never from a
    path; no release file mentions where the data was."""
    outs = []
    for folder in ("alice", "bob"):
        (tmp_path / folder).mkdir()
        data = tmp_path / folder / "partner.ttl"
        data.write_text(TRICKY, encoding="utf-8")
        out = tmp_path / folder / "release"
        pub.publish(metrograph.load(data), out, issued=ISSUED)
        outs.append(snapshot(out))
        for name, content in outs[-1].items():
            assert b"file:" not in content and str(tmp_path).encode() not in content, name
    assert outs[0] == outs[1]


# ------------------------------------------------------------- leftovers, links, errors (14)

def test_a_killed_publish_leaves_nothing_for_good(tmp_path: Path) -> None:
    """SIGKILL a real publish while its scratch folder exists: the next run removes it."""
    import signal
    import time

    target = tmp_path / "r"
    code = ("import sys, metrograph\n"
            "from metrograph.publishing.release import publish\n"
            "publish(metrograph.load(), sys.argv[1])\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)])
    deadline = time.monotonic() + 120
    try:
        while not any(p.name.endswith(".new") for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, "no scratch folder seen"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert siblings(target), "the attack did not leave a scratch folder"
    assert not target.exists()
    pub.publish(metrograph.load(), target, issued=ISSUED)
    assert siblings(target) == []


def _metrograph(*args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    import resource

    def bound() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    exe = Path(sys.executable).parent / "metrograph"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                          preexec_fn=bound)


def _one_clear_line(run: subprocess.CompletedProcess[str], needle: str) -> None:
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert needle in run.stderr, run.stderr


def test_write_errors_are_one_line_and_lose_nothing(tmp_path: Path) -> None:
    """A folder, a size limit (RLIMIT_FSIZE: a full disk as the process sees it), and
    ``report --format html -o FILE``: exit 2, one line, the earlier file intact, no temporary
    file left."""
    kept = tmp_path / "kg.ttl"
    kept.write_text("earlier export\n", encoding="utf-8")
    _one_clear_line(_metrograph("export", "-o", str(tmp_path)), "is a folder")
    _one_clear_line(_metrograph("export", "-o", str(kept), limit=64 * 1024), "cannot write")
    assert kept.read_text(encoding="utf-8") == "earlier export\n"
    report = tmp_path / "report.html"
    report.write_text("mine\n", encoding="utf-8")
    _one_clear_line(_metrograph("report", "--format", "html", "-o", str(report)), "is a file")
    assert report.read_text(encoding="utf-8") == "mine\n"
    _one_clear_line(_metrograph("publish", "-o", str(tmp_path / "rel"), limit=64 * 1024),
                    "cannot write")
    assert not (tmp_path / "rel").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.ttl", "report.html"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_full_and_read_only_file_systems(tmp_path: Path) -> None:
    """A real full disk (a 64 KiB tmpfs) and a real read-only file system."""
    full, ro = tmp_path / "full", tmp_path / "ro"
    full.mkdir()
    ro.mkdir()
    mounted = []
    try:
        for folder, options in ((full, "size=64k"), (ro, "size=64k,ro")):
            subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                           check=True, timeout=30)
            mounted.append(folder)
        kept = full / "kg.ttl"
        kept.write_text("earlier export\n", encoding="utf-8")
        _one_clear_line(_metrograph("export", "-o", str(kept)), "No space left on device")
        assert kept.read_text(encoding="utf-8") == "earlier export\n"
        assert [p.name for p in full.iterdir()] == ["kg.ttl"]
        _one_clear_line(_metrograph("publish", "-o", str(full / "rel")), "No space left")
        assert [p.name for p in full.iterdir()] == ["kg.ttl"]
        _one_clear_line(_metrograph("export", "-o", str(ro / "kg.ttl")), "Read-only")
        _one_clear_line(_metrograph("publish", "-o", str(ro / "rel")), "Read-only")
    finally:
        for folder in mounted:
            subprocess.run(["umount", str(folder)], check=False, timeout=30)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_an_html_report_on_a_full_disk_replaces_no_page(tmp_path: Path) -> None:
    """A 150 KiB tmpfs holds some of the report's pages, not all: an earlier report's pages
    stay as they were (none replaced, no temporary file), and a new folder is not left."""
    from metrograph.reports.html import REPORT_MARKER

    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(full)],
                   check=True, timeout=30)
    try:
        _one_clear_line(_metrograph("report", "--format", "html", "-o", str(full / "new")),
                        "No space left on device")
        assert list(full.iterdir()) == []
        earlier = full / "pages"
        earlier.mkdir()
        names = ["index.html", "network.en.html", "network.fr.html",
                 "report-metropolis-2018-2020.en.html", "report-metropolis-2018-2020.fr.html"]
        (earlier / REPORT_MARKER).write_text("".join(f"{n}\n" for n in names))
        for name in names:
            (earlier / name).write_text("earlier\n", encoding="utf-8")
        _one_clear_line(_metrograph("report", "--format", "html", "-o", str(earlier)),
                        "No space left on device")
        assert sorted(p.name for p in earlier.iterdir()) == sorted([REPORT_MARKER, *names])
        assert {(earlier / n).read_text(encoding="utf-8") for n in names} == {"earlier\n"}
    finally:
        subprocess.run(["umount", str(full)], check=False, timeout=30)


def test_writing_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    from metrograph.rdfio.writers import write_atomic

    real = tmp_path / "statuses.ttl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.ttl"
    link.symlink_to(real)
    write_atomic(link, b"new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ttl", "statuses.ttl"]


def test_temporary_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    """A real process killed (SIGKILL) with its temporary file open: the next write removes
    it; a live process's temporary file is left alone."""
    import signal

    from metrograph.rdfio.writers import write_atomic

    target = tmp_path / "kg.ttl"
    code = ("import os, signal, sys, tempfile\n"
            "fd, tmp = tempfile.mkstemp(prefix=f'.kg.ttl.{os.getpid()}.', suffix='.tmp',"
            " dir=sys.argv[1])\n"
            "os.write(fd, b'x' * 1000000)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".kg.ttl.*.tmp"))) == 1
    mine = tmp_path / f".kg.ttl.{os.getpid()}.live.tmp"
    mine.write_bytes(b"in progress")
    write_atomic(target, b"data\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "kg.ttl"]
    # and an export killed mid-write leaves nothing (unnamed temporary files)
    for _ in range(3):
        proc = subprocess.Popen([str(Path(sys.executable).parent / "metrograph"), "export",
                                 "--format", "nt", "-o", str(target)])
        try:
            proc.wait(timeout=1.5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    write_atomic(target, b"data\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "kg.ttl"]


@pytest.mark.parametrize("number", [signal.SIGINT])
def test_a_publish_stopped_by_a_signal_leaves_nothing_and_says_so(number: int,
                                                                  tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) while the release is being written: one line naming the signal, exit
    128 + its number, and no temporary folder."""
    import time

    proc = subprocess.Popen([sys.executable, "-m", "metrograph", "publish", "-q", "-o",
                             str(tmp_path / "rel")], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rel.*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".rel.*")), "the release was never being written"
    proc.send_signal(number)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + number, err
    lines = err.strip().splitlines()
    assert lines == [f"metrograph: error: stopped by {signal.Signals(number).name}"], err
    assert list(tmp_path.iterdir()) == []


def test_a_signal_ignored_by_the_caller_stays_ignored(tmp_path: Path) -> None:
    """Under ``nohup`` (SIGHUP ignored, inherited through exec) a hangup while the release is
    being written changes nothing: the command ends its work, exit 0."""
    import time

    proc = subprocess.Popen([sys.executable, "-m", "metrograph", "publish", "-q", "-o",
                             str(tmp_path / "rel")], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rel.*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".rel.*")), "the release was never being written"
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (tmp_path / "rel" / "metrograph.ttl").is_file()


def test_sigterm_ends_a_long_query_at_once(tmp_path: Path) -> None:
    """SIGTERM keeps its default action: a query busy inside Oxigraph (a join that would run
    for hours) ends at once, not when the engine's step returns (a Python handler held it)."""
    import time

    query = tmp_path / "forever.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n",
                     encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "metrograph", "query", "--file", str(query)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # started, and inside the engine
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM


@pytest.mark.parametrize("version", ["", "  ", "1.0\n", "1.0\x1b[2J"])
def test_an_empty_or_control_character_version_is_refused(tmp_path: Path, version: str) -> None:
    # an empty --version silently became metrograph's; a control character reached the files
    out = tmp_path / "release"
    for args in (["publish", str(out), "--version", version],
                 ["publish", str(out), "--site", str(tmp_path / "site"), "--version", version]):
        _one_clear_line(_metrograph(*args), "not a version")
    assert not out.exists() and not (tmp_path / "site").exists()
    kg = metrograph.load(bundled_data=False)
    with pytest.raises(InputError, match="not a version"):
        pub.publish(kg, out, version=version)
    with pytest.raises(InputError, match="not a version"):
        write_site(kg, tmp_path / "site", version=version)
