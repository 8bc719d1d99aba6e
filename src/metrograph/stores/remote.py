"""A remote SPARQL 1.1 endpoint behind the :class:`~metrograph.stores.base.Store` interface.

:class:`RemoteStore` speaks the SPARQL 1.1 Protocol over HTTP with the standard library
(``urllib``): queries are POSTed form-encoded with an explicit ``Accept`` header
(``application/sparql-results+json`` for SELECT and ASK, ``application/n-triples`` then
``text/turtle`` for CONSTRUCT and DESCRIBE), writes go through the Graph Store HTTP Protocol or
SPARQL Update (:class:`GraphWriter`).

**Bindings.** The protocol cannot carry variable bindings, so values are substituted into the
query *text*, as Jena's parameterized queries (SEP-0007) do, by
:func:`metrograph.sparql.binding.substitute` (the same mechanism every store uses): values are
validated and escaped first, so a value can never change the query's structure.

**Server differences** (seen on Oxigraph 0.5 and Virtuoso 7.2; tested in ``tests/test_remote.py``):

- *Default graph.* Virtuoso's default graph is the union of all graphs; Oxigraph's is its own
  graph unless started with ``--union-default-graph``. metrograph's queries expect the union:
  ``union_default_graph=None`` (the default) finds out once with a probe; when the server does
  not union, each query carries one ``default-graph-uri`` per named graph (SPARQL 1.1 Protocol:
  the default graph is then their merge).
- *System graphs.* Virtuoso keeps graphs of its own (``virtrdf#``, ``ldp#``, its ``/sparql``
  and ``/DAV/`` graphs); :meth:`RemoteStore.graph_names`, :meth:`~RemoteStore.dataset` and
  ``len()`` leave them out when the server says it is Virtuoso (they stay visible to queries over
  its union default graph; pass ``graphs=`` to scope queries exactly).
- *Listing graphs.* ``GRAPH ?g {}`` answers one unbound row on Virtuoso and lists empty graphs
  on Oxigraph, so graphs are listed with ``GRAPH ?g { ?s ?p ?o }``.
- *Row limits.* Virtuoso cuts results at ``ResultSetMaxRows`` and says so only in the
  ``X-SPARQL-MaxRows`` header of SELECT answers (also when a result has exactly that many rows);
  CONSTRUCT answers and Graph Store GETs are cut without any sign. A SELECT cut short raises
  :class:`TruncatedResultError` (unless the query's own top-level LIMIT is within the limit);
  Virtuoso's "anytime" partial answers (``X-SQL-State: S1TAT``) too. Once the limit is known
  (``max_rows=``, or learnt from the header), a CONSTRUCT answer of that many triples raises it.
  :meth:`RemoteStore.dataset` reads each graph with a SELECT and pages it with ORDER BY, LIMIT and
  OFFSET when the server cuts it, then checks the count against ``COUNT(*)``.
- *Booleans.* Virtuoso answers every boolean value (``?changed``, even ``true``) as
  ``"1"^^xsd:integer`` / ``"0"``: results are passed on as the server gives them, and
  :func:`comparable` counts xsd:boolean true/false equal to the integers 1/0.
- *Language tags.* Both servers lowercase them (``@EN-gb`` comes back ``@en-gb``) while rdflib
  keeps the case it read: results from the server are lowercased here (tags are case-insensitive),
  and :func:`comparable` lowercases them whatever the store.
- *Numbers.* Both servers store and return canonical numeric forms (``"01"^^xsd:integer`` comes
  back ``"1"``, two triples differing only so are one); :func:`comparable` compares numbers by
  value. Virtuoso returns simple literals as ``xsd:string``-typed: they are made simple here.
- *Writes.* Virtuoso rejects blank nodes in ``INSERT DATA`` (they go in ``INSERT {…} WHERE {}``
  here), fails on an ``INSERT DATA`` of more than about a thousand triples ("generated SQL text
  has exceeded 10000 lines": updates are sent in chunks of ``chunk_size`` triples), runs a
  multi-operation update request without a transaction (a failure half-way keeps the first
  operations), has a Graph Store PUT that leaves the graph half-loaded when the body fails
  half-way, and "moves" a graph that does not exist by emptying the target. Oxigraph does each of
  these in one transaction. So :class:`GraphWriter` never replaces a graph in place: it uploads
  into a new temporary graph, checks its triple count, then replaces the target with one ``MOVE``.

**Credentials** come from ``METROGRAPH_USER`` and ``METROGRAPH_PASSWORD`` or from a netrc file
(``$NETRC`` or ``~/.netrc``), never from URLs or arguments; they answer HTTP Basic or Digest
challenges, are never part of a message or ``repr``, and are not sent across redirects
(redirects are not followed: the error names the new location). TLS certificates are always
verified (``ca_file`` adds a private certificate authority). Every request has a timeout
(``timeout`` seconds for the whole answer) and connection failures and 5xx answers are retried
``retries`` times with exponential back-off, never 4xx answers, never a request that is not safe
to repeat.
"""

from __future__ import annotations

import base64
import dataclasses
import email.message
import http.client
import ipaddress
import json
import netrc
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node, Variable

from metrograph.errors import InputError, QueryError, TruncatedResultError
from metrograph.rdfio.formats import Format, default_graph_id
from metrograph.sparql.binding import (
    Substitution,
    analyse,
    iri_text,
    query_form,
    render_term,
    substitute,
    tokenize,
)
from metrograph.stores.base import SelectResult, load_through_rdflib

__all__ = [
    "GraphWriter",
    "RemoteStore",
    "WriteResult",
    "comparable",
    "comparable_rows",
    "ntriples",
    "query_form",
    "render_term",
    "substitute",
    "tokenize",
]


# ====================================================================== values compared

_INTEGERS = {str(XSD[n]) for n in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "nonPositiveInteger",
    "negativeInteger", "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")}
_NUMBERS = _INTEGERS | {str(XSD.decimal), str(XSD.float), str(XSD.double)}


def comparable(term: Node | None) -> Any:
    """A value that is equal for two terms exactly when they are equal up to the documented
    server differences: language tags compared case-insensitively, numbers by value (whatever
    their numeric type or lexical form), xsd:boolean true/false equal to the integers 1/0
    (Virtuoso's booleans), simple literals equal to xsd:string ones, all blank nodes alike."""
    if term is None:
        return ("unbound",)
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype is not None else None
        if term.language:
            return ("lang", str(term), term.language.lower())
        if dt == str(XSD.boolean) and str(term).strip() in ("true", "false", "1", "0"):
            return ("number", Decimal(1 if str(term).strip() in ("true", "1") else 0))
        if dt in _NUMBERS:
            try:
                return ("number", Decimal(str(term).strip()).normalize())
            except InvalidOperation:
                return ("literal", str(term), dt)
        if dt in (None, str(XSD.string)):
            return ("literal", str(term), None)
        return ("literal", str(term), dt)
    return ("iri", str(term))


def comparable_rows(result: SelectResult) -> list[tuple[Any, ...]]:
    """The rows of ``result`` as a sorted list (a multiset) of tuples of :func:`comparable`
    values, in the order of ``result.variables``; two stores agree when these are equal."""
    return sorted((tuple(comparable(t) for t in row) for row in result.rows), key=repr)


# ====================================================================== HTTP

def _default_user_agent() -> str:
    try:
        return f"metrograph/{version('metrograph')} (+https://w3id.org/metrograph)"
    except PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "metrograph (+https://w3id.org/metrograph)"


class _Secret:
    """A user name and password that never show in a ``repr`` or a message."""

    __slots__ = ("password", "user")

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password

    def __repr__(self) -> str:
        return "<credentials hidden>"

    def scrub(self, text: str) -> str:
        """``text`` with the password (plain, or inside a Basic header) masked."""
        if not self.password:
            return text
        basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        for secret in (basic, self.password, urllib.parse.quote(self.password, safe="")):
            text = text.replace(secret, "***")
        return text


def find_credentials(url: str, environ: Mapping[str, str] | None = None) -> _Secret | None:
    """Credentials for ``url``: ``METROGRAPH_USER`` and ``METROGRAPH_PASSWORD``, else the netrc
    entry of its host (the file ``$NETRC``, else ``~/.netrc``); ``None`` when there are none."""
    env = os.environ if environ is None else environ
    user, password = env.get("METROGRAPH_USER"), env.get("METROGRAPH_PASSWORD")
    if user is not None or password is not None:
        if not user or password is None:
            missing = "METROGRAPH_USER" if not user else "METROGRAPH_PASSWORD"
            raise InputError(f"{missing} is not set (set both METROGRAPH_USER and "
                             "METROGRAPH_PASSWORD, or neither and use a netrc file)")
        return _Secret(user, password)
    path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    if not path.is_file():
        return None
    try:
        entries = netrc.netrc(str(path))
    except netrc.NetrcParseError as exc:
        # the parser's message may quote a token of the file, which could be a password
        permissive = "too permissive" in str(exc.msg)
        raise InputError("the netrc file cannot be used: "
                         + ("it is readable by other users" if permissive else "not valid"),
                         source=str(path), line=None if permissive else exc.lineno) from None
    except OSError as exc:
        raise InputError(f"cannot read the netrc file: {exc.strerror}", source=str(path)
                         ) from None
    host = urllib.parse.urlsplit(url).hostname or ""
    found = entries.authenticators(host)
    if found is None:
        return None
    login, _account, pw = found
    return _Secret(login or "", pw or "")


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    url: str
    attempts: int = 1

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are reported, not followed: a POST must not turn into a GET, and credentials
    must not travel to another host."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: email.message.Message, newurl: str) -> None:
        return None


_RETRY_STATUS = {500, 502, 503, 504}


def _display(url: str) -> str:
    """``url`` as shown in messages (without a query string, which may be long)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _snippet(resp: _Response, size: int = 300) -> str:
    text = resp.text()
    if "html" in resp.media_type or text.lstrip().lower().startswith(("<!doctype", "<html")):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
        text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 3] + "..."


class HttpClient:
    """Requests to one SPARQL service: timeouts, bounded retries, credentials, verified TLS."""

    def __init__(self, urls: Iterable[str], *, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 0.5, user_agent: str | None = None,
                 ca_file: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        if timeout <= 0:
            raise InputError("the timeout must be a positive number of seconds")
        if retries < 0:
            raise InputError("retries must be 0 or more")
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.user_agent = user_agent or _default_user_agent()
        self.urls = [u for u in urls if u]
        for u in self.urls:
            _check_url(u)
        self._secret = find_credentials(self.urls[0], environ) if self.urls else None
        context = ssl.create_default_context(cafile=ca_file)  # verifies certificates and names
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPSHandler(context=context), _NoRedirect()]
        if self._secret is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for u in self.urls:
                parts = urllib.parse.urlsplit(u)
                manager.add_password(None, f"{parts.scheme}://{parts.netloc}/",
                                     self._secret.user, self._secret.password)
            handlers += [urllib.request.HTTPDigestAuthHandler(manager),
                         urllib.request.HTTPBasicAuthHandler(manager)]
        self._opener = urllib.request.build_opener(*handlers)
        self._direct = urllib.request.build_opener(urllib.request.ProxyHandler({}), *handlers)

    def __repr__(self) -> str:
        return (f"HttpClient(timeout={self.timeout}, retries={self.retries}, "
                f"credentials={'yes' if self._secret else 'no'})")

    def scrub(self, text: str) -> str:
        """``text`` with any credential masked (messages from servers are passed through it)."""
        return self._secret.scrub(text) if self._secret else text

    def request(self, method: str, url: str, *, body: bytes | None = None,
                content_type: str | None = None, accept: str | None = None,
                idempotent: bool = True, what: str = "request") -> _Response:
        """Send one request (retried on connection failures and 5xx answers when
        ``idempotent``); return the answer whatever its status. Raises :class:`QueryError` when
        no answer comes (connection refused, timeout, TLS failure)."""
        headers = {"User-Agent": self.user_agent}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        shown = _display(url)
        attempts = 1 + (self.retries if idempotent else 0)
        opener = self._direct if _is_loopback(urllib.parse.urlsplit(url).hostname) \
            else self._opener
        last = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            req = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                resp = self._send(opener, req)
            except _Retryable as exc:
                last = str(exc)
                continue
            except _Fatal as exc:
                raise QueryError(self.scrub(f"{what} to {shown} failed: {exc}")) from None
            if resp.status in _RETRY_STATUS and attempt + 1 < attempts:
                last = f"HTTP {resp.status}: {_snippet(resp)}"
                continue
            return dataclasses.replace(resp, attempts=attempt + 1)
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        raise QueryError(self.scrub(f"{what} to {shown} failed{tries}: {last}"))

    def _send(self, opener: urllib.request.OpenerDirector,
              req: urllib.request.Request) -> _Response:
        deadline = time.monotonic() + self.timeout
        try:
            raw = opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            try:
                data = exc.read()
            except (OSError, http.client.HTTPException):
                data = b""
            return _Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, data,
                             req.full_url)
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise _Fatal(f"the TLS certificate is not trusted ({reason.verify_message})"
                             ) from None
            if isinstance(reason, ssl.SSLError):
                raise _Fatal(f"TLS failed ({reason.reason or reason})") from None
            if isinstance(reason, ConnectionRefusedError):
                raise _Retryable("connection refused (is the server running?)") from None
            if isinstance(reason, TimeoutError):
                raise _Fatal(f"no answer within {self.timeout:g} s") from None
            if isinstance(reason, socket.gaierror):
                raise _Fatal(f"unknown host ({reason.strerror})") from None
            raise _Retryable(f"cannot connect ({reason})") from None
        except TimeoutError:
            raise _Fatal(f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Retryable(f"the connection broke ({type(exc).__name__}: {exc})") from None
        except ValueError as exc:  # urllib's auth handlers on an unknown scheme
            raise _Fatal(str(exc)) from None
        with raw:
            chunks = []
            try:
                while True:
                    if time.monotonic() > deadline:
                        raise _Fatal(f"the answer took more than {self.timeout:g} s")
                    chunk = raw.read(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except TimeoutError:
                raise _Fatal(f"no answer within {self.timeout:g} s") from None
            except (ConnectionError, http.client.HTTPException) as exc:
                raise _Retryable(f"the connection broke while reading the answer "
                                 f"({type(exc).__name__})") from None
            return _Response(raw.status, {k.lower(): v for k, v in raw.headers.items()},
                             b"".join(chunks), req.full_url)


class _Retryable(Exception):
    pass


class _Fatal(Exception):
    pass


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {_display(url)!r}")
    if parts.username is not None or parts.password is not None:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        raise InputError(f"the URL for {host} holds credentials: remove them and set "
                         "METROGRAPH_USER and METROGRAPH_PASSWORD, or use a netrc file")


def _with_params(url: str, params: Sequence[tuple[str, str]]) -> str:
    if not params:
        return url
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params)


def _fail(http_: HttpClient, resp: _Response, what: str) -> QueryError:
    hint = ""
    if resp.status in (401, 403):
        hint = (" (set METROGRAPH_USER and METROGRAPH_PASSWORD, or add the host to your netrc "
                "file, with an account allowed to do this)")
    elif 300 <= resp.status < 400:
        hint = f" (redirected to {resp.headers.get('location', '?')}: use that URL)"
    tries = f" (tried {resp.attempts} times)" if resp.attempts > 1 else ""
    return QueryError(http_.scrub(f"{what} to {_display(resp.url)} failed{tries}: HTTP "
                                  f"{resp.status}{hint}: {_snippet(resp)}"))


# ====================================================================== results

def _json_term(value: Mapping[str, Any]) -> Node:
    kind = value.get("type")
    text = value.get("value")
    if not isinstance(text, str):
        raise ValueError("a term has no value")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        if lang:
            return Literal(text, lang=str(lang).lower())
        datatype = value.get("datatype")
        if datatype and datatype not in (str(XSD.string), str(RDF.langString)):
            return Literal(text, datatype=URIRef(datatype))
        return Literal(text)
    raise ValueError(f"unknown term type {kind!r}")


def _parse_json(http_: HttpClient, resp: _Response, what: str) -> dict[str, Any]:
    where = _display(resp.url)
    media = resp.media_type
    if media not in ("application/sparql-results+json", "application/json"):
        got = media or "no content type"
        raise QueryError(http_.scrub(
            f"{what} to {where}: expected SPARQL JSON results, got {got}: {_snippet(resp, 200)}"))
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QueryError(http_.scrub(f"{what} to {where}: the answer is not valid JSON ({exc}): "
                                     f"{_snippet(resp, 200)}")) from None
    if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
        raise QueryError(f"{what} to {where}: the answer is JSON but not SPARQL results")
    return data


def _check_truncation(resp: _Response, rows: int, limit: int | None, what: str) -> int | None:
    """Raise :class:`TruncatedResultError` when the server says it cut the answer; return the
    server's row limit when it says one."""
    where = _display(resp.url)
    state = resp.headers.get("x-sql-state", "")
    if state.upper() == "S1TAT":
        raise TruncatedResultError(
            f"{what} to {where}: the server hit its time limit and answered with partial "
            f"results ({rows} rows); raise its MaxQueryExecutionTime or simplify the query")
    header = resp.headers.get("x-sparql-maxrows")
    if header is None:
        return None
    try:
        max_rows = int(header.strip())
    except ValueError:
        return None
    if rows >= max_rows and not (limit is not None and limit <= max_rows):
        raise TruncatedResultError(
            f"{what} to {where}: the server cut the answer at its limit of {max_rows} rows "
            "(Virtuoso's ResultSetMaxRows); add LIMIT and OFFSET to page, or raise the limit")
    return max_rows


# ====================================================================== writing

@dataclass(frozen=True)
class WriteResult:
    """What :meth:`GraphWriter.write` did to one named graph."""

    graph: URIRef
    triples: int  # sent
    stored: int | None  # counted in the uploaded graph (None when it could not be counted)
    method: str  # "graph-store" (HTTP PUT / POST) or "update" (SPARQL Update)
    staged: bool  # uploaded into a temporary graph first, then moved into place


class _Labels:
    """Blank node labels for one document or request: ``_:b0``, ``_:b1``…"""

    def __init__(self) -> None:
        self._ids: dict[BNode, str] = {}

    def __call__(self, node: BNode) -> str:
        if node not in self._ids:
            self._ids[node] = f"_:b{len(self._ids)}"
        return self._ids[node]


def ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """N-Triples text of ``triples`` (terms checked and escaped by :func:`render_term`; blank
    nodes relabelled ``_:b0``…)."""
    labels = _Labels()
    return "".join(f"{render_term(s, labels)} {render_term(p, labels)} "
                   f"{render_term(o, labels)} .\n" for s, p, o in triples)


def _chunks(graph: Graph, size: int) -> Iterator[tuple[bool, list[tuple[Node, Node, Node]]]]:
    """``graph``'s triples in groups of at most ``size`` (more only for a larger blank-node
    structure, never split); the flag says the group holds blank nodes."""
    ground: list[tuple[Node, Node, Node]] = []
    parent: dict[BNode, BNode] = {}

    def find(b: BNode) -> BNode:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    with_bnodes: list[tuple[Node, Node, Node]] = []
    for s, p, o in graph:
        bnodes = [t for t in (s, o) if isinstance(t, BNode)]
        if not bnodes:
            ground.append((s, p, o))
            continue
        with_bnodes.append((s, p, o))
        if len(bnodes) == 2:
            parent[find(bnodes[0])] = find(bnodes[1])
        else:
            find(bnodes[0])
    ground.sort(key=lambda t: tuple(x.n3() for x in t))
    for start in range(0, len(ground), size):
        yield False, ground[start:start + size]
    groups: dict[BNode, list[tuple[Node, Node, Node]]] = {}
    for t in with_bnodes:
        b = t[0] if isinstance(t[0], BNode) else t[2]
        groups.setdefault(find(b), []).append(t)  # type: ignore[arg-type]
    batch: list[tuple[Node, Node, Node]] = []
    for group in sorted(groups.values(), key=len):
        if batch and len(batch) + len(group) > size:
            yield True, batch
            batch = []
        batch.extend(group)
    if batch:
        yield True, batch


def _canonical_size(graph: Graph) -> int:
    """The number of triples once numerically equal literals are merged (as servers store them)."""
    return len({(s, p, comparable(o) if isinstance(o, Literal) and o.datatype is not None
                 and str(o.datatype) in _NUMBERS else o) for s, p, o in graph})


class GraphWriter:
    """Replaces or adds to named graphs of a SPARQL service.

    With an ``update_url``, a graph is first uploaded into a new temporary graph
    (``urn:uuid:…``) — by a Graph Store ``PUT`` when ``gsp_url`` is given and the server has the
    protocol there, else by SPARQL ``INSERT DATA`` requests of ``chunk_size`` triples — its triple
    count is checked (with ``query_url``), and then one ``MOVE GRAPH`` (replace) or ``ADD GRAPH``
    (add) request puts it in place: the target graph is never seen half-loaded, and a failure
    leaves it as it was (the temporary graph is dropped; a message names it if it cannot be).
    While the upload runs, the temporary graph's triples are visible to queries over a union
    default graph. Without an ``update_url``, the graph goes straight to its place by a Graph
    Store ``PUT`` (replace) or ``POST`` (add): atomic only where the server's PUT is (Oxigraph's
    is, Virtuoso's is not)."""

    def __init__(self, http_: HttpClient, *, update_url: str | None = None,
                 gsp_url: str | None = None, query_url: str | None = None,
                 chunk_size: int = 500) -> None:
        if chunk_size < 1:
            raise InputError("chunk_size must be at least 1")
        self.http = http_
        self.update_url = update_url
        self.gsp_url = gsp_url
        self.query_url = query_url
        self.chunk_size = chunk_size
        self._gsp_missing = False

    # -------------------------------------------------------------- requests

    def update(self, text: str, *, idempotent: bool = True, what: str = "update") -> None:
        """Send one SPARQL Update request."""
        if not self.update_url:
            raise InputError("no SPARQL Update URL was given")
        body = urllib.parse.urlencode({"update": text}).encode("ascii")
        resp = self.http.request("POST", self.update_url, body=body,
                                 content_type="application/x-www-form-urlencoded; charset=UTF-8",
                                 accept="application/sparql-results+json, */*;q=0.1",
                                 idempotent=idempotent, what=what)
        if not 200 <= resp.status < 300:
            raise _fail(self.http, resp, what)

    def _gsp(self, method: str, graph: URIRef, body: str, what: str) -> bool:
        """Send ``body`` (N-Triples) to ``graph`` with the Graph Store protocol; False when the
        server has no Graph Store protocol at that URL."""
        assert self.gsp_url is not None
        url = _with_params(self.gsp_url, [("graph", str(graph))])
        resp = self.http.request(method, url, body=body.encode("utf-8"),
                                 content_type="application/n-triples; charset=utf-8",
                                 accept="*/*", what=what)
        if resp.status in (404, 405, 501):
            self._gsp_missing = True
            return False
        if not 200 <= resp.status < 300:
            raise _fail(self.http, resp, what)
        return True

    def count(self, graph: URIRef) -> int | None:
        """The number of triples in ``graph`` (None without a query URL)."""
        if not self.query_url:
            return None
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_text(str(graph))} {{ ?s ?p ?o }} }}"
        body = urllib.parse.urlencode({"query": query}).encode("ascii")
        resp = self.http.request("POST", self.query_url, body=body,
                                 content_type="application/x-www-form-urlencoded; charset=UTF-8",
                                 accept="application/sparql-results+json", what="count")
        if not 200 <= resp.status < 300:
            raise _fail(self.http, resp, "count")
        data = _parse_json(self.http, resp, "count")
        try:
            value = data["results"]["bindings"][0]["n"]["value"]
            return int(Decimal(value))
        except (KeyError, IndexError, TypeError, InvalidOperation, ValueError):
            raise QueryError(f"count on {_display(resp.url)}: unexpected answer") from None

    # -------------------------------------------------------------- writing

    def write(self, name: URIRef, graph: Graph, *, replace: bool) -> WriteResult:
        """Replace the named graph ``name`` by ``graph`` (``replace``) or add ``graph`` to it."""
        iri_text(str(name), "graph name")
        if not self.update_url:
            if not self.gsp_url:
                raise InputError("give a Graph Store URL or a SPARQL Update URL to write to")
            body = ntriples(graph)
            if not self._gsp("PUT" if replace else "POST", name, body, f"upload of <{name}>"):
                raise QueryError(f"{_display(self.gsp_url)} has no Graph Store protocol "
                                 "(HTTP 404/405/501) and no SPARQL Update URL was given")
            return WriteResult(name, len(graph), self.count(name), "graph-store", False)
        if len(graph) == 0:
            if replace:
                self.update(f"DROP SILENT GRAPH {iri_text(str(name))}", what=f"clearing <{name}>")
            return WriteResult(name, 0, 0, "update", False)
        tmp = URIRef(f"urn:uuid:{uuid.uuid4()}")
        placing = False
        try:
            method = self._upload(tmp, graph, name)
            stored = self._verify(tmp, graph, name)
            placing = True
            if replace:
                self._move(tmp, name, stored)  # says in what state it leaves the graph
            else:
                self.update(f"ADD GRAPH {iri_text(str(tmp))} TO {iri_text(str(name))}",
                            what=f"adding to <{name}>")
                self._drop(tmp)
        except BaseException as exc:
            leftover = self._drop(tmp)
            if not isinstance(exc, QueryError):
                raise
            notes = [] if placing else [f"<{name}> is unchanged"]
            if leftover:
                notes.append(f"the temporary graph <{tmp}> could not be dropped: drop it by hand")
            if notes:
                raise QueryError(f"{exc}; {'; '.join(notes)}") from exc
            raise
        return WriteResult(name, len(graph), stored, method, True)

    def _upload(self, tmp: URIRef, graph: Graph, name: URIRef) -> str:
        what = f"upload of <{name}>"
        if self.gsp_url and not self._gsp_missing and self._gsp("PUT", tmp, ntriples(graph), what):
            return "graph-store"
        target = iri_text(str(tmp))
        for has_bnodes, triples in _chunks(graph, self.chunk_size):
            data = ntriples(triples)
            if has_bnodes:  # Virtuoso refuses blank nodes in INSERT DATA
                self.update(f"INSERT {{ GRAPH {target} {{\n{data}}} }} WHERE {{}}",
                            idempotent=False, what=what)
            else:
                self.update(f"INSERT DATA {{ GRAPH {target} {{\n{data}}} }}", what=what)
        return "update"

    def _verify(self, tmp: URIRef, graph: Graph, name: URIRef) -> int | None:
        stored = self.count(tmp)
        if stored is not None and stored not in (len(graph), _canonical_size(graph)):
            raise QueryError(f"upload of <{name}>: the server holds {stored} of the "
                             f"{len(graph)} triples sent; nothing was replaced")
        return stored

    def _move(self, tmp: URIRef, name: URIRef, expected: int | None) -> None:
        what = f"replacing <{name}>"
        try:
            # not repeated on failure: Virtuoso "moves" a missing graph by emptying the target
            self.update(f"MOVE GRAPH {iri_text(str(tmp))} TO {iri_text(str(name))}",
                        idempotent=False, what=what)
        except QueryError as exc:
            try:
                left, now = self.count(tmp), self.count(name)
            except QueryError:
                raise QueryError(f"{exc}; the state of <{name}> is unknown") from exc
            if left == 0 and expected is not None and now == expected:
                return  # the move went through; only its answer was lost
            state = "unchanged" if left == expected else "in an unknown state"
            raise QueryError(f"{exc}; <{name}> is {state}") from exc

    def _drop(self, tmp: URIRef) -> bool:
        """Drop the temporary graph; True if that failed."""
        try:
            self.update(f"DROP SILENT GRAPH {iri_text(str(tmp))}", what="cleaning up")
        except (QueryError, InputError):
            return True
        return False


# ====================================================================== the store

_VIRTUOSO_SYSTEM = re.compile(
    r"^(http://www\.openlinksw\.com/|http://www\.w3\.org/ns/ldp#$|http://[^/]+/(sparql|DAV/.*)$)")


class RemoteStore:
    """A SPARQL 1.1 endpoint as a :class:`~metrograph.stores.base.Store`.

    ``query_url`` answers queries; ``update_url`` takes SPARQL Update and ``gsp_url`` is the
    Graph Store HTTP Protocol service (both optional: without them the store is read-only).
    ``graphs`` limits the store to these named graphs (queries then see their merge, through
    ``default-graph-uri``). ``union_default_graph`` says whether the server's default graph is the
    union of its named graphs (None: find out). ``max_rows`` is the server's row limit when known.
    See the module's docstring for timeouts, retries, credentials and server differences.

    >>> kg = KnowledgeGraph(store=RemoteStore("http://127.0.0.1:7878/query",
    ...                                       "http://127.0.0.1:7878/update",
    ...                                       "http://127.0.0.1:7878/store"))
    """

    name = "remote"

    def __init__(self, query_url: str, update_url: str | None = None,
                 gsp_url: str | None = None, *, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 0.5, user_agent: str | None = None,
                 graphs: Iterable[str] | None = None, union_default_graph: bool | None = None,
                 max_rows: int | None = None, chunk_size: int = 500,
                 ca_file: str | None = None) -> None:
        self.query_url = query_url
        self.update_url = update_url
        self.gsp_url = gsp_url
        self.http = HttpClient([query_url, update_url or "", gsp_url or ""], timeout=timeout,
                               retries=retries, backoff=backoff, user_agent=user_agent,
                               ca_file=ca_file)
        self.writer = GraphWriter(self.http, update_url=update_url, gsp_url=gsp_url,
                                  query_url=query_url, chunk_size=chunk_size)
        self.graphs = None if graphs is None else sorted({URIRef(g) for g in graphs})
        for g in self.graphs or []:
            iri_text(str(g), "graph name")
        self.union_default_graph = union_default_graph
        self.max_rows = max_rows
        self.server: str | None = None  # the Server header of the last answer
        self._names: list[URIRef] | None = None

    def __repr__(self) -> str:
        return (f"RemoteStore({self.query_url!r}, update_url={self.update_url!r}, "
                f"gsp_url={self.gsp_url!r})")

    # -------------------------------------------------------------- reading

    def _post_query(self, query: str, accept: str, *, what: str = "query",
                    dataset: bool = True) -> _Response:
        params: list[tuple[str, str]] = [("query", query)]
        if dataset:
            params += [("default-graph-uri", str(g)) for g in self._default_graphs()]
        body = urllib.parse.urlencode(params).encode("ascii")
        resp = self.http.request("POST", self.query_url, body=body,
                                 content_type="application/x-www-form-urlencoded; charset=UTF-8",
                                 accept=accept, what=what)
        self.server = resp.headers.get("server", self.server)
        if not 200 <= resp.status < 300:
            raise _fail(self.http, resp, what)
        return resp

    def _default_graphs(self) -> list[URIRef]:
        if self.graphs is not None:
            return self.graphs
        if self.union_default_graph is None:
            self.union_default_graph = self._probe_union()
        if self.union_default_graph is False:
            if self._names is None:
                self._names = self._list_graphs()
            return self._names
        return []

    def _probe_union(self) -> bool | None:
        """Whether the default graph holds the named graphs' triples (None: no named triples
        to tell by yet)."""
        sample = self._select_raw(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) }"
            " LIMIT 5", dataset=False).rows
        if not sample:
            return None
        pattern = " ".join(" ".join(render_term(t) for t in row if t is not None) + " ."
                           for row in sample)
        resp = self._post_query(f"ASK {{ {pattern} }}", "application/sparql-results+json",
                                what="probe", dataset=False)
        answer = _parse_json(self.http, resp, "probe").get("boolean")
        return bool(answer)

    def _select_raw(self, query: str, *, dataset: bool = True, limit: int | None = None,
                    what: str = "query") -> SelectResult:
        resp = self._post_query(query, "application/sparql-results+json", what=what,
                                dataset=dataset)
        data = _parse_json(self.http, resp, what)
        variables = data["head"].get("vars")
        bindings = data.get("results", {}).get("bindings") if isinstance(
            data.get("results"), dict) else None
        if not isinstance(variables, list) or not isinstance(bindings, list):
            raise QueryError(f"{what} to {_display(resp.url)}: the answer has no SELECT results "
                             "(vars and bindings)")
        try:
            rows = [tuple(_json_term(b[v]) if v in b else None for v in variables)
                    for b in bindings]
        except (ValueError, TypeError, AttributeError) as exc:
            raise QueryError(f"{what} to {_display(resp.url)}: a result is malformed ({exc})"
                             ) from None
        header = resp.headers.get("x-sparql-maxrows", "").strip()
        if header.isdigit():
            self.max_rows = int(header)  # learnt before a cut answer raises
        _check_truncation(resp, len(rows), limit, what)
        return SelectResult([str(v) for v in variables], rows)

    def _prepare(self, query: str, bindings: Mapping[str, Node] | None,
                 expected: tuple[str, ...]) -> Substitution:
        terms = {str(Variable(k)): render_term(v) for k, v in (bindings or {}).items()}
        sub = analyse(tokenize(query), terms)
        if sub.form not in expected:
            got = sub.form or "something else"
            raise QueryError(f"expected a {' or '.join(expected)} query, got {got}")
        return sub

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               max_rows: int | None = None,
               check: Callable[[], None] | None = None) -> SelectResult:
        """Run a SELECT query (bindings substituted into its text). More than ``max_rows`` rows
        raise ``ResultTooLargeError``; ``check`` is called once the answer is in (the request
        itself is bounded by the store's ``timeout``)."""
        sub = self._prepare(query, bindings, ("SELECT",))
        result = self._select_raw(sub.text, limit=sub.limit)
        if check is not None:
            check()
        if max_rows is not None and len(result.rows) > max_rows:
            from metrograph.errors import ResultTooLargeError

            raise ResultTooLargeError(f"the query returned more than {max_rows} rows; narrow "
                                      "it (parameters, LIMIT) or raise the bound")
        if sub.star and bindings:  # SELECT *: the substituted variables are no longer in it
            extra = [(str(Variable(k)), v) for k, v in bindings.items()
                     if str(Variable(k)) not in result.variables]
            result = SelectResult(result.variables + [k for k, _ in extra],
                                  [row + tuple(v for _, v in extra) for row in result.rows])
        return result

    def concurrent_reads(self) -> bool:
        """False: one request at a time to someone else's server."""
        return False

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        sub = self._prepare(query, bindings, ("ASK",))
        resp = self._post_query(sub.text, "application/sparql-results+json")
        data = _parse_json(self.http, resp, "query")
        answer = data.get("boolean")
        if not isinstance(answer, bool):
            raise QueryError(f"query to {_display(resp.url)}: the answer has no boolean")
        _check_truncation(resp, 0, None, "query")
        return answer

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        sub = self._prepare(query, bindings, ("CONSTRUCT", "DESCRIBE"))
        resp = self._post_query(
            sub.text, "application/n-triples, text/turtle;q=0.9, text/plain;q=0.5")
        formats = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
                   "application/x-turtle": "turtle"}
        fmt = formats.get(resp.media_type)
        if fmt is None:
            got = resp.media_type or "no content type"
            raise QueryError(self.http.scrub(
                f"query to {_display(resp.url)}: expected N-Triples or Turtle, got {got}: "
                f"{_snippet(resp, 200)}"))
        out = Graph()
        try:
            out.parse(data=resp.body.decode("utf-8"), format=fmt)
        except Exception as exc:  # rdflib's parsers raise many kinds
            raise QueryError(f"query to {_display(resp.url)}: the answer is not valid {fmt} "
                             f"({' '.join(str(exc).split())[:200]})") from None
        _check_truncation(resp, 0, None, "query")
        if self.max_rows is not None and len(out) >= self.max_rows and not (
                sub.limit is not None and sub.limit <= self.max_rows and len(out) <= sub.limit):
            raise TruncatedResultError(
                f"query to {_display(resp.url)}: {len(out)} triples, as many as the server's "
                f"row limit ({self.max_rows}): the answer is probably cut short")
        return out

    def update(self, update: str) -> None:
        """Run a SPARQL Update on ``update_url`` (callers check that updates are allowed)."""
        if not self.update_url:
            raise QueryError(f"{_display(self.query_url)} was opened read-only: give an update "
                             "URL to run updates")
        self._names = None
        self.writer.update(update, idempotent=False)

    # -------------------------------------------------------------- the dataset

    def _is_system(self, graph: str) -> bool:
        return "virtuoso" in (self.server or "").lower() and bool(_VIRTUOSO_SYSTEM.match(graph))

    def _graph_counts(self) -> dict[URIRef, int]:
        result = self._select_raw(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            dataset=False, what="listing graphs")
        counts: dict[URIRef, int] = {}
        for g, n in result.rows:
            if isinstance(g, URIRef) and n is not None and not self._is_system(str(g)):
                counts[g] = int(Decimal(str(n)))
        if self.graphs is not None:
            counts = {g: n for g, n in counts.items() if g in self.graphs}
        return counts

    def _list_graphs(self) -> list[URIRef]:
        return sorted(self._graph_counts())

    def graph_names(self) -> list[URIRef]:
        return self._list_graphs()

    def __len__(self) -> int:
        return sum(self._graph_counts().values())

    def dataset(self) -> Dataset:
        """Every quad of the (non-system, or ``graphs``) named graphs, read graph by graph with
        SELECT, paged when the server cuts answers, and checked against ``COUNT(*)``."""
        copy = Dataset()
        for g, expected in sorted(self._graph_counts().items()):
            target = copy.graph(g)
            for triple in self._triples(g):
                target.add(triple)
            if len(target) != expected:
                raise QueryError(f"reading <{g}> from {_display(self.query_url)}: got "
                                 f"{len(target)} of its {expected} triples")
        return copy

    def _triples(self, g: URIRef) -> Iterator[tuple[Node, Node, Node]]:
        base = f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri_text(str(g))} {{ ?s ?p ?o }} }}"
        try:
            rows = self._select_raw(base, dataset=False, what=f"reading <{g}>").rows
        except TruncatedResultError:
            rows = []
            page = self.max_rows or 1000
            offset = 0
            while True:
                chunk = self._select_raw(
                    f"{base} ORDER BY ?s ?p ?o LIMIT {page} OFFSET {offset}", dataset=False,
                    limit=page, what=f"reading <{g}>").rows
                rows.extend(chunk)
                if len(chunk) < page:
                    break
                offset += page
        for s, p, o in rows:
            if s is None or p is None or o is None:
                raise QueryError(f"reading <{g}>: the server answered an unbound term")
            yield s, p, o

    def refresh(self) -> None:
        """Forget what was learnt about the server's graphs (after others wrote to it)."""
        self._names = None

    # -------------------------------------------------------------- writing

    def load(self, data: bytes, *, fmt: Format, graph: URIRef, source: str) -> int:
        """Parse ``data`` here (errors name ``source``; nothing is sent then), then add it."""
        return load_through_rdflib(self, data, fmt=fmt, graph=graph, source=source)

    def add(self, graph: Graph, into: URIRef) -> None:
        self._names = None
        self.writer.write(URIRef(into), graph, replace=False)

    def add_dataset(self, dataset: Dataset) -> None:
        """Add every graph of ``dataset`` (its default graph as ``urn:x-rdflib:default``, as
        the memory store does), one graph at a time."""
        parts: dict[URIRef, Graph] = {}
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = g if isinstance(g, URIRef) else default_graph_id(dataset)
            parts.setdefault(URIRef(name), Graph()).add((s, p, o))
        for name in sorted(parts):
            self.add(parts[name], name)

    def replace_graph(self, graph: Graph, name: URIRef | str) -> WriteResult:
        """Replace the named graph ``name`` by ``graph`` (see :class:`GraphWriter`)."""
        self._names = None
        return self.writer.write(URIRef(name), graph, replace=True)
