"""Remote calls under attack by a real hostile HTTP server on 127.0.0.1 (``servers.py``):
a server that drips its body or its headers, or says nothing, cannot hold a call past its
deadline; an endless answer is cut at the size bound; a server echoing the password in any
encoding never gets it printed. Through the API and through the ``metrograph`` command (every
command that talks to a server), each run bounded by a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from metrograph.errors import RemoteError
from metrograph.publishing.push import push
from metrograph.stores.remote import RemoteStore
from metrograph.stores.remote.http import DEFAULT_MAX_BYTES

from . import servers, tally
from .servers import HostileServer, encodings

hostile = servers.hostile  # the fixture, visible to pytest in this module

Hostile = Callable[..., HostileServer]
SLOW = ("drip", "drip-headers", "delayed-headers")
USER, PASSWORD = "alice", 'pa<ss"wörd&1/+Zq'
SLACK = 1.5  # seconds past the deadline allowed for a busy machine


def _store(server: HostileServer, **options: object) -> RemoteStore:
    return RemoteStore(server.base + "/sparql", server.base + "/update", server.base + "/store",
                       union_default_graph=True, backoff=0.01, **options)  # type: ignore[arg-type]


CALLS: dict[str, Callable[[RemoteStore], object]] = {
    "select": lambda s: s.select("SELECT * { ?s ?p ?o }"),
    "construct": lambda s: s.construct("CONSTRUCT WHERE { ?s ?p ?o }"),
    "graph listing": lambda s: len(s),
    "push": lambda s: push(Path(__file__).parent.parent / "data" / "organisations.ttl",
                           s.gsp_url, update_url=s.update_url, query_url=s.query_url,
                           default_graph="urn:test:g", timeout=1, retries=0),
}


@pytest.mark.parametrize("mode", SLOW)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_slow_server_cannot_hold_a_call_past_its_deadline(hostile: Hostile, mode: str,
                                                            call: str) -> None:
    server = hostile(mode)
    start = time.monotonic()
    with pytest.raises(RemoteError, match=r"no whole answer within 1 s"):
        CALLS[call](_store(server, timeout=1))
    # each request has its deadline; a failed push also tries to drop its staging graph
    assert 1 <= server.requests <= (2 if call == "push" else 1)
    assert time.monotonic() - start < server.requests + SLACK
    tally.count(f"hostile server: {mode}")


def test_an_endless_answer_is_cut_at_the_bound(hostile: Hostile) -> None:
    server = hostile("endless")
    start = time.monotonic()
    with pytest.raises(RemoteError, match=r"larger than 2000000 bytes.*--max-response-bytes"):
        _store(server, timeout=20, max_bytes=2_000_000).select("SELECT * { ?s ?p ?o }")
    assert time.monotonic() - start < 10
    assert DEFAULT_MAX_BYTES == 512 << 20
    # with the default size bound, whichever bound is reached first stops it: on a fast
    # loopback 512 MiB can arrive within the second
    with pytest.raises(RemoteError,
                       match=r"no whole answer within 1 s|larger than 536870912 bytes"):
        _store(server, timeout=1).select("SELECT * { ?s ?p ?o }")
    tally.count("hostile server: endless answer", 2)


def _leaks(text: str) -> list[str]:
    """The forms of the password (or of the Basic header) found in ``text``."""
    import base64

    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    found = [f for f in [*encodings(PASSWORD), basic] if f.lower() in text.lower()]
    return found + [PASSWORD[i:i + 6] for i in range(len(PASSWORD) - 5)
                    if PASSWORD[i:i + 6] in text]


def test_a_password_echoed_in_any_encoding_never_shows(hostile: Hostile,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server = hostile("echo-secret", (PASSWORD, f"{USER}:{PASSWORD}"))
    monkeypatch.setenv("METROGRAPH_USER", USER)
    monkeypatch.setenv("METROGRAPH_PASSWORD", PASSWORD)
    with pytest.raises(RemoteError) as info:
        _store(server, timeout=5, retries=0).select("SELECT * { ?s ?p ?o }")
    message = str(info.value)
    assert "HTTP 500 (text/html)" in message and server.requests == 2  # asked, then sent
    assert _leaks(message) == [], message
    excerpt = message.split("(text/html): ", 1)[1]
    assert len(excerpt) <= 80  # credentials were sent: a short excerpt only
    tally.count("hostile server: password echoed (11 encodings)", len(encodings(PASSWORD)) + 1)


# ------------------------------------------------------------------ the command line

def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "metrograph", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_every_command_that_talks_to_a_server_keeps_its_deadline(
        hostile: Hostile, tmp_path: Path) -> None:
    """info, validate, report, export, publish (reading with --endpoint) and push, each against
    one of the attacks, all at once: exit 2 with one line, within the deadline."""
    env = {**os.environ, "NETRC": str(tmp_path / "none")}
    env.pop("METROGRAPH_USER", None)
    env.pop("METROGRAPH_PASSWORD", None)
    attacks = ["drip", "drip-headers", "delayed-headers", "endless"]
    commands = [["info"], ["validate"], ["report"], ["export", "--format", "nt"],
                ["publish", "-o", str(tmp_path / "release")]]
    runs = []
    for i, command in enumerate(commands):
        server = hostile(attacks[i % len(attacks)])
        runs.append((command[0], server.mode, _cli(
            [*command, "--endpoint", server.base + "/sparql", "--http-timeout", "2",
             "--max-response-bytes", "1000000"], env)))
    target = hostile("drip")
    source = Path(__file__).parent.parent / "data" / "organisations.ttl"
    runs.append(("push", "drip", _cli(
        ["push", str(source), "--graph-store", target.base + "/store", "--update",
         target.base + "/update", "--query", target.base + "/query", "--default-graph",
         "urn:test:g", "--http-timeout", "2"], env)))
    for command, mode, proc in runs:
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"`metrograph {command}` against a {mode} server did not end")
        lines = err.strip().splitlines()
        assert proc.returncode == 2, (command, mode, err)
        assert len(lines) == 1 and lines[0].startswith("metrograph: error:"), (command, err)
        assert "within 2 s" in err or "larger than 1000000 bytes" in err, (command, err)
        tally.count(f"hostile server: {mode} (command line)")
    assert not (tmp_path / "release").exists()
