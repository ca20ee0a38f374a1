"""Host names and their registrable domains, by the public suffix list bundled with tldextract."""

from __future__ import annotations

import contextlib
import functools
import unicodedata

import tldextract


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


def clean_host(host: str) -> str:
    """Lower-case, no trailing dot, and punycode labels shown as the letters they stand for."""
    host = host.strip().rstrip(".").lower()
    if "xn--" in host:
        # A malformed punycode label is left as typed; it simply will not match anything.
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    return unicodedata.normalize("NFC", host) if not host.isascii() else host


@functools.lru_cache(maxsize=65536)
def split_domain(host: str) -> tuple[str, str, str]:
    """(registrable domain, its label under the suffix, the suffix) for a clean host; "" parts when none."""
    result = _tld_extractor().extract_str(host)
    registrable = result.top_domain_under_public_suffix
    if not registrable:
        return "", "", ""
    return registrable, result.domain, result.suffix
