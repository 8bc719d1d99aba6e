"""``python -m tests.differential [--details]``: run the query matrix and print its table
(from the top of a checkout, with the test tools installed)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.servers import start_oxigraph, start_virtuoso

from .engines import (
    JenaEngine,
    OxigraphServerEngine,
    PyoxigraphEngine,
    RdflibEngine,
    VirtuosoEngine,
)
from .matrix import build_data, run


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="metrograph-differential-") as tmp:
        work = Path(tmp)
        (work / "ox").mkdir()
        (work / "vt").mkdir()
        ox = start_oxigraph(work / "ox", union=True)
        vt = start_virtuoso(work / "vt")
        try:
            engines = [RdflibEngine(), PyoxigraphEngine(),
                       OxigraphServerEngine(ox.query_url.rsplit("/", 1)[0]),
                       VirtuosoEngine(vt.query_url, vt.gsp_url), JenaEngine(work)]
            matrix = run(engines, build_data(work / "data"))
        finally:
            ox.stop()
            vt.stop()
        print(matrix.table())
        if "--details" in argv:
            for case in matrix.answers:
                for engine in matrix.engines:
                    if not matrix.agrees(case, engine):
                        got = matrix.answers[case][engine]
                        want = matrix.expected(case)
                        print(f"\n{engine} {case.id}: {got.error or ''}")
                        if got.error is None and want.error is None:
                            a, b = set(got.rows), set(want.rows)
                            print(f"  vars {got.variables} vs {want.variables}")
                            for r in sorted(a - b)[:4]:
                                print("  +", r)
                            for r in sorted(b - a)[:4]:
                                print("  -", r)
                            print(f"  rows {len(got.rows)} vs {len(want.rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
