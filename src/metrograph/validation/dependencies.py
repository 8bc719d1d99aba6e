"""What a compiled constraint reads: its SPARQL analysed into triple patterns, to find the focus
nodes that added triples can affect (:mod:`metrograph.validation.incremental`).

A constraint's query (the target sub-query, then the constraint) is read into *atoms*: triple
patterns whose predicate is one IRI step (``p``, ``p+``, ``p*``, ``p?``; inverse steps turned
around, sequence paths split with fresh variables) or a variable, each in a *group* (``{ }``,
``OPTIONAL``, ``(NOT) EXISTS``, ``MINUS``, a ``UNION`` branch, a sub-``SELECT``, whose
unprojected variables are renamed apart), with the group's ``FILTER`` and ``BIND`` as text.

Why added triples only change the results of focus nodes they reach: data is only added, so a
result appears or disappears because some evaluation of the query (or of an ``OPTIONAL``/
``EXISTS``/``MINUS`` group, or of an aggregate's group) now has a solution using an added
triple ``t`` at some atom ``a``. Every atom holding in that solution holds in the new data:
``a``'s group, and the mandatory part (atoms, plain groups, plain sub-queries) of it and of
every group around it, up to ``$this``. :meth:`Dependencies.chain` picks the shortest chain of
those atoms (and ``BIND``s) from ``a``'s variables to ``$this``: evaluated with ``a``'s
variables bound to the added triples matching it (and the group's filters on them alone), it
gives every focus node whose results may change, maybe a few more (sound, not always tight).

Not analysed (:class:`~metrograph.errors.UnsupportedShapeError`; the constraint is then run on
every focus node): paths with alternatives or negated sets, ``GRAPH``, ``SERVICE``, blank-node
property lists and collections, ``LIMIT``/``OFFSET``, an ``EXISTS`` group or an aggregate that
reaches ``$this`` through nothing it holds.

The tokenizer and grammar are ours: rdflib's SPARQL algebra cannot be written back as text
faithfully (``translateAlgebra`` rewrites expressions), and the chain queries carry the
constraint's own ``FILTER`` and ``BIND`` expressions, as written, to the store.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from metrograph.errors import UnsupportedShapeError

__all__ = ["Atom", "Bind", "Dependencies", "analyse", "term_text"]

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<pname>(?:[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)?:
              (?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\^\^|&&|\|\||!=|<=|>=)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    """Every token of ``text``, white space and comments included (kind ``"ws"``)."""
    return [_Tok(m.lastgroup or "punct", m.group(0), m.start(), m.end())
            for m in _TOKEN.finditer(text)]


Term = tuple[str, str]  # ("var", name) or ("const", N-Triples-like text)


def term_text(t: Term) -> str:
    """A term as SPARQL text."""
    return "?" + t[1] if t[0] == "var" else t[1]


@dataclass(frozen=True)
class Atom:
    """One triple pattern: ``s`` ``pred`` (an IRI, or a variable when ``mod`` is ``"var"``)
    ``o``, with ``mod`` the step's repetition (``""``, ``"+"``, ``"*"``, ``"?"``)."""

    s: Term
    pred: str
    mod: str
    o: Term
    group: int

    def variables(self) -> set[str]:
        names = {t[1] for t in (self.s, self.o) if t[0] == "var"}
        if self.mod == "var":
            names.add(self.pred)
        return names

    def text(self) -> str:
        pred = "?" + self.pred if self.mod == "var" else self.pred + self.mod
        return f"{term_text(self.s)} {pred} {term_text(self.o)} ."


@dataclass(frozen=True)
class Bind:
    """``BIND (expr AS ?var)``: the expression's text (variables renamed apart) and its
    variables."""

    var: str
    expr: str
    inputs: frozenset[str]
    group: int


@dataclass
class _Group:
    kind: str  # root, and, optional, exists, minus, union, subselect, aggregate
    parent: int | None
    filters: list[tuple[str, frozenset[str]]] = field(default_factory=list)


@dataclass
class Dependencies:
    """A query's atoms, binds and groups, its prologue, and where a ``VALUES ?this`` block may
    be put (after the ``{`` of every ``SELECT`` that projects ``?this``)."""

    atoms: list[Atom]
    binds: list[Bind]
    groups: list[_Group]
    prologue: str
    this_slots: list[int]

    def guaranteed(self, group: int) -> set[int]:
        """The groups whose atoms hold in any solution that uses an atom of ``group``: it, its
        ancestors, and their mandatory sub-groups (plain groups and plain sub-queries)."""
        children: dict[int, list[int]] = {}
        for i, grp in enumerate(self.groups):
            if grp.parent is not None:
                children.setdefault(grp.parent, []).append(i)
        out: set[int] = set()
        node: int | None = group
        while node is not None:
            todo = [node]
            while todo:
                index = todo.pop()
                if index in out:
                    continue
                out.add(index)
                todo += [c for c in children.get(index, []) if self.groups[c].kind in (
                    "and", "subselect")]
            node = self.groups[node].parent
        return out

    def local_filters(self, atom: Atom) -> list[str]:
        """The filters of ``atom``'s group that read only ``atom``'s variables."""
        names = atom.variables()
        return [text for text, used in self.groups[atom.group].filters if used and used <= names]

    def neighbours(self, atom: Atom) -> list[Atom]:
        """The atoms that hold with ``atom`` and share a variable with it (they narrow the
        seeds: a new ``rdf:type`` triple reaches a class target only with its class)."""
        allowed = self.guaranteed(atom.group)
        names = atom.variables()
        out: list[Atom] = []
        for _hop in range(2):  # two hops: a pattern on $this, then its class
            more = [a for a in self.atoms if a is not atom and a not in out
                    and a.group in allowed and a.variables() & names]
            out += more
            names = names.union(*(a.variables() for a in more))
        return out

    def chain(self, atom: Atom) -> tuple[list[Atom], list[Bind]] | None:
        """The shortest chain of atoms and binds that hold with ``atom`` and link its
        variables to ``this``; None when there is none."""
        if "this" in atom.variables():
            return [], []
        allowed = self.guaranteed(atom.group)
        atoms = [a for a in self.atoms if a.group in allowed and a is not atom]
        binds = [b for b in self.binds if b.group in allowed]
        items: list[Atom | Bind] = [*atoms, *binds]

        def names(item: Atom | Bind) -> set[str]:
            return item.variables() if isinstance(item, Atom) else {item.var, *item.inputs}

        start = atom.variables()
        came: dict[str, tuple[str, int] | None] = {v: None for v in start}
        queue = deque(start)
        while queue:
            v = queue.popleft()
            if v == "this":
                break
            for index, item in enumerate(items):
                if v in names(item):
                    for w in names(item):
                        if w not in came:
                            came[w] = (v, index)
                            queue.append(w)
        if "this" not in came:
            return None
        used: list[int] = []
        v = "this"
        while came[v] is not None:
            prev, index = came[v]  # type: ignore[misc]
            if index not in used:
                used.append(index)
            v = prev
        chosen = [items[i] for i in used]
        # a BIND needs its inputs bound: add, for each one missing, an atom that binds it
        bound = set(start) | {n for i in chosen if isinstance(i, Atom) for n in i.variables()}
        for item in list(chosen):
            if isinstance(item, Bind):
                for name in item.inputs - bound:
                    binder = next((a for a in atoms if name in a.variables()), None)
                    if binder is None:
                        return None
                    chosen.append(binder)
                    bound |= binder.variables()
        return ([i for i in chosen if isinstance(i, Atom)],
                [i for i in chosen if isinstance(i, Bind)])

    def optional_apart(self) -> bool:
        """True when an ``OPTIONAL`` group reads nothing of ``$this`` directly (it joins on
        another variable: the plan whose deliverables are counted, an assessment's date)."""
        def inside(group: int | None, index: int) -> bool:
            while group is not None:
                if group == index:
                    return True
                group = self.groups[group].parent
            return False

        for index, group in enumerate(self.groups):
            if group.kind == "optional":
                names = {n for a in self.atoms if inside(a.group, index)
                         for n in a.variables()}
                if "this" not in names:
                    return True
        return False

    def restricted(self, query: str, values: str) -> str:
        """``query`` with ``values`` (a ``VALUES ?this { ... }`` block) at the start of every
        ``SELECT`` that projects ``?this``."""
        out = query
        for slot in sorted(self.this_slots, reverse=True):
            out = out[:slot] + " " + values + " " + out[slot:]
        return out


# ---------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = [t for t in _tokens(text) if t.kind != "ws"]
        self.i = 0
        self.prefixes: dict[str, str] = {}
        self.atoms: list[Atom] = []
        self.binds: list[Bind] = []
        self.groups: list[_Group] = []
        self.this_slots: list[int] = []
        self.fresh = 0
        self.scopes = 0
        #: per enclosing SELECT, whether its ?this is the query's $this
        self.visible: list[bool] = []

    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def is_word(self, word: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "word" and tok.text.upper() == word

    def is_kind(self, kind: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind

    def is_punct(self, ch: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind in ("punct", "op") and tok.text == ch

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise UnsupportedShapeError("the query ends too early")
        self.i += 1
        return tok

    def expect(self, ch: str) -> _Tok:
        tok = self.take()
        if tok.text != ch:
            raise UnsupportedShapeError(f"expected {ch!r}, found {tok.text!r}")
        return tok

    def iri(self, tok: _Tok) -> str:
        if tok.kind == "iri":
            return tok.text
        prefix, _, local = tok.text.partition(":")
        if prefix not in self.prefixes:
            raise UnsupportedShapeError(f"unknown prefix {prefix}:")
        return f"<{self.prefixes[prefix][1:-1]}{local}>"

    def query(self) -> Dependencies:
        while self.is_word("PREFIX") or self.is_word("BASE"):
            if self.is_word("BASE"):
                raise UnsupportedShapeError("BASE")
            self.take()
            name = self.take()
            iri = self.take()
            self.prefixes[name.text[:-1]] = iri.text
        first = self.peek()
        prologue_end = first.start if first is not None else len(self.text)
        if not self.is_word("SELECT"):
            raise UnsupportedShapeError("not a SELECT query")
        self.groups.append(_Group("root", None))
        self.select(0, top=True)
        if self.peek() is not None:
            raise UnsupportedShapeError(f"text after the query: {self.peek().text!r}")  # type: ignore[union-attr]
        return Dependencies(self.atoms, self.binds, self.groups, self.text[:prologue_end],
                            self.this_slots)

    def select(self, group: int, top: bool = False) -> None:
        """``SELECT ... WHERE { ... } modifiers``; its WHERE group is ``group``."""
        self.take()  # SELECT
        projected: set[str] = set()
        star = False
        aggregate = False
        while not (self.is_word("WHERE") or self.is_punct("{")):
            tok = self.take()
            if tok.kind == "var":
                projected.add(tok.text[1:])
            elif tok.text == "*":
                star = True
            elif tok.text == "(":
                depth = 1
                while depth:
                    t = self.take()
                    depth += {"(": 1, ")": -1}.get(t.text, 0) if t.kind == "punct" else 0
                    if t.kind == "word" and t.text.upper() in (
                            "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"):
                        aggregate = True
                    if t.kind == "word" and t.text.upper() == "AS":
                        projected.add(self.peek().text[1:])  # type: ignore[union-attr]
        if self.is_word("WHERE"):
            self.take()
        brace = self.expect("{")
        visible = (top or self.visible[-1]) and (star or "this" in projected)
        if visible:
            self.this_slots.append(brace.end)
        first_atom, first_bind, first_group = len(self.atoms), len(self.binds), len(self.groups)
        self.visible.append(visible)
        self.group_body(group)
        self.visible.pop()
        while self.peek() is not None and not self.is_punct("}"):
            tok = self.take()
            word = tok.text.upper() if tok.kind == "word" else ""
            if word in ("LIMIT", "OFFSET"):
                raise UnsupportedShapeError(word)
            if word in ("GROUP", "HAVING"):
                aggregate = True
            if word == "VALUES":
                raise UnsupportedShapeError("VALUES after a query")
        if aggregate and not top:
            self.groups[group].kind = "aggregate"
        if not top and not star:
            self.scopes += 1
            self.rename(first_atom, first_bind, first_group, projected, f"__s{self.scopes}")

    def rename(self, first_atom: int, first_bind: int, first_group: int, keep: set[str],
               suffix: str) -> None:
        def r(name: str) -> str:
            return name if name in keep else name + suffix

        def term(t: Term) -> Term:
            return ("var", r(t[1])) if t[0] == "var" else t

        for i in range(first_atom, len(self.atoms)):
            a = self.atoms[i]
            self.atoms[i] = Atom(term(a.s), r(a.pred) if a.mod == "var" else a.pred, a.mod,
                                 term(a.o), a.group)
        for i in range(first_bind, len(self.binds)):
            b = self.binds[i]
            self.binds[i] = Bind(r(b.var), _rename_text(b.expr, r),
                                 frozenset(r(n) for n in b.inputs), b.group)
        for g in self.groups[first_group - 1:]:
            g.filters = [(_rename_text(text, r), frozenset(r(n) for n in used))
                         for text, used in g.filters]

    def new_group(self, kind: str, parent: int) -> int:
        self.groups.append(_Group(kind, parent))
        return len(self.groups) - 1

    def nested(self, kind: str, parent: int) -> None:
        """A ``{ }`` group of ``kind`` in ``parent`` (the keyword before it already read)."""
        self.expect("{")
        self.group_body(self.new_group(kind, parent))

    def group_body(self, group: int) -> None:
        """The inside of a ``{ }`` (the ``{`` already read), up to and including its ``}``."""
        while True:
            tok = self.peek()
            if tok is None:
                raise UnsupportedShapeError("unbalanced braces")
            if tok.text == "}" and tok.kind == "punct":
                self.take()
                return
            if tok.text == "." and tok.kind == "punct":
                self.take()
                continue
            word = tok.text.upper() if tok.kind == "word" and tok.text != "a" else ""
            if tok.kind == "punct" and tok.text == "{":
                self.braced(group)
            elif word in ("OPTIONAL", "MINUS"):
                self.take()
                self.nested(word.lower(), group)
            elif word == "FILTER":
                self.take()
                self.filter(group)
            elif word == "BIND":
                self.take()
                self.bind(group)
            elif word == "VALUES":
                self.values()
            elif word in ("GRAPH", "SERVICE"):
                raise UnsupportedShapeError(word)
            elif word:
                raise UnsupportedShapeError(f"{word} in a pattern")
            else:
                self.triples(group)

    def braced(self, group: int) -> None:
        """``{ ... }`` (a plain group or a sub-SELECT), possibly the first of a UNION."""
        self.take()  # {
        if self.is_word("UNION", 0):
            raise UnsupportedShapeError("UNION")
        branches = [self.sub(group)]
        while self.is_word("UNION"):
            self.take()
            self.expect("{")
            branches.append(self.sub(group))
        if len(branches) > 1:
            for b in branches:
                if self.groups[b].kind in ("and", "subselect"):
                    self.groups[b].kind = "union"
                # an aggregate sub-query stays as it is: never guaranteed from outside

    def sub(self, parent: int) -> int:
        if self.is_word("SELECT"):
            g = self.new_group("subselect", parent)
            self.select(g)
            self.expect("}")
            return g
        g = self.new_group("and", parent)
        self.group_body(g)
        return g

    def values(self) -> None:
        self.take()
        while not self.is_punct("{"):
            self.take()
        self.take()
        depth = 1
        while depth:
            t = self.take()
            if t.kind == "punct":
                depth += {"{": 1, "}": -1}.get(t.text, 0)

    def expression(self, group: int) -> tuple[str, frozenset[str], bool]:
        """An expression up to its closing parenthesis (the opening one read); EXISTS groups
        in it are parsed as groups of ``group``. Returns its text, its variables (outside
        EXISTS) and whether it has an EXISTS."""
        start = self.peek().start  # type: ignore[union-attr]
        depth = 1
        used: set[str] = set()
        exists = False
        end = start
        while True:
            tok = self.take()
            if tok.kind == "punct" and tok.text == "(":
                depth += 1
            elif tok.kind == "punct" and tok.text == ")":
                depth -= 1
                if depth == 0:
                    return self.text[start:end], frozenset(used), exists
            elif tok.kind == "var":
                used.add(tok.text[1:])
            elif tok.kind == "word" and tok.text.upper() == "EXISTS":
                self.nested("exists", group)
                exists = True
            end = tok.end

    def filter(self, group: int) -> None:
        if self.is_word("NOT") and self.is_word("EXISTS", 1):
            self.take()  # NOT EXISTS: its group is followed as EXISTS's is
        if self.is_word("EXISTS"):
            self.take()
            self.nested("exists", group)
            return
        name = self.take().text if self.is_kind("word") else ""  # a function call: regex(...)
        self.expect("(")
        text, used, exists = self.expression(group)
        if not exists:
            self.groups[group].filters.append((f"{name}({text})", used))

    def bind(self, group: int) -> None:
        self.expect("(")
        text, _used, exists = self.expression(group)
        if exists:
            raise UnsupportedShapeError("EXISTS in BIND")
        bind = re.fullmatch(r"(.*)\bAS\s+[?$]([A-Za-z0-9_]+)", text, re.IGNORECASE | re.DOTALL)
        if bind is None:
            raise UnsupportedShapeError("BIND without AS")
        used = frozenset(t.text[1:] for t in _tokens(bind[1]) if t.kind == "var")
        self.binds.append(Bind(bind[2], bind[1], used, group))

    def term(self) -> Term:
        if self.is_punct("[") or self.is_punct("("):
            raise UnsupportedShapeError("blank node property lists and collections")
        tok = self.take()
        if tok.kind == "var":
            return ("var", tok.text[1:])
        if tok.kind in ("iri", "pname"):
            return ("const", self.iri(tok))
        if tok.kind == "number" or (tok.kind == "word" and tok.text in ("true", "false")):
            return ("const", tok.text)
        if tok.kind == "string":
            text = tok.text
            if self.is_kind("lang"):
                text += self.take().text
            elif self.is_punct("^^"):
                self.take()
                text += "^^" + self.iri(self.take())
            return ("const", text)
        raise UnsupportedShapeError(f"{tok.text!r} in a triple pattern")

    def path(self) -> list[tuple[str, bool, str]]:
        """A sequence path: (predicate IRI, inverse, modifier) per step."""
        steps = []
        while True:
            inverse = False
            if self.is_punct("^"):
                self.take()
                inverse = True
            tok = self.take()
            if tok.kind == "punct" and tok.text == "(":
                inner = self.path()
                self.expect(")")
                if len(inner) != 1:
                    raise UnsupportedShapeError("a grouped sequence path")
                pred, inv, mod = inner[0]
                if mod:
                    raise UnsupportedShapeError("a nested path modifier")
                inverse ^= inv
            elif tok.kind == "word" and tok.text == "a":
                pred, mod = _RDF_TYPE, ""
            elif tok.kind in ("iri", "pname"):
                pred, mod = self.iri(tok), ""
            else:
                raise UnsupportedShapeError(f"path element {tok.text!r}")
            nxt = self.peek()
            if nxt is not None and nxt.kind == "punct" and nxt.text in "+*?":
                mod = self.take().text
            steps.append((pred, inverse, mod))
            if self.is_punct("|") or self.is_punct("!"):
                raise UnsupportedShapeError("alternative or negated property paths")
            if not self.is_punct("/"):
                return steps
            self.take()

    def triples(self, group: int) -> None:
        subject = self.term()
        while True:
            if self.is_kind("var"):
                verb: list[tuple[str, bool, str]] | str = self.take().text[1:]
            else:
                verb = self.path()
            while True:
                obj = self.term()
                self.add(subject, verb, obj, group)
                if not self.is_punct(","):
                    break
                self.take()
            if not self.is_punct(";"):
                break
            while self.is_punct(";"):
                self.take()
            if self.is_punct(".") or self.is_punct("}"):
                break

    def add(self, s: Term, verb: list[tuple[str, bool, str]] | str, o: Term, group: int) -> None:
        if isinstance(verb, str):
            self.atoms.append(Atom(s, verb, "var", o, group))
            return
        terms: list[Term] = [s]
        for _ in verb[:-1]:
            self.fresh += 1
            terms.append(("var", f"_mgpath{self.fresh}"))
        terms.append(o)
        for k, (pred, inverse, mod) in enumerate(verb):
            a, b = terms[k], terms[k + 1]
            if inverse:
                a, b = b, a
            self.atoms.append(Atom(a, pred, mod, b, group))


def _rename_text(text: str, rename: Callable[[str], str]) -> str:
    """``text`` (an expression) with its variables renamed by ``rename``; the text's strings
    and IRIs are left alone."""
    return "".join("?" + rename(t.text[1:]) if t.kind == "var" else t.text for t in _tokens(text))


def analyse(query: str) -> Dependencies:
    """``query`` (a SELECT) read into atoms, binds and groups; raises
    :class:`~metrograph.errors.UnsupportedShapeError` for what is not analysed."""
    deps = _Parser(query).query()
    if any(b.var == "this" for b in deps.binds):
        raise UnsupportedShapeError("BIND to $this")
    return deps
