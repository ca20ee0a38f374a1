"""NormalizeError, the trimming every cleaner starts with, and text_clean for one line of free text."""

from __future__ import annotations

import unicodedata


class NormalizeError(ValueError):
    """A value that cannot be normalized; the message is a short reason meant for a person."""


# Characters that hide at the edges of pasted or exported cells: BOM, zero-width space and joiners.
_INVISIBLE_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"

# What spreadsheets and CRMs write in a cell that has no value.
PLACEHOLDERS = frozenset(
    {"-", "--", "---", "\u2013", "\u2014", ".", "?", "n/a", "n.a.", "na", "#n/a", "none", "null", "nil", "unknown"}
)


def trim(value: str) -> str:
    """Strip whitespace and invisible characters, and undo the "'" our exports put before = + - @."""
    value = value.strip(_INVISIBLE_EDGES)
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        value = value[1:].strip(_INVISIBLE_EDGES)
    return value


def trim_or_blank(value: str | None) -> str:
    """trim, with None and placeholders such as "n/a" read as blank."""
    if not value:
        return ""
    value = trim(value)
    if len(value) <= 7 and value.casefold() in PLACEHOLDERS:
        return ""
    return value


# --- free text ------------------------------------------------------------------------------------

# Control characters go; so do invisible format characters that only cause trouble in a one-line field
# (zero-width space, BOM, soft hyphen, bidirectional overrides). Zero-width joiners stay: emoji and
# Indic and Persian scripts need them.
_DROP_FORMAT = frozenset("\u200b\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_clean(value: str, max_length: int) -> str:
    """One line of text: trimmed, inner whitespace collapsed, control characters removed; too long is an error."""
    if not value:
        return ""
    if not (value.isascii() and value.isprintable()):
        value = "".join(
            " " if c.isspace() else c
            for c in unicodedata.normalize("NFC", value)
            if c.isspace() or not (unicodedata.category(c) == "Cc" or c in _DROP_FORMAT)
        )
    value = " ".join(value.split())
    if len(value) > max_length:
        raise NormalizeError(f"longer than {max_length} characters")
    return value
