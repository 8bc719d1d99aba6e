"""Ill-typed literals (``"2031-02-30"^^xsd:date``) reported in one line, never as a traceback.

rdflib converts every typed literal it creates to a Python value; when the lexical form is not
valid for the datatype it logs, on the ``rdflib.term`` logger at level WARNING, a message with
the whole Python traceback attached (``exc_info``), once per literal object created. Reading,
copying or validating a graph with one such literal printed a screenful of traceback on stderr.

The literal is a data error, reported where it belongs: the ``sh:datatype`` shapes report it as a
validation result (both engines). While metrograph works (:func:`one_line_literal_warnings`), a
filter on that logger turns each record into one line naming the literal, its datatype and why
it is ill-typed, once per distinct literal, and drops the traceback. The filter is removed on
exit: no logging configuration outlives the call, nothing is changed for other code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["one_line_literal_warnings"]

_RDFLIB_LOGGER = "rdflib.term"
_PREFIX = "Failed to convert Literal lexical form"
_LOCK = threading.Lock()
_DEPTH = 0


class _OneLine(logging.Filter):
    """Rewrites rdflib's ill-typed literal records into one line each, once per literal."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(_PREFIX):
            return True
        lexical, datatype, reason = "?", "?", ""
        if record.exc_info and record.exc_info[2] is not None:
            frame = record.exc_info[2].tb_frame.f_locals  # rdflib's _castLexicalToPython
            lexical = str(frame.get("lexical", "?"))
            datatype = str(frame.get("datatype", "?"))
            reason = str(record.exc_info[1])
        key = (lexical, datatype)
        if key in self.seen:
            return False
        self.seen.add(key)
        record.msg = "ill-typed literal %s^^<%s>%s"
        record.args = (_quoted(lexical), datatype, f" ({reason})" if reason else "")
        record.exc_info = None
        record.exc_text = None
        return True


def _quoted(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_FILTER = _OneLine()


@contextmanager
def one_line_literal_warnings() -> Iterator[None]:
    """Within the block, rdflib's ill-typed literal warnings are one line each, once per literal
    (re-entrant; the filter is removed when the outermost block ends)."""
    global _DEPTH
    logger = logging.getLogger(_RDFLIB_LOGGER)
    with _LOCK:
        if _DEPTH == 0:
            _FILTER.seen.clear()
            logger.addFilter(_FILTER)
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                logger.removeFilter(_FILTER)
