"""Syntax errors that name their line and column, in every format Oxigraph reads.

Oxigraph's RDF/XML parser and JSON-LD's checks above JSON give no position, and its RDF/XML
parser accepts a document cut short (pyoxigraph 0.5.13 reads a file missing its closing
``</rdf:Description>`` and ``</rdf:RDF>`` without a word). So:

- :func:`check_xml` reads RDF/XML with expat first: an ill-formed (or truncated) document is
  refused with expat's line and column (0.23 s for a 14 MB, 100k-triple file, which Oxigraph
  parses in 0.28 s). :mod:`~metrograph.rdfio.guards` has already refused what could expand or
  reach out.
- :func:`syntax_error` turns a parser's ``SyntaxError`` into :class:`InputError`; without a
  position it locates the text the message quotes (``'http://e x/'``, ``Unknown prefix zz:``)
  in the input when it occurs there once (else no position rather than a wrong one).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from xml.parsers import expat

from metrograph.errors import InputError, StoreError

__all__ = ["TERM_TOO_LONG", "check_xml", "locate", "reading", "syntax_error"]

#: what a store says of a term over 16 MiB (Oxigraph's parser buffer)
TERM_TOO_LONG = "a literal or IRI is longer than 16 MiB (the limit of both stores)"
#: the texts a message quotes: 'text', `text`, or a prefixed name after "prefix "
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)+)'|`([^`]+)`|\bprefix:? ([\w.-]*:)")


def check_xml(data: bytes, source: str) -> None:
    """Refuse ``data`` unless it is a well-formed XML document: :class:`InputError` with
    expat's message, line and column (1-based)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise InputError(f"not valid xml: {message}", source=source, line=exc.lineno,
                         column=exc.offset + 1) from None


def locate(text: str, message: str) -> tuple[int, int] | None:
    """Line and column (1-based) in ``text`` of what ``message`` quotes, or None when it quotes
    nothing found exactly once there."""
    for match in _QUOTED.finditer(message):
        quoted = next(g for g in match.groups() if g)
        quoted = quoted.replace("\\n", "\n").replace("\\t", "\t")
        for candidate in dict.fromkeys((quoted, quoted.strip())):
            at = text.find(candidate) if candidate else -1
            if at >= 0 and text.find(candidate, at + 1) < 0:  # once only: no guessing
                at += len(candidate) - len(candidate.lstrip())  # its first visible character
                line = text.count("\n", 0, at) + 1
                return line, at - (text.rfind("\n", 0, at) + 1) + 1
    return None


def syntax_error(exc: SyntaxError, data: bytes | None, format_name: str,
                 source: str) -> InputError:
    """The :class:`InputError` for a parser's ``exc`` on ``data`` (None: not at hand), with the
    parser's position, or the one :func:`locate` finds."""
    message = " ".join(str(getattr(exc, "msg", None) or exc).split())
    line, column = getattr(exc, "lineno", None), getattr(exc, "offset", None)
    if line is None and data is not None:
        found = locate(data.decode("utf-8", "replace"), str(getattr(exc, "msg", None) or exc))
        if found is not None:
            line, column = found
    return InputError(f"not valid {format_name}: {message}", source=source, line=line,
                      column=column)


@contextlib.contextmanager
def reading(data: bytes | None, format_name: str, source: str) -> Iterator[None]:
    """Oxigraph's parser errors raised inside the block as :class:`InputError` naming
    ``source``: a syntax error with its position (:func:`syntax_error`; ``data``: the input,
    when at hand), an unreadable input, a term over 16 MiB (Oxigraph's "Reached the buffer
    maximal size" is a ``MemoryError``). An on-disk store that cannot be written (RocksDB's
    "IO error", without an errno: a full disk) raises :class:`StoreError`: not the input's."""
    try:
        yield
    except SyntaxError as exc:
        raise syntax_error(exc, data, format_name, source) from None
    except OSError as exc:
        if exc.errno is None and str(exc).startswith("IO error"):  # the store's disk failed
            raise StoreError(f"cannot write the store: {' '.join(str(exc).split())}") from None
        raise InputError(f"not valid {format_name}: {exc}", source=source) from None
    except ValueError as exc:
        raise InputError(f"not valid {format_name}: {exc}", source=source) from None
    except MemoryError:
        raise InputError(TERM_TOO_LONG, source=source) from None
