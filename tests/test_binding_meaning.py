"""Parameters keep a query's meaning: a value given for ``?v`` gives the rows of the same query
with ``VALUES ?v { value }`` opening each of its groups (and each sub-SELECT that projects
``?v``), on both stores, for generated queries (triple patterns with ``?v`` as subject,
predicate or object, OPTIONAL, UNION, nested groups, sub-SELECTs, FILTER with BOUND) and
values (IRIs, plain, tagged and typed literals, text holding backslash-u escapes). The
reference is Oxigraph's answer to the VALUES form; each store's answer to the bound query must
equal it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.term import Node

from metrograph.cli import main
from metrograph.graph import KnowledgeGraph
from metrograph.sparql.binding import render_term

from .tally import count

DATA = r"""@prefix ex: <http://x/> .
ex:a ex:p "x" , ex:b ; ex:q "y"@en .
ex:b ex:p "y" ; ex:q ex:a .
ex:c ex:q "x" ; ex:r 1 .
ex:d ex:p "a\\u0022 b" , "a\" b" .
"""
X = "http://x/"
VALUES: list[Node] = [URIRef(X + "a"), URIRef(X + "b"), URIRef(X + "p"), Literal("x"),
                      Literal("y", lang="en"), Literal(1), Literal("a\\u0022 b"),
                      Literal('a" b'), Literal("zzz")]
SUBJECTS = ["?s", "?v", "<http://x/a>", "?o"]
PREDICATES = ["<http://x/p>", "<http://x/q>", "?v"]
OBJECTS = ["?o", "?v", '"x"', "<http://x/b>", "?s"]
PRIVATE = "SELECT ?s WHERE"  # a sub-SELECT with variables of its own
FILTERS = ["BOUND(?v)", "!BOUND(?v)", '!BOUND(?v) || ?v = "x"', "?v = ?o", "isIRI(?v)",
           "sameTerm(?v, <http://x/a>)", "!BOUND(?o) || BOUND( ?v )"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KnowledgeGraph]:
    path = tmp_path_factory.mktemp("binding") / "data.ttl"
    path.write_text(DATA, encoding="utf-8")
    out = {}
    for name in ("memory", "oxigraph"):
        kg = KnowledgeGraph(name)
        kg.load_file(path)
        out[name] = kg
    return out


# a group is rendered twice: with the value bound, and with VALUES opening it ({V})
@st.composite
def group(draw: st.DrawFn, depth: int = 0) -> str:
    # every group holds a triple pattern: rdflib 7.6 loses rows on a UNION branch opening with
    # a group of filters only (SELECT ?s WHERE { ?s <p> ?o { <a> <p> <b> } UNION { OPTIONAL {
    # FILTER(true) } <a> <p> <b> } } gives 3 rows, Oxigraph 6), with or without parameters
    parts = [f"{draw(st.sampled_from(SUBJECTS))} {draw(st.sampled_from(PREDICATES))} "
             f"{draw(st.sampled_from(OBJECTS))} ."]
    for _ in range(draw(st.integers(0, 2))):
        # UNION at the top only: rdflib 7.6 loses rows in nested UNIONs of constant patterns
        kinds = (["triple", "filter"] + (["optional", "nested", "sub", "private"]
                                         if depth < 2 else []) + (["union"] if depth == 0 else []))
        kind = draw(st.sampled_from(kinds))
        if kind == "triple":
            parts.append(f"{draw(st.sampled_from(SUBJECTS))} {draw(st.sampled_from(PREDICATES))} "
                         f"{draw(st.sampled_from(OBJECTS))} .")
        elif kind == "filter":
            parts.append(f"FILTER({draw(st.sampled_from(FILTERS))})")
        elif kind == "optional":
            parts.append(f"OPTIONAL {draw(group(depth + 1))}")
        elif kind == "union":
            parts.append(f"{draw(group(depth + 1))} UNION {draw(group(depth + 1))}")
        elif kind == "nested":
            parts.append(draw(group(depth + 1)))
        elif kind == "sub":  # projects ?v: the value reaches inside
            parts.append(f"{{ SELECT ?s ?o ?v WHERE {draw(group(depth + 1))} }}")
        else:  # a sub-SELECT whose own ?v is not the query's
            inner = draw(group(depth + 1)).replace("{V}", "")
            parts.append(f"{{ {PRIVATE} {inner} }}")
    return "{ {V} " + " ".join(parts) + " }"


def rows(kg: KnowledgeGraph, text: str, bindings: dict[str, Node] | None) -> list[str]:
    """The answer's rows, sorted, leaving out rows with every column unbound: rdflib 7.6 drops
    them (``SELECT ?x WHERE { <a> <p> ?o }`` gives no row, Oxigraph one empty row), an engine
    difference that has nothing to do with binding."""
    result = kg.store.select(text, bindings)
    return sorted(repr(tuple(r)) for r in result.rows if any(v is not None for v in r))


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(where=group(), head=st.sampled_from(["SELECT ?s ?o ?v", "SELECT ?s ?o",
                                            "SELECT DISTINCT ?v ?s"]),
       value=st.sampled_from(VALUES))
def test_a_bound_query_gives_the_rows_of_the_query_with_values(
        stores: dict[str, KnowledgeGraph], where: str, head: str, value: Node) -> None:
    bound_text = f"{head} WHERE {where.replace('{V}', '')}"
    values_text = f"{head} WHERE {where.replace('{V}', f'VALUES ?v {{ {render_term(value)} }}')}"
    # the reference: Oxigraph's answer to the VALUES form (rdflib 7.6 answers that form
    # wrongly when VALUES opens both a group and the UNION branches inside it: with
    # { VALUES ?v {<a>} { VALUES ?v {<a>} P } UNION { VALUES ?v {<a>} P } } it returns the
    # rows of one branch only)
    reference = rows(stores["oxigraph"], values_text, None)
    assert rows(stores["oxigraph"], bound_text, {"v": value}) == reference, bound_text
    # rdflib 7.6 answers some queries wrongly with or without parameters (a sub-SELECT's own
    # variables joined with the outer ones: SELECT ?s ?o WHERE { ?s <p> ?o . { SELECT ?s
    # WHERE { ?s <p> ?o } } } gives 3 rows, Oxigraph 5; nested UNIONs): where its answer to
    # the query without a value already differs from Oxigraph's, the engine is at fault and
    # the binding is compared on Oxigraph only. A filter on ?v can hide that fault without a
    # value (FILTER(BOUND(?v)) leaves no row on either store), so the query without its
    # filters is compared too.
    unfiltered = re.sub(r"FILTER\((?:[^()]|\([^()]*\))*\)", "", bound_text)
    if any(rows(stores["memory"], text, None) != rows(stores["oxigraph"], text, None)
           for text in (bound_text, unfiltered)):
        count("generated queries rdflib answers unlike Oxigraph, without any parameter")
    else:
        assert rows(stores["memory"], bound_text, {"v": value}) == reference, (bound_text, value)
    count("bound queries compared with their VALUES form (both stores)", 2)


def test_bound_in_a_filter_with_a_value(stores: dict[str, KnowledgeGraph],
                                        tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # the example: a --file query testing !BOUND(?p), run with --param p=...
    query = tmp_path / "optional-filter.rq"
    query.write_text("# Question: which subjects have p, or no p at all?\n# Parameters:\n"
                     "#   p (string, optional): the value of p\n# Row: a subject\n"
                     "SELECT DISTINCT ?s WHERE { ?s ?any ?x "
                     'FILTER(STRSTARTS(STR(?s), "http://x/")) '
                     "OPTIONAL { ?s <http://x/p> ?p } "
                     'FILTER(!BOUND(?p) || ?p = "y") } ORDER BY ?s\n', encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text(DATA, encoding="utf-8")
    for store in ("memory", "oxigraph"):
        for param, expected in (([], "bc"), (["--param", "p=y"], "abcd")):
            code = main(["query", "--store", store, "--no-bundled-data", "--data", str(data),
                         "--file", str(query), "--format", "csv", *param])
            out, err = capsys.readouterr()
            assert code == 0, err
            # with the value: ?p is "y" wherever it is in scope (the VALUES form's answer)
            assert out.split() == ["s", *(X + c for c in expected)], (store, param, out)
    count("bound queries compared with their VALUES form (both stores)", 4)


@pytest.mark.parametrize("text", ["a\\u0022 b", "\\U0001F600", "\\\\u0041", "\x01ABCD1234",
                                  'a" b', "u\\"])
def test_a_value_reads_the_same_in_both_stores(stores: dict[str, KnowledgeGraph],
                                                text: str) -> None:
    query = "SELECT ?v ?len WHERE { BIND(STRLEN(?v) AS ?len) }"
    seen = {name: kg.store.select(query, {"v": Literal(text)}).rows
            for name, kg in stores.items()}
    assert seen["memory"] == seen["oxigraph"] == [(Literal(text), Literal(len(text)))]
    count("escape sequences in parameter values (both stores)")
