"""Refusing RDF that would make a parser do more than read it: expand entities without bound,
fetch a URL or read another file.

Measured on rdflib 7.6, pyoxigraph 0.5:

- RDF/XML. Oxigraph expands nested DTD entities without limit (a 700-byte "billion laughs"
  file asks for 2.4 GB and aborts the process); rdflib spends over a minute on a 10^6
  expansion. defusedxml would refuse every entity, but ontology editors declare ``<!ENTITY owl
  "http://...#">`` as a matter of course, so :func:`check_rdfxml` reads the prolog with expat
  and refuses only what can grow or reach out: parameter, external and nested entities, and
  references expanding past 10 x the file's size plus 1 MiB. It also refuses ``<!ATTLIST>``
  default values, which rdflib turns into statements and Oxigraph ignores.
- JSON-LD. rdflib fetches a context given as a URL and reads a ``file:`` or relative one;
  Oxigraph refuses both. :func:`check_jsonld` refuses any context given by reference (at any
  depth, scoped contexts included) and any ``@import``, with one message on both stores.

Turtle, TriG, N-Triples and N-Quads have no construct that fetches or expands anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NoReturn
from xml.parsers import expat

from metrograph.errors import InputError, UnsafeInputError

__all__ = ["check_jsonld", "check_rdfxml", "check_safe"]

_INLINE = ("inline the context in the file (metrograph never fetches a URL or reads another "
           "file to read an input)")


class _PrologRead(Exception):
    """Raised by the expat handler at the first element: the DTD is behind us."""


def expansion_limit(size: int) -> int:
    """How many characters entity references may add to a file of ``size`` bytes."""
    return 10 * size + (1 << 20)


def check_rdfxml(data: bytes, source: str) -> None:
    """Refuse RDF/XML whose DTD could expand without bound, read another file or fetch a URL
    (see the module's docstring). Raises :class:`UnsafeInputError` naming ``source`` and the
    line, or :class:`InputError` for a prolog that is not well-formed XML."""
    parser = expat.ParserCreate()
    sizes: dict[str, int] = {}

    def refuse(message: str) -> NoReturn:
        raise UnsafeInputError(message, source=source, line=parser.CurrentLineNumber)

    def on_entity(name: str, is_parameter: int, value: str | None, _base: str | None,
                  system_id: str | None, _public_id: str | None,
                  _notation: str | None) -> None:
        if is_parameter:
            refuse(f"declares the parameter entity %{name}; (refused: parameter entities can "
                   "expand a small file without bound)")
        if value is None:
            refuse(f"declares the external entity &{name}; ({system_id!r}: refused, reading it "
                   "would open another file or fetch a URL)")
        if "&" in value:
            refuse(f"the entity &{name}; is defined through other entities (refused: nested "
                   "entities expand a small file without bound, the 'billion laughs' attack)")
        sizes[name] = len(value)

    def on_unparsed(name: str, *_args: object) -> None:
        refuse(f"declares the external entity &{name}; (refused: reading it would open another "
               "file or fetch a URL)")

    def on_attlist(element: str, attribute: str, _type: str, default: str | None,
                   _required: int) -> None:
        if default is not None:
            refuse(f"declares a default value for the attribute {attribute} of {element} "
                   "(refused: parsers disagree on whether it adds a statement)")

    def on_start(*_args: object) -> None:
        raise _PrologRead

    parser.EntityDeclHandler = on_entity
    parser.UnparsedEntityDeclHandler = on_unparsed
    parser.AttlistDeclHandler = on_attlist
    parser.StartElementHandler = on_start
    try:
        parser.Parse(data, True)
    except _PrologRead:
        pass
    except expat.ExpatError as exc:
        raise InputError(f"not valid xml: {expat.ErrorString(exc.code)}", source=source,
                         line=exc.lineno, column=exc.offset + 1) from None
    if not sizes:
        return
    names = b"|".join(re.escape(n.encode("utf-8")) for n in sizes)
    added = 0
    limit = expansion_limit(len(data))
    for m in re.finditer(rb"&(" + names + rb");", data):
        added += sizes[m.group(1).decode("utf-8")]
        if added > limit:
            line = data[: m.start()].count(b"\n") + 1
            raise UnsafeInputError(
                f"its entity references expand to more than {limit:,} characters (10 times "
                "the file plus 1 MiB; refused as an entity expansion attack)", source=source,
                line=line)


_REFERENCE = re.compile(rb'"@context"\s*:\s*[\["]|"@import"')


def _dicts(doc: Any) -> Iterator[dict[str, Any]]:
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def check_jsonld(data: bytes, source: str) -> None:
    """Refuse JSON-LD that refers to a context by IRI or path (``"@context": "..."`` at any
    depth) or imports one (``@import``): reading it would fetch a URL or read another file.
    Raises :class:`UnsafeInputError` naming ``source``. Malformed JSON is left to the parser."""
    if not _REFERENCE.search(data):
        return  # the usual case, an inline context: decided without parsing the JSON
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return  # not JSON: the parser reports it with its line and column
    for node in _dicts(doc):
        if "@import" in node:
            raise UnsafeInputError(f"its context imports {str(node['@import'])[:200]!r}: "
                                   f"refused; {_INLINE}", source=source)
        if "@context" not in node:
            continue
        value = node["@context"]
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                raise UnsafeInputError(f"its @context refers to {item[:200]!r}: refused; "
                                       f"{_INLINE}", source=source)


#: JSON-LD nested deeper than this is refused: pyoxigraph's parser recurses (a document 10,000
#: levels deep crashes the process), Python's json module stops near 1,000
MAX_JSON_DEPTH = 512
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_json_depth(data: bytes, source: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH` levels (:class:`InputError`
    naming ``source`` and the line), before any parser recurses into it."""
    if data.count(b"{") + data.count(b"[") <= MAX_JSON_DEPTH:
        return  # too few brackets to nest that deep: decided without scanning
    depth = 0
    for match in _JSON_TOKEN.finditer(data):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line = data.count(b"\n", 0, match.start()) + 1
                raise InputError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep: refused "
                                 "(the parser would exhaust its stack)", source=source,
                                 line=line)
        elif token in (b"}", b"]"):
            depth -= 1


def check_safe(data: bytes, format_name: str, source: str) -> None:
    """Refuse ``data`` in the format named ``format_name`` (``xml``, ``jsonld``, ...) when
    reading it would expand without bound or reach outside the file (see the module's
    docstring)."""
    if format_name == "xml":
        check_rdfxml(data, source)
    elif format_name == "jsonld":
        check_json_depth(data, source)
        check_jsonld(data, source)
