"""Listing pages of websites and directories, read with CSS selectors into a table the import reads.

A target names the pages and what to take from them:
    {"start_urls": [...], "item": "div.listing",
     "fields": {"company": "h2", "phone": ".tel", "website": "a.site@href", "location": ".addr"},
     "next_page": "a.next@href", "max_pages": 20, "render": false}
An optional "details": {"selector": "a.more@href", "fields": {"email": ".email", "full_name": ".contact-name"},
"max": 25} opens each item's own page (the first `max` of them) to fill those columns. Each field is a selector
inside an item; "selector@attribute" reads an attribute instead of the text (href and src
made absolute), "@attribute" reads the item's own. Every page goes through leadflow/http.py (private-address guard on
every redirect, robots.txt, per-host pace, size cap), or through the guarded Chromium renderer when "render" is true.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import soupsieve
from bs4 import BeautifulSoup, Tag
from django.conf import settings

from crm.importing.mapping import FIELDS, REPEATABLE
from leadflow.http import BlockedAddress, ResponseTooLarge, allowed_by_robots, http_session
from leadflow.rendering import PageRenderer, RenderFailed
from scraping.sources.base import Fetched, SourceFailed, SourceSettings

DEFAULT_MAX_PAGES = 20
# Item pages opened for details in one run unless the target says otherwise (each is a request to the site).
DEFAULT_MAX_DETAILS = 25
# However a target is written, one run reads no more than this many pages of one start URL.
MAX_PAGES_LIMIT = 200
URL_ATTRIBUTES = frozenset({"href", "src", "action", "data-href", "data-url"})
_ATTRIBUTE = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Details:
    """Which link of an item opens its own page, what to read there, and for how many items at most."""

    selector: str
    fields: dict[str, str]
    limit: int


@dataclass(frozen=True)
class Listing:
    """A target, checked: what to read and how."""

    start_urls: list[str]
    item: str
    fields: dict[str, str]
    next_page: str
    max_pages: int
    render: bool
    details: Details | None = None


def _count(value, default: int, name: str) -> int:
    try:
        return max(1, min(int(value or default), MAX_PAGES_LIMIT))
    except (TypeError, ValueError):
        raise SourceFailed(f"{name} is not a number: {value!r}.", retry=False) from None


def _details_from(target: dict) -> Details | None:
    details = target.get("details")
    if not details:
        return None
    if not isinstance(details, dict) or not isinstance(details.get("selector"), str):
        raise SourceFailed("details needs a selector for each item's link (such as a.more@href).", retry=False)
    fields = details.get("fields")
    if not isinstance(fields, dict) or not fields or not all(isinstance(v, str) for v in fields.values()):
        raise SourceFailed("details names no fields to read ({column: selector}).", retry=False)
    limit = _count(details.get("max"), DEFAULT_MAX_DETAILS, "details max")
    return Details(selector=details["selector"], fields={str(k): v for k, v in fields.items()}, limit=limit)


def listing_from(target: dict) -> Listing:
    """The target's listing settings, or SourceFailed(retry=False) saying what is wrong with them."""
    start_urls = target.get("start_urls") or []
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls:
        raise SourceFailed("The campaign names no start URLs.", retry=False)
    for url in start_urls:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise SourceFailed(f"Not a web address: {url!r}.", retry=False)
    item, fields = target.get("item"), target.get("fields")
    if not isinstance(item, str) or not item.strip():
        raise SourceFailed("The campaign names no item selector (such as div.listing).", retry=False)
    if not isinstance(fields, dict) or not fields or not all(isinstance(v, str) for v in fields.values()):
        raise SourceFailed("The campaign names no fields to read ({column: selector}).", retry=False)
    max_pages = _count(target.get("max_pages"), DEFAULT_MAX_PAGES, "max_pages")
    details = _details_from(target)
    selectors = [item, *fields.values(), str(target.get("next_page") or "")]
    if details:
        selectors += [details.selector, *details.fields.values()]
    for selector in selectors:
        css = _split(selector)[0]
        try:
            if css:
                soupsieve.compile(css)
        except soupsieve.SelectorSyntaxError as error:
            raise SourceFailed(f"Not a CSS selector: {css!r} ({str(error).splitlines()[0]}).", retry=False) from None
    return Listing(
        start_urls=start_urls,
        item=item,
        fields={str(name): selector for name, selector in fields.items()},
        next_page=str(target.get("next_page") or ""),
        max_pages=max_pages,
        render=bool(target.get("render")),
        details=details,
    )


def _split(selector: str) -> tuple[str, str]:
    """ "a.site@href" -> ("a.site", "href"); "h2" -> ("h2", "")."""
    css, at, attribute = selector.rpartition("@")
    if at and _ATTRIBUTE.match(attribute):
        return css.strip(), attribute
    return selector.strip(), ""


def _select_one(scope: Tag, css: str) -> Tag | None:
    """The first match inside scope (selectors were checked by listing_from); no selector: the scope itself."""
    return scope.select_one(css) if css else scope


def cell(scope: Tag, selector: str, page_url: str) -> str:
    """What one field selector reads inside an item: an attribute (made absolute for links) or the stripped text."""
    css, attribute = _split(selector)
    element = _select_one(scope, css)
    if element is None:
        return ""
    if attribute:
        value = element.get(attribute)
        value = " ".join(value) if isinstance(value, list) else (value or "").strip()
        return urljoin(page_url, value) if value and attribute in URL_ATTRIBUTES else value
    return " ".join(element.get_text(" ", strip=True).split())


class _PageReader:
    """Reads one page's HTML through the guarded session, or the renderer; every failure becomes a SourceFailed."""

    def __init__(self, session: requests.Session, renderer: PageRenderer | None):
        self.session, self.renderer = session, renderer

    def read(self, url: str) -> tuple[str, str]:
        """(html, the URL it came from after redirects)."""
        if self.renderer is not None:
            try:
                return self.renderer.render(url), url
            except RenderFailed as error:
                # The renderer refuses private addresses and oversized answers the same way as the session.
                # The page itself refused by the guard (a private address, too large) will be refused again.
                refused = url in self.renderer.refused
                detail = " (refused: a private address or too large)" if refused else ""
                raise SourceFailed(f"{error}{detail}", retry=not refused) from None
        try:
            response = self.session.get(url, headers={"Accept": "text/html,application/xhtml+xml"})
        except BlockedAddress as error:
            raise SourceFailed(f"{url} leads to a private address, which is never read: {error}", retry=False) from None
        except ResponseTooLarge:
            raise SourceFailed(
                f"{url} is larger than {settings.HTTP_MAX_BYTES:,} bytes: refused.", retry=False
            ) from None
        except requests.TooManyRedirects:
            raise SourceFailed(f"{url} redirects too many times.", retry=False) from None
        except requests.exceptions.RetryError:
            raise SourceFailed(f"{url} kept answering with server errors; trying later.") from None
        except requests.Timeout:
            raise SourceFailed(f"{url} did not answer in time; trying later.") from None
        except requests.ConnectionError:
            raise SourceFailed(f"{urlsplit(url).hostname} could not be reached; trying later.") from None
        except requests.RequestException as error:
            raise SourceFailed(f"{url} could not be read ({type(error).__name__}).") from None
        if response.status_code >= 400:
            raise SourceFailed(f"{url} answered {response.status_code}.", retry=response.status_code >= 500)
        content_type = response.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
        if content_type not in HTML_TYPES:
            raise SourceFailed(f"{url} is not a web page ({content_type}).", retry=False)
        return response.text, response.url


def _next_url(soup: BeautifulSoup, selector: str, page_url: str) -> str:
    if not selector:
        return ""
    css, attribute = _split(selector)
    element = _select_one(soup, css)
    if element is None:
        return ""
    link = element.get(attribute or "href") or ""
    link = urljoin(page_url, link.strip()) if isinstance(link, str) and link.strip() else ""
    return link if urlsplit(link).scheme in ("http", "https") else ""


def _add_details(
    reader: _PageReader, details: Details, headers: list[str], rows: list[list[str]], urls: list[str], notes: list[str]
) -> None:
    """Fill each row's empty cells (and new columns) from its own page; a page that cannot be read is noted and
    skipped, since the listing's rows stand without it."""
    headers.extend(name for name in details.fields if name not in headers)
    columns = {name: headers.index(name) for name in details.fields}
    opened = 0
    for row, url in zip(rows, urls, strict=True):
        row.extend([""] * (len(headers) - len(row)))
        if not url or urlsplit(url).scheme not in ("http", "https"):
            continue
        if opened >= details.limit:
            notes.append(f"Details read for the first {details.limit} items only (details max).")
            break
        opened += 1
        if not allowed_by_robots(url):
            notes.append(f"Details of {url} not read: robots.txt disallows it.")
            continue
        try:
            html, page_url = reader.read(url)
        except SourceFailed as failure:
            notes.append(f"Details of {url} not read: {failure}")
            continue
        page = BeautifulSoup(html, "html.parser")
        for name, selector in details.fields.items():
            value = cell(page, selector, page_url)
            if value and not row[columns[name]]:
                row[columns[name]] = value
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))


def fetch(source: SourceSettings, target: dict, cursor: dict) -> Fetched:
    """Every item of every listing page, following next_page links from each start URL up to max_pages (never the
    same page twice). Zero items on a start URL's first page flags the result: the layout has probably changed."""
    listing = listing_from(target)
    headers = list(listing.fields)
    rows: list[list[str]] = []
    notes: list[str] = []
    pages_read: list[dict] = []
    suspicious = False
    seen: set[str] = set()
    detail_urls: list[str] = []  # each row's own page, when the target asks for details
    renderer_context = PageRenderer() if listing.render else contextlib.nullcontext()
    with http_session() as session, renderer_context as renderer:
        reader = _PageReader(session, renderer)
        for start_url in listing.start_urls:
            url, page_number = start_url, 0
            while url and page_number < listing.max_pages and url not in seen:
                seen.add(url)
                if not allowed_by_robots(url):
                    notes.append(f"robots.txt of {urlsplit(url).hostname} disallows {url} (or could not be read).")
                    # A start page never read is as empty as a changed layout: the run must not look fine.
                    suspicious = suspicious or page_number == 0
                    break
                html, page_url = reader.read(url)
                soup = BeautifulSoup(html, "html.parser")
                items = soup.select(listing.item)
                if not items and page_number == 0:
                    suspicious = True
                    notes.append(f"0 items on {url}: has the layout changed?")
                rows.extend([cell(item, selector, page_url) for selector in listing.fields.values()] for item in items)
                if listing.details:
                    detail_urls.extend(cell(item, listing.details.selector, page_url) for item in items)
                pages_read.append({"url": url, "items": len(items)})
                page_number += 1
                url = _next_url(soup, listing.next_page, page_url)
            if url and page_number >= listing.max_pages and url not in seen:
                notes.append(f"Stopped after {listing.max_pages} pages of {start_url} (max_pages).")
        if listing.details:
            _add_details(reader, listing.details, headers, rows, detail_urls, notes)
    return Fetched(
        headers=headers,
        rows=rows,
        mapping={name: name if name in FIELDS or name in REPEATABLE else "" for name in headers},
        cursor={},
        raw={"pages": pages_read},
        notes=notes,
        empty_is_suspicious=suspicious,
    )
