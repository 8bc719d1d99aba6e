"""The shapes give the same results on pySHACL and Apache Jena's SHACL (:mod:`.shacl`): every
valid example, a sample of the invalid ones and a generated network with defects, compared
result for result (focus node, path, source shape, severity). Where they part, the cell is a
strict xfail naming the cause. The table, examples by engines, is printed at the end of the run.
"""

from __future__ import annotations

from collections import Counter

import pytest

from . import jena, shacl
from .matrix import TABLES

STEP = 8
EXAMPLES = [f"valid/{p.stem}" for p in sorted(shacl.EXAMPLES.glob("valid/*.ttl"))] + [
    f"invalid/{p.stem}" for p in sorted(shacl.EXAMPLES.glob("invalid/*.ttl"))[::STEP]] + [
    shacl.NETWORK, "(blank node)"]

#: example -> why Jena and pySHACL report it differently (strict xfails)
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> shacl.ShapeMatrix:
    jena.require()
    result = shacl.run(tmp_path_factory.mktemp("shapes"), step=STEP)
    TABLES.append(("shapes: results per example, pySHACL and Jena SHACL", result.table()))
    return result


def test_the_sample_is_the_run(shapes: shacl.ShapeMatrix) -> None:
    assert shapes.examples == EXAMPLES
    # every invalid example is reported (a blank-node focus node counts under "(blank node)")
    invalid = [x for x in EXAMPLES if x.startswith("invalid/") and "blank-node" not in x]
    assert all(shapes.results["pyshacl"].get(x) for x in invalid), "an invalid example passed"
    assert shapes.results["pyshacl"].get("(blank node)")
    assert shapes.results["pyshacl"].get(shacl.NETWORK)


@pytest.mark.parametrize("example", EXAMPLES)
def test_jena_and_pyshacl_agree(request: pytest.FixtureRequest, shapes: shacl.ShapeMatrix,
                                example: str) -> None:
    if example in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[example], strict=True))
    py = shapes.results["pyshacl"].get(example, Counter())
    je = shapes.results["jena"].get(example, Counter())
    assert py == je, (f"pySHACL only: {sorted((py - je).elements())}\n"
                      f"Jena only: {sorted((je - py).elements())}")


def test_conforms_is_read_from_the_report(shapes: shacl.ShapeMatrix) -> None:
    """Jena's command exits 0 on data that does not conform: sh:conforms is what counts."""
    assert shapes.conforms == {"pyshacl": False, "jena": False}
