"""OWL-RL reasoning on demand (owlrl), on a copy: the caller's graph is never changed."""

from __future__ import annotations

from rdflib import Dataset, Graph

__all__ = ["owl_rl_closure"]


def owl_rl_closure(dataset: Dataset) -> Graph:
    """The triples OWL-RL entails from the union of ``dataset``'s graphs, beyond those it holds
    (for example that a deliverable is ``mg:partOf`` its guideline and plan)."""
    import owlrl

    base = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        base.add((s, p, o))
    closed = Graph()
    closed += base
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(closed)
    return closed - base
