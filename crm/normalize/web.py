"""Web addresses: websites, the domain a URL names, and LinkedIn profile URLs."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from crm.normalize.domains import clean_host, split_domain
from crm.normalize.text import PLACEHOLDERS, NormalizeError, trim_or_blank

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
    text = trim_or_blank(value)
    if not text:
        return None
    text = _unwrap_cell_link(text)
    if not text or text.casefold() in PLACEHOLDERS:
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
    host = clean_host(host or "")
    if not host or not _HOST.match(host):
        raise NormalizeError("not a web address")
    registrable = split_domain(host)[0]
    if not registrable:
        raise NormalizeError("not a web address: no domain name")
    return _WebAddress(parts.scheme.lower(), host, port, parts.path, parts.query, registrable)


# Websites repeat from row to row of an import (everyone at a company shares one), unlike LinkedIn profiles.
_site_address = functools.lru_cache(maxsize=65536)(_web_address)


# Social networks, profile and link pages: a person's or a company's page there is never the company's website,
# and its domain says nothing about which company it is.
SOCIAL_DOMAINS = frozenset(
    "linkedin.com lnkd.in facebook.com fb.com fb.me twitter.com x.com instagram.com youtube.com youtu.be "  # noqa: SIM905 (a word list reads best as words)
    "tiktok.com pinterest.com github.com gitlab.com medium.com xing.com vk.com ok.ru t.me telegram.me wa.me "
    "whatsapp.com threads.net snapchat.com reddit.com linktr.ee about.me behance.net dribbble.com "
    "crunchbase.com angel.co wellfound.com calendly.com".split()
)


def social_domain(value: str) -> str:
    """The social network a URL is a page of ("https://www.linkedin.com/in/jane" -> "linkedin.com"), else ""."""
    domain = domain_from_url(value)
    return domain if domain in SOCIAL_DOMAINS else ""


def domain_from_url(value: str) -> str:
    """Registrable domain of a URL or host ("https://www.Acme.co.uk/about" -> "acme.co.uk"); "" when there is none."""
    try:
        address = _site_address(value)
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
    address = _site_address(value)
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


# The way profile URLs are almost always written, linkedin_canonical's own form among them: parsed the long
# way, their slug comes out as it stands (ASCII has nothing to unquote or normalise), lower-cased unless
# it is a member id. Imports meet one per row and matching reads stored ones again, so they skip the parsing.
_PLAIN_PROFILE = re.compile(r"(?:https?://)?(?:www\.)?linkedin\.com/in/([A-Za-z0-9_\-]{2,100})/?")


def linkedin_slug(value: str) -> str:
    """The slug of any form of a LinkedIn profile URL: "uk.linkedin.com/in/Jane-Doe-123/en" -> "jane-doe-123"."""
    text = trim_or_blank(value)
    plain = _PLAIN_PROFILE.fullmatch(text)
    if plain is None:
        return _linkedin_slug(text)
    slug = plain.group(1)
    return slug if _LINKEDIN_MEMBER_ID.match(slug) else slug.lower()


def linkedin_canonical(value: str) -> str:
    """Any form of a LinkedIn profile URL as "https://www.linkedin.com/in/<slug>"; company pages are refused."""
    slug = linkedin_slug(value)
    return f"https://www.linkedin.com/in/{slug}" if slug else ""


_LINKEDIN_COMPANY_PATH = re.compile(r"^/(?:company|school|showcase)/([^/?#]+)", re.IGNORECASE)
_NOT_LINKEDIN_COMPANY = "not a LinkedIn company page URL"


def linkedin_company_canonical(value: str) -> str:
    """Any form of a LinkedIn company page URL as "https://www.linkedin.com/company/<slug>"
    ("uk.linkedin.com/company/Acme-Widgets/about/" -> ".../company/acme-widgets"); a profile is refused."""
    try:
        address = _web_address(value)
    except NormalizeError:
        raise NormalizeError(_NOT_LINKEDIN_COMPANY) from None
    if address is None:
        return ""
    match = _LINKEDIN_COMPANY_PATH.match(address.path)
    if address.registrable != "linkedin.com" or not match:
        raise NormalizeError(_NOT_LINKEDIN_COMPANY)
    slug = unicodedata.normalize("NFC", unquote(match.group(1))).strip()
    if not _LINKEDIN_SLUG.match(slug):
        raise NormalizeError(_NOT_LINKEDIN_COMPANY)
    # Schools and showcase pages are company pages too; LinkedIn redirects /company/<slug> to them.
    return f"https://www.linkedin.com/company/{slug.lower()}"
