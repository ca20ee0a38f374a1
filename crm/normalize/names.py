"""Names of people and companies: as people write them, split into first and last, and as matching keys."""

from __future__ import annotations

import functools
import re
import unicodedata

import cleanco
import cleanco.clean
from nameparser import Parser

# --- matching keys --------------------------------------------------------------------------------

# Characters dropped when building matching keys: apostrophes and periods join ("O'Brien" -> "obrien").
_KEY_DELETE = dict.fromkeys(map(ord, "'\u2019\u2018`\u00b4\u02bc."), None)
# Letters that NFKD does not split into a base letter and a mark.
_KEY_LETTERS = {
    ord("\u00f8"): "o",  # ø
    ord("\u00e6"): "ae",  # æ
    ord("\u0153"): "oe",  # œ
    ord("\u0142"): "l",  # ł
    ord("\u0111"): "d",  # đ
    ord("\u00f0"): "d",  # ð
    ord("\u00fe"): "th",  # þ
    ord("\u0131"): "i",  # dotless i
    ord("&"): " and ",
}
_KEY_TABLE = {**_KEY_DELETE, **_KEY_LETTERS}
_NOT_KEY_CHAR = re.compile(r"[\W_]+")


def _fold_key(text: str) -> str:
    """Lower-case, strip accents and punctuation, single spaces: the shape of every matching key."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold().translate(_KEY_TABLE)
    return " ".join(_NOT_KEY_CHAR.sub(" ", text).split())


# --- names ----------------------------------------------------------------------------------------

# Surname particles written in lower case inside a name ("van der Berg", "da Silva", "bin Ahmad").
# Left out on purpose: words that are also common given names or surnames on their own (Le, Do, Di, Al, El).
_PARTICLES = frozenset(
    "van von vom der den ter ten zu de del della dei degli delle des du da das dos la las los y bin "  # noqa: SIM905 (a word list reads best as words)
    "binti bint ibn".split()
)
# "Mac" is capitalised as "MacX" only in names known to take it: Machado, Mack, Macy and Macias do not.
_MAC_NAMES = frozenset(
    "macalister macarthur macaskill macbeth maccallum macdermott macdonald macdougall macdowell "  # noqa: SIM905 (a word list reads best as words)
    "macewan macewen macfarlane macgowan macgregor macinnes macintyre mackay mackenzie mackinnon "
    "mackintosh maclachlan maclaren maclean macleod maclennan macmahon macmillan macnamara macneil "
    "macneill macpherson macquarrie macrae".split()
)
_ROMAN_NUMERALS = frozenset({"ii", "iii", "iv", "vi", "vii", "viii"})
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_APOSTROPHES = "'\u2019`"


def _cap_run(run: str) -> str:
    """Capitalise one lower-case run of letters, with the Mc/Mac conventions."""
    if run.startswith("mc") and len(run) > 3:
        return "Mc" + run[2:].capitalize()
    if run in _MAC_NAMES:
        return "Mac" + run[3:].capitalize()
    return run.capitalize()


def _cap_segment(segment: str) -> str:
    """Capitalise one all-lower-case piece of a name (no spaces or hyphens)."""
    out: list[str] = []
    last = 0
    for match in _LETTER_RUN.finditer(segment):
        start, run = match.start(), match.group()
        before = segment[start - 1] if start else ""
        if before.isdigit():
            pass  # an ordinal's letters stay small: "1st", "3rd"
        elif before and before in _APOSTROPHES:
            # O'Neil, D'Arcy, L'Oréal: a one-letter prefix takes a capital after the apostrophe;
            # in longer words the apostrophe is a glottal stop or elision (Ka'ahumanu, Dell'acqua).
            prefix = segment[: start - 1]
            run = run.capitalize() if len(prefix) == 1 and prefix.isalpha() else run
        else:
            run = _cap_run(run)
        out.append(segment[last:start])
        out.append(run)
        last = match.end()
    out.append(segment[last:])
    return "".join(out)


def _is_one_case(text: str) -> bool:
    # "ß" has no capital in common use, so "STRAßE" still counts as written in capitals.
    return not any(c.isupper() for c in text) or not any(c.islower() and c != "ß" for c in text)


@functools.lru_cache(maxsize=65536)
def _name_capitalize(value: str) -> str:
    words = value.split()
    count = len(words)
    result: list[str] = []
    for index, word in enumerate(words):
        segments = word.split("-")
        capped: list[str] = []
        for segment in segments:
            if not _is_one_case(segment):
                capped.append(segment)  # typed in mixed case (DeShawn, MacKenzie): the writer knew
                continue
            lower = segment.lower()
            if count > 1 and index < count - 1 and len(segments) == 1 and lower in _PARTICLES:
                capped.append(lower)
            elif index > 0 and lower in _ROMAN_NUMERALS:
                capped.append(lower.upper())
            else:
                capped.append(_cap_segment(lower))
        result.append("-".join(capped))
    return " ".join(result)


def name_capitalize(value: str) -> str:
    """A name as people write it: "JOHN" -> "John", "o'neil" -> "O'Neil", "van der berg" -> "van der Berg".

    Each space- or hyphen-separated piece typed in one case is capitalised; a piece already in mixed case
    ("DeShawn", "MacKenzie") is kept as typed.
    """
    if not value:
        return ""
    value = " ".join(value.split())
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return _name_capitalize(value)


@functools.cache
def _name_parser() -> Parser:
    # nameparser 2's parser; HumanName is its v1 compatibility facade over this same engine.
    return Parser()


# One or two plain words ("Jane Doe", "O'Brien", "Jean-Luc Picard") are most of the rows of an import,
# and nameparser takes about 100 µs to read one; a word outside its vocabulary (titles, suffixes,
# particles, conjunctions, ...) cannot change its reading, so those names are split directly.
_PLAIN_NAME_WORD = re.compile(r"^[A-Za-z]+(?:['\u2019-][A-Za-z]+)*$")
_ROMAN_NUMERAL = re.compile(r"^[ivxlcdm]+$")  # nameparser reads these as a generation ("III")


@functools.cache
def _name_vocabulary() -> frozenset[str]:
    lexicon = _name_parser().lexicon
    words: set[str] = set()
    for vocabulary in (
        lexicon.titles,
        lexicon.given_name_titles,
        lexicon.after_given_titles,
        lexicon.honorific_tails,
        lexicon.suffix_acronyms,
        lexicon.suffix_words,
        lexicon.particles,
        lexicon.conjunctions,
        lexicon.bound_given_names,
        lexicon.maiden_markers,
        lexicon.surnames,
    ):
        words.update(word.casefold() for word in vocabulary)
    return frozenset(words)


def _is_plain_name_word(word: str) -> bool:
    if not _PLAIN_NAME_WORD.match(word):
        return False
    vocabulary = _name_vocabulary()
    lower = word.lower()
    if lower in vocabulary or _ROMAN_NUMERAL.match(lower):
        return False
    # A word that starts with a particle joined by a hyphen or apostrophe ("al-Fayed", "d'Arcy") is
    # one nameparser may read specially: leave it to the parser.
    for index, char in enumerate(lower):
        if char in "-'\u2019" and (lower[: index + 1] in vocabulary or lower[:index] in vocabulary):
            return False
    return True


@functools.lru_cache(maxsize=65536)
def _name_split(full: str) -> tuple[str, str]:
    words = full.split(" ")
    if len(words) <= 3 and all(_is_plain_name_word(word) for word in words):
        # As the parser reads them: the last word is the surname, the words before it the given and middle names.
        if len(words) == 1:
            return name_capitalize(words[0]), ""
        return name_capitalize(" ".join(words[:-1])), name_capitalize(words[-1])
    parsed = _name_parser().parse(full)
    given, middle, family = parsed.given, parsed.middle, parsed.family
    if not given and not family:
        return name_capitalize(full), ""  # only a title or a suffix ("Dr.", "CEO"): keep what was typed
    if _two_and_two(middle, family) and not parsed.family_particles:
        # Four names without particles are two given names and two surnames, as in Spanish and Portuguese:
        # "José María García López", "João Pedro Souza Santos".
        first_middle, second_middle = middle.split()
        given, middle, family = f"{given} {first_middle}", "", f"{second_middle} {family}"
    first = f"{given} {middle}" if given and middle else given or middle
    return name_capitalize(first), name_capitalize(family)


def _two_and_two(middle: str, family: str) -> bool:
    """Whether two middle names (not initials) and a one-word surname are better read as two and two."""
    middles = middle.split()
    return (
        len(middles) == 2
        and bool(family)
        and " " not in family
        and all(len(word) > 2 and not word.endswith(".") for word in middles)
    )


def name_split(full: str) -> tuple[str, str]:
    """(first, last) of a full name, titles, nicknames and suffixes dropped, middle names kept with the first:
    "Doe, Jane" -> ("Jane", "Doe"), "Lars Ole Dahl" -> ("Lars Ole", "Dahl")."""
    if not full:
        return "", ""
    full = " ".join(full.split())
    if not full:
        return "", ""
    if not full.isascii():
        full = unicodedata.normalize("NFC", full)
    return _name_split(full)


@functools.lru_cache(maxsize=65536)
def person_key(first: str, last: str) -> str:
    """Matching key for a person: "José  O'Brien" -> "jose obrien"."""
    return _fold_key(f"{first or ''} {last or ''}")


# --- companies ------------------------------------------------------------------------------------

_PARENTHESES = re.compile(r"\([^()]*\)?")
_CLEANCO_TAIL = re.compile(r"[^.\w]+$")  # cleanco's strip_tail: trailing symbols other than "."
# Legal forms cleanco 2.3 does not list on their own: "Acme Pty. Limited", "Acme UG", "Acme e.K.".
_LEGAL_TERMS_CLEANCO_MISSES = (("pty",), ("pvt",), ("ug",), ("ek",))


@functools.cache
def _legal_terms() -> tuple[tuple[int, ...], dict[int, frozenset[tuple[str, ...]]]]:
    """cleanco's legal-form terms (already accent-free, lower-case, no punctuation), grouped by word count."""
    by_size: dict[int, set[tuple[str, ...]]] = {}
    terms = [tuple(parts) for _size, parts in cleanco.prepare_default_terms()]
    for term in terms + list(_LEGAL_TERMS_CLEANCO_MISSES):
        by_size.setdefault(len(term), set()).add(term)
    return tuple(sorted(by_size, reverse=True)), {size: frozenset(group) for size, group in by_size.items()}


def _cleanco_word(word: str) -> str:
    """A word as cleanco compares it with its terms."""
    if word.isascii():
        return word.lower().replace(".", "").replace(",", "").replace("-", "")
    return cleanco.clean.strip_punct(cleanco.clean.remove_accents(word))


def _strip_legal_suffixes(name: str) -> str:
    """cleanco's basename, repeated until no legal form is left at the end: "Acme Corp., Inc." -> "Acme".

    Same terms and word matching as cleanco.basename, which removes about one suffix per call and
    scans all of its 300 terms each time; this looks up each tail length in a set instead.
    """
    words = _CLEANCO_TAIL.sub("", name).split()
    keys = [_cleanco_word(word) for word in words]
    sizes, terms = _legal_terms()
    while keys:
        for size in sizes:
            if size <= len(keys) and tuple(keys[-size:]) in terms[size]:
                del words[-size:], keys[-size:]
                break
        else:
            break
    return _CLEANCO_TAIL.sub("", " ".join(words))


@functools.lru_cache(maxsize=65536)
def company_key(name: str) -> str:
    """Matching key for a company, legal suffixes and "The" removed: "The Acme Corp., Inc." -> "acme"."""
    if not name:
        return ""
    text = " ".join(name.split())
    # "(India)", "(formerly Foo)", "(haftungsbeschränkt)": qualifiers, and cleanco cuts them badly.
    text = " ".join(_PARENTHESES.sub(" ", text).split()) or text
    # A name that is only a legal form ("Inc") keeps it rather than becoming an empty key.
    words = (_fold_key(_strip_legal_suffixes(text)) or _fold_key(text)).split()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    if len(words) > 1 and words[-1] == "the":
        words.pop()  # "Home Depot, The"
    return " ".join(words)
