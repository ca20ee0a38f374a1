"""The company-website source: reads a lead's company site (the home page and a few likely pages: team, about,
contact, imprint) for the company's facts, contact details, social links, technology hints, schema.org data and the
people on its team pages.

A whole site's facts are one stored answer ("website", "site", <site key>), read before anything is fetched: many
leads share a company, and its site is read once within the cache days. Findings are made from that answer for each
lead, so the cached facts hold nothing of any one lead.

Failures of the home page end as ProviderFailed with a reason for the person reading the job's outcome. Refusals
that will not change (a private address, a page over the size cap, a 4xx, not HTML) are cached like facts, so the
other leads of that company do not knock again; what may pass (timeouts, 5xx, refused connections, a robots.txt that
disallows or cannot be read) is recorded but not cached. robots.txt disallowing is a ProviderFailed rather than []:
the job's outcome then says why the site gave nothing. Extra pages that fail are skipped.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from crm.normalize import domain_from_url, domain_region
from enrichment.answers import answer_cached, answer_record
from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE, Finding, LeadFacts, ProviderFailed
from enrichment.providers.website_extract import PageFacts, extract_page, likely_page_links
from enrichment.providers.website_findings import site_findings
from leadflow.http import BlockedAddress, ResponseTooLarge, allowed_by_robots, checked_addresses, http_session
from leadflow.rendering import PageRenderer, RenderFailed

logger = logging.getLogger(__name__)

SOURCE = "website"
ANSWER_KIND = "site"
# Pages read after the home page: enough for team, about, contact and imprint, few enough to stay polite.
MAX_EXTRA_PAGES = 4
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class PageRefused(Exception):
    """One page could not be read; `lasting` when asking again later would give the same answer."""

    def __init__(self, message: str, *, lasting: bool = False):
        super().__init__(message)
        self.lasting = lasting


def home_url(facts: LeadFacts) -> str:
    """The lead's website as given (a scheme added when missing), else https://<domain>; "" when neither is known."""
    website = facts.website.strip()
    if website:
        return website if "://" in website else f"https://{website}"
    return f"https://{facts.domain.strip()}" if facts.domain.strip() else ""


def site_key(url: str) -> str:
    """The cache key of a site: its registered domain when the address is a site's root (www.acme.com/ and
    https://acme.com share one), else the host and path (a site under a path, such as a local stand-in)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    domain = domain_from_url(url)
    if domain and not path:
        return domain
    return f"{parts.netloc.lower()}{path}"


def _redirect_target(response: requests.Response) -> str:
    return urljoin(response.url, response.headers.get("Location", "")) if response.is_redirect else ""


def fetch_page(session: requests.Session, url: str) -> requests.Response:
    """GET one HTML page, following redirects one hop at a time so that a refusal can say where it happened."""
    hops = 0
    while True:
        try:
            response = session.get(url, allow_redirects=False, headers={"Accept": "text/html,*/*;q=0.5"})
        except BlockedAddress as error:
            where = "the site redirects to a private address" if hops else "the site is at a private address"
            raise PageRefused(f"refused: {where} ({urlsplit(url).hostname})", lasting=True) from error
        except ResponseTooLarge as error:
            limit = settings.HTTP_MAX_BYTES
            raise PageRefused(f"refused: the page is larger than {limit:,} bytes ({url})", lasting=True) from error
        except requests.exceptions.RetryError as error:
            raise PageRefused(f"the site kept answering with server errors ({url})") from error
        except requests.Timeout as error:
            raise PageRefused(f"the site did not answer in time ({url})") from error
        except requests.ConnectionError as error:
            raise PageRefused(f"the site could not be reached ({urlsplit(url).hostname})") from error
        except requests.RequestException as error:
            raise PageRefused(f"the site could not be read ({url}): {type(error).__name__}") from error
        target = _redirect_target(response)
        if not target:
            break
        hops += 1
        if hops > settings.HTTP_MAX_REDIRECTS:
            raise PageRefused(f"the site redirects too often ({url})")
        if urlsplit(target).scheme not in ("http", "https"):
            raise PageRefused(f"refused: the site redirects to a non-web address ({url})", lasting=True)
        url = target
    if response.status_code >= 400:
        raise PageRefused(f"the site answered {response.status_code} for {url}", lasting=response.status_code < 500)
    content_type = response.headers.get("Content-Type", "text/html").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        raise PageRefused(f"not a web page: {url} is {content_type}", lasting=True)
    return response


def _page_facts(response: requests.Response, region: str, renderer: PageRenderer | None) -> PageFacts:
    declared = response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
    page = extract_page(
        response.content,
        response.url,
        region=region,
        headers=response.headers,
        cookie_names=list(response.cookies.keys()),
        declared_encoding=declared,
    )
    if renderer is None or not page.needs_javascript:
        return page
    try:
        rendered = renderer.render(response.url)
    except RenderFailed as error:
        logger.info("website: %s", error)
        return page  # the page's own markup is still what the site says
    page = extract_page(
        rendered, response.url, region=region, headers=response.headers, cookie_names=list(response.cookies.keys())
    )
    page.needs_javascript = True
    return page


def _check_host(url: str) -> None:
    """Refuse a site at a private address, or with no address, before anything (robots.txt included) is asked."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PageRefused(f"not a web address: {url}", lasting=True)
    try:
        checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except BlockedAddress as error:
        raise PageRefused(f"refused: the site is at a private address ({parts.hostname})", lasting=True) from error
    except (OSError, UnicodeError) as error:
        raise PageRefused(f"the site could not be reached: {parts.hostname} has no address") from error


def read_site(url: str, *, region: str) -> dict:
    """The facts of a whole site: its home page and up to MAX_EXTRA_PAGES likely pages. Raises PageRefused when the
    home page cannot be read; robots.txt is honoured for every page."""
    _check_host(url)
    if not allowed_by_robots(url):
        # http.py reads a robots.txt that cannot be fetched (5xx, refused, timed out) as "disallow all", as the big
        # crawlers do: such a site may only be down for now, so this is not cached.
        host = urlsplit(url).hostname
        raise PageRefused(f"robots.txt of {host} disallows reading the site, or could not be read (is it down?)")
    pages: list[PageFacts] = []
    with http_session() as session, PageRenderer() as renderer:
        render = renderer if settings.ENRICHMENT_RENDER_JS else None
        home = _page_facts(fetch_page(session, url), region, render)
        pages.append(home)
        for link in likely_page_links(home.links, home.url, limit=MAX_EXTRA_PAGES):
            if not allowed_by_robots(link):
                continue
            try:
                pages.append(_page_facts(fetch_page(session, link), region, render))
            except PageRefused as error:
                logger.info("website: skipped a page: %s", error)
    return {
        "url": home.url,
        "region": region,
        "pages": [page.as_dict() for page in pages],
    }


def _phone_region(facts: LeadFacts, url: str) -> str:
    """The region national numbers on the site are read in: the lead's, else the domain's country, else the site's."""
    return facts.region or domain_region(facts.domain or domain_from_url(url)) or settings.PHONE_DEFAULT_REGION


def find(facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
    """Findings for one lead from its company's website (company facts, the lead's own email, phone and LinkedIn
    profile when the site names them, and the other people on its team pages). [] when there is no site to read."""
    if not wanted & {COMPANY, EMAIL, PHONE, LINKEDIN}:
        return []
    url = home_url(facts)
    if not url:
        return []
    key = site_key(url)
    answer = answer_cached(SOURCE, ANSWER_KIND, key)
    if answer is None:
        try:
            site = read_site(url, region=_phone_region(facts, url))
        except PageRefused as refusal:
            answer_record(SOURCE, ANSWER_KIND, key, {"url": url, "error": str(refusal)}, cached=refusal.lasting)
            raise ProviderFailed(str(refusal)) from refusal
        answer = answer_record(SOURCE, ANSWER_KIND, key, site)
    if answer.body.get("error"):
        raise ProviderFailed(answer.body["error"])
    return site_findings(answer.body, facts, wanted, answer=answer, source=SOURCE)
