"""A static linked-data site: every IRI metrograph mints resolves to a page and to data.

``write_site(kg, "site/")`` (``metrograph publish --site site/``) writes, for every document
under ``https://w3id.org/metrograph/`` the graph names (plans, their components, organisations,
sources, assessments, SDG links, the ontology, the vocabularies and their concepts), at the path
of its IRI: ``PATH.en.html`` and ``PATH.fr.html``, the page in each language (``lang`` on every
text in the other one, ``<link rel="alternate">`` to the other page and to the data), and
``PATH.ttl`` and ``PATH.jsonld``, its concise bounded description (its triples, the blank nodes
they reach, and the labels of what it links to). The IRIs ``publish`` mints (the dataset
``…/dataset``, the release ``…/dataset/{version}``, each named graph of the release
``…/graph/{org}/{cycle}``...; :func:`~metrograph.publishing.release.part_of`) are described
(:func:`minted_triples`) and so given pages too. At the root: ``index.en.html`` /
``index.fr.html`` (organisations, plans, ontology, vocabularies), ``site.css`` and a
w3id-style ``.htaccess`` that answers an IRI with a 303 redirect to the representation asked
for (``text/html`` by language, ``text/turtle``, ``application/ld+json``).

Why our own Jinja2 templates and not pyLODE (tried offline on ``ontology/metrograph.ttl``):
pyLODE 3.4.1 fails at import (its ``version.py`` reads a ``pyproject.toml`` its wheel lacks);
3.3.4 takes about 4 s to write one page for one ontology in one language, with no ``lang``
attributes and no instance data (so no examples from the plans), and brings httpx, dominate and
markdown. Our templates (``site_templates/``, autoescaped) give ontology, vocabulary and data
pages one layout and one message catalogue in both languages, with examples from the data.

Turtle and JSON-LD are written by Oxigraph (``pyoxigraph.serialize``): 0.09 ms per description
of the bundled plan against 1.34 ms with rdflib's serialisers (measured on 60 descriptions,
both formats), and a 100k-triple network has some 17,000 descriptions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, VOID
from rdflib.term import Node

from metrograph import __version__
from metrograph.errors import InputError
from metrograph.namespaces import BASE, MGO, PREFIXES
from metrograph.publishing.release import DATASET, DUMPS, LICENSE, part_of
from metrograph.publishing.site_graph import SiteGraph, document_path
from metrograph.publishing.site_views import LANGUAGES, Page, PageViews, load_messages
from metrograph.rdfio.canonical import to_ox
from metrograph.rdfio.folders import replaceable, write_whole

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["HTACCESS", "LANGUAGES", "SiteSummary", "minted_triples", "render_site",
           "write_site"]

#: the content-negotiation rules, written at the site's root
HTACCESS = ".htaccess"

#: the file that marks a folder as a metrograph site (``--force`` replaces only such)
SITE_MARKER = ".metrograph-site"


@dataclass(frozen=True)
class SiteSummary:
    """What :func:`write_site` wrote."""

    directory: Path
    documents: int
    pages: int
    files: int
    bytes: int
    seconds: float
    cpu_seconds: float


def _environment() -> Environment:
    return Environment(loader=PackageLoader("metrograph.publishing", "site_templates"),
                       autoescape=select_autoescape(enabled_extensions=("html",),
                                                    default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True, auto_reload=False)


def _data(triples: list[tuple[Node, URIRef, Node]],
          terms: dict[Node, Any]) -> tuple[bytes, bytes]:
    """Turtle and JSON-LD of ``triples`` (``terms``: the pyoxigraph terms made so far)."""
    def ox_term(node: Node) -> Any:
        found = terms.get(node)
        if found is None:
            found = terms[node] = to_ox(node)
        return found

    converted = [ox.Triple(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples]
    spaces = {str(t)[:max(str(t).rfind("#"), str(t).rfind("/")) + 1]
              for triple in triples for t in triple if isinstance(t, URIRef)}
    used = {p: ns for p, ns in PREFIXES.items() if ns in spaces}
    turtle = ox.serialize(converted, format=ox.RdfFormat.TURTLE, prefixes=used)
    jsonld = ox.serialize(converted, format=ox.RdfFormat.JSON_LD)
    assert turtle is not None and jsonld is not None
    return turtle, jsonld


def graph_triples(kg: KnowledgeGraph) -> set[tuple[Node, URIRef, Node]]:
    """The distinct triples of ``kg`` (the union of its graphs), as its store gives them
    (:meth:`~metrograph.stores.base.Store.triples`: Oxigraph's converts each distinct term
    once; going through an rdflib ``Dataset`` took longer than rendering the pages)."""
    return {(s, p, o) for s, p, o in kg.store.triples() if isinstance(p, URIRef)}


_SD = "http://www.w3.org/ns/sparql-service-description#"


def minted_triples(kg: KnowledgeGraph, version: str | None = None,
                   base_url: str | None = None) -> set[tuple[Node, URIRef, Node]]:
    """The description of the IRIs that :func:`~metrograph.publishing.release.publish` mints
    for a release of ``kg`` (``version``: metrograph's by default; ``base_url``: where the
    release is served, for its dumps): the dataset, the release, and the release's named
    graphs under the site's base, with what each graph holds."""
    if version is not None and (not version.strip() or not version.isprintable()):
        raise InputError(f"not a version (some text without control characters): {version!r}")
    version = version or __version__
    release = URIRef(f"{DATASET}/{quote(version, safe='')}")
    if base_url is not None and not base_url.endswith("/"):
        base_url += "/"
    out: set[tuple[Node, URIRef, Node]] = set()

    def titled(node: URIRef, en: str, fr: str) -> None:
        out.add((node, DCTERMS.title, Literal(en, lang="en")))
        out.add((node, DCTERMS.title, Literal(fr, lang="fr")))

    out.add((DATASET, RDF.type, DCAT.Dataset))
    titled(DATASET, "metrograph: action plans as a knowledge graph (every release)",
           "metrograph : plans d'action en graphe de connaissances (toutes les versions)")
    out.add((DATASET, RDFS.comment, Literal(
        "The dataset that each metrograph release is a version of.", lang="en")))
    if document_path(str(release)) is None or not re.fullmatch(r"[A-Za-z0-9._~-]+", version):
        return out   # a version that cannot be a file name: the dataset alone
    out.add((DATASET, DCTERMS.hasVersion, release))
    out.add((release, RDF.type, DCAT.Dataset))
    out.add((release, RDF.type, VOID.Dataset))
    out.add((release, DCTERMS.isVersionOf, DATASET))
    titled(release, f"metrograph {version}", f"metrograph {version}")
    out.add((release, OWL.versionInfo, Literal(version)))
    out.add((release, DCTERMS.license, LICENSE))
    out.add((release, DCTERMS.publisher, MGO["metrograph-project"]))
    if base_url is not None:
        for name in DUMPS:
            out.add((release, VOID.dataDump, URIRef(base_url + name)))
    roots: dict[URIRef, set[URIRef]] = {part_of(name): set() for name in kg.store.graph_names()}
    with as_file(files("metrograph.publishing") / "queries" / "graph-roots.rq") as path:
        for row in kg.query_file(path).rows:
            roots.setdefault(part_of(row["graph"]), set()).add(row["root"])
    for graph, held in roots.items():
        if not str(graph).startswith(BASE):
            continue
        local = str(graph)[len(BASE):].removeprefix("graph/")
        out.add((graph, RDF.type, URIRef(_SD + "Graph")))
        titled(graph, f"Named graph {local} of metrograph {version}",
               f"Graphe nommé {local} de metrograph {version}")
        out.add((graph, DCTERMS.isPartOf, release))
        out.add((release, DCTERMS.hasPart, graph))
        for root in held:
            out.add((graph, VOID.rootResource, root))
        if base_url is not None:
            for name in DUMPS:
                if name.endswith((".trig", ".nq")):
                    out.add((graph, VOID.dataDump, URIRef(base_url + name)))
    return out


def render_site(kg: KnowledgeGraph, *, version: str | None = None,
                base_url: str | None = None) -> dict[str, bytes]:
    """Every file of the site by its path (``id/metropolis/plan/2018-2020.en.html``...);
    ``version`` and ``base_url`` as for :func:`minted_triples`."""
    site = SiteGraph(graph_triples(kg) | minted_triples(kg, version, base_url), BASE)
    messages = load_messages()
    views = PageViews(site, messages)
    env = _environment()
    templates = {name: env.get_template(f"{name}.html")
                 for name in ("resource", "ontology", "index")}

    def render(page: Page) -> bytes:
        template = templates.get(page.kind, templates["resource"])
        return template.render(page=page, t=messages[page.lang], langs=LANGUAGES).encode("utf-8")

    out = {f"index.{lang}.html": render(views.index_page(lang)) for lang in LANGUAGES}
    terms: dict[Node, Any] = {}
    for path in sorted(site.documents):
        doc = site.documents[path]
        for lang in LANGUAGES:
            out[f"{path}.{lang}.html"] = render(views.page(doc, lang))
        out[f"{path}.ttl"], out[f"{path}.jsonld"] = _data(site.description(doc), terms)
    out["site.css"] = (files("metrograph.publishing") / "site_templates" / "site.css").read_bytes()
    out[HTACCESS] = htaccess_text().encode("utf-8")
    return out


# ---------------------------------------------------------------------- content negotiation
#
# mod_rewrite compares no numbers, so the q-values of Accept and Accept-Language are read by
# regular expressions, one decimal at a time: for each bucket of q-values (0.0x, 0.1x ...
# 0.9x, 1), lowest first, a rule sets the variable MGTYPE (MGLANG) to each representation
# (language) whose q-value falls in it; the last one set, of the highest bucket, is chosen.
# PCRE and Python read these expressions alike (tests/test_site.py applies them).

#: a media range's parameters other than q
_PARAMS = r"(?:\s*;(?!\s*q=)[^;,]*)*"
#: the end of an entry: its accept-extensions (after q) and the comma or end
_END = r"(?:\s*;[^,]*)?\s*(?:,|$)"


def _q(bucket: int) -> str:
    """A q-value in ``bucket`` (10: 1 or none; 1-9: 0.b..; 0: above 0, under 0.1)."""
    if bucket == 10:
        return r"1(?:\.0{0,3})?"
    if bucket == 0:
        return r"0\.0(?:[1-9][0-9]?|0[1-9])"
    return rf"0\.{bucket}[0-9]{{0,2}}"


def _entry(name: str, bucket: int | None, params: str = _PARAMS) -> str:
    """An Accept(-Language) entry for ``name`` (a regular expression) with a q-value in
    ``bucket`` (None: any q-value, 0 among them)."""
    head = rf"(?:^|,)\s*{name}{params}"
    if bucket is None:
        return head + _END
    if bucket == 10:
        return head + rf"(?:\s*;\s*q={_q(10)}(?:\s*;[^,]*)?)?\s*(?:,|$)"
    return head + rf"\s*;\s*q={_q(bucket)}" + _END


#: the media types of each representation, each with the wildcard of its top-level type
_MEDIA: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("jsonld", ((r"application/ld\+json", r"application/\*"),)),
    ("ttl", ((r"text/turtle", r"text/\*"),)),
    ("html", ((r"text/html", r"text/\*"), (r"application/xhtml\+xml", r"application/\*"))),
)
_LANG = r"(?:-[a-z0-9]+)*"
_ANY_LANG = r"\*"
_ANY_TYPE = r"\*/\*"


def _set(variable: str, value: str, conds: list[str]) -> list[str]:
    return [*(f"RewriteCond {c} [NC]" for c in conds), f"RewriteRule ^ - [E={variable}:{value}]"]


def htaccess_text() -> str:
    """The site's ``.htaccess``: ``site_templates/htaccess`` and the negotiation rules."""
    accept, language = "%{HTTP_ACCEPT}", "%{HTTP:Accept-Language}"
    lines = ["RewriteEngine on", "", "# the language: English unless French has a higher "
             "q-value (or the same, listed first)", "RewriteRule ^ - [E=MGLANG:en]"]
    en_first = r"^(?:\s*(?!fr(?:[-;,\s]|$))[^,]*,)*\s*en" + _LANG + r"\s*(?:[;,]|$)"
    for bucket in range(11):
        for lang, first in (("en", None), ("fr", None), ("en", en_first)):
            own = _entry(lang + _LANG, bucket, "")
            lines += _set("MGLANG", lang, [f"{language} {own}"] + (
                [f"{language} {first}"] if first else []))
            if first is None:   # through "*" when the language is not listed; French
                # only when English is (both unlisted, "*" ties them, and English is the default)
                lines += _set("MGLANG", lang, [
                    f"{language} !{_entry(lang + _LANG, None, '')}",
                    f"{language} {_entry(_ANY_LANG, bucket, '')}"] + (
                    [f"{language} {_entry('en' + _LANG, None, '')}"] if lang == "fr" else []))
    lines += ["", "# the representation: HTML unless Turtle or JSON-LD has a higher q-value",
              "RewriteRule ^ - [E=MGTYPE:html]"]
    for bucket in range(11):
        for value, ranges in _MEDIA:
            for exact, wild in ranges:  # the type; else, unlisted, its wildcard; else */*
                chain = (exact, wild, _ANY_TYPE)
                for i, name in enumerate(chain):
                    unlisted = [f"{accept} !{_entry(n, None)}" for n in chain[:i]]
                    lines += _set("MGTYPE", value, [*unlisted, f"{accept} {_entry(name, bucket)}"])
    lines += [
        "", "# the site's root: the home page, by language",
        "RewriteRule ^$ index.%{ENV:MGLANG}.html [R=303,L]",
        "", "# an IRI: the representation chosen",
        "RewriteCond %{ENV:MGTYPE} ^ttl$", "RewriteCond %{REQUEST_FILENAME}.ttl -f",
        "RewriteRule ^(.+)$ $1.ttl [R=303,L]",
        "RewriteCond %{ENV:MGTYPE} ^jsonld$", "RewriteCond %{REQUEST_FILENAME}.jsonld -f",
        "RewriteRule ^(.+)$ $1.jsonld [R=303,L]",
        "RewriteCond %{REQUEST_FILENAME}.%{ENV:MGLANG}.html -f",
        "RewriteRule ^(.+)$ $1.%{ENV:MGLANG}.html [R=303,L]"]
    template = files("metrograph.publishing").joinpath("site_templates/htaccess").read_text(
        encoding="utf-8")
    return template.replace("# @negotiation@\n", "\n".join(lines) + "\n")


def write_site(kg: KnowledgeGraph, directory: str | Path, *, overwrite: bool = False,
               version: str | None = None, base_url: str | None = None) -> SiteSummary:
    """Write the static site of ``kg`` into ``directory`` (see the module's documentation).

    An existing, non-empty ``directory`` is replaced only when it holds a site (its
    ``.metrograph-site`` marker) and ``overwrite`` is True; any other non-empty folder is
    refused (:class:`~metrograph.errors.InputError`), even with ``overwrite``. The site is
    written beside it first and renamed into place, so a failed or killed run leaves it as it
    was (scratch folders of killed runs are removed by the next run)."""
    started, cpu = time.perf_counter(), time.process_time()
    target = Path(directory)
    replaceable(target, overwrite, SITE_MARKER, "site")
    if not target.parent.is_dir():
        raise InputError("the folder does not exist", source=str(target.parent))
    content = {**render_site(kg, version=version, base_url=base_url),
               SITE_MARKER: b"metrograph site: publish --site --force may replace this folder\n"}
    write_whole(content, target, what="the site", synced=False,
                check=lambda _work: replaceable(target, overwrite, SITE_MARKER, "site"))
    pages = sum(name.endswith(".html") for name in content)
    documents = sum(name.endswith(".ttl") for name in content)
    return SiteSummary(target, documents, pages, len(content),
                       sum(len(d) for d in content.values()),
                       round(time.perf_counter() - started, 2),
                       round(time.process_time() - cpu, 2))


