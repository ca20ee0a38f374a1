"""Countries as rows name them ("Россия", "日本", "Deutschland", "DE", "UK") and as domains hint at them (".se"),
turned into the two-letter region codes phone numbers are read in."""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from pathlib import Path

import phonenumbers

from crm.normalize.domains import split_domain

# Names in common use that libphonenumber's localized names (one per language) do not hold.
_ALIASES = {
    "GB": "uk, u k, great britain, britain, england, scotland, wales, northern ireland, gbr",
    "US": "usa, u s, u s a, united states of america, america, us of a",
    "NL": "holland, the netherlands, nederland, pays bas",
    "DE": "deu, germany, allemagne",
    "AE": "uae, u a e, emirates",
    "KR": "south korea, korea, republic of korea, korea republic of",
    "KP": "north korea",
    "RU": "russian federation, rus",
    "CZ": "czech republic, czechia",
    "TR": "turkiye, turkey",
    "VN": "viet nam",
    "CN": "prc, mainland china, people s republic of china",
    "HK": "hong kong sar",
    "MO": "macau sar",
    "TW": "republic of china",
    "IR": "iran islamic republic of",
    "FR": "fra",
    "IN": "ind, bharat",
    "JP": "jpn, nippon, nihon",
    "ES": "esp, espana",
    "IT": "ita",
    "CH": "che, schweiz, suisse, svizzera",
    "AT": "aut, osterreich",
    "SE": "swe, sverige",
    "NO": "nor, norge",
    "DK": "dnk, danmark",
    "FI": "fin, suomi",
    "CA": "can",
    "AU": "aus",
    "BR": "bra, brasil",
    "MX": "mex",
}
# Two-letter forms that are not ISO codes but are written as if they were.
_CODE_ALIASES = {"UK": "GB", "EL": "GR"}
_NOT_KEY = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Case, accents and punctuation folded away: "Côte d'Ivoire" and "COTE D IVOIRE" are one key."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_NOT_KEY.sub(" ", text.casefold()).split())


# libphonenumber's country names in every language (phonenumbers/geodata/locale.py): one line per region of
# 'language':'name' pairs, where u('\\u...') spells out other scripts and '*aa' means "as in language aa".
_LOCALE_FILE = Path(phonenumbers.__file__).with_name("geodata") / "locale.py"
_LOCALE_LINE = re.compile(r"^\s*'([A-Z0-9]{2,3})': \{(.*)\},?$", re.MULTILINE)
_LOCALE_NAME = re.compile(r"'([a-z]{2,3})':(?:u\()?'((?:[^'\\]|\\.)*)'")


@functools.cache
def _locale_names() -> dict[str, dict[str, str]]:
    """{region: {language: name}}, read from libphonenumber's table as text. Imported as a module, the table first
    loads its package's geocoding data: 90 MB and a quarter of a second for every process, web servers included."""
    text = _LOCALE_FILE.read_text(encoding="ascii")
    return {
        region: {language: codecs.decode(name, "unicode_escape") for language, name in _LOCALE_NAME.findall(names)}
        for region, names in _LOCALE_LINE.findall(text)
    }


@functools.cache
def region_names(language: str) -> dict[str, str]:
    """{region: its name in this language} for every region libphonenumber reads numbers for and names."""
    found = {}
    for region, names in _locale_names().items():
        name = names.get(language, "")
        for _hop in range(3):  # "*aa": the same as that language's name (WS's "zh" names itself)
            if not name.startswith("*"):
                break
            name = names.get(name[1:], "")
        if name and region in phonenumbers.SUPPORTED_REGIONS:
            found[region] = name
    return found


@functools.cache
def _country_index() -> dict[str, str]:
    """{folded country name: region}, from libphonenumber's names in every language it ships and the aliases."""
    index: dict[str, str] = {}
    for region, words in _ALIASES.items():
        for word in words.split(","):
            index.setdefault(_fold(word), region)
    languages = {language for names in _locale_names().values() for language in names}
    # English names first, so that a name two languages give to different countries goes to the English one.
    for language in sorted(languages, key=lambda language: language != "en"):
        for region, name in region_names(language).items():
            key = _fold(name)
            if key:
                index.setdefault(key, region)
    return index


@functools.lru_cache(maxsize=4096)
def country_region(value: str) -> str:
    """The region code of a country as a row writes it: a name in any language libphonenumber knows ("Россия",
    "日本", "Deutschland", "United States"), a two-letter code ("DE", "uk"), or an address ending in one
    ("Madrid, Community of Madrid, Spain"); "" when it names none."""
    text = value.strip()
    if not text:
        return ""
    if len(text) == 2 and text.isascii() and text.isalpha():
        code = text.upper()
        code = _CODE_ALIASES.get(code, code)
        return code if code in phonenumbers.SUPPORTED_REGIONS else ""
    index = _country_index()
    region = index.get(_fold(text))
    if region is None and "," in text:
        region = country_region(text.rpartition(",")[2])  # the last part of an address
    if not region and "(" in text:
        bare, _, rest = text.partition("(")
        region = country_region(bare) or country_region(rest.partition(")")[0])  # "Deutschland (DE)"
    return region or ""


# Country-code top-level domains sold to everyone as generic names (.io, .co, .ai, .me, .tv ...): they say nothing
# about where a company is.
_GENERIC_CCTLDS = frozenset(
    "ac ad ag ai am as bz cc cd cm co cx fm gg gl gs im io ix je la ly me "  # noqa: SIM905 (a word list reads best as words)
    "ms mu nu pw sc sh so st tk to tv vc vg ws".split()
)


@functools.lru_cache(maxsize=65536)
def domain_region(host: str) -> str:
    """The region a domain's country-code suffix names ("acme.se", "acme.co.uk" -> "SE", "GB"); "" for a generic
    one (.com, .io, .co ...)."""
    suffix = split_domain(host.lower())[2] if host else ""
    code = suffix.rpartition(".")[2]
    if len(code) != 2 or code in _GENERIC_CCTLDS:
        return ""
    code = _CODE_ALIASES.get(code.upper(), code.upper())
    return code if code in phonenumbers.SUPPORTED_REGIONS else ""
