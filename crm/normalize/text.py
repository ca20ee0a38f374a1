"""NormalizeError, the trimming every cleaner starts with, and text_clean for one line of free text."""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo


class NormalizeError(ValueError):
    """A value that cannot be normalized; the message is a short reason meant for a person."""


# Characters that hide at the edges of pasted or exported cells: BOM, zero-width space and joiners.
_INVISIBLE_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"

# What spreadsheets and CRMs write in a cell that has no value, compared case-folded: Salesforce's "[not provided]"
# (web-to-lead fills its required Last Name and Company with it), Excel's error values, pandas' "nan".
PLACEHOLDERS = frozenset(
    {
        "-", "--", "---", "\u2013", "\u2014", ".", "..", "...", "?", "??", "???", "n/a", "n.a.", "n.a", "na",
        "#n/a", "n/v", "none", "(none)", "<none>", "null", "nil", "nan", "unknown", "not provided", "[not provided]",
        "(not provided)", "<not provided>", "not available", "not applicable", "tbd", "tba", "tbc", "(blank)",
        "<blank>", "#value!", "#ref!", "#name?", "#div/0!", "#null!",
    }
)  # fmt: skip
# No placeholder is longer: a longer cell is never looked up.
PLACEHOLDER_MAX_LENGTH = max(map(len, PLACEHOLDERS))
# The placeholders as they are usually written ("N/A", "n/a", "[Not Provided]", "NULL"), for a check per cell
# that costs one lookup and no case folding.
PLACEHOLDER_FORMS = frozenset(
    {"NaN", *(form for p in PLACEHOLDERS for form in (p, p.upper(), p.title(), p.capitalize()))}
)


def is_placeholder(value: str) -> bool:
    """Whether a trimmed cell says "no value" ("N/A", "[Not Provided]", "-", "TBD")."""
    return len(value) <= PLACEHOLDER_MAX_LENGTH and value.casefold() in PLACEHOLDERS


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
    return "" if is_placeholder(value) else value


# --- free text ------------------------------------------------------------------------------------

# Control characters go; so do invisible format characters that only cause trouble in a one-line field
# (zero-width space, BOM, soft hyphen, bidirectional overrides). Zero-width joiners stay: emoji and
# Indic and Persian scripts need them.
_DROP_FORMAT = frozenset("\u200b\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _one_line(value: str) -> str:
    if not (value.isascii() and value.isprintable()):
        value = "".join(
            " " if c.isspace() else c
            for c in unicodedata.normalize("NFC", value)
            if c.isspace() or not (unicodedata.category(c) == "Cc" or c in _DROP_FORMAT)
        )
    return " ".join(value.split())


def text_clean(value: str, max_length: int) -> str:
    """One line of text: trimmed, inner whitespace collapsed, control characters removed; too long is an error."""
    if not value:
        return ""
    value = _one_line(value)
    if len(value) > max_length:
        raise NormalizeError(f"longer than {max_length} characters")
    return value


ELLIPSIS = "\u2026"


def text_shorten(value: str, max_length: int) -> str:
    """Text cut to max_length characters, the cut shown by an ellipsis ("…") at a word's end where one is near."""
    if len(value) <= max_length:
        return value
    cut = value[: max_length - 1]
    space = cut.rfind(" ")
    if value[max_length - 1] != " " and space >= max_length * 3 // 4:
        cut = cut[:space]  # end on a whole word when that loses little
    return cut.rstrip(" ,;:-") + ELLIPSIS


def text_fit(value: str, max_length: int) -> tuple[str, bool]:
    """One line of text as text_clean makes it, shortened to max_length (text_shorten) rather than refused; and
    whether it had to be shortened."""
    if not value:
        return "", False
    value = _one_line(value)
    if len(value) <= max_length:
        return value, False
    return text_shorten(value, max_length), True


# --- time zones -----------------------------------------------------------------------------------


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows ("Europe/Berlin")."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_name(value: str) -> str:
    """A time zone name as given, if it is a real one ("Mars/Olympus" is not)."""
    value = trim_or_blank(value)
    if value and value not in time_zone_names():
        raise NormalizeError("not a time zone name such as Europe/Berlin")
    return value
