"""Working out a table's shape from its first rows: text encoding, delimiter, header row and column names."""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Iterable

import charset_normalizer

from crm.importing.reading.table import EMPTY, FileRefused, without_trailing_blanks

# The header row is looked for among this many non-blank rows.
HEADER_SEARCH_ROWS = 20
DELIMITERS = ",;\t|"
# The first lines csv.Sniffer and the delimiter counts look at.
SNIFF_LINES = 50
# csv.Sniffer's quote regex takes time quadratic in its input (32 KB of `'x; ` takes seconds), and it only
# breaks ties between delimiters: it sees this much of the sample.
SNIFF_CHARS = 8 * 1024
# A table starts with a header row of text; binary formats put NUL bytes in their first bytes (magic numbers,
# lengths, flags). Past these, a NUL byte may be a stray byte in a row of text.
MAGIC_BYTES = 128
# A sample where more than this share of its lines hold control characters is binary data, not a table (in
# binary data most lines do); below it, those lines are text rows with stray bytes, read without them.
MAX_DIRTY_LINE_SHARE = 0.2
# The share allowed when the first line holds them too (a header row rarely does; a magic number often does).
MAX_DIRTY_LINE_SHARE_AFTER_DIRTY_FIRST = 0.1

BINARY = "This file is not a table (it looks like binary data)."
NO_HEADER = f"No header row found in the first {HEADER_SEARCH_ROWS} rows."

# Longest first, so UTF-32 LE is not taken for UTF-16 LE.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset_normalizer's answers that mean "some Western European single-byte text": Windows files are cp1252.
# So are the DOS and Mac code pages they pick on a short sample: nobody exports CSV in those any more.
WESTERN_ENCODINGS = {
    *("cp1252", "latin-1", "iso8859-1", "iso8859-14", "iso8859-15"),
    *("cp437", "cp775", "cp850", "cp852", "cp857", "cp858", "cp860", "cp861", "cp863", "cp865"),
    *("mac-roman", "mac-iceland", "mac-latin2", "mac-turkish"),
}

NUMBER_LIKE = re.compile(r"[+\-(]?[\d\s.,:/()%$€£+\-]*\d[\d\s.,:/()%$€£+\-]*[a-zA-Z]{0,3}")
EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
URL_LIKE = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
# Control characters other than tab and line ends: frequent in binary data, stray bytes in a text row. (Not
# U+FFFD, a byte the encoding couldn't read: a row pasted in another encoding has those, and binary data has
# control bytes in nearly every line anyway.)
STRAY_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAK = re.compile("\r\n?|\n")
STRAY_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


# Encoding


def csv_encoding(head: bytes, *, complete: bool) -> str:
    """The text encoding of a CSV file from its first bytes: BOM, then strict UTF-8, then charset_normalizer."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    if b"\x00" in head[:MAGIC_BYTES]:
        raise FileRefused(BINARY)
    # NUL bytes further on may be stray bytes in a few rows of a text file (csv_inspect refuses binary data).
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    if _mostly_utf8(head, complete=complete):
        return "utf-8"  # the reader reads the other lines as Windows-1252, one by one
    matches = charset_normalizer.from_bytes(head)
    best = matches.best()
    without_stray = head.translate(None, STRAY_BYTES)
    if best is None and without_stray != head:
        # Control bytes in a few rows put the detector off a text file: ask about the text without them (binary
        # data read as text this way is refused by csv_inspect, from the control characters in nearly every line).
        head = without_stray
        matches = charset_normalizer.from_bytes(head)
        best = matches.best()
    if best is None:
        raise FileRefused(BINARY)
    encoding = codecs.lookup(best.encoding).name
    # Windows text is cp1252 far more often than the Latin-1, Latin-9 or Central European code pages detectors
    # pick on a close call; cp1252 reads the same letters plus the euro sign and curly quotes. Prefer it then.
    cp1252 = next((match for match in matches if "cp1252" in match.could_be_from_charset), None)
    close_call = cp1252 is not None and cp1252.chaos <= best.chaos + 0.01 and cp1252.coherence >= best.coherence - 0.05
    if (encoding in WESTERN_ENCODINGS or close_call) and _decodes(head, "cp1252") is not None:
        return "cp1252"
    return encoding


def _mostly_utf8(head: bytes, *, complete: bool) -> bool:
    """Lines with accents in UTF-8 outnumber lines that are not UTF-8: a UTF-8 file with rows pasted from a
    Windows spreadsheet (mixed encodings), not a Windows file."""
    lines = head.splitlines()
    if not complete:
        lines = lines[:-1]  # the sample may end inside a character
    utf8 = other = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return utf8 > 0 and other <= utf8


def _utf16_without_bom(head: bytes) -> str:
    """The UTF-16 codec for a mostly-ASCII sample that is UTF-16 without a BOM, or "" for anything else."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return ""
    even_nuls, odd_nuls = even.count(0), odd.count(0)
    if odd_nuls > 0.4 * len(odd) and even_nuls < 0.02 * len(even):
        return "utf-16-le"
    if even_nuls > 0.4 * len(even) and odd_nuls < 0.02 * len(odd):
        return "utf-16-be"
    return ""


def _decodes(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def looks_binary(text: str) -> bool:
    """Whether decoded text is binary data rather than a table, from how many of its lines hold control
    characters: nearly all in binary data, a few damaged rows in a text file."""
    lines = [line for line in LINE_BREAK.split(text) if line.strip()]
    if not lines:
        return False
    dirty = [STRAY_CHARS.search(line) is not None for line in lines]
    share = sum(dirty) / len(lines)
    return share > (MAX_DIRTY_LINE_SHARE_AFTER_DIRTY_FIRST if dirty[0] else MAX_DIRTY_LINE_SHARE)


def stray_removed(cells: list[str]) -> list[str] | None:
    """The cells without their control characters, or None when they had none."""
    text = "".join(cells)
    # isprintable() is the quick answer for nearly every row; tabs, line breaks and some spaces need the regex.
    if text.isprintable() or not STRAY_CHARS.search(text):
        return None
    return [STRAY_CHARS.sub("", cell) for cell in cells]


# Delimiter


def csv_delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's guess, checked against how consistently each candidate splits the first lines."""
    lines = [line for line in text.splitlines() if line.strip()][:SNIFF_LINES]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines)[:SNIFF_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    scores = {delimiter: _delimiter_score(lines, delimiter) for delimiter in DELIMITERS}
    # More lines split the same way wins, then more columns; Sniffer breaks ties.
    best = max(DELIMITERS, key=lambda d: (round(scores[d][0], 1), scores[d][1], d == sniffed))
    return best if scores[best][0] > 0 else ","


def _delimiter_score(lines: list[str], delimiter: str) -> tuple[float, int]:
    """(share of lines with the most common width, that width), or (0, 1) when it doesn't split anything."""
    widths: Counter[int] = Counter()
    records = csv.reader(lines, delimiter=delimiter)
    try:
        for cells in records:
            widths[len(cells)] += 1
    except csv.Error:
        pass  # a "field" over csv.field_size_limit(): a long line this character doesn't split; score what came before
    if not widths:
        return 0.0, 1
    width, count = widths.most_common(1)[0]
    if width < 2:
        return 0.0, 1
    return count / len(lines), width


# Header row


def header_choice(records: Iterable[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The header row: the first of the first non-blank rows with two or more cells, mostly text that isn't data."""
    seen: list[tuple[int, list[str]]] = []
    for line, raw in records:
        cells = [cell.strip() for cell in raw]
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if len(filled) >= 2 and _data_like_count(filled) * 2 < len(filled):
            return line, cells
        seen.append((line, cells))
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise FileRefused(EMPTY)
    if all(sum(1 for cell in cells if cell) == 1 for _line, cells in seen):
        # A one-column file (a list of emails, say): the header is the last text row above the first data row.
        first_data = next((i for i, (_line, cells) in enumerate(seen) if _data_like_count(cells)), len(seen))
        if first_data > 0:
            return seen[first_data - 1] if first_data < len(seen) else seen[0]
    raise FileRefused(NO_HEADER)


def _data_like_count(cells: list[str]) -> int:
    """How many cells look like values (numbers, phones, dates, emails, links, long text) rather than column names."""
    return sum(
        1
        for cell in cells
        if cell
        and (
            len(cell) > 80
            or NUMBER_LIKE.fullmatch(cell) is not None
            or EMAIL_LIKE.fullmatch(cell) is not None
            or URL_LIKE.match(cell) is not None
        )
    )


def header_names(cells: list[str]) -> tuple[list[str], list[str]]:
    """Unique column names for a header row, and the names that occurred more than once.

    Linear in the number of cells, however many repeat one name: each name's copies are numbered on from the
    last one given, never from 2 again.
    """
    cells = [STRAY_CHARS.sub("", cell).strip().lstrip("\ufeff").strip() for cell in cells]
    cells = without_trailing_blanks(cells)
    counts = Counter(cell for cell in cells if cell)
    duplicates = [name for name in dict.fromkeys(cells) if name and counts[name] > 1]
    names: list[str] = []
    used: set[str] = set()
    # For each base name, the copy number to try next. A number passed over stays taken (`used` only grows and
    # `counts` is fixed), so starting from it gives the name the search from 2 would have given.
    next_copy: dict[str, int] = {}
    for number, cell in enumerate(cells, start=1):
        base = cell or f"Column {number}"
        name = base
        # A made-up name must not take a name that appears in the file.
        if name in used or (name != cell and name in counts):
            copy = next_copy.get(base, 2)
            name = f"{base} ({copy})"
            while name in used or name in counts:
                copy += 1
                name = f"{base} ({copy})"
            next_copy[base] = copy + 1
        used.add(name)
        names.append(name)
    return names, duplicates
