"""HTTP for the SPARQL protocols: httpx, with a total deadline and a size bound per request.

**Why httpx and not SPARQLWrapper** (measured with SPARQLWrapper 2.0.0 against the hostile
server of ``tests/servers.py``, ``benchmarks/why_not_sparqlwrapper.py``): SPARQLWrapper calls
``urlopen(request, timeout=int(timeout))``, a bound on each socket operation, not on the request:
against a server sending one byte every 0.1 s, a query with ``setTimeout(2)`` was still waiting
20 s later, when the measurement stopped (this client: an error after about 2 s). It reads answers
(and error bodies, into its exception messages) with ``read()``, unbounded: an endless answer
grew the process by 450-980 MB in 4 s, still reading. It also sends Basic credentials unasked,
forwards them on redirects, and installs a process-wide urllib opener for Digest. httpx does not
bound the first two by itself either (its timeouts are per phase and per read), so
:class:`HttpClient` gives it a network backend whose every connect, TLS handshake, write and read
gets only the time left before the request's deadline, and reads answers in chunks, stopping
past ``max_bytes``.

Credentials are found for each URL's host and answer a Basic or Digest challenge only (never
sent unasked), from that URL's origin only (scheme, host, port: the password of one host never
goes to another); redirects are not followed (the error names the new location), TLS
certificates are always verified. A compressed answer is inflated piece by piece, within the
size bound. Every message holding text a server sent is scrubbed (:meth:`HttpClient.scrub`).
"""

from __future__ import annotations

import base64
import contextvars
import html
import ipaddress
import json
import netrc
import os
import re
import ssl
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import httpcore
import httpx

from metrograph.errors import InputError, MetrographError, RemoteError
from metrograph.terminal import printable

__all__ = ["DEFAULT_MAX_BYTES", "Answer", "HttpClient", "display", "find_credentials"]

#: the default bound on the bytes of one answer (``--max-response-bytes``)
DEFAULT_MAX_BYTES = 512 << 20
_ERROR_BYTES = 64 * 1024  # read of an error answer, for its excerpt
_RETRY_STATUS = {500, 502, 503, 504}
_E = TypeVar("_E", bound=MetrographError)
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline",
                                                                        default=None)


# ---------------------------------------------------------------------------- deadlines

def _left(timeout: float | None) -> float | None:
    """``timeout`` cut to the time left before the current request's deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("past the deadline")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(super().connect_tcp(host, port, _left(timeout), local_address,
                                           socket_options))


class _Transport(httpx.HTTPTransport):
    """httpx's transport over a pool whose network backend keeps each request's deadline
    (httpx takes no backend argument: its pool is replaced by one built with httpcore's
    public constructor)."""

    def __init__(self, context: ssl.SSLContext, proxy: str | None) -> None:
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, proxy=httpcore.Proxy(proxy) if proxy else None,
            network_backend=_Backend())


# ---------------------------------------------------------------------------- credentials

class _Secret:
    """A user name and password: they answer a Basic or Digest challenge, and never show in a
    ``repr`` or (see :meth:`scrub`) a message."""

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user, password
        forms = {password, html.escape(password), html.escape(password, quote=False),
                 json.dumps(password)[1:-1], json.dumps(password, ensure_ascii=False)[1:-1],
                 urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password),
                 urllib.parse.quote(password), repr(password)[1:-1], ascii(password)[1:-1],
                 repr(password.encode())[2:-1], password.upper(), password.lower(),
                 password.casefold()}
        for text in (password, f"{user}:{password}"):
            raw = text.encode()
            for pad in range(3):  # base64 of the password anywhere in a longer text
                encoded = base64.b64encode(b"\0" * pad + raw).decode()
                forms.add(encoded[-(-8 * pad // 6):(8 * pad + 8 * len(raw)) // 6])
        kept = sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, kept)), re.IGNORECASE) if kept \
            and password else None

    def __repr__(self) -> str:
        return "<credentials hidden>"

    def scrub(self, text: str) -> str:
        """``text`` with the password masked in any form a server or a parser's message may
        echo it: plain, HTML- or JSON-escaped, Python-quoted (as text or UTF-8 bytes),
        URL-encoded, base64-encoded (alone or in a Basic header), in any letter case."""
        return self._pattern.sub("***", text) if self._pattern else text

    def answer(self, request: httpx.Request, response: httpx.Response
               ) -> Generator[httpx.Request, httpx.Response, None]:
        """Answer the Basic or Digest challenge of ``response`` to ``request``."""
        scheme = response.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
        if scheme == "digest":
            flow = httpx.DigestAuth(self._user, self._password).auth_flow(request)
            next(flow)
            try:
                yield flow.send(response)
            except StopIteration:
                return
        elif scheme == "basic":
            yield httpx.BasicAuth(self._user, self._password).auth_flow(request).__next__()


def _origin(url: str | httpx.URL) -> tuple[str, str, int]:
    """The scheme, host and port of ``url`` (the default port when it names none)."""
    parts = urllib.parse.urlsplit(str(url))
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https"
                                                                  else 80)


class _Credentials(httpx.Auth):
    """The credentials of each origin (scheme, host, port): a 401 answer is answered with
    those of the origin that sent it, and with none when that origin has none."""

    def __init__(self, secrets: Mapping[tuple[str, str, int], _Secret]) -> None:
        self.secrets = dict(secrets)

    def __repr__(self) -> str:
        return "<credentials hidden>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                             None]:
        response = yield request
        secret = self.secrets.get(_origin(request.url))
        if response.status_code == 401 and secret is not None:
            yield from secret.answer(request, response)


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
    found = entries.authenticators((urllib.parse.urlsplit(url).hostname or "").lower())
    return None if found is None else _Secret(found[0] or "", found[2] or "")


# ---------------------------------------------------------------------------- answers

def display(url: str) -> str:
    """``url`` as shown in messages (without its query string, which may be long)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass(frozen=True)
class Answer:
    """A server's answer: status, headers (lower-cased names), body (whole for 2xx answers,
    its first 64 KiB otherwise)."""

    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray
    url: str
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _excerpt(answer: Answer) -> str:
    text = answer.body.decode("utf-8", errors="replace")
    if "html" in answer.media_type or text.lstrip().lower().startswith(("<!doctype", "<html")):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _default_user_agent() -> str:
    try:
        return f"metrograph/{version('metrograph')} (+https://w3id.org/metrograph)"
    except PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "metrograph (+https://w3id.org/metrograph)"


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {display(url)!r}")
    if parts.username is not None or parts.password is not None:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        raise InputError(f"the URL for {host} holds credentials: remove them and set "
                         "METROGRAPH_USER and METROGRAPH_PASSWORD, or use a netrc file")


class HttpClient:
    """Requests to one SPARQL service. Each request (its retries included) ends within
    ``timeout`` seconds, reads at most ``max_bytes`` of answer, and is retried ``retries``
    times with exponential back-off after a refused or broken connection or a 5xx answer when
    it is safe to repeat."""

    def __init__(self, urls: Iterable[str], *, timeout: float = 30.0, retries: int = 2,
                 backoff: float = 0.5, user_agent: str | None = None,
                 ca_file: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 environ: Mapping[str, str] | None = None) -> None:
        if not timeout > 0 or timeout == float("inf"):
            raise InputError("the HTTP timeout must be a positive number of seconds")
        if retries < 0:
            raise InputError("retries must be 0 or more")
        if max_bytes < 1:
            raise InputError("the response size bound must be at least 1 byte")
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)
        self.max_bytes = int(max_bytes)
        self.urls = [u for u in urls if u]
        for u in self.urls:
            _check_url(u)
        # each URL's own credentials, answering its origin's challenges only
        secrets = {_origin(u): find_credentials(u, environ) for u in self.urls}
        self._auth = _Credentials({o: c for o, c in secrets.items() if c is not None})
        self.server: str | None = None  # the Server header of the last answer
        context = ssl.create_default_context(cafile=ca_file)  # verifies certificates and names
        proxies = urllib.request.getproxies()
        mounts: dict[str, httpx.BaseTransport | None] = {}
        for u in self.urls:
            parts = urllib.parse.urlsplit(u)
            direct = _is_loopback(parts.hostname) or urllib.request.proxy_bypass(parts.netloc)
            mounts[f"{parts.scheme}://{parts.netloc}"] = _Transport(
                context, None if direct else proxies.get(parts.scheme))
        self._client = httpx.Client(mounts=mounts, trust_env=False, follow_redirects=False,
                                    auth=self._auth, timeout=None, headers={
                                        "User-Agent": user_agent or _default_user_agent(),
                                        "Accept-Encoding": "gzip, deflate"})

    def __repr__(self) -> str:
        return (f"HttpClient(timeout={self.timeout}, retries={self.retries}, "
                f"credentials={'yes' if self._auth.secrets else 'no'})")

    def scrub(self, text: str) -> str:
        """``text`` as a message may show it: every credential masked (:meth:`_Secret.scrub`),
        control characters and terminal escape sequences made visible
        (:func:`~metrograph.terminal.printable`). Every message holding text a server sent
        passes through it (:meth:`error`)."""
        for secret in {id(s): s for s in self._auth.secrets.values()}.values():
            text = secret.scrub(text)
        return printable(text)

    def error(self, message: str, cls: type[_E] | None = None,
              cut: int | None = None) -> _E | RemoteError:
        """The exception (``cls``, by default :class:`RemoteError`) whose message is
        ``message``, made of text a server sent, scrubbed (:meth:`scrub`), then put on one line
        and cut to ``cut`` characters when given: scrubbed first, so that a cut never leaves
        part of a password to show."""
        text = self.scrub(message)
        if cut is not None:
            text = " ".join(text.split())
            text = text if len(text) <= cut else text[:cut - 3] + "..."
        return (cls or RemoteError)(text)

    def request(self, method: str, url: str, *, body: bytes | Iterable[bytes] | None = None,
                content_type: str | None = None, accept: str | None = None,
                idempotent: bool = True, what: str = "request") -> Answer:
        """Send one request and return the answer whatever its status. Raises
        :class:`RemoteError` when no whole answer comes within the deadline and size bound
        (after the retries, when it may repeat the request)."""
        headers = {k: v for k, v in (("Accept", accept), ("Content-Type", content_type)) if v}
        token = _DEADLINE.set(time.monotonic() + self.timeout)
        attempts = 1 + (self.retries if idempotent else 0)
        last = ""
        try:
            for attempt in range(attempts):
                if attempt:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                try:
                    answer = self._once(method, url, body, headers, attempt + 1)
                except _Retryable as exc:
                    last = str(exc)
                    continue
                if answer.status in _RETRY_STATUS and attempt + 1 < attempts:
                    last = self.describe(answer, True)
                    continue
                return answer
        except _Fatal as exc:
            raise self.error(f"{what} to {display(url)} failed: {exc}", cut=500) from None
        finally:
            _DEADLINE.reset(token)
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        raise self.error(f"{what} to {display(url)} failed{tries}: {last}")

    def _once(self, method: str, url: str, body: bytes | Iterable[bytes] | None,
              headers: dict[str, str], attempt: int) -> Answer:
        try:
            with self._client.stream(method, url, content=body, headers=headers) as resp:
                limit = self.max_bytes if resp.is_success else _ERROR_BYTES
                data = bytearray()  # grown in place: the answer is never held twice
                inflate = _Inflate(resp.headers.get("content-encoding", ""))
                for chunk in inflate.pieces(resp.iter_raw()):
                    if len(data) + len(chunk) > limit:
                        if not resp.is_success:
                            data += chunk[:limit - len(data)]
                            break
                        raise _Fatal(f"the answer is larger than {self.max_bytes} bytes "
                                     "(raise --max-response-bytes, or narrow the query)")
                    data += chunk
                headers = {k.lower(): v for k, v in resp.headers.items()}
                self.server = headers.get("server", self.server)
                return Answer(resp.status_code, headers, data, url, attempt)
        except httpx.TimeoutException:  # also raised by the deadline itself, between reads
            raise _Fatal(f"no whole answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            if "CERTIFICATE_VERIFY_FAILED" in text:
                raise _Fatal("the TLS certificate is not trusted") from None
            if "SSL" in text or "TLS" in text:
                raise _Fatal(f"TLS failed ({text})") from None
            if "name or service" in text.lower() or "nodename" in text.lower():
                raise _Fatal(f"unknown host ({text})") from None
            if "refused" in text.lower():
                raise _Retryable("connection refused (is the server running?)") from None
            if isinstance(exc, httpx.TransportError):  # connect, read, write, protocol
                raise _Retryable(f"the connection failed or broke ({text})") from None
            raise _Fatal(text) from None

    def describe(self, answer: Answer, status: bool = False, hint: str = "") -> str:
        """The content type (with ``status``: ``HTTP 500 (text/html)``, and ``hint``) and an
        excerpt of the body: at most 300 characters, or 80 when credentials were sent;
        scrubbed."""
        media = answer.media_type or "no content type"
        head = f"HTTP {answer.status} ({media}){hint}" if status else media
        excerpt = self.scrub(_excerpt(answer))
        size = 80 if self._auth.secrets else 300
        if len(excerpt) > size:
            excerpt = excerpt[: size - 3] + "..."
        return self.scrub(head + (f": {excerpt}" if excerpt else ""))

    def failure(self, answer: Answer, what: str) -> RemoteError:
        """The error for a non-2xx ``answer`` to ``what``."""
        hint = ""
        if answer.status in (401, 403):
            hint = (" (set METROGRAPH_USER and METROGRAPH_PASSWORD, or add the host to your "
                    "netrc file, with an account allowed to do this)")
        elif 300 <= answer.status < 400:
            hint = (f" (redirected to {display(answer.headers.get('location', '?'))}: use that"
                    " URL)")
        tries = f" (tried {answer.attempts} times)" if answer.attempts > 1 else ""
        return self.error(f"{what} to {display(answer.url)} failed{tries}: "
                          f"{self.describe(answer, True, hint)}")

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


_STEP = 64 * 1024  # the most bytes one piece of a compressed answer inflates to


class _Inflate:
    """The decoder of one answer's ``Content-Encoding`` (gzip, deflate or none), inflating at
    most :data:`_STEP` bytes at a time: the size bound holds while a compressed answer
    inflates, not after."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.strip().lower()
        if self.encoding in ("", "identity"):
            self._z: Any = None
        elif self.encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise _Fatal(f"the answer is encoded as {self.encoding!r}, which this client "
                         "does not read (it asks for gzip or deflate)")
        self._started = False

    def pieces(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The bytes the raw ``chunks`` inflate to, :data:`_STEP` at most at a time."""
        for raw in chunks:
            if self._z is None:
                yield raw
                continue
            while raw and not self._z.eof:
                try:
                    out = self._z.decompress(raw, _STEP)
                except zlib.error:
                    if self.encoding == "deflate" and not self._started:  # raw deflate
                        self._z, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                        continue
                    raise _Fatal(f"the answer's {self.encoding} encoding is damaged") from None
                self._started = True
                raw = self._z.unconsumed_tail
                if out:
                    yield out


class _Retryable(Exception):
    pass


class _Fatal(Exception):
    pass
