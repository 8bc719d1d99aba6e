"""Headless Chromium for the report tests, driven over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: standard library only, no port, no extra package).

Without Chromium the browser tests FAIL, saying how to install it, unless
``METROGRAPH_SKIP_BROWSER=1`` is set (then they are skipped). ``METROGRAPH_CHROMIUM`` names
another Chromium or Chrome binary.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary: ``$METROGRAPH_CHROMIUM``, else one on PATH."""
    named = os.environ.get("METROGRAPH_CHROMIUM")
    if named:
        return named if Path(named).exists() else shutil.which(named)
    for candidate in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class DevToolsError(RuntimeError):
    """Chromium answered a DevTools command with an error, or stopped answering."""


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        # Chromium's own log goes to a file: a pipe nobody reads would fill and stop it
        self._log = (profile / "chromium.log").open("wb")

        def fds() -> None:  # runs in the child: the protocol's fds are 3 (in) and 4 (out)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
             "--force-color-profile=srgb", "--font-render-hinting=none",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            close_fds=False, preexec_fn=fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            data = data[os.write(self._to_child, data):]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise DevToolsError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                log = Path(self._log.name).read_bytes()[-2000:].decode(errors="replace")
                raise DevToolsError(f"Chromium closed the DevTools pipe: {log}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 60) -> dict[str, Any]:
        """Send a command and wait for its answer, keeping the events that arrive meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def wait_for(self, method: str, session: str, timeout: float = 60) -> dict[str, Any]:
        """Wait for the event ``method`` of ``session`` (or take it if it already came)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive(deadline))

    def evaluate(self, expression: str, session: str, timeout: float = 60) -> Any:
        """The value of a JavaScript expression in the page of ``session`` (promises awaited)."""
        answer = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=session,
                           timeout=timeout)
        if "exceptionDetails" in answer:
            raise DevToolsError(str(answer["exceptionDetails"])[:500])
        return answer["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.call("Browser.close", timeout=10)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@dataclass
class Rendered:
    """One page as Chromium rendered it at one width."""

    name: str
    width: int
    dom: dict[str, Any]
    requests: list[str]
    failures: list[str]
    console: list[str]
    screenshot: Path


def artifacts_dir(name: str = "html-report") -> Path:
    """Where screenshots are kept: ``test-artifacts/NAME/`` under the repository root (git-ignored),
    or ``$METROGRAPH_ARTIFACTS/NAME/``."""
    base = os.environ.get("METROGRAPH_ARTIFACTS")
    folder = (Path(base) if base else REPO / "test-artifacts") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Loaded:
    """A page loaded in a tab of its own: its DevTools session and what it asked for."""

    session: str
    requests: list[str]
    failures: list[str]
    console: list[str]


@contextlib.contextmanager
def loaded(browser: Chromium, url: str, width: int, height: int,
           headers: dict[str, str] | None = None) -> Iterator[Loaded]:
    """``url`` loaded in a new tab ``width`` CSS pixels wide (a phone below 600), with
    ``headers`` sent; the requests it made, the loads that failed and the console messages
    and exceptions are collected. The tab is closed on leaving."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Network", "Runtime", "Log"):
            browser.call(f"{domain}.enable", session=session)
        if headers:
            browser.call("Network.setExtraHTTPHeaders", {"headers": headers}, session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1,
                      "mobile": width < 600}, session=session)
        browser.events.clear()
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session)
        mine = [e for e in browser.events if e.get("sessionId") == session]
        requests = [e["params"]["request"]["url"] for e in mine
                    if e.get("method") == "Network.requestWillBeSent"]
        failures = [e["params"].get("errorText", "") + " " + e["params"].get("blockedReason", "")
                    for e in mine if e.get("method") == "Network.loadingFailed"]
        console = [e["params"]["entry"].get("text", "") for e in mine
                   if e.get("method") == "Log.entryAdded"]
        console += [str(e["params"].get("exceptionDetails")) for e in mine
                    if e.get("method") == "Runtime.exceptionThrown"]
        yield Loaded(session, requests, failures, console)
    finally:
        browser.call("Target.closeTarget", {"targetId": target})


def screenshot(browser: Chromium, session: str, width: int, shot: Path,
               max_height: int | None = None) -> None:
    """Save the page of ``session`` as a PNG, its whole height (at most ``max_height``)."""
    height = int(browser.call("Page.getLayoutMetrics", session=session)
                 ["cssContentSize"]["height"]) + 1
    if max_height is not None:
        height = min(height, max_height)
    png = browser.call("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
        session=session)["data"]
    shot.write_bytes(base64.b64decode(png))


def render(browser: Chromium, page: Path, width: int, shot: Path, read: str) -> Rendered:
    """Load ``page`` at ``width`` CSS pixels, evaluate ``read`` (a JavaScript expression) in it,
    and save a full-page screenshot."""
    with loaded(browser, page.resolve().as_uri(), width, 800 if width < 600 else 1000) as tab:
        dom = browser.evaluate(read, tab.session)
        screenshot(browser, tab.session, width, shot)
        return Rendered(page.name, width, dom, tab.requests, tab.failures, tab.console, shot)


@contextlib.contextmanager
def chromium_or_none() -> Iterator[Chromium | None]:
    """Headless Chromium; None when there is none (each browser test then fails, saying so)."""
    binary = find_chromium()
    if binary is None:
        if os.environ.get("METROGRAPH_SKIP_BROWSER") == "1":
            pytest.skip("METROGRAPH_SKIP_BROWSER=1: the browser tests are skipped")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="metrograph-chromium-") as profile:
        chromium = Chromium(binary, Path(profile))
        try:
            chromium.call("Browser.getVersion", timeout=60)
            yield chromium
        finally:
            chromium.close()


NO_BROWSER = ("headless Chromium is needed to test the HTML report in a real browser, and none "
              "was found (looked for $METROGRAPH_CHROMIUM, chromium, chromium-browser, "
              "google-chrome). Install it with `scripts/install-test-tools.sh` (Debian: apt-get "
              "install chromium), or set METROGRAPH_SKIP_BROWSER=1 to skip these tests.")


def need(browser: Chromium | None) -> Chromium:
    """The browser, or a failed test saying how to get one (never a skip)."""
    if browser is None:
        pytest.fail(NO_BROWSER, pytrace=False)
    return browser
