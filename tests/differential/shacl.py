"""The shapes on two SHACL engines: pySHACL and Apache Jena's SHACL (:mod:`.jena`).

The examples of ``tests/shapes/`` (the valid ones and a sample of the invalid ones: pySHACL
needs minutes for them all) and a small synthetic network with defects are validated by both
engines against the shipped shapes, with the ontology and
vocabularies beside the data (as ``metrograph validate`` does). pySHACL needs seconds per run,
so the examples are validated together: one graph, each example's instance IRIs moved under a
prefix of its own (``…/id/x{n}-``) so that examples do not merge; each result goes back to its
example by its focus node (a blank focus node goes to the example its blank node came from,
through the value of ``sh:value`` or not at all: those are counted under ``(blank node)``).

A result is compared by (focus node, path, source shape, severity); blank nodes compare alike.
Jena's ``shacl validate`` command exits 0 even when the data does not conform: conformance is
read from the report's ``sh:conforms``, never from an exit code.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace
from rdflib.term import Node

import metrograph
from metrograph.testing.synthetic import write

from . import jena

SH = Namespace("http://www.w3.org/ns/shacl#")
ID = "https://w3id.org/metrograph/id/"
EXAMPLES = Path(__file__).parent.parent / "shapes"
NETWORK = "generated-network"
Result = tuple[str, str, str, str]  # focus, path, source shape, severity


def _text(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return "_:"
    return str(node)


def results(report: Graph) -> list[Result]:
    """The results of a SHACL validation report, as comparable tuples."""
    out = []
    for r in report.subjects(SH.resultSeverity, None):
        out.append((_text(report.value(r, SH.focusNode)), _text(report.value(r, SH.resultPath)),
                    _text(report.value(r, SH.sourceShape)),
                    _text(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]))
    return out


def conforms(report: Graph) -> bool:
    """``sh:conforms`` of a report (what the specification defines: no result at all)."""
    value = next(iter(report.objects(None, SH.conforms)), None)
    return isinstance(value, Literal) and value.toPython() is True


@dataclass
class ShapeMatrix:
    """Each engine's results per example (``results[engine][example]``)."""

    engines: list[str]
    examples: list[str]
    results: dict[str, dict[str, Counter[Result]]] = field(default_factory=dict)
    conforms: dict[str, bool] = field(default_factory=dict)

    def agree(self, example: str) -> bool:
        first = self.results[self.engines[0]].get(example, Counter())
        return all(self.results[e].get(example, Counter()) == first for e in self.engines)

    def table(self) -> str:
        """Examples by engines: each engine's result count, and whether they agree."""
        width = max(len(x) for x in self.examples)
        lines = ["example".ljust(width) + "  " + "  ".join(e.rjust(8) for e in self.engines)
                 + "  agree"]
        for x in self.examples:
            cells = [str(sum(self.results[e].get(x, Counter()).values())).rjust(max(8, len(e)))
                     for e in self.engines]
            lines.append(x.ljust(width) + "  " + "  ".join(cells) + "  "
                         + ("yes" if self.agree(x) else "NO"))
        same = sum(self.agree(x) for x in self.examples)
        lines.append(f"{same}/{len(self.examples)} examples agree; conforms (sh:conforms of the "
                     "whole run): " + ", ".join(f"{e} {self.conforms[e]}" for e in self.engines))
        return "\n".join(lines)


def _merged(folder: Path, step: int, offset: int) -> tuple[Path, list[str], dict[str, str]]:
    """The valid examples, every ``step``-th invalid one from ``offset``, and a generated
    network, in one N-Triples file with the ontology and vocabularies; the example names;
    prefix -> example name."""
    invalid = sorted(EXAMPLES.glob("invalid/*.ttl"))
    examples = [*sorted(EXAMPLES.glob("valid/*.ttl")), *invalid[offset::step]]
    union = Graph()
    prefixes: dict[str, str] = {}
    names = []
    for i, example in enumerate(examples):
        name = f"{example.parent.name}/{example.stem}"
        prefix = f"{ID}x{i}-"
        prefixes[prefix] = name
        names.append(name)
        union.parse(data=example.read_text(encoding="utf-8").replace(ID, prefix),
                    format="turtle")
    network = folder / "network.ttl"
    write(network, 250, seed=5, defect_rate=0.2)
    prefix = f"{ID}x{len(examples)}-"
    prefixes[prefix] = NETWORK
    names.append(NETWORK)
    union.parse(data=network.read_text(encoding="utf-8").replace(ID, prefix), format="turtle")
    data = folder / "examples.ttl"
    data.write_text(union.serialize(format="nt"), encoding="utf-8")
    kg = metrograph.load(data, bundled_data=False, store="memory")
    merged = folder / "merged.nt"
    kg.export("nt", merged)
    return merged, names, prefixes


def _by_example(found: list[Result], prefixes: dict[str, str]) -> dict[str, Counter[Result]]:
    pattern = re.compile("|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True)))
    out: dict[str, Counter[Result]] = {}
    for r in found:
        m = pattern.match(r[0])
        name = prefixes[m.group()] if m else "(blank node)" if r[0] == "_:" else "(other)"
        out.setdefault(name, Counter())[r] += 1
    return out


def run(folder: Path, step: int = 8, offset: int = 0) -> ShapeMatrix:
    """Validate the merged examples (a sample: every ``step``-th invalid example from
    ``offset``; pySHACL takes minutes for all of them) with pySHACL and Jena."""
    from pyshacl import validate

    from metrograph.resources import shape_files

    folder.mkdir(parents=True, exist_ok=True)
    merged, names, prefixes = _merged(folder, step, offset)
    shapes = folder / "shapes.ttl"
    shapes_graph = Graph()
    for f in shape_files():
        shapes_graph.parse(data=f.read_text(encoding="utf-8"), format="turtle")
    shapes.write_text(shapes_graph.serialize(format="turtle"), encoding="utf-8")

    data = Graph().parse(merged, format="nt")
    _c, py_report, _t = validate(data, shacl_graph=shapes_graph, inference="none",
                                 advanced=True, allow_warnings=True)
    assert isinstance(py_report, Graph)
    jena.run(folder, "shacl", shapes, folder / "jena", [merged])
    error = folder / "jena" / "merged.err"
    if error.is_file():
        raise RuntimeError(f"Jena SHACL failed: {error.read_text(encoding='utf-8')}")
    jena_report = Graph().parse(folder / "jena" / "merged.nt", format="nt")
    matrix = ShapeMatrix(["pyshacl", "jena"], [*names, "(blank node)"])
    matrix.results["pyshacl"] = _by_example(results(py_report), prefixes)
    matrix.results["jena"] = _by_example(results(jena_report), prefixes)
    matrix.conforms = {"pyshacl": conforms(py_report), "jena": conforms(jena_report)}
    return matrix


__all__ = ["ShapeMatrix", "conforms", "results", "run"]
