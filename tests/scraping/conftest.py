"""Fixtures for the ad lead-form tests: a Meta source and a Google Ads source with their secrets stored (encrypted),
the Graph API stand-in, and signing as Meta signs. Imported by name into the tests that use them."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from scraping.models import Source
from tests.fakes.meta_graph_server import MetaGraphStandIn

APP_SECRET = "meta-app-secret-of-the-test-app"
VERIFY_TOKEN = "meatyhamhock"
PAGE_ACCESS_TOKEN = "EAAtestpageaccesstoken"
GOOGLE_KEY = "xfdgdgsgfchgvhgfchg"  # the key in Google's documented sample bodies


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    """X-Hub-Signature-256 as Meta sends it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def graph(httpserver, local_stand_ins) -> MetaGraphStandIn:
    return MetaGraphStandIn(httpserver)


@pytest.fixture
def meta_source(db, graph) -> Source:
    credentials = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "page_access_token": PAGE_ACCESS_TOKEN}
    return Source.objects.create(
        kind=Source.Kind.META, name="Meta lead ads", credentials=json.dumps(credentials), base_url=graph.base_url
    )


@pytest.fixture
def google_source(db) -> Source:
    return Source.objects.create(
        kind=Source.Kind.GOOGLE_ADS, name="Google lead forms", credentials=json.dumps({"webhook_key": GOOGLE_KEY})
    )
