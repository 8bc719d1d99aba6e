"""The static linked-data site (``metrograph publish --site DIR``): IRIs that resolve.

The site is served on 127.0.0.1 by a small HTTP server that applies the rules of the
``.htaccess`` the site itself ships (parsed here, directive by directive: a directive the
parser does not know fails the test, so the rules tested are the rules published). The site is
served under ``/metrograph/``, as at ``https://w3id.org/metrograph/``. Then:

- every IRI under the base the graph names answers ``text/html`` (French or English by
  ``Accept-Language``), ``text/turtle`` and ``application/ld+json`` with a 303 to a file whose
  data is the IRI's own description;
- every page is crawled with urllib and every link on it (``href``, ``src``, fragments
  included) resolves;
- headless Chromium (DevTools protocol over a pipe, as in ``test_html_report.py``) loads pages
  through the negotiation at desktop and phone width: no console error, no request outside
  127.0.0.1, the skip link is the first thing the keyboard reaches and is visible when focused,
  and axe-core (``npm install axe-core``: ``scripts/install-test-tools.sh`` puts it in
  ``test-tools/``) finds no serious or critical violation. Screenshots go to
  ``test-artifacts/site/``.

The bundled plan, the multi-cycle fixture and a generated 100k-triple network are each
published; the network's time and size are measured and bounded.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

import metrograph
from metrograph.cli.app import main
from metrograph.errors import InputError
from metrograph.graph import KnowledgeGraph
from metrograph.namespaces import BASE
from metrograph.publishing.site import SiteSummary, graph_triples, minted_triples, write_site
from metrograph.publishing.site_graph import document_path

from .browser import Chromium, find_chromium, loaded, screenshot
from .conftest import MULTICYCLE

REPO = Path(__file__).resolve().parent.parent
# rdflib's JSON-LD parser, reading the site's .jsonld files, uses its own deprecated class
pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
PREFIX = "/metrograph/"
M18 = "https://w3id.org/metrograph/id/metropolis/plan/2018-2020"
HTML_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
               "*/*;q=0.8")
#: the 100k network's site: bounds on the processor time to write it (wall time depends on
#: what else the machine runs) and on its size (measured: 23 s on an idle machine, 51 s on a
#: machine running 10 other jobs on 2 cores; 163 MB)
NETWORK_CPU_SECONDS = 90
NETWORK_BYTES = 200_000_000


# ---------------------------------------------------------------------- the .htaccess, parsed


@dataclass
class Cond:
    """A ``RewriteCond``: test string, pattern (or ``-f``), negated, flags."""

    test: str
    pattern: str
    negate: bool
    nocase: bool
    or_next: bool


@dataclass
class Rule:
    """A ``RewriteRule`` with the conditions before it."""

    pattern: re.Pattern[str]
    target: str             # "-": no substitution
    status: int | None
    last: bool
    conds: list[Cond]
    env: dict[str, str] = field(default_factory=dict)   # [E=VAR:VALUE]


@dataclass
class Htaccess:
    """The directives of the site's ``.htaccess`` this server applies."""

    types: dict[str, str] = field(default_factory=dict)
    index: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    rewrite: bool = False


def parse_htaccess(text: str) -> Htaccess:
    """Read the directives metrograph's ``.htaccess`` uses; any other directive fails."""
    out = Htaccess()
    conds: list[Cond] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line in ("</IfModule>",):
            continue
        if line.startswith("<IfModule"):
            continue       # the modules it names are those a w3id-style host has
        # Apache's tokens: words, or "quoted strings"; a backslash stays (regex escapes)
        words = [q or w for q, w in re.findall(r'"([^"]*)"|(\S+)', line)]
        name, args = words[0], words[1:]
        if name == "Options":
            assert set(args) <= {"-MultiViews", "-Indexes"}, (number, line)
        elif name == "DirectoryIndex":
            out.index = args
        elif name == "AddType":
            for ext in args[1:]:
                out.types[ext] = args[0]
        elif name == "AddLanguage":
            pass           # names the language of .en/.fr files; negotiation is by rules
        elif name == "Header":
            assert args[:2] == ["always", "append"], (number, line)
            out.headers.append((args[2], args[3]))
        elif name == "RewriteEngine":
            out.rewrite = args == ["on"]
        elif name == "RewriteCond":
            flags = args[2].strip("[]").split(",") if len(args) > 2 else []
            assert set(flags) <= {"NC", "OR"}, (number, line)
            pattern = args[1]
            negate = pattern.startswith("!")
            conds.append(Cond(args[0], pattern.lstrip("!"), negate, "NC" in flags,
                              "OR" in flags))
        elif name == "RewriteRule":
            flags = args[2].strip("[]").split(",") if len(args) > 2 else []
            status = None
            env: dict[str, str] = {}
            for flag in flags:
                assert flag == "L" or re.fullmatch(r"R=30[1237]|E=\w+:\w*", flag), (number,
                                                                                  line)
                if flag.startswith("R="):
                    status = int(flag[2:])
                elif flag.startswith("E="):
                    key, _, value = flag[2:].partition(":")
                    env[key] = value
            out.rules.append(Rule(re.compile(args[0]), args[1], status, "L" in flags, conds,
                                  env))
            conds = []
        else:
            raise AssertionError(f".htaccess line {number}: directive {name} not understood")
    assert not conds, ".htaccess ends with a RewriteCond and no RewriteRule"
    return out


def negotiate(rules: Htaccess, root: Path, rel: str,
              headers: dict[str, str]) -> tuple[int, str] | None:
    """Apply the rewrite rules to the request path ``rel`` (relative to the site's root) as
    Apache does in a per-directory context: rules in order; a rule whose pattern and
    conditions match sets its environment variables (``[E=VAR:VALUE]``, read by later rules as
    ``%{ENV:VAR}``); the first such rule with a substitution (not ``-``) answers. Returns
    (status, target relative to the root) or None."""
    request_filename = str(root / rel) if rel else str(root)
    variables = {"%{HTTP_ACCEPT}": headers.get("Accept", ""),
                 "%{HTTP:Accept-Language}": headers.get("Accept-Language", ""),
                 "%{REQUEST_FILENAME}": request_filename}
    env: dict[str, str] = {}

    def expand(s: str, match: re.Match[str]) -> str:
        for k, v in variables.items():
            s = s.replace(k, v)
        s = re.sub(r"%\{ENV:(\w+)\}", lambda m: env.get(m.group(1), ""), s)
        return re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))) or "", s)

    def holds(cond: Cond, match: re.Match[str]) -> bool:
        value = expand(cond.test, match)
        if cond.pattern == "-f":
            result = Path(value).is_file()
        else:
            result = re.search(cond.pattern, value, re.I if cond.nocase else 0) is not None
        return result != cond.negate

    for rule in rules.rules:
        match = rule.pattern.search(rel)
        if match is None:
            continue
        ok, pending_or = True, False
        for cond in rule.conds:
            if pending_or:
                ok = ok or holds(cond, match)
            else:
                if not ok:
                    break
                ok = holds(cond, match)
            pending_or = cond.or_next
        if not ok:
            continue
        env.update(rule.env)
        if rule.target == "-":
            if rule.last:
                return None
            continue
        target = expand(rule.target, match)
        return (rule.status or 200, target)
    return None


# ---------------------------------------------------------------------- the server


def serve(root: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``root`` at ``http://127.0.0.1:PORT/metrograph/`` with its ``.htaccess``."""
    rules = parse_htaccess((root / ".htaccess").read_text(encoding="utf-8"))
    assert rules.rewrite

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self.answer(body=False)

        def do_GET(self) -> None:
            self.answer(body=True)

        def answer(self, body: bool) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if not path.startswith(PREFIX) and path + "/" != PREFIX:
                self.send_error(404)
                return
            rel = urllib.parse.unquote(path[len(PREFIX):])
            if ".." in rel.split("/"):
                self.send_error(403)
                return
            file = root / rel
            if not file.is_file():
                found = negotiate(rules, root, rel, dict(self.headers))
                if found is None:
                    self.send_error(404)
                    return
                status, target = found
                if status != 200:
                    self.send_response(status)
                    self.send_header("Location", PREFIX + target)
                    for name, value in rules.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                file = root / target
            data = file.read_bytes()
            ext = "." + file.name.rsplit(".", 1)[-1]
            self.send_response(200)
            self.send_header("Content-Type", rules.types.get(ext, "application/octet-stream"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, accept: str = HTML_ACCEPT, language: str = "en") -> tuple[int, dict[str, str],
                                                                               bytes]:
    """GET ``url`` without following redirects: status, headers, body."""
    req = urllib.request.Request(url, headers={"Accept": accept, "Accept-Language": language})
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# ---------------------------------------------------------------------- fixtures


@dataclass
class Published:
    """A site written and served."""

    label: str
    root: Path
    url: str
    kg: KnowledgeGraph
    summary: SiteSummary | None


@contextlib.contextmanager
def published(label: str, kg: KnowledgeGraph, root: Path,
              summary: SiteSummary | None) -> Iterator[Published]:
    server, url = serve(root)
    try:
        yield Published(label, root, url, kg, summary)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    kg = metrograph.load()
    root = tmp_path_factory.mktemp("site") / "bundled"
    summary = write_site(kg, root)
    with published("bundled", kg, root, summary) as site:
        yield site


@pytest.fixture(scope="module")
def multicycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Published through the command line."""
    root = tmp_path_factory.mktemp("site") / "multicycle"
    args = ["publish", "--site", str(root), "-q"]
    for source in MULTICYCLE:
        args += ["--data", str(source)]
    assert main(args) == 0
    with published("multicycle", metrograph.load(*MULTICYCLE), root, None) as site:
        yield site


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """A generated network of 100k triples, published and measured."""
    folder = tmp_path_factory.mktemp("network")
    data = folder / "network.ttl"
    subprocess.run([sys.executable, "-m", "metrograph.testing.synthetic", "--triples",
                    "100000", "-o", str(data)], check=True, timeout=120,
                   capture_output=True)
    kg = metrograph.load(data)
    summary = write_site(kg, folder / "site")
    print(f"\n100k network site: {summary.documents} documents, {summary.pages} pages, "
          f"{summary.files} files, {summary.bytes / 1e6:.1f} MB, {summary.seconds} s "
          f"({summary.cpu_seconds} s of processor time)")
    with published("network", kg, folder / "site", summary) as site:
        yield site


# ---------------------------------------------------------------------- HTML


class Links(HTMLParser):
    """The links, ids, ``lang`` attributes and alternates of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.html_lang: str | None = None
        self.alternates: dict[str, str] = {}
        self.langs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.add(a["id"])
        if "lang" in a:
            self.langs.append(a["lang"])
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates[a.get("type") or "hreflang:" + a.get("hreflang", "")] = a["href"]
        for attr in ("href", "src"):
            if attr in a:
                self.links.append(a[attr])


def links_of(body: bytes) -> Links:
    parser = Links()
    parser.feed(body.decode("utf-8"))
    parser.close()
    return parser


def site_triples(kg: KnowledgeGraph) -> set[Any]:
    """What the site describes: the graph and the IRIs a release of it mints."""
    return graph_triples(kg) | minted_triples(kg)


def graph_iris(kg: KnowledgeGraph) -> set[str]:
    """Every IRI under the base the site describes, fragment-less (the documents)."""
    out: set[str] = set()
    for triple in site_triples(kg):
        for t in triple:
            if isinstance(t, URIRef) and document_path(str(t)) is not None:
                out.add(str(t).split("#", 1)[0])
    return out


# ---------------------------------------------------------------------- tests: negotiation


def check_resolves(site: Published, iris: list[str]) -> None:
    triples = site_triples(site.kg)
    by_subject: dict[str, set[tuple[Any, ...]]] = {}
    for s, p, o in triples:
        by_subject.setdefault(str(s), set()).add((s, p, o))
    for iri in iris:
        url = site.url + iri[len(BASE):]
        for accept, language, suffix, media in (
                (HTML_ACCEPT, "en-GB,en;q=0.9", ".en.html", "text/html"),
                (HTML_ACCEPT, "fr-FR,fr;q=0.9,en;q=0.5", ".fr.html", "text/html"),
                ("text/turtle", "en", ".ttl", "text/turtle"),
                ("application/ld+json", "en", ".jsonld", "application/ld+json"),
                ("text/turtle;q=1.0, application/ld+json;q=0.5, text/html;q=0.1", "en", ".ttl",
                 "text/turtle"),
                ("*/*", "fr", ".fr.html", "text/html")):
            status, headers, _ = fetch(url, accept, language)
            assert status == 303, (iri, accept, status)
            location = headers["Location"]
            assert location == PREFIX + iri[len(BASE):] + suffix, (iri, accept, location)
            assert "Accept" in headers.get("Vary", ""), iri
            status, headers, body = fetch(site.url + location[len(PREFIX):], accept, language)
            assert status == 200 and headers["Content-Type"].startswith(media), (iri, accept)
            if suffix == ".ttl":
                turtle = Graph().parse(data=body, format="turtle")
            elif suffix == ".jsonld":
                jsonld = Graph().parse(data=body, format="json-ld")
        assert isomorphic(turtle, jsonld), iri

        def plain(ts: Any) -> set[Any]:
            return {t for t in ts if not any(isinstance(x, BNode) for x in t)}

        own = plain(t for t in turtle if str(t[0]).split("#", 1)[0] == iri)
        expected = plain(t for s, ts in by_subject.items() if s.split("#", 1)[0] == iri
                         for t in ts)
        assert own == expected, iri              # the IRI's own triples, all of them
        assert plain(turtle) <= triples, iri     # and nothing the graph does not hold


def test_every_iri_of_the_bundled_plan_resolves(bundled: Published) -> None:
    iris = sorted(graph_iris(bundled.kg))
    assert M18 in iris and BASE + "ontology" in iris and BASE + "id/org/metropolis" in iris
    assert BASE + "vocab/status/done" in iris
    check_resolves(bundled, iris)
    # the site's root, by language; files are served as they are; nothing else is
    assert fetch(bundled.url, language="fr")[1]["Location"] == PREFIX + "index.fr.html"
    assert fetch(bundled.url, language="en")[1]["Location"] == PREFIX + "index.en.html"
    assert fetch(bundled.url + "id/metropolis/plan/2018-2020.ttl", "text/html")[0] == 200
    assert fetch(bundled.url + "id/nothing/here")[0] == 404


NEGOTIATION = [
    # Accept, Accept-Language, the file answered
    ("text/html", "en", ".en.html"),
    ("application/ld+json, text/turtle;q=0.1", "en", ".jsonld"),
    ("application/ld+json;q=1.0, text/turtle;q=0.5", "en", ".jsonld"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "en", ".jsonld"),
    ("text/html;q=0, text/turtle", "en", ".ttl"),
    ("text/html;q=0.1, application/ld+json", "en", ".jsonld"),
    ("text/html;q=0.8, text/turtle;q=0.9, application/ld+json;q=0.05", "en", ".ttl"),
    ("text/html;q=0.8, text/turtle;q=0.85", "en", ".en.html"),   # equal to one decimal
    ("text/html;q=0.8, application/xhtml+xml;q=0.9, text/turtle;q=0.85", "en", ".en.html"),
    ("text/html ; q=0.2 ; x=1, text/turtle;q=0.3", "en", ".ttl"),
    ("text/turtle;level=1;q=0.7;ext=1, text/html;q=0.3", "en", ".ttl"),
    ("TEXT/Turtle ; Q=0.9 , text/html ; q=0.2", "en", ".ttl"),
    ("text/*;q=0.9, application/ld+json;q=0.5", "en", ".en.html"),   # text/html by text/*
    ("text/*, text/html;q=0", "en", ".ttl"),          # the most specific range gives the q
    ("*/*;q=0.1, text/turtle;q=0.2", "en", ".ttl"),
    ("*/*", "fr", ".fr.html"),
    ("text/turtle;q=0", "en", ".en.html"),             # nothing acceptable: HTML
    ("application/n-triples", "en", ".en.html"),
    ("", "", ".en.html"),
    (HTML_ACCEPT, "en;q=0.1, fr", ".fr.html"),
    (HTML_ACCEPT, "fr;q=0, en", ".en.html"),
    (HTML_ACCEPT, "fr-CA;q=0.5, en-US;q=0.6", ".en.html"),
    (HTML_ACCEPT, "en-GB;q=0.5, fr-FR;q=0.5", ".en.html"),   # a tie: the first listed
    (HTML_ACCEPT, "fr-FR;q=0.5, en;q=0.5", ".fr.html"),
    (HTML_ACCEPT, "de, *;q=0.5, en;q=0.1", ".fr.html"),      # French by *
    (HTML_ACCEPT, "de", ".en.html"),
    (HTML_ACCEPT, "*", ".en.html"),                          # "*" ties them: English
    (HTML_ACCEPT, "de, *", ".en.html"),
    (HTML_ACCEPT, "en;q=0.9, *", ".fr.html"),                # French by *, higher than en
]


@pytest.mark.parametrize(("accept", "language", "suffix"), NEGOTIATION)
def test_negotiation_follows_q_values(bundled: Published, accept: str, language: str,
                                      suffix: str) -> None:
    """The .htaccess answers the representation and the language of highest q-value."""
    rel = "id/metropolis/plan/2018-2020/L1M3D2"
    status, headers, _ = fetch(bundled.url + rel, accept, language)
    assert (status, headers["Location"]) == (303, PREFIX + rel + suffix)


def test_every_iri_of_the_multicycle_fixture_resolves(multicycle: Published) -> None:
    iris = sorted(graph_iris(multicycle.kg))
    assert BASE + "id/metropolis/plan/2021-2023" in iris
    assert BASE + "id/example-network/plan/2022-2024/L1M1D1" in iris
    check_resolves(multicycle, iris)


def test_every_iri_publish_mints_resolves(tmp_path: Path) -> None:
    """The dataset, the release and every named graph of a release get pages and data in the
    site written by the same command."""
    rel, root = tmp_path / "rel", tmp_path / "site"
    out = subprocess.run([sys.executable, "-m", "metrograph", "publish", "-q", "-o", str(rel),
                          "--site", str(root), "--version", "1.2.3", "--base-url",
                          "https://example.org/releases/1.2.3/", "--data", str(MULTICYCLE[0])],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    minted: set[str] = set()
    for name in ("void.ttl", "metrograph.nq", "metrograph.trig", "metrograph.graphs.jsonld"):
        minted |= set(re.findall(r"https://w3id\.org/metrograph/(?:dataset|graph)[^>\s\"]*",
                                 (rel / name).read_text(encoding="utf-8")))
    assert {BASE + "dataset", BASE + "dataset/1.2.3", BASE + "graph/ontology",
            BASE + "graph/organisations", BASE + "graph/vocabularies",
            BASE + "graph/metropolis/2018-2020"} <= minted
    server, url = serve(root)
    try:
        for iri in sorted(minted):
            rel_path = iri[len(BASE):]
            for accept, suffix in ((HTML_ACCEPT, ".en.html"), ("text/turtle", ".ttl"),
                                   ("application/ld+json", ".jsonld")):
                status, headers, _ = fetch(url + rel_path, accept, "en")
                assert status == 303 and headers["Location"] == PREFIX + rel_path + suffix, iri
                assert fetch(url + rel_path + suffix, accept)[0] == 200, iri
    finally:
        server.shutdown()
        server.server_close()
    release = Graph().parse(root / "dataset" / "1.2.3.ttl", format="turtle")
    from rdflib.namespace import DCTERMS, VOID
    parts = set(release.objects(URIRef(BASE + "dataset/1.2.3"), DCTERMS.hasPart))
    assert {str(p) for p in parts} == {i for i in minted if i.startswith(BASE + "graph/")}
    assert URIRef("https://example.org/releases/1.2.3/metrograph.trig") in set(
        release.objects(URIRef(BASE + "dataset/1.2.3"), VOID.dataDump))
    plan = Graph().parse(root / "graph" / "metropolis" / "2018-2020.ttl", format="turtle")
    assert set(plan.objects(URIRef(BASE + "graph/metropolis/2018-2020"), VOID.rootResource)) \
        == {URIRef(M18)}
    assert "Named graph metropolis/2018-2020" in (
        root / "graph" / "metropolis" / "2018-2020.en.html").read_text(encoding="utf-8")


def test_network_pages_resolve(network: Published) -> None:
    summary = network.summary
    assert summary is not None
    assert summary.cpu_seconds < NETWORK_CPU_SECONDS and summary.bytes < NETWORK_BYTES, summary
    iris = sorted(graph_iris(network.kg))
    assert summary.documents == len(iris)
    check_resolves(network, iris[:: max(1, len(iris) // 60)])


# ---------------------------------------------------------------------- tests: pages


def crawl(site: Published, pages: list[str]) -> dict[str, Links]:
    """Fetch ``pages`` (paths relative to the root) and every link on them; assert each
    resolves (following one redirect) and each fragment names an element of its page."""
    seen: dict[str, Links] = {}
    status_of: dict[str, int] = {}

    def page(rel: str) -> Links:
        if rel not in seen:
            status, _headers, body = fetch(site.url + rel)
            assert status == 200, (rel, status)
            seen[rel] = links_of(body) if rel.endswith(".html") else Links()
        return seen[rel]

    for rel in pages:
        parsed = page(rel)
        lang = rel.rsplit(".", 2)[-2]
        assert parsed.html_lang == lang, rel
        for href in parsed.links:
            split = urllib.parse.urlsplit(href)
            if split.scheme in ("http", "https"):
                assert split.hostname != "127.0.0.1", (rel, href)
                continue        # an external IRI (SDG targets, licences): named, not fetched
            assert not split.scheme and not split.netloc, (rel, href)
            target = urllib.parse.urljoin(site.url + rel, split.path) if split.path else (
                site.url + rel)
            assert target.startswith(site.url), (rel, href)
            target_rel = target[len(site.url):]
            if target_rel not in status_of:
                status, headers, _ = fetch(target)
                if status == 303:
                    target_rel = headers["Location"][len(PREFIX):]
                    status = fetch(site.url + target_rel)[0]
                status_of[target_rel] = status
            assert status_of[target_rel] == 200, (rel, href)
            if split.fragment:
                assert split.fragment in page(target_rel).ids, (rel, href)
    return seen


def all_pages(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html"))


@pytest.mark.parametrize("which", ["bundled", "multicycle"])
def test_every_link_of_every_page_resolves(which: str, request: pytest.FixtureRequest) -> None:
    site: Published = request.getfixturevalue(which)
    pages = all_pages(site.root)
    docs = {document_path(i) for i in graph_iris(site.kg)}
    assert len(pages) == 2 * (len(docs) + 1)           # each document and the home page, x2
    seen = crawl(site, pages)
    for rel, parsed in seen.items():
        if not rel.endswith(".html") or rel.startswith("index."):
            continue
        base = rel.rsplit(".", 2)[0]
        other = "fr" if rel.endswith(".en.html") else "en"
        name = base.rsplit("/", 1)[-1]
        assert parsed.alternates == {"hreflang:" + other: f"{name}.{other}.html",
                                     "text/turtle": f"{name}.ttl",
                                     "application/ld+json": f"{name}.jsonld"}, rel


def test_network_links_resolve(network: Published) -> None:
    """Every link of one page in eight of the network's site (some 4,000 pages, every kind),
    checked against the files; a crawl over HTTP of 200 pages checks the same through the
    server."""
    root = network.root
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    pages = sorted(f for f in files if f.endswith(".html"))[::8]
    href = re.compile(r'(?:href|src)="([^"]*)"')
    checked = 0
    for rel in pages:
        text = (root / rel).read_text(encoding="utf-8")
        folder = rel.rpartition("/")[0]
        for link in href.findall(text):
            if link.startswith(("http://", "https://")):
                continue
            path = link.split("#", 1)[0]
            if not path:
                continue
            target = os.path.normpath(os.path.join(folder, path))
            assert target in files, (rel, link)
            checked += 1
    assert checked > len(pages)
    crawl(network, pages[:: max(1, len(pages) // 200)])


def test_pages_say_their_languages(bundled: Published) -> None:
    text = (bundled.root / "id/metropolis/plan/2018-2020/L3M6D4.en.html").read_text("utf-8")
    # French source text on an English page is marked as French, and the other way round
    assert '<span lang="fr">' in text and '<html lang="en">' in text
    text_fr = (bundled.root / "id/metropolis/plan/2018-2020/L3M6D4.fr.html").read_text("utf-8")
    assert '<span lang="en">' in text_fr and '<html lang="fr">' in text_fr
    onto = (bundled.root / "ontology.fr.html").read_text("utf-8")
    assert 'id="ActionPlan"' in onto and "plan d&#39;action" in onto
    assert '<span lang="en">action plan</span>' in onto
    # every class and property of the ontology is documented, with examples from the data
    for term in ("Deliverable", "parent", "translatedLabel", "StatusAssessment"):
        assert f'id="{term}"' in onto
    assert "L1M1D1" in onto or "Calendrier" in onto


def test_which_iris_get_a_page() -> None:
    assert document_path(M18 + "/L1M1D1") == "id/metropolis/plan/2018-2020/L1M1D1"
    assert document_path(BASE + "ontology#ActionPlan") == "ontology"
    assert document_path(BASE + "id/org/") is None           # a namespace
    assert document_path("http://metadata.un.org/sdg/5.5") is None
    for bad in ("id/a/../b", "id/a b", "id/%2e%2e/x", "index", "site.css", "id//x"):
        with pytest.raises(InputError, match="cannot publish"):
            document_path(BASE + bad)


def test_same_graph_same_bytes(bundled: Published, tmp_path: Path) -> None:
    """Another load of the same graph, in the other store (other blank node labels) and in
    another process (another hash seed, so sets iterate in another order), gives the same
    files, byte for byte."""
    again = tmp_path / "again"
    out = subprocess.run([sys.executable, "-m", "metrograph", "publish", "--site", str(again),
                          "--store", "memory", "-q"], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert out.returncode == 0, out.stderr
    first = {str(p.relative_to(bundled.root)): p.read_bytes()
             for p in bundled.root.rglob("*") if p.is_file()}
    second = {str(p.relative_to(again)): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


TWINS = """\
@prefix ex: <http://example.org/> .
<https://w3id.org/metrograph/id/test/x> ex:q [ ex:r [ ex:t "a" ] ] , [ ex:r [ ex:t "b" ] ] ,
    [ ex:r [ ex:t "c" ] ] , [ ex:r [ ex:t "d" ] ] .
<https://w3id.org/metrograph/id/test/y> ex:q [ ex:r [ ex:t "c" ; ex:u [ ex:t "a" ] ] ] ,
    [ ex:r [ ex:t "c" ; ex:u [ ex:t "b" ] ] ] .
"""


def test_blank_nodes_of_the_same_shape_same_bytes(tmp_path: Path) -> None:
    """Several blank nodes of one shape under a resource: every process and store writes the
    same files (blank nodes labelled by RDFC-1.0, not by the order a set gives)."""
    data = tmp_path / "twins.ttl"
    data.write_text(TWINS, encoding="utf-8")
    runs = []
    for i, (store, seed) in enumerate([("oxigraph", "1"), ("oxigraph", "2"), ("memory", "3"),
                                       ("memory", "4")]):
        out = subprocess.run([sys.executable, "-m", "metrograph", "publish", "-q", "--site",
                              str(tmp_path / f"s{i}"), "--data", str(data), "--store", store],
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.returncode == 0, out.stderr
        root = tmp_path / f"s{i}"
        runs.append({str(p.relative_to(root)): p.read_bytes()
                     for p in root.rglob("*") if p.is_file()})
    assert all(run == runs[0] for run in runs[1:])
    for name in ("x", "y"):
        got = Graph().parse(data=runs[0][f"id/test/{name}.ttl"].decode(), format="turtle")
        want = Graph().parse(data=TWINS, format="turtle")
        subject = URIRef(f"https://w3id.org/metrograph/id/test/{name}")
        reached = Graph()
        todo: list[Any] = [subject]
        while todo:
            node = todo.pop()
            for t in want.triples((node, None, None)):
                reached.add(t)
                if isinstance(t[2], BNode):
                    todo.append(t[2])
        assert isomorphic(got, reached)


def test_site_refuses_to_overwrite_and_unsafe_iris(bundled: Published, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds a site"):
        write_site(bundled.kg, bundled.root)
    # --force replaces only a folder this writer made: anything else stays, even with it
    other = tmp_path / "mine"
    (other / "sub").mkdir(parents=True)
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not a metrograph site"):
        write_site(bundled.kg, other, overwrite=True)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (other / "sub").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    kg = metrograph.load()
    kg.update('INSERT DATA { <https://w3id.org/metrograph/id/a/..%2Fetc> '
              '<http://www.w3.org/2000/01/rdf-schema#label> "x" }', allow_update=True)
    target = tmp_path / "site"
    with pytest.raises(InputError, match="cannot publish"):
        write_site(kg, target)
    assert not target.exists() and [p.name for p in tmp_path.iterdir()] == ["mine"]
    # the command line: exit 2 and one line, nothing written
    out = subprocess.run([sys.executable, "-m", "metrograph", "publish", "--site",
                          str(bundled.root), "-q"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "holds a site" in out.stderr
    out = subprocess.run([sys.executable, "-m", "metrograph", "publish", "-q"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "--site DIR" in out.stderr, out.stderr


# ---------------------------------------------------------------------- the browser


def find_axe() -> Path | None:
    named = os.environ.get("METROGRAPH_AXE")
    for candidate in ([Path(named)] if named else []) + [
            REPO / "test-tools" / "node_modules" / "axe-core" / "axe.min.js"]:
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Chromium, str]]:
    binary, axe = find_chromium(), find_axe()
    if binary is None or axe is None:
        missing = "headless Chromium" if binary is None else "axe-core"
        if os.environ.get("METROGRAPH_SKIP_BROWSER") == "1":
            pytest.skip(f"METROGRAPH_SKIP_BROWSER=1 and no {missing}: browser tests skipped")
        pytest.fail(f"{missing} is needed to test the site in a browser: run "
                    "scripts/install-test-tools.sh (chromium from apt, axe-core from npm into "
                    "test-tools/), set METROGRAPH_CHROMIUM / METROGRAPH_AXE, or set "
                    "METROGRAPH_SKIP_BROWSER=1", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="metrograph-site-chromium-") as profile:
        chromium = Chromium(binary, Path(profile))
        try:
            chromium.call("Browser.getVersion", timeout=60)
            yield chromium, axe.read_text(encoding="utf-8")
        finally:
            chromium.close()


def artifacts() -> Path:
    base = os.environ.get("METROGRAPH_ARTIFACTS")
    folder = (Path(base) if base else REPO / "test-artifacts") / "site"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


KEYBOARD = r"""
(() => {
  const el = document.activeElement;
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {tag: el.tagName, cls: el.className, href: el.getAttribute('href'),
          visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight,
          outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
})()
"""

AXE = r"""
axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target)})))
"""


@dataclass
class Visit:
    url: str
    final: str
    lang: str
    requests: list[str]
    console: list[str]
    keyboard: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    scroll_width: int


def visit(chromium: Chromium, axe: str | None, url: str, width: int, language: str,
          shot: Path) -> Visit:
    """Load ``url`` (through the negotiation) and check it as a reader with a keyboard and a
    screen reader would meet it."""
    with loaded(chromium, url, width, 900, {"Accept-Language": language}) as tab:
        session, requests = tab.session, tab.requests
        console = tab.console + [f.strip() for f in tab.failures]
        final = chromium.evaluate("location.href", session)
        lang = chromium.evaluate("document.documentElement.lang", session)
        scroll_width = chromium.evaluate("document.documentElement.scrollWidth", session)
        screenshot(chromium, session, width, shot, max_height=2400)
        keyboard = []
        for key, code in (("Tab", 9), ("Enter", 13)):
            for kind in ("keyDown", "keyUp"):
                chromium.call("Input.dispatchKeyEvent", {
                    "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code,
                    **({"text": "\r"} if key == "Enter" and kind == "keyDown" else {})},
                    session=session)
            keyboard.append(chromium.evaluate(KEYBOARD, session))
        violations = []
        if axe is not None:
            chromium.evaluate(axe, session)
            violations = chromium.evaluate(AXE, session, timeout=120)
        return Visit(url, final, lang, requests, console, keyboard, violations, scroll_width)


#: the kinds of page visited in each site (the bundled plan: every kind)
VISITED = {"multicycle": {"home", "plan", "deliverable", "assessment", "organisation"},
           "network": {"home", "plan", "deliverable", "assessment", "organisation"}}


def pages_to_visit(site: Published) -> list[tuple[str, str]]:
    """(name, IRI path) of one page of each kind the site has."""
    kinds = {
        "home": "",
        "ontology": "ontology",
        "vocabulary": "vocab/status",
        "concept": "vocab/theme/gender",
    }
    triples = graph_triples(site.kg)
    classes = {"plan": "ActionPlan", "guideline": "Guideline", "measure": "Measure",
               "deliverable": "Deliverable", "assessment": "StatusAssessment",
               "sdg-link": "SDGLink"}
    typed: dict[str, list[str]] = {}
    for s, p, o in triples:
        if str(p).endswith("#type") and str(o).startswith(BASE + "ontology#"):
            typed.setdefault(str(o).rsplit("#", 1)[1], []).append(str(s))
    for name, cls in classes.items():
        if typed.get(cls):
            kinds[name] = sorted(typed[cls])[0][len(BASE):]
    first_plan = sorted(typed["ActionPlan"])[0]            # id/{organisation}/plan/{cycle}
    kinds["organisation"] = "id/org/" + first_plan[len(BASE):].split("/")[1]
    wanted = VISITED.get(site.label, set(kinds))
    return sorted((k, v) for k, v in kinds.items() if k in wanted)


@pytest.mark.parametrize("which", ["bundled", "multicycle", "network"])
def test_pages_in_a_browser(which: str, request: pytest.FixtureRequest,
                            browser: tuple[Chromium, str]) -> None:
    site: Published = request.getfixturevalue(which)
    chromium, axe = browser
    shots = artifacts()
    problems = []
    for name, path in pages_to_visit(site):
        for width, language in ((1280, "en"), (390, "fr")):
            shot = shots / f"{which}--{name}--{language}-{width}.png"
            # axe-core once per page (its rules do not depend on the width or the language)
            v = visit(chromium, axe if width > 600 else None, site.url + path, width, language,
                      shot)
            where = f"{which} {name} {language} {width}px"
            assert v.lang == language and v.final.endswith(f".{language}.html"), (where, v.final)
            outside = [u for u in v.requests if urllib.parse.urlsplit(u).hostname != "127.0.0.1"]
            assert not outside, (where, outside)
            assert not v.console, (where, v.console)
            tab, enter = v.keyboard
            assert tab["cls"] == "skip" and tab["href"] == "#main" and tab["visible"], (where,
                                                                                      tab)
            assert tab["outline"] != "none" and tab["outlineWidth"] >= 2, (where, tab)
            assert enter["tag"] == "MAIN", (where, enter)
            assert v.scroll_width <= width, (where, v.scroll_width)
            bad = [x for x in v.violations if x["impact"] in ("serious", "critical")]
            if bad:
                problems.append((where, bad))
    assert not problems, problems
