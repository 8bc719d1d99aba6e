"""What a server sends is untrusted: real HTTP servers on 127.0.0.1 (``servers.py``) that ask for
credentials of the wrong host, answer variables the query did not ask for, echo the password
where messages quote them, nest JSON without end, send terminal escape sequences, or compress a
huge answer into a small one. Each gets a one-line error (exit 2 on the command line), never a
traceback, a leaked password or a raw escape sequence."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from metrograph.errors import RemoteError
from metrograph.publishing.push import push
from metrograph.sparql.binding import projection
from metrograph.sparql.results import to_table
from metrograph.stores.base import SelectResult
from metrograph.stores.remote import RemoteStore
from metrograph.terminal import printable

from . import servers
from .servers import FakeServer, Reply, Request, encodings, json_reply

fake = servers.fake  # the fixture, visible to pytest in this module

FakeFactory = Callable[..., FakeServer]
ORGANISATIONS = Path(__file__).parent.parent / "data" / "organisations.ttl"
JSON = "application/sparql-results+json"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No credentials from the environment; ``NETRC`` points at a file not yet written."""
    monkeypatch.delenv("METROGRAPH_USER", raising=False)
    monkeypatch.delenv("METROGRAPH_PASSWORD", raising=False)
    netrc = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc))
    yield netrc


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "metrograph", *args], capture_output=True,
                          timeout=120, env=env or dict(os.environ), check=False)


def _one_error_line(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 2, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("metrograph: error: "), err
    return lines[0]


# ------------------------------------------------------------------ 1. credentials per host

def _challenging(seen: list[str]) -> Callable[[Request], Reply]:
    """Ask for Basic credentials; record the user:password each request then sends."""
    def behaviour(req: Request) -> Reply:
        auth = req.headers.get("authorization")
        if not auth:
            return Reply(401, {"WWW-Authenticate": 'Basic realm="t"', "Content-Type":
                               "text/plain"}, b"login")
        seen.append(base64.b64decode(auth.split()[1]).decode())
        return Reply(500, {"Content-Type": "text/plain"}, b"no")
    return behaviour


def test_each_host_gets_only_its_own_netrc_credentials(fake: FakeFactory,
                                                       clean_env: Path) -> None:
    clean_env.write_text("machine 127.0.0.1 login alice password pw-for-127\n"
                         "machine localhost login bob password pw-for-localhost\n")
    clean_env.chmod(0o600)
    at_ip: list[str] = []
    at_name: list[str] = []
    ip, name = fake(_challenging(at_ip)), fake(_challenging(at_name))
    local = f"http://localhost:{name.port}"
    # query URL on "localhost", update and graph store on "127.0.0.1"
    store = RemoteStore(local + "/query", ip.base + "/update", ip.base + "/store",
                        union_default_graph=True, retries=0, timeout=10)
    with pytest.raises(RemoteError, match="HTTP 500"):
        store.select("SELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(RemoteError, match="HTTP 500"):
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(RemoteError):
        push(ORGANISATIONS, ip.base + "/store", update_url=ip.base + "/update",
             query_url=local + "/query", default_graph="urn:test:g", retries=0, timeout=10)
    assert at_name and set(at_name) == {"bob:pw-for-localhost"}, at_name
    assert at_ip and set(at_ip) == {"alice:pw-for-127"}, at_ip


def test_a_host_without_credentials_gets_none(fake: FakeFactory, clean_env: Path) -> None:
    clean_env.write_text("machine 127.0.0.1 login alice password pw-for-127\n")
    clean_env.chmod(0o600)
    at_ip: list[str] = []
    at_name: list[str] = []
    ip, name = fake(_challenging(at_ip)), fake(_challenging(at_name))
    store = RemoteStore(f"http://localhost:{name.port}/query", ip.base + "/update",
                        union_default_graph=True, retries=0, timeout=10)
    with pytest.raises(RemoteError, match="HTTP 401"):  # localhost's challenge: unanswered
        store.select("SELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(RemoteError, match="HTTP 500"):
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert at_name == [] and name.count() == 1
    assert at_ip == ["alice:pw-for-127"]


# ------------------------------------------------------------------ 2. variables of an answer

def _answer(vars_: list[str], bindings: list[dict[str, object]]) -> Reply:
    return json_reply(json.dumps({"head": {"vars": vars_}, "results": {"bindings": bindings}}))


def _lit(value: str) -> dict[str, str]:
    return {"type": "literal", "value": value}


def _store(server: FakeServer) -> RemoteStore:
    return RemoteStore(server.base + "/sparql", union_default_graph=True, retries=0, timeout=10)


def test_projection_is_read_from_the_tokens() -> None:
    assert projection("SELECT ?a $b (COUNT(?c) AS ?n) WHERE { ?a ?b ?c }") == ["a", "b", "n"]
    assert projection("PREFIX x: <urn:SELECT?z> # SELECT ?y\nSELECT DISTINCT ?a\n"
                      "{ ?a x:p 'SELECT ?q' { SELECT ?inner WHERE { ?inner ?p ?o } } }") == ["a"]
    assert projection("SELECT ((1 + 2) AS ?three) ?x FROM <urn:g> WHERE {}") == ["three", "x"]
    assert projection("SELECT * WHERE { ?s ?p ?o }") is None
    assert projection("ASK { ?s ?p ?o }") is None


@pytest.mark.parametrize("vars_, bindings, message", [
    (["zzz", "yyy"], [{"zzz": _lit("1")}], r"variables \(\?zzz, \?yyy\) are not those of the "
                                           r"query \(\?a, \?b\)"),
    (["a"], [{"a": _lit("1")}], r"variables \(\?a\) are not those of the query"),
    ([], [], r"variables \(none\) are not those"),
    (["a", "b", "c"], [], r"variables \(\?a, \?b, \?c\) are not those"),
    (["a", "a"], [], r"lists a variable twice"),
    (["a", "b"], [{"a": _lit("1"), "zzz": _lit("2")}], r"a result binds \?zzz, which the "
                                                       r"answer's variables"),
])
def test_an_answer_with_other_variables_is_refused(fake: FakeFactory, vars_: list[str],
                                                   bindings: list[dict[str, object]],
                                                   message: str) -> None:
    server = fake(lambda r: _answer(vars_, bindings))
    with pytest.raises(RemoteError, match=message):
        _store(server).select("SELECT ?a ?b WHERE { ?a <urn:p> ?b }")


def test_an_answer_in_another_order_is_read_in_the_query_order(fake: FakeFactory) -> None:
    server = fake(lambda r: _answer(["b", "a"], [{"a": _lit("A"), "b": _lit("B")}]))
    result = _store(server).select("SELECT ?a ?b WHERE { ?a <urn:p> ?b }")
    assert result.variables == ["a", "b"]
    assert [tuple(map(str, row)) for row in result.rows] == [("A", "B")]


def test_select_star_is_checked_for_consistency(fake: FakeFactory) -> None:
    server = fake(lambda r: _answer(["x"], [{"x": _lit("1")}, {"y": _lit("2")}]))
    with pytest.raises(RemoteError, match=r"a result binds \?y"):
        _store(server).select("SELECT * WHERE { ?s ?p ?o }")
    ok = fake(lambda r: _answer(["x", "y"], [{"x": _lit("1")}, {"y": _lit("2")}]))
    assert _store(ok).select("SELECT * WHERE { ?s ?p ?o }").variables == ["x", "y"]


def test_a_count_that_is_no_count_is_refused_quickly(fake: FakeFactory) -> None:
    """``1e99999999`` would take Python minutes to make into an integer."""
    def behaviour(req: Request) -> Reply:
        if "COUNT" in " ".join(req.form().get("query", [])):
            return _answer(["g", "n"], [{"g": {"type": "uri", "value": "urn:g"},
                                         "n": _lit("1e99999999")}])
        return _answer(["s", "p", "o"], [])
    server = fake(behaviour)
    with pytest.raises(RemoteError, match=r"<urn:g> has the count '1e99999999'"):
        len(_store(server))


@pytest.mark.parametrize("command", ["info", "validate", "report", "query plans"])
def test_commands_refuse_foreign_variables_with_one_line(fake: FakeFactory,
                                                         command: str) -> None:
    """A server answering every SELECT with variables of its own: exit 2 (not validate's 1 for
    "violations found"), one line, no traceback, none of the server's columns printed."""
    def behaviour(req: Request) -> Reply:
        query = " ".join(req.form().get("query", []))
        if "LIMIT 5" in query and "GRAPH ?g" in query:  # the probe of the default graph
            return _answer(["s", "p", "o"], [])
        return _answer(["zzz", "yyy"], [{"zzz": _lit("server column")}])
    server = fake(behaviour)
    done = _cli(*command.split(), "--endpoint", server.base + "/sparql", "--http-timeout",
                "10")
    line = _one_error_line(done)
    assert "are not those of the query" in line and b"server column" not in done.stdout


@pytest.mark.parametrize(("command", "says"), [
    ("validate", "gave a result without a focus node"),
    ("info", "unbound in row 1, which the query always binds"),
    ("report", "unbound in row 1, which the query always binds")])
def test_answers_leaving_every_variable_unbound_are_refused(fake: FakeFactory, command: str,
                                                            says: str) -> None:
    """The query's variables, every value unbound: validate says so (exit 2; it crashed with
    exit 1, which means "violations found"), and the typed API (info, report) says the answer
    is not the query's (it crashed with ``KeyError: None``, exit 1)."""
    def behaviour(req: Request) -> Reply:
        query = " ".join(req.form().get("query", []))
        if "LIMIT 5" in query and "GRAPH ?g" in query:
            return _answer(["s", "p", "o"], [])
        return _answer(projection(query) or ["s"], [{}])
    server = fake(behaviour)
    done = _cli(command, "--endpoint", server.base + "/sparql")
    assert says in _one_error_line(done)


def test_the_variables_said_always_bound_are_bound_by_every_engine() -> None:
    """The list the typed API checks answers against holds only what the queries bind in
    every row, on both stores (a wrong entry would refuse a correct answer)."""
    import metrograph
    from metrograph.graph import _ALWAYS_BOUND

    from .conftest import MULTICYCLE

    for store in ("oxigraph", "memory"):
        kg = metrograph.load(*MULTICYCLE, store=store)
        for name, variables in _ALWAYS_BOUND.items():
            rows = [r for r in kg.run_query(name).raw.dicts() if r.get("total", 0) is not None]
            assert rows, (store, name)
            for var in variables:
                assert all(r.get(var) is not None for r in rows), (store, name, var)


# ------------------------------------------------------------------ 3. the password in errors

USER, PASSWORD = "alice", 'Pa<ss"wörd&1/+Zq\'ß'


def _leaks(text: str) -> list[str]:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    forms = [*encodings(PASSWORD), basic, repr(PASSWORD)[1:-1], repr(PASSWORD.encode())[2:-1],
             PASSWORD.casefold()]
    found = [f for f in forms if f.lower() in text.lower()]
    return found + [PASSWORD[i:i + 6] for i in range(len(PASSWORD) - 5)
                    if PASSWORD[i:i + 6].lower() in text.lower()]


def _echoing(where: str) -> Callable[[Request], Reply]:
    """Ask for credentials, then echo the password in ``where`` of the answer."""
    def behaviour(req: Request) -> Reply:
        auth = req.headers.get("authorization")
        if not auth:
            return Reply(401, {"WWW-Authenticate": 'Basic realm="t"'}, b"")
        pw = base64.b64decode(auth.split()[1]).decode().split(":", 1)[1]
        if where == "term type":
            return _answer(["s"], [{"s": {"type": pw, "value": pw}}])
        if where == "content type":
            return Reply(200, {"Content-Type": f"text/{pw.upper()}"}, b"x")
        if where == "variables":
            return _answer([pw.upper()], [])
        if where.startswith("long variables"):  # the password across the message's cut
            return _answer(["v" * int(where.split()[-1]) + pw], [])
        if where == "long count":
            return _answer(["g", "n"], [{"g": {"type": "uri", "value": "urn:g"},
                                         "n": _lit("9" * 30 + pw)}])
        if where == "long encoding":
            return Reply(200, {"Content-Type": JSON, "Content-Encoding": "x" * 30 + pw}, b"{}")
        if where == "count":
            return _answer(["g", "n"], [{"g": {"type": "uri", "value": "urn:g"},
                                         "n": _lit(pw)}])
        if where == "turtle":
            return Reply(200, {"Content-Type": "text/turtle"}, f"<urn:a> <urn:b> {pw} .".encode())
        return Reply(200, {"Content-Type": JSON}, f"not json {pw!r}".encode())
    return behaviour


@pytest.mark.parametrize("where", ["term type", "content type", "variables", "count",
                                   "turtle", "not json", "long count", "long encoding",
                                   *(f"long variables {n}" for n in range(190, 250, 3))])
def test_a_password_echoed_in_an_answer_never_shows(fake: FakeFactory, clean_env: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    where: str) -> None:
    monkeypatch.setenv("METROGRAPH_USER", USER)
    monkeypatch.setenv("METROGRAPH_PASSWORD", PASSWORD)
    server = fake(_echoing(where))
    store = _store(server)
    with pytest.raises(RemoteError) as info:
        if where == "turtle":
            store.construct("CONSTRUCT WHERE { ?s ?p ?o }")
        elif where in ("count", "long count"):
            len(store)
        else:
            store.select("SELECT ?s WHERE { ?s ?p ?o }")
    message = str(info.value)
    assert _leaks(message) == [], message  # not even 6 characters of it, where a cut falls
    if where == "turtle":  # Oxigraph's parser names a position and a few characters, no more
        assert "not valid turtle (Parser error at line 1" in message, message
    else:
        assert "***" in message or message.endswith("..."), message


# ------------------------------------------------------------------ 4. JSON nested deeply

DEEP = b"[" * 200_000 + b"]" * 200_000


def test_deeply_nested_json_is_refused_by_every_reader(fake: FakeFactory,
                                                       tmp_path: Path) -> None:
    server = fake(lambda r: Reply(200, {"Content-Type": JSON}, DEEP))
    with pytest.raises(RemoteError, match="nested too deeply"):
        _store(server).select("SELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(RemoteError, match="not SPARQL JSON results"):
        push(ORGANISATIONS, server.base + "/store", update_url=server.base + "/update",
             query_url=server.base + "/query", default_graph="urn:test:g", retries=0)
    done = _cli("push", str(ORGANISATIONS), "--graph-store", server.base + "/store", "--update",
                server.base + "/update", "--query", server.base + "/query", "--default-graph",
                "urn:test:g", "-q")
    assert "not SPARQL JSON results" in _one_error_line(done)


# ------------------------------------------------------------------ 6. terminal escapes

ESCAPES = "x\x1b[2J\x1b]0;pwned\x07\r\x9b31m\u202ey"


def test_printable_shows_control_characters() -> None:
    assert printable(ESCAPES) == "x\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x9b31m\\u202ey"
    assert printable("a\tb\nc") == "a\tb\nc" and printable("a\tb\nc", keep="") == "a\\x09b\\x0ac"
    table = to_table(SelectResult(["v\x1b"], [(None,)]))
    assert "\x1b" not in table and "v\\x1b" in table


def test_escapes_from_a_server_never_reach_the_terminal(fake: FakeFactory,
                                                        tmp_path: Path) -> None:
    def behaviour(req: Request) -> Reply:
        if req.path == "/error":
            return Reply(500, {"Content-Type": "text/plain"}, f"oops {ESCAPES}".encode())
        if "GRAPH ?g" in " ".join(req.form().get("query", [])):  # the default graph's probe
            return _answer(["s", "p", "o"], [])
        return _answer(["v"], [{"v": _lit(ESCAPES)}])
    server = fake(behaviour)
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?v WHERE { ?s ?p ?v }")
    line = _one_error_line(_cli("query", "--file", str(query), "--endpoint",
                                server.base + "/error", "--http-timeout", "10"))
    assert "oops x\\x1b[2J\\x1b]0;pwned\\x07" in line
    table = _cli("query", "--file", str(query), "--endpoint", server.base + "/sparql")
    assert table.returncode == 0, table.stderr
    assert not any(c in table.stdout for c in b"\x1b\x07\r") and b"\\x1b[2J" in table.stdout
    for fmt in ("csv", "tsv", "json"):  # data outputs stay byte-faithful
        data = _cli("query", "--file", str(query), "--endpoint", server.base + "/sparql",
                    "--format", fmt)
        assert data.returncode == 0, data.stderr
        text = data.stdout.decode("utf-8")
        if fmt == "json":
            text = json.loads(text)["results"]["bindings"][0]["v"]["value"]
        assert ESCAPES.replace("\r", "") in text.replace("\\r", "").replace("\r", ""), text


# ------------------------------------------------------------------ 8. compressed answers

BOMB = 200 << 20  # bytes a small compressed answer inflates to


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    spaces = b" " * BOMB
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return {"gzip": gzip.compress(spaces, 9), "deflate": zlib.compress(spaces, 9),
            "raw-deflate": raw.compress(spaces) + raw.flush()}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
@pytest.mark.parametrize("status", [200, 500])
def test_a_compressed_answer_is_bounded_while_it_inflates(fake: FakeFactory,
                                                          bombs: dict[str, bytes],
                                                          encoding: str, status: int) -> None:
    body = bombs[encoding]
    header = "deflate" if encoding == "raw-deflate" else encoding
    server = fake(lambda r: Reply(status, {"Content-Type": "text/plain" if status == 500
                                           else JSON, "Content-Encoding": header}, body))
    store = RemoteStore(server.base + "/sparql", union_default_graph=True, retries=0,
                        timeout=30, max_bytes=1000)
    tracemalloc.start()
    try:
        with pytest.raises(RemoteError) as info:
            store.select("SELECT ?s WHERE { ?s ?p ?o }")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the compressed body itself is read whole by the fake server's client (a few hundred KB)
    assert peak < len(body) + (8 << 20), peak
    if status == 200:
        assert "larger than 1000 bytes" in str(info.value)
    else:
        assert "HTTP 500 (text/plain)" in str(info.value)


def test_a_small_compressed_answer_is_read_and_others_refused(fake: FakeFactory) -> None:
    answer = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [
        {"s": _lit("ok")}]}}).encode()
    server = fake(lambda r: Reply(200, {"Content-Type": JSON, "Content-Encoding": "gzip"},
                                  gzip.compress(answer)))
    assert [str(r[0]) for r in _store(server).select("SELECT ?s {}").rows] == ["ok"]
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"
    other = fake(lambda r: Reply(200, {"Content-Type": JSON, "Content-Encoding": "br"}, b"x"))
    with pytest.raises(RemoteError, match="encoded as 'br'"):
        _store(other).select("SELECT ?s {}")
    damaged = fake(lambda r: Reply(200, {"Content-Type": JSON, "Content-Encoding": "gzip"},
                                   b"not gzip at all"))
    with pytest.raises(RemoteError, match="gzip encoding is damaged"):
        _store(damaged).select("SELECT ?s {}")
