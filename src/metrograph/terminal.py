"""Text shown on a terminal that came from a server or from data: :func:`printable`.

Written raw to a terminal, the control characters of a server's error page or of a literal
act: an escape sequence clears the screen or sets the window title, a carriage return overwrites
what came before, a bidirectional override reorders what follows. :func:`printable` shows each
as a visible escape. Data outputs (CSV, TSV, JSON, RDF) never pass through it: byte-faithful.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidirectional
# embeddings, overrides, isolates and marks (Unicode's "Trojan Source" characters)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                      "\u2066-\u2069]")


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control character but those in ``keep`` (by default newline and
    tab, which a message or a format needs) shown as a visible escape: ESC as ``\\x1b``, so no
    escape sequence reaches the terminal whole."""

    def shown(m: re.Match[str]) -> str:
        c = m.group()
        if c in keep:
            return c
        return f"\\x{ord(c):02x}" if ord(c) <= 0xFF else f"\\u{ord(c):04x}"

    return _CONTROL.sub(shown, text)
