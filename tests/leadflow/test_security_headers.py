"""A strict Content-Security-Policy and a Permissions-Policy on every page, and templates that need nothing more."""

import hashlib
import re
from pathlib import Path

import import_export
import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)
# What a strict policy blocks in markup: the page would lose it (and log a violation).
BLOCKED_MARKUP = {
    "inline event handler": re.compile(r"(?<![\w:.-])on[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"(?<![\w:.-])style\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.IGNORECASE),
    "htmx inline handler": re.compile(r"\bhx-on\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def directives(policy: str) -> set[str]:
    return {directive.strip() for directive in policy.split(";")}


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "signed_in"), [("account_login", False), ("crm:dashboard", True)])
def test_every_page_carries_the_policies(client, rep_alice, url, signed_in):
    if signed_in:
        client.force_login(rep_alice)

    response = client.get(reverse(url))

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == directives(POLICY)
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_the_policy_has_no_way_round_it():
    assert "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY and "*" not in POLICY


def test_the_scan_finds_what_the_policy_blocks():
    found = {
        kind
        for kind, pattern in BLOCKED_MARKUP.items()
        for sample in (
            '<button onclick="go()">',
            '<div style="color: red">',
            "<style>p {}</style>",
            "<script>go()</script>",
            '<div hx-on:click="go()">',
            '<a href="javascript:go()">',
        )
        if pattern.search(sample)
    }
    assert found == set(BLOCKED_MARKUP)
    harmless = '<form data-confirm="Sure?" hx-confirm="Sure?"><script src="/static/js/site.js" defer></script>'
    assert not any(pattern.search(harmless) for pattern in BLOCKED_MARKUP.values())


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_holds_markup_the_policy_blocks(template):
    text = template.read_text()

    problems = [
        f"line {text.count(chr(10), 0, match.start()) + 1}: {kind}: {match.group(0)!r}"
        for kind, pattern in BLOCKED_MARKUP.items()
        for match in pattern.finditer(text)
    ]

    assert not problems


def test_the_copy_of_the_admin_export_page_follows_the_librarys_own():
    # templates/admin/import_export/export.html is the library's page without what the policy blocks: when an
    # upgrade changes the original, update the copy (and this digest) from it.
    original = Path(import_export.__file__).parent / "templates/admin/import_export/export.html"

    digest = hashlib.sha256(original.read_bytes()).hexdigest()

    assert digest == "cb62034e5ac6a50108a7d1a325348e08aacaabc9835960ce03baabcd48c005e8"
