"""What one page of a company website says: title and descriptions, emails, phones, social links, technology hints,
schema.org data and the people on a team page. Pure: it is given the markup (and the response's headers), never
fetches, and reads broken HTML as far as it goes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import phonenumbers
from bs4 import BeautifulSoup, UnicodeDammit

from crm.normalize import NormalizeError, domain_from_url, email_normalize, linkedin_canonical, phone_e164
from crm.normalize.web import linkedin_company_canonical
from enrichment.providers.technologies import technologies_detected
from enrichment.providers.website_people import team_people
from enrichment.providers.website_structured import structured_data

# Visible text past this is not searched for phones and emails: contact details sit near the top or in the footer
# of a page, and libphonenumber's matcher is slow on megabytes.
MAX_TEXT_CHARS = 200_000
# Markup searched for inline-script technology hints.
MAX_HTML_CHARS = 2_000_000
# Less visible text than this, with scripts, is a page that draws itself with JavaScript; so is a page with scripts
# and a <noscript> asking for JavaScript whose text stays short (a cookie banner, a footer).
JAVASCRIPT_PAGE_TEXT_CHARS = 50
JAVASCRIPT_ASKING_PAGE_TEXT_CHARS = 500

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
# "jane [at] acme [dot] com", "jane(at)acme(dot)com", "jane {at} acme.com".
_BRACKETED_AT = re.compile(r"\s*[\[({<]\s*at\s*[\])}>]\s*", re.IGNORECASE)
_BRACKETED_DOT = re.compile(r"\s*[\[({<]\s*dot\s*[\])}>]\s*", re.IGNORECASE)
# "jane at acme dot com" only as a whole phrase: "at" alone is an ordinary word.
_SPELLED_OUT = re.compile(r"\b([\w.+-]+)\s+at\s+([\w-]+)\s+dot\s+([a-z]{2,24})\b", re.IGNORECASE)
# Retina image names ("logo@2x.png") look like addresses.
_NOT_MAIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".css", ".js")
_ENABLE_JAVASCRIPT = re.compile(r"enable\s+javascript|javascript\s+(?:is\s+)?(?:required|disabled)", re.IGNORECASE)

_X_RESERVED = frozenset({"intent", "share", "home", "search", "hashtag", "i", "login", "signup"})
_FACEBOOK_RESERVED = frozenset({"sharer", "sharer.php", "share", "share.php", "dialog", "plugins", "tr", "login"})
_INSTAGRAM_RESERVED = frozenset({"p", "reel", "reels", "explore", "accounts", "stories"})

# Pages worth reading after the home page, best first: team pages name people, about and contact pages the
# company's facts, an imprint (required in Germany and Austria) its address and phone.
PAGE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("team", re.compile(r"team|people|leadership|management|staff|our-?story|mitarbeiter|equipe|equipo|squadra")),
    ("about", re.compile(r"about|ueber-?uns|uber-?uns|über-?uns|company|unternehmen|qui-sommes|quienes|chi-siamo")),
    ("contact", re.compile(r"contact|kontakt|contacto|contatti|get-in-touch")),
    ("imprint", re.compile(r"imprint|impressum|legal-notice|mentions-legales|aviso-legal|colophon")),
)
_NOT_PAGES = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|zip|docx?|xlsx?|pptx?|mp4|mp3)$", re.IGNORECASE)


@dataclass
class PageFacts:
    """One page's facts, as plain values (they are cached as JSON)."""

    url: str
    title: str = ""
    description: str = ""
    og_description: str = ""
    site_name: str = ""
    emails: list[dict] = field(default_factory=list)  # {"email", "how": "mailto" | "text"}
    phones: list[dict] = field(default_factory=list)  # {"phone", "how": "tel" | "text"}
    company_linkedin: list[str] = field(default_factory=list)
    people_linkedin: list[str] = field(default_factory=list)
    social: dict[str, str] = field(default_factory=dict)  # x, facebook, instagram, youtube
    technologies: list[str] = field(default_factory=list)
    organizations: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)  # [absolute url, link text]
    text_chars: int = 0
    needs_javascript: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def html_text(content: bytes | str, declared_encoding: str | None = None) -> str:
    """The markup as text: the encoding the server declared, else the page's own <meta charset>, else a guess."""
    if isinstance(content, str):
        return content
    known = [declared_encoding] if declared_encoding else []
    return UnicodeDammit(content, known_definite_encodings=known, is_html=True).unicode_markup or ""


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _meta_content(soup: BeautifulSoup, *, name: str = "", prop: str = "") -> str:
    tag = soup.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)} if name else {"property": prop})
    return _one_line(tag.get("content")) if tag and tag.get("content") else ""


def _email_or_blank(text: str) -> str:
    try:
        address = email_normalize(text)
    except NormalizeError:
        return ""
    return "" if address.endswith(_NOT_MAIL_SUFFIXES) else address


def _deobfuscated(text: str) -> str:
    text = _SPELLED_OUT.sub(r"\1@\2.\3", text)
    return _BRACKETED_DOT.sub(".", _BRACKETED_AT.sub("@", text))


def _emails(mailto_links: Iterable[str], text: str) -> list[dict]:
    found: dict[str, str] = {}
    for href in mailto_links:
        address = _email_or_blank(href)
        if address:
            found.setdefault(address, "mailto")
    for match in _EMAIL.finditer(_deobfuscated(text)):
        address = _email_or_blank(match.group(0))
        if address:
            found.setdefault(address, "text")
    return [{"email": address, "how": how} for address, how in found.items()]


def _phone_or_blank(text: str, region: str) -> str:
    try:
        return phone_e164(text, region or None)
    except (NormalizeError, ValueError):
        return ""


def _phones(tel_links: Iterable[str], text: str, region: str) -> list[dict]:
    found: dict[str, str] = {}
    for href in tel_links:
        phone = _phone_or_blank(href, region)
        if phone:
            found.setdefault(phone, "tel")
    matcher_region = region if region in phonenumbers.SUPPORTED_REGIONS else "US"
    for match in phonenumbers.PhoneNumberMatcher(text, matcher_region, leniency=phonenumbers.Leniency.VALID):
        found.setdefault(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164), "text")
    return [{"phone": phone, "how": how} for phone, how in found.items()]


def social_link(url: str) -> tuple[str, str]:
    """(network, canonical URL) of a link to a company's or a person's social page; ("", "") for anything else.
    Networks: linkedin_company, linkedin_person, x, facebook, instagram, youtube."""
    domain = domain_from_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", ""
    segments = [segment for segment in parts.path.split("/") if segment]
    first = segments[0].lower() if segments else ""
    try:
        if domain == "linkedin.com" and first in ("company", "school", "showcase"):
            return "linkedin_company", linkedin_company_canonical(url)
        if domain == "linkedin.com" and first == "in":
            return "linkedin_person", linkedin_canonical(url)
    except NormalizeError:
        return "", ""
    if domain in ("x.com", "twitter.com") and re.fullmatch(r"\w{1,15}", first) and first not in _X_RESERVED:
        return "x", f"https://x.com/{first}"
    if domain in ("facebook.com", "fb.com") and first and first not in _FACEBOOK_RESERVED:
        if first == "profile.php":
            return ("facebook", f"https://www.facebook.com/profile.php?{parts.query}") if parts.query else ("", "")
        return "facebook", f"https://www.facebook.com/{'/'.join(segments[:3] if first == 'pages' else segments[:1])}"
    if domain == "instagram.com" and re.fullmatch(r"[\w.]{1,30}", first) and first not in _INSTAGRAM_RESERVED:
        return "instagram", f"https://www.instagram.com/{first}"
    if domain == "youtube.com" and first.startswith("@"):
        return "youtube", f"https://www.youtube.com/{segments[0]}"
    if domain == "youtube.com" and first in ("channel", "c", "user") and len(segments) > 1:
        return "youtube", f"https://www.youtube.com/{first}/{segments[1]}"
    return "", ""


def is_team_page(url: str, soup: BeautifulSoup) -> bool:
    """Whether a page is about the people of the company: by its address or its main headings."""
    kinds = PAGE_KINDS[0][1], PAGE_KINDS[1][1]
    path = urlsplit(url).path.lower()
    headings = " ".join(tag.get_text(" ", strip=True).lower() for tag in soup.find_all(["h1", "h2"], limit=6))
    return any(kind.search(path) or kind.search(headings) for kind in kinds)


def extract_page(
    content: bytes | str,
    url: str,
    *,
    region: str = "",
    headers: Mapping[str, str] | None = None,
    cookie_names: Iterable[str] = (),
    declared_encoding: str | None = None,
) -> PageFacts:
    """Everything one page says. `region` reads national phone numbers; headers and cookies hint at technologies."""
    html = html_text(content, declared_encoding)
    soup = BeautifulSoup(html, "lxml")
    facts = PageFacts(url=url)
    title = soup.find("title")
    # An unclosed <title> swallows the page as text: keep what comes before the first tag.
    facts.title = _one_line(title.get_text().partition("<")[0])[:300] if title else ""
    facts.description = _meta_content(soup, name="description")
    facts.og_description = _meta_content(soup, prop="og:description")
    facts.site_name = _meta_content(soup, prop="og:site_name")

    json_ld_blocks = [tag.get_text() for tag in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)})]
    resource_urls = [
        _absolute(url, tag.get(attribute))
        for tag, attribute in (
            *((tag, "src") for tag in soup.find_all(["script", "iframe"], src=True)),
            *((tag, "href") for tag in soup.find_all("link", href=True)),
        )
    ]
    generators = [
        tag.get("content", "") for tag in soup.find_all("meta", attrs={"name": re.compile("^generator$", re.I)})
    ]
    facts.technologies = technologies_detected(
        generators=generators,
        urls=resource_urls,
        html=html[:MAX_HTML_CHARS],
        cookie_names=cookie_names,
        headers=headers,
    )
    has_scripts = soup.find("script", attrs={"type": lambda kind: not kind or "javascript" in kind}) is not None
    asks_for_javascript = any(_ENABLE_JAVASCRIPT.search(tag.get_text(" ")) for tag in soup.find_all("noscript"))

    facts.organizations, schema_people = structured_data(html, url, json_ld_blocks)

    mailto, tel = [], []
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"].strip()
        scheme = href.partition(":")[0].lower()
        if scheme == "mailto":
            mailto.append(href)
        elif scheme in ("tel", "callto"):
            tel.append(href)
        else:
            absolute = urldefrag(_absolute(url, href))[0]
            if absolute.startswith(("http://", "https://")):
                facts.links.append([absolute, _one_line(anchor.get_text(" "))[:100]])

    for absolute, _ in facts.links:
        network, canonical = social_link(absolute)
        if network == "linkedin_company" and canonical not in facts.company_linkedin:
            facts.company_linkedin.append(canonical)
        elif network == "linkedin_person" and canonical not in facts.people_linkedin:
            facts.people_linkedin.append(canonical)
        elif network:
            facts.social.setdefault(network, canonical)

    team_page = is_team_page(url, soup)
    # What a visitor reads: scripts, styles and templates say nothing about the company.
    for tag in soup.find_all(["script", "style", "template", "noscript", "svg"]):
        tag.decompose()
    text = _one_line(soup.body.get_text(" ") if soup.body else soup.get_text(" "))
    facts.text_chars = len(text)
    facts.needs_javascript = has_scripts and (
        facts.text_chars < JAVASCRIPT_PAGE_TEXT_CHARS
        or (asks_for_javascript and facts.text_chars < JAVASCRIPT_ASKING_PAGE_TEXT_CHARS)
    )
    facts.emails = _emails(mailto, text[:MAX_TEXT_CHARS])
    facts.phones = _phones(tel, text[:MAX_TEXT_CHARS], region)
    facts.people = team_people(soup, url, schema_people, region=region, team_page=team_page)
    return facts


def _absolute(base: str, href: str) -> str:
    """A link made absolute; "" for one no URL parser reads (broken HTML: "http://[oops/")."""
    try:
        absolute = urljoin(base, href)
        urlsplit(absolute).port  # noqa: B018 (reading the port is what refuses "host:99999" and other nonsense)
    except ValueError:
        return ""
    return absolute


def page_kind(url: str, text: str = "") -> str:
    """Which likely page a link leads to (team, about, contact, imprint), by its path or its words; "" if none."""
    path = urlsplit(url).path.lower()
    words = text.lower().replace(" ", "-")
    for kind, pattern in PAGE_KINDS:
        if pattern.search(path) or pattern.search(words):
            return kind
    return ""


def _same_site(url: str, home_url: str) -> bool:
    """Same registered domain (www.acme.com and acme.com are one site); hosts with none (localhost) must be equal."""
    home_domain = domain_from_url(home_url)
    if home_domain:
        return domain_from_url(url) == home_domain
    return urlsplit(url).netloc.lower() == urlsplit(home_url).netloc.lower()


def likely_page_links(links: Iterable[Iterable[str]], home_url: str, limit: int = 4) -> list[str]:
    """The pages worth reading after the home page, best kinds first, at most two of a kind, on the same site."""
    home = home_url.rstrip("/")
    chosen: dict[str, list[str]] = {kind: [] for kind, _ in PAGE_KINDS}
    seen = {home}
    for url, text in links:
        bare = url.rstrip("/")
        if bare in seen or _NOT_PAGES.search(urlsplit(url).path) or not _same_site(url, home_url):
            continue
        kind = page_kind(url, text)
        if kind and len(chosen[kind]) < 2:
            chosen[kind].append(url)
            seen.add(bare)
    ordered = [url for kind, _ in PAGE_KINDS for url in chosen[kind][:1]]
    ordered += [url for kind, _ in PAGE_KINDS for url in chosen[kind][1:]]
    return ordered[:limit]
