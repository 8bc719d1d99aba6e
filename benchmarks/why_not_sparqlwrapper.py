"""The measurement behind ``metrograph.stores.remote.http``'s choice of httpx over SPARQLWrapper.

    pip install 'SPARQLWrapper>=2'    # not a dependency of metrograph (Linux: fork)
    python benchmarks/why_not_sparqlwrapper.py

metrograph's client (``timeout=2``) and SPARQLWrapper (``setTimeout(2)``, POST, JSON) each query
the hostile server of ``tests/servers.py``: one dripping its answer a byte every 0.1 s, one
sending an endless answer, each call in a process of its own. Prints how each call ended (or that
it was still waiting when stopped, after 20 s and 4 s) and how much its process grew.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import HostileServer


def _measure(call: Callable[[], object], wait: float) -> str:
    outcome: dict[str, str] = {}

    def run() -> None:
        start = time.monotonic()
        try:
            call()
            outcome["end"] = "answered"
        except Exception as exc:  # what each client raises differs
            outcome["end"] = f"{type(exc).__name__}: {str(exc).split(' failed: ')[-1][:60]}"
        outcome["time"] = f"{time.monotonic() - start:.1f} s"

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    if thread.is_alive():
        return f"still waiting after {wait:g} s; peak RSS +{grown:.0f} MB"
    return f"{outcome['end']} after {outcome['time']}; peak RSS +{grown:.0f} MB"


def main() -> int:
    from metrograph.stores.remote import RemoteStore

    try:
        from SPARQLWrapper import JSON, SPARQLWrapper
    except ImportError:
        raise SystemExit("pip install SPARQLWrapper to run this measurement") from None
    import multiprocessing

    def ours(url: str) -> object:
        return RemoteStore(url, timeout=2, union_default_graph=True).select("SELECT * {}")

    def theirs(url: str) -> object:
        wrapper = SPARQLWrapper(url)
        wrapper.setTimeout(2)
        wrapper.setMethod("POST")
        wrapper.setReturnFormat(JSON)
        wrapper.setQuery("SELECT * {}")
        return wrapper.query().convert()

    def case(name: str, client: Callable[[str], object], url: str, wait: float) -> None:
        print(f"{name}: {_measure(lambda: client(url), wait)}", flush=True)

    for mode, wait in (("drip", 20.0), ("endless", 4.0)):
        server = HostileServer(mode)
        for name, client in (("metrograph", ours), ("SPARQLWrapper", theirs)):
            child = multiprocessing.get_context("fork").Process(
                target=case, args=(f"{mode:>8}  {name:<13}", client, server.base + "/sparql",
                                   wait))
            child.start()
            child.join(wait + 10)
            child.kill()
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
