"""Real SPARQL servers for the tests, on 127.0.0.1 only, and a small misbehaving HTTP server.

Session fixtures start Oxigraph's server (the ``oxigraph`` command of the PyPI package) and
Virtuoso (Debian's ``virtuoso-opensource``: ``virtuoso-t`` in the foreground from a config file
written into a temporary folder, ``isql-vt`` to grant SPARQL_UPDATE), each on free ports, wait
until it answers and stop it at the end of the session. A missing server program fails the tests
with a message saying how to install it (``scripts/install-test-tools.sh``), or skips them when
``METROGRAPH_SKIP_SERVERS=1``.

Import the fixtures into a test module to use them (pytest finds them there)::

    from .servers import oxigraph_scratch  # noqa: F401
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import pytest

from metrograph.stores.remote import RemoteStore

SKIP_ENV = "METROGRAPH_SKIP_SERVERS"
INSTALL = ("scripts/install-test-tools.sh (Virtuoso), and pip install '.[test]' "
           "(the oxigraph server)")
VIRTUOSO_DBA_PASSWORD = "dba"  # the password of a new Virtuoso database; local test server only


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def missing(what: str) -> NoReturn:
    """Fail (or skip, with METROGRAPH_SKIP_SERVERS=1) because a server program is missing."""
    message = f"{what} is not installed: run {INSTALL}, or set {SKIP_ENV}=1 to skip these tests"
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


@dataclass
class Server:
    """A server started for the tests."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    process: subprocess.Popen[bytes]
    folder: Path
    log: Path

    def store(self, **options: Any) -> RemoteStore:
        """A :class:`RemoteStore` on this server (short timeout, fast retries)."""
        options.setdefault("timeout", 30)
        options.setdefault("backoff", 0.05)
        return RemoteStore(self.query_url, self.update_url, self.gsp_url, **options)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (its process group) and wait for it."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _answers(url: str) -> bool:
    body = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            return int(resp.status) == 200
    except (OSError, http.client.HTTPException):
        return False


def wait_until_up(server: Server, timeout: float = 60.0) -> None:
    """Wait until ``server`` answers ``ASK {}``; fail with its log if it dies or is too slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"{server.name} exited with {server.process.returncode}:\n"
                        f"{server.log_tail()}", pytrace=False)
        if _answers(server.query_url):
            return
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"{server.name} did not answer within {timeout:.0f} s:\n{server.log_tail()}",
                pytrace=False)


def _spawn(args: list[str], folder: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


# ---------------------------------------------------------------------------------- Oxigraph

def oxigraph_binary() -> str:
    """The ``oxigraph`` command (beside this Python, or on PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        missing("Oxigraph's server (the `oxigraph` command)")
    return found


def start_oxigraph(folder: Path, *, union: bool) -> Server:
    """Oxigraph's server on a free port, storing into ``folder``; with ``union`` its default
    graph is the union of the named graphs (``--union-default-graph``)."""
    port = free_port()
    args = [oxigraph_binary(), "serve", "--location", str(folder / "db"),
            "--bind", f"127.0.0.1:{port}"]
    if union:
        args.append("--union-default-graph")
    log = folder / "oxigraph.log"
    base = f"http://127.0.0.1:{port}"
    server = Server(f"oxigraph{' --union-default-graph' if union else ''}", f"{base}/query",
                    f"{base}/update", f"{base}/store", _spawn(args, folder, log), folder, log)
    wait_until_up(server, timeout=30)
    return server


# ---------------------------------------------------------------------------------- Virtuoso

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{sql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = ., {d}
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000
ThreadsPerQuery      = 2
MaxQueryMem          = 256M

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {d}/vsp
MaxClientConnections = 10
ServerThreads        = 10
Charset              = UTF-8
EnabledGzipContent   = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


def virtuoso_binaries() -> tuple[str, str]:
    """``virtuoso-t`` and its ``isql`` (``isql-vt`` on Debian)."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql-v")
    if server is None or isql is None:
        missing("Virtuoso (`virtuoso-t` and `isql-vt`, Debian's virtuoso-opensource)")
    return server, isql


def start_virtuoso(folder: Path, *, max_rows: int = 10000) -> Server:
    """Virtuoso in the foreground from a config file in ``folder`` (its own database, free SQL
    and HTTP ports, ``ResultSetMaxRows = max_rows``), with SPARQL_UPDATE granted to the
    anonymous SPARQL user. Its endpoint is ``/sparql`` (queries and updates) and its Graph Store
    is ``/sparql-graph-crud`` (``/sparql-graph-crud-auth`` with Digest authentication)."""
    binary, isql = virtuoso_binaries()
    sql_port, http_port = free_port(), free_port()
    (folder / "vsp").mkdir(parents=True, exist_ok=True)
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=folder, sql_port=sql_port, http_port=http_port,
                                       max_rows=max_rows))
    log = folder / "virtuoso.out"
    base = f"http://127.0.0.1:{http_port}"
    server = Server(f"virtuoso (ResultSetMaxRows {max_rows})", f"{base}/sparql",
                    f"{base}/sparql", f"{base}/sparql-graph-crud",
                    _spawn([binary, "+foreground", "+configfile", str(ini)], folder, log),
                    folder, log)
    wait_until_up(server, timeout=90)
    grant = 'GRANT SPARQL_UPDATE TO "SPARQL";'
    for _ in range(20):
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", VIRTUOSO_DBA_PASSWORD,
                               f"exec={grant}"], capture_output=True, timeout=60, check=False,
                              stdin=subprocess.DEVNULL)
        if done.returncode == 0 and b"Error" not in done.stdout + done.stderr:
            return server
        time.sleep(0.5)
    server.stop()
    pytest.fail(f"could not grant SPARQL_UPDATE on {server.name}: "
                f"{(done.stdout + done.stderr).decode(errors='replace')}", pytrace=False)


def _server_fixture(tmp_path_factory: pytest.TempPathFactory, name: str,
                    start: Callable[[Path], Server]) -> Iterator[Server]:
    server = start(tmp_path_factory.mktemp(name))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_union(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Oxigraph's server with a union default graph."""
    yield from _server_fixture(tmp_path_factory, "oxigraph-union",
                               lambda d: start_oxigraph(d, union=True))


@pytest.fixture(scope="session")
def oxigraph_plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Oxigraph's server as it starts by default: the default graph is a graph of its own."""
    yield from _server_fixture(tmp_path_factory, "oxigraph-plain",
                               lambda d: start_oxigraph(d, union=False))


@pytest.fixture(scope="session")
def oxigraph_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An Oxigraph server for tests that write (push, replace, failures)."""
    yield from _server_fixture(tmp_path_factory, "oxigraph-scratch",
                               lambda d: start_oxigraph(d, union=True))


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Virtuoso with its usual row limit (10000)."""
    yield from _server_fixture(tmp_path_factory, "virtuoso", start_virtuoso)


@pytest.fixture(scope="session")
def virtuoso_other(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second Virtuoso, for a second data set (scoping queries to some graphs with
    ``default-graph-uri`` meets Virtuoso bugs, so each data set gets its own server)."""
    yield from _server_fixture(tmp_path_factory, "virtuoso-other", start_virtuoso)


@pytest.fixture(scope="session")
def virtuoso_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Virtuoso cutting every answer at 50 rows; also the Virtuoso that write tests use."""
    yield from _server_fixture(tmp_path_factory, "virtuoso-limited",
                               lambda d: start_virtuoso(d, max_rows=50))


# ---------------------------------------------------------------------------------- misbehaving

@dataclass(frozen=True)
class Request:
    """A request the fake server received."""

    index: int  # 0 for the first request the server got, 1 for the next…
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, list[str]]:
        """The form-encoded body's fields."""
        return urllib.parse.parse_qs(self.body.decode("utf-8", errors="replace"))


@dataclass
class Reply:
    """What the fake server answers: a status, headers and body; ``delay`` seconds first;
    ``close`` drops the connection without answering (a server that dies)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    close: bool = False


Behaviour = Callable[[Request], "Reply | None"]


class FakeServer:
    """An HTTP server on 127.0.0.1 (a thread) answering with ``behaviour``; a request it
    answers None to goes on to ``forward_to`` (a real server's base URL), making it a proxy
    that can fail on purpose. ``requests`` records every request."""

    def __init__(self, behaviour: Behaviour, forward_to: str | None = None) -> None:
        self.behaviour = behaviour
        self.forward_to = forward_to
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urllib.parse.urlsplit(self.path)
                with fake._lock:
                    req = Request(len(fake.requests), self.command, parts.path,
                                  urllib.parse.parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                    fake.requests.append(req)
                reply = fake.behaviour(req)
                if reply is None:
                    reply = fake.forward(req, self.path)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.close:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def forward(self, req: Request, raw_path: str) -> Reply:
        """Send ``req`` on to the real server."""
        if self.forward_to is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"no such path")
        target = urllib.parse.urlsplit(self.forward_to)
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
        headers = {k: v for k, v in req.headers.items()
                   if k not in ("host", "connection", "content-length")}
        try:
            conn.request(req.method, raw_path, body=req.body or None, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            kept = {k: v for k, v in resp.getheaders()
                    if k.lower() not in ("content-length", "connection", "transfer-encoding")}
            return Reply(resp.status, kept, body)
        finally:
            conn.close()

    def count(self, method: str | None = None) -> int:
        """How many requests came (of ``method``)."""
        return sum(1 for r in self.requests if method is None or r.method == method)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake() -> Iterator[Callable[..., FakeServer]]:
    """A factory of :class:`FakeServer` (stopped after the test)."""
    made: list[FakeServer] = []

    def make(behaviour: Behaviour, forward_to: str | None = None) -> FakeServer:
        server = FakeServer(behaviour, forward_to)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def json_reply(body: str, status: int = 200, **headers: str) -> Reply:
    """A SPARQL JSON results answer."""
    return Reply(status, {"Content-Type": "application/sparql-results+json", **headers},
                 body.encode())


# ---------------------------------------------------------------------------------- hostile

class HostileServer:
    """A raw TCP server on 127.0.0.1 that attacks the client of every request it gets (a thread
    per connection, all ended by :meth:`close`). ``mode`` is the attack:

    - ``drip``: a 200 answer whose body comes one byte every 0.1 s, never ending;
    - ``drip-headers``: the status line, then header bytes one every 0.1 s, never ending;
    - ``delayed-headers``: reads the request and says nothing;
    - ``endless``: a 200 SPARQL JSON answer without a length, sent as fast as the client reads;
    - ``echo-secret``: asks for credentials (401, Basic), then answers 500 with a page echoing
      ``secrets`` and the Authorization header it got, in every encoding :func:`encodings` gives.
    """

    MODES = ("drip", "drip-headers", "delayed-headers", "endless", "echo-secret")

    def __init__(self, mode: str, secrets: tuple[str, ...] = ()) -> None:
        assert mode in self.MODES, mode
        self.mode, self.secrets = mode, secrets
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> dict[str, str] | None:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 1 << 20:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        while len(body) < length and not self._stop.is_set():  # a large upload: read it all
            chunk = conn.recv(1 << 20)
            if not chunk:
                return None
            body += chunk
        return headers

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(1)
        try:
            while not self._stop.is_set():
                headers = self._read_request(conn)
                if headers is None:
                    return
                self.requests += 1
                if not self._answer(conn, headers):
                    return
        except OSError:
            return
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, headers: dict[str, str]) -> bool:
        """Attack; True to read another request on the connection."""
        if self.mode == "drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json"
                         b"\r\nContent-Length: 100000000\r\n\r\n")
            while not self._stop.wait(0.1):
                conn.sendall(b" ")
        elif self.mode == "drip-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not self._stop.wait(0.1):
                conn.sendall(b"a")
        elif self.mode == "delayed-headers":
            self._stop.wait(120)
        elif self.mode == "endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json"
                         b"\r\nConnection: close\r\n\r\n"
                         b'{"head": {"vars": ["s"]}, "results": {"bindings": [')
            row = b'{"s": {"type": "literal", "value": "' + b"x" * 1000 + b'"}},'
            block = row * 64
            while not self._stop.is_set():
                conn.sendall(block)
        elif "authorization" not in headers:
            conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"t\"\r\n"
                         b"Content-Length: 0\r\n\r\n")
            return True
        else:
            echoed = [headers["authorization"], *(e for s in self.secrets for e in encodings(s))]
            body = ("<html><body><h1>Internal error</h1><p>"
                    + " | ".join(echoed) + "</p></body></html>").encode()
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            return True
        return False

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


def encodings(secret: str) -> list[str]:
    """``secret`` as servers may echo it: plain, HTML-escaped, JSON-escaped (ASCII and not),
    upper-cased, URL-encoded (both ways), base64-encoded (alone, and after a prefix of 1 and 2
    bytes, as inside a longer encoded text)."""
    import base64
    import html
    import json

    forms = [secret, html.escape(secret), json.dumps(secret)[1:-1],
             json.dumps(secret, ensure_ascii=False)[1:-1], secret.upper(),
             urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)]
    forms += [base64.b64encode(prefix + secret.encode()).decode() for prefix in (b"", b"a", b"ab")]
    return forms


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    """A factory of :class:`HostileServer` (closed after the test)."""
    made: list[HostileServer] = []

    def make(mode: str, secrets: tuple[str, ...] = ()) -> HostileServer:
        made.append(HostileServer(mode, secrets))
        return made[-1]

    yield make
    for server in made:
        server.close()


__all__ = [
    "FakeServer",
    "HostileServer",
    "Reply",
    "Request",
    "Server",
    "encodings",
    "fake",
    "free_port",
    "hostile",
    "json_reply",
    "oxigraph_plain",
    "oxigraph_scratch",
    "oxigraph_union",
    "start_oxigraph",
    "start_virtuoso",
    "virtuoso",
    "virtuoso_limited",
    "virtuoso_other",
]
