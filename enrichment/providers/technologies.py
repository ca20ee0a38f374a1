"""Technology hints a company website gives away, as data: which rule names which product.

Each rule looks at one kind of evidence a page offers:
- "generator": the content of <meta name="generator">
- "url": the address of a script, stylesheet, iframe or preload link (hosts and paths such as /wp-content/)
- "html": the page's own markup and inline scripts (snippets such as "_hsq.push" or "Shopify.theme")
- "cookie": the name of a cookie the server set
- "header": a response header, written "name: pattern" (the pattern is matched against the header's value)

Patterns are regular expressions, matched case-insensitively. A product is named once however many rules match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class TechnologyRule:
    technology: str
    kind: str
    pattern: str


def _rules(technology: str, **evidence: str | tuple[str, ...]) -> list[TechnologyRule]:
    rules = []
    for kind, patterns in evidence.items():
        for pattern in (patterns,) if isinstance(patterns, str) else patterns:
            rules.append(TechnologyRule(technology, kind, pattern))
    return rules


TECHNOLOGY_RULES: tuple[TechnologyRule, ...] = (
    *_rules("WordPress", generator=r"\bwordpress\b", url=(r"/wp-content/", r"/wp-includes/"), html=r"/wp-json/"),
    *_rules("Drupal", generator=r"\bdrupal\b", header=r"x-generator: drupal", url=r"/sites/default/files/"),
    *_rules("Joomla", generator=r"\bjoomla\b"),
    *_rules(
        "Shopify",
        generator=r"\bshopify\b",
        url=r"cdn\.shopify\.com",
        html=r"\bShopify\.theme\b",
        cookie=r"^_shopify_",
        header=r"x-shopid: .",
    ),
    *_rules("Wix", generator=r"\bwix\.com\b", url=(r"static\.wixstatic\.com", r"static\.parastorage\.com")),
    *_rules("Squarespace", generator=r"\bsquarespace\b", url=r"static1\.squarespace\.com"),
    *_rules("Webflow", generator=r"\bwebflow\b", html=r"\bdata-wf-page="),
    *_rules("Ghost", generator=r"\bghost\b"),
    *_rules(
        "HubSpot",
        url=(r"js\.hs-scripts\.com", r"js\.hsforms\.net", r"js\.hs-analytics\.net"),
        html=r"_hsq\.push",
        cookie=r"^hubspotutk$",
    ),
    *_rules("Salesforce Pardot", url=r"pi\.pardot\.com", html=r"\bpiAId\b", cookie=r"^visitor_id\d+"),
    *_rules("Salesforce", url=r"\.force\.com/|\.salesforce\.com/|salesforce-sites\.com"),
    *_rules("Marketo", url=r"munchkin\.marketo\.net", html=r"Munchkin\.init", cookie=r"^_mkto_trk$"),
    *_rules("Mailchimp", url=r"chimpstatic\.com|list-manage\.com"),
    *_rules(
        "Google Analytics",
        url=(r"google-analytics\.com/(?:analytics|ga)\.js", r"googletagmanager\.com/gtag/js"),
        html=r"\bgtag\(\s*['\"]config['\"]\s*,\s*['\"](?:G|UA)-",
        cookie=r"^_ga(?:_|$)",
    ),
    *_rules("Google Tag Manager", url=r"googletagmanager\.com/gtm\.js", html=r"\bGTM-[A-Z0-9]{4,}\b"),
    *_rules("Meta Pixel", url=r"connect\.facebook\.net/.*/fbevents\.js", html=r"\bfbq\(\s*['\"]init"),
    *_rules("Hotjar", url=r"static\.hotjar\.com", html=r"\bhjid\s*:", cookie=r"^_hj"),
    *_rules("Intercom", url=(r"widget\.intercom\.io", r"js\.intercomcdn\.com"), html=r"\bintercomSettings\b"),
    *_rules("Drift", url=r"js\.driftt\.com", html=r"\bdrift\.load\("),
    *_rules("Zendesk", url=(r"static\.zdassets\.com", r"\.zendesk\.com/"), html=r"\bzESettings\b"),
    *_rules("Stripe", url=r"js\.stripe\.com"),
    *_rules("Cloudflare", header=(r"server: cloudflare", r"cf-ray: ."), cookie=r"^__cf_bm$|^__cfduid$"),
    *_rules("Vercel", header=(r"server: vercel", r"x-vercel-id: .")),
    *_rules("Netlify", header=(r"server: netlify", r"x-nf-request-id: .")),
    *_rules("Nginx", header=r"server: nginx"),
    *_rules("Apache", header=r"server: apache"),
    *_rules("PHP", header=r"x-powered-by: php", cookie=r"^PHPSESSID$"),
    *_rules("ASP.NET", header=(r"x-powered-by: asp\.net", r"x-aspnet-version: ."), cookie=r"^ASP\.NET_SessionId$"),
    *_rules("React", html=(r"\bdata-reactroot\b", r"__NEXT_DATA__")),
    *_rules("Next.js", html=r"__NEXT_DATA__", url=r"/_next/static/", header=r"x-powered-by: next\.js"),
    *_rules("Vue.js", html=r"\bdata-v-[0-9a-f]{8}\b"),
    *_rules("jQuery", url=r"jquery(?:[.-]\d[\w.]*)?(?:\.min)?\.js"),
    *_rules("Bootstrap", url=r"bootstrap(?:\.bundle)?(?:\.min)?\.(?:js|css)"),
    *_rules("Calendly", url=r"assets\.calendly\.com"),
    *_rules("Typeform", url=r"embed\.typeform\.com"),
    *_rules("Cookiebot", url=r"consent\.cookiebot\.com"),
    *_rules("OneTrust", url=r"cdn\.cookielaw\.org"),
    *_rules("Google reCAPTCHA", url=r"google\.com/recaptcha/"),
)


@cache
def _compiled() -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    compiled = []
    for rule in TECHNOLOGY_RULES:
        header, pattern = "", rule.pattern
        if rule.kind == "header":
            header, _, pattern = rule.pattern.partition(": ")
        compiled.append((rule.technology, rule.kind, header.lower(), re.compile(pattern, re.IGNORECASE)))
    return tuple(compiled)


def technologies_detected(
    *,
    generators: Iterable[str] = (),
    urls: Iterable[str] = (),
    html: str = "",
    cookie_names: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """The products the evidence names, in the order of TECHNOLOGY_RULES."""
    evidence = {
        "generator": list(generators),
        "url": list(urls),
        "html": [html] if html else [],
        "cookie": list(cookie_names),
    }
    header_values = {name.lower(): value for name, value in (headers or {}).items()}
    found: list[str] = []
    for technology, kind, header, pattern in _compiled():
        if technology in found:
            continue
        texts = evidence[kind] if kind != "header" else [header_values[header]] if header in header_values else []
        if any(pattern.search(text) for text in texts):
            found.append(technology)
    return found
