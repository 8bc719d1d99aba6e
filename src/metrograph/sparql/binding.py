"""SPARQL text: a small tokenizer and the substitution of parameter values into a query's text.

What a value given for ``?var`` means: the query is evaluated with ``?var`` fixed to that
value wherever the variable is in scope (SEP-0007's "substitute", as EXISTS does in SPARQL
1.1): every pattern that would bind ``?var`` only matches the value, every expression sees the
value, and the variable stays in the answer. On the queries the property tests generate
(triple patterns, OPTIONAL, UNION, nested groups, FILTER with BOUND), this gives the rows of
the same query with ``VALUES ?var { value }`` opening each of its groups, on both stores.

One binding mechanism for every store (rdflib's ``initBindings`` stop at a sub-SELECT's
projection, and engines' own substitutions differ): the value is written into the query in
N-Triples syntax. :func:`tokenize` splits the text so that strings, IRIs and comments are
single tokens (nothing inside them is ever taken for a variable or a keyword);
:func:`render_term` checks and escapes a value so that it can never change the query's
structure, and reads the same in rdflib (which decodes ``\\u`` escapes before parsing) and in
Oxigraph (which does not); :func:`substitute` rewrites the text. Where SPARQL allows only a
variable, the variable is kept and its meaning written out:

- in the SELECT projection, a bare ``?var`` becomes ``(TERM AS ?var)`` (in a sub-SELECT it is
  dropped: every use inside is substituted already);
- ``BOUND(?var)`` becomes ``true``;
- in GROUP BY it is dropped (grouping by a constant changes nothing; it becomes
  ``(TERM AS ?_group_N)`` when it was the only key); in ORDER BY it is dropped;
- as a predicate or a GRAPH name, where SPARQL needs an IRI, a literal value can match
  nothing: the variable is renamed there and its group gets ``FILTER(!true)`` (rdflib 7.6
  keeps every row under a bare ``FILTER(false)``);
- a sub-SELECT that does not project ``?var`` has a variable of its own by that name
  (SPARQL's scoping): it is left alone;
- ``AS ?var`` and ``VALUES ?var`` would assign the variable a second time: refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node, Variable

from metrograph.errors import QueryError

__all__ = ["Substitution", "Token", "analyse", "iri_text", "projection", "query_form",
           "render_term", "substitute", "tokenize"]


@dataclass(frozen=True)
class Token:
    kind: str  # ws, comment, string, iri, var, word, punct
    text: str


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<comment>\#[^\n\r]*)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"
               |'(?:[^'\\\n\r]|\\.)*')
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<var>[?$][0-9A-Za-z_\u00B7\u00C0-\uFFFF]+)
    |(?P<word>[0-9A-Za-z_\u00C0-\uFFFF][0-9A-Za-z_\u00B7\u00C0-\uFFFF:.\-%\\]*)
    |(?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[Token]:
    """Split SPARQL ``text`` into tokens; joining their texts gives ``text`` back. Strings
    (``'…'``, ``"…"``, ``'''…'''``, ``\"\"\"…\"\"\"``), IRIs and comments are single tokens, so
    nothing inside them is ever taken for a variable or a keyword."""
    return [Token(m.lastgroup or "punct", m.group()) for m in _TOKEN.finditer(text)]


_IRI_OK = re.compile(r"[^<>\"{}|^`\\\x00-\x20]*\Z")
_LANG_OK = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}


def _quote(text: str) -> str:
    """``text`` as an N-Triples / SPARQL string literal (ECHAR escapes, ``\\u`` for controls)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("a literal holds characters that are not valid Unicode") from None
    # rdflib expands \uXXXX and \uXXXXXXXX anywhere in a query before parsing it, Oxigraph
    # only as escapes inside a string: after an escaped backslash, a plain "u" would read
    # differently in the two, and so would hex digits after a \u escape. Both are written as
    # \u escapes themselves, which both engines read as the same characters.
    parts = []
    uchar = False  # the last thing written was a \u escape
    for i, c in enumerate(text):
        after_u = (uchar and c in _HEX) or (c in "uU" and i > 0 and text[i - 1] == "\\")
        if after_u or (ord(c) < 0x20 and c not in _ESCAPES) or c == "\x7f":
            parts.append(f"\\u{ord(c):04X}")
            uchar = True
        else:
            parts.append(_ESCAPES.get(c, c))
            uchar = False
    return '"' + "".join(parts) + '"'


def iri_text(iri: str, what: str = "IRI") -> str:
    if not _IRI_OK.match(iri) or not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", iri):
        shown = iri if len(iri) <= 80 else iri[:77] + "..."
        raise QueryError(f"not a valid absolute {what}: {shown!r} (no spaces or <>\"{{}}|^`\\)")
    return f"<{iri}>"


def render_term(term: Node, bnode_label: Callable[[BNode], str] | None = None) -> str:
    """``term`` in N-Triples syntax, after checking it cannot change a query's structure: IRIs
    must be absolute and hold none of ``<>"{}|^`\\`` or spaces, language tags must have BCP 47's
    shape, and a literal's text is escaped here. Blank nodes need ``bnode_label`` (they cannot
    be query values)."""
    if isinstance(term, URIRef):
        return iri_text(str(term))
    if isinstance(term, Literal):
        lexical = _quote(str(term))
        if [t.kind for t in tokenize(lexical)] != ["string"]:  # pragma: no cover - defence
            raise QueryError("a literal could not be escaped safely")
        if term.language:
            if not _LANG_OK.match(term.language):
                raise QueryError(f"not a valid language tag: {term.language[:40]!r}")
            return f"{lexical}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{lexical}^^{iri_text(str(term.datatype), 'datatype IRI')}"
        return lexical
    if isinstance(term, BNode) and bnode_label is not None:
        return bnode_label(term)
    raise QueryError(f"cannot send {type(term).__name__} {str(term)[:40]!r} as a value to a "
                     "SPARQL endpoint (only IRIs and literals)")


_CLAUSE_ENDS = {"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"}


@dataclass
class Substitution:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE (or "" if not found)
    star: bool  # the top-level SELECT is SELECT *
    limit: int | None  # the top-level LIMIT


def query_form(query: str) -> str:
    """The form of ``query``: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (``""`` when
    none of these words starts it)."""
    return analyse(tokenize(query), {}).form


def substitute(query: str, bindings: Mapping[str, Node] | None) -> str:
    """``query`` with each bound variable replaced by its value (SEP-0007 style; see the module's
    docstring). Raises :class:`QueryError` for a value that is not an IRI or a literal, or for a
    variable the query itself assigns (``AS ?var``, ``VALUES ?var``)."""
    terms = {str(Variable(k)): render_term(v) for k, v in (bindings or {}).items()}
    return analyse(tokenize(query), terms).text


def _projected(tokens: list[Token], sig: list[int], pos: int) -> list[str] | None:
    """The variables the ``SELECT`` at ``sig[pos]`` projects, in order (``?x`` and
    ``(... AS ?x)``); None for ``SELECT *``."""
    names: list[str] = []
    paren = 0
    for k in range(pos + 1, len(sig)):
        t = tokens[sig[k]]
        if paren == 0 and (t.text == "{" or t.text.upper() in ("WHERE", "FROM")):
            break
        if t.text == "(":
            paren += 1
        elif t.text == ")":
            paren -= 1
        elif t.text == "*" and paren == 0:
            return None
        elif t.kind == "var" and (paren == 0 or tokens[sig[k - 1]].text.upper() == "AS"):
            names.append(t.text[1:])
    return names


def projection(query: str) -> list[str] | None:
    """The variables projected by the top-level ``SELECT`` of ``query``, in order (``?x`` and
    ``(... AS ?x)``); None for ``SELECT *``, an empty list or no ``SELECT`` (read from its
    tokens: comments, strings and IRIs cannot mislead it)."""
    tokens = tokenize(query)
    sig = [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment")]
    for pos, _i, tok, brace in _nesting(tokens, sig):
        if tok.kind == "word" and tok.text.upper() == "SELECT" and brace == 0:
            return _projected(tokens, sig, pos) or None
    return None


def _nesting(tokens: list[Token], sig: list[int]) -> Iterator[tuple[int, int, Token, int]]:
    """Each significant token (its position in ``sig``, its index, itself) with the brace
    depth after it."""
    brace = 0
    for pos, i in enumerate(sig):
        tok = tokens[i]
        brace += (tok.text == "{") - (tok.text == "}")
        yield pos, i, tok, brace


def _private(tokens: list[Token], sig: list[int], names: Collection[str]) -> set[int]:
    """The token indices of variables in ``names`` that belong to a sub-SELECT not projecting
    them: SPARQL scopes such a variable to the sub-SELECT, so a value given to the query's
    variable of that name does not reach it."""
    hidden: set[int] = set()
    if not names:
        return hidden
    frames: list[tuple[int, set[str] | None]] = []  # (brace depth, projected; None for *)
    for pos, i, tok, brace in _nesting(tokens, sig):
        if tok.text == "{":
            continue
        if tok.text == "}":
            while frames and frames[-1][0] > brace:
                frames.pop()
        elif tok.kind == "word" and tok.text.upper() == "SELECT" and brace > 0:
            listed = _projected(tokens, sig, pos)
            frames.append((brace, None if listed is None else set(listed)))
        elif tok.kind == "var" and tok.text[1:] in names and any(
                p is not None and tok.text[1:] not in p for _d, p in frames):
            hidden.add(i)
    return hidden


_TRIPLE_START = {"{", ".", "}", ")"}


def _iri_only(tokens: list[Token], sig: list[int], pos: int) -> bool:
    """Whether the variable at ``sig[pos]`` stands where SPARQL allows only an IRI (or a
    variable): a predicate, a GRAPH or SERVICE name."""
    if pos == 0:
        return False
    prev = tokens[sig[pos - 1]]
    if prev.text.upper() in ("GRAPH", "SERVICE") or prev.text in (";", "["):
        return True
    subject = prev.kind in ("var", "iri", "string", "word") or prev.text == "]"
    return subject and pos >= 2 and tokens[sig[pos - 2]].text in _TRIPLE_START


def analyse(tokens: list[Token], terms: Mapping[str, str]) -> Substitution:
    out = [t.text for t in tokens]
    sig = [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment")]
    hidden = _private(tokens, sig, [k[1:] if k[:1] in "?$" else k for k in terms])
    emptied: set[int] = set()  # brace depths of groups that can match nothing
    form = ""
    star = False
    limit: int | None = None
    brace = 0
    paren = 0
    mode = "normal"  # normal, projection, group, order, values
    top_projection = False
    removed_first = -1  # the first projected variable dropped from a sub-SELECT
    kept_count = 0  # items left in the projection, GROUP BY or ORDER BY being read
    clause_brace = 0
    clause_start: list[int] = []
    group_removed = ""  # a substituted GROUP BY key, dropped: "index term" of the first one
    fresh = 0

    def upper(i: int) -> str:
        return tokens[i].text.upper() if tokens[i].kind == "word" else ""

    def end_projection() -> None:
        nonlocal mode, fresh
        if not top_projection and kept_count == 0 and removed_first >= 0:
            # every projected variable was substituted: keep the sub-SELECT valid
            name = tokens[removed_first].text[1:]
            fresh += 1
            out[removed_first] = f"({terms[name]} AS ?_{name}_{fresh})"
        mode = "normal"

    def end_order() -> None:
        nonlocal mode, group_removed, fresh
        if mode == "order" and kept_count == 0:
            for j in clause_start:
                out[j] = ""
        if mode == "group" and kept_count == 0 and group_removed:
            # every key was substituted: group by the constant (one group, none without rows),
            # named, as rdflib cannot evaluate an unnamed one
            index, term = group_removed.split(" ", 1)
            fresh += 1
            out[int(index)] = f"({term} AS ?_group_{fresh})"
        group_removed = ""
        mode = "normal"

    for pos, i in enumerate(sig):
        tok = tokens[i]
        word = upper(i)
        if mode == "projection" and paren == 0 and (word in ("WHERE", "FROM") or tok.text == "{"):
            end_projection()
        if mode in ("group", "order") and paren == 0 and (
                word in _CLAUSE_ENDS or (tok.text == "}" and brace == clause_brace)):
            end_order()
        if tok.kind == "punct":
            if tok.text == "{":
                brace += 1
                if mode == "values":
                    mode = "normal"
            elif tok.text == "}":
                if brace in emptied:
                    # a literal where an IRI must stand: the group matches nothing
                    emptied.discard(brace)
                    out[i] = "FILTER(!true) }"
                brace -= 1
            elif tok.text == "(":
                paren += 1
                if mode in ("projection", "group", "order") and paren == 1:
                    kept_count += 1
            elif tok.text == ")":
                paren -= 1
            elif tok.text == "*" and mode == "projection" and paren == 0:
                kept_count += 1
                if top_projection:
                    star = True
            continue
        if tok.kind == "word":
            if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") and not form and brace == 0:
                form = word
            if word == "SELECT":
                mode, paren = "projection", 0
                top_projection = brace == 0
                kept_count, removed_first = 0, -1
            elif word == "BY" and pos > 0 and upper(sig[pos - 1]) in ("GROUP", "ORDER"):
                mode = "group" if upper(sig[pos - 1]) == "GROUP" else "order"
                clause_brace, clause_start, kept_count = brace, [sig[pos - 1], i], 0
            elif word == "VALUES":
                mode = "values"
            elif word == "LIMIT" and brace == 0 and pos + 1 < len(sig):
                nxt = tokens[sig[pos + 1]].text
                if nxt.isdigit():
                    limit = int(nxt)
            elif mode in ("group", "order") and paren == 0 and word not in ("GROUP", "ORDER"):
                kept_count += 1
            continue
        if tok.kind != "var":
            continue
        name = tok.text[1:]
        if name not in terms or i in hidden:
            if mode in ("projection", "group", "order") and paren == 0:
                kept_count += 1
            continue
        if pos > 0 and upper(sig[pos - 1]) == "AS":
            raise QueryError(f"cannot give ?{name} a value: the query assigns it with AS")
        if mode == "values":
            raise QueryError(f"cannot give ?{name} a value: the query sets it with VALUES")
        term = terms[name]
        if mode == "projection" and paren == 0:
            if top_projection:
                out[i] = f"({term} AS ?{name})"
                kept_count += 1
            else:
                out[i] = ""
                if removed_first < 0:
                    removed_first = i
        elif mode == "group" and paren == 0:
            # a constant key does not change the groups (and rdflib cannot evaluate one)
            out[i] = ""
            group_removed = group_removed or f"{i} {term}"
        elif mode == "order" and paren == 0:
            out[i] = ""
        elif (2 <= pos < len(sig) - 1 and upper(sig[pos - 2]) == "BOUND"
              and tokens[sig[pos - 1]].text == "(" and tokens[sig[pos + 1]].text == ")"):
            # BOUND takes a variable only; a variable with a value is bound
            out[sig[pos - 2]], out[sig[pos - 1]], out[i], out[sig[pos + 1]] = "true", "", "", ""
        elif not term.startswith("<") and brace > 0 and _iri_only(tokens, sig, pos):
            # a literal cannot be a predicate or a graph name: nothing matches here
            fresh += 1
            out[i] = f"?_{name}_unmatched_{fresh}"
            emptied.add(brace)
        else:
            out[i] = term
    if mode == "projection":
        end_projection()
    if mode in ("group", "order"):
        end_order()
    return Substitution("".join(out), form, star, limit)
