"""``python -m tests.differential [--details]``: run the query matrix and print its table
(from the top of a checkout, with the test tools installed)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .matrix import run_every_engine


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="metrograph-differential-") as tmp:
        work = Path(tmp)
        matrix = run_every_engine(work)
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
