"""Tokens, scopes, problem details, the body limit and throttling, as a program calling the API meets them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from leadflow.api.tokens import api_token_create, api_token_revoke, token_hash
from leadflow.models import ApiToken
from tests.factories import LeadFactory


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_token_is_kept_only_as_its_hash(rep_alice):
    issued = api_token_create(user=rep_alice, name="Zapier")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.token_hash == token_hash(issued.secret)
    assert issued.secret not in {stored.prefix, stored.token_hash, stored.name}
    assert issued.secret.startswith(stored.prefix) and len(stored.prefix) == 11


def test_no_token_is_401_problem(db):
    response = APIClient().get("/api/v1/leads/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401 and response.json()["instance"] == "/api/v1/leads/"


@pytest.mark.parametrize("secret", ["lf_wrong", "not-even-ours", "lf_" + "x" * 300])
def test_an_unknown_token_is_401(db, secret):
    assert bearer(secret).get("/api/v1/leads/").status_code == 401


def test_an_expired_token_is_401(rep_alice):
    issued = api_token_create(user=rep_alice, name="old", expires_at=timezone.now() + timedelta(seconds=30))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(issued.secret).get("/api/v1/leads/").status_code == 401


def test_a_revoked_token_is_401(rep_alice):
    issued = api_token_create(user=rep_alice, name="gone")
    assert bearer(issued.secret).get("/api/v1/leads/").status_code == 200
    assert api_token_revoke(token=issued.token, actor=rep_alice)
    assert bearer(issued.secret).get("/api/v1/leads/").status_code == 401


def test_a_deactivated_users_token_is_401(rep_alice):
    issued = api_token_create(user=rep_alice, name="x")
    rep_alice.is_active = False
    rep_alice.save()
    assert bearer(issued.secret).get("/api/v1/leads/").status_code == 401


def test_use_is_recorded(rep_alice):
    issued = api_token_create(user=rep_alice, name="x")
    bearer(issued.secret).get("/api/v1/leads/")
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None


def test_a_read_only_token_reads_but_cannot_write(api_as, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    client = api_as(rep_alice, read_only=True)
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "CTO"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert client.post("/api/v1/leads/", {"first_name": "Ann"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 403
    lead.refresh_from_db()
    assert lead.title != "CTO"


def test_the_browser_session_works_and_its_writes_need_the_csrf_token(rep_alice):
    from django.test import Client

    LeadFactory(owner=rep_alice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep_alice)
    assert len(browser.get("/api/v1/leads/").json()["results"]) == 1
    refused = browser.post("/api/v1/leads/", {"first_name": "Ann"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_invalid_json_is_a_400_problem(api_as, rep_alice):
    response = api_as(rep_alice).post("/api/v1/leads/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/api/problems/malformed" and body["errors"][0]["pointer"] == ""


def test_invalid_values_are_a_400_with_a_problem_per_field(api_as, rep_alice):
    body = {"email": 42, "deal_value": "-5", "lifecycle": "prospect", "tags": ["ok", 7]}
    response = api_as(rep_alice).post("/api/v1/leads/", body, format="json")
    assert response.status_code == 400
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert {"/email", "/deal_value", "/lifecycle", "/tags/1"} <= pointers


def test_a_value_the_normaliser_refuses_is_a_400_on_its_field(api_as, rep_alice):
    response = api_as(rep_alice).post("/api/v1/leads/", {"phone": "call me maybe"}, format="json")
    assert response.status_code == 400
    assert [error["pointer"] for error in response.json()["errors"]] == ["/phone"]


def test_a_body_over_the_limit_is_413_before_it_is_read(api_as, rep_alice, settings):
    settings.API_MAX_BODY_BYTES = 1024 * 1024
    huge = {"leads": [{"first_name": "x" * 90, "email": f"p{n}@x.example"} for n in range(12_000)]}
    response = api_as(rep_alice).post("/api/v1/leads/bulk/", huge, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not rep_alice.leads.exists()


def test_ten_megabytes_are_refused_at_the_default_limit(api_as, rep_alice):
    body = '{"first_name": "' + "x" * (10 * 1024 * 1024) + '"}'
    response = api_as(rep_alice).post("/api/v1/leads/", body, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("odd", ["abc", "0", "-1", "99999999999999999999999", "1.5", "%C2%B2"])
def test_odd_ids_are_404_problems(api_as, rep_alice, odd):
    response = api_as(rep_alice).get(f"/api/v1/leads/{odd}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_endpoint_is_a_404_problem(api_as, rep_alice):
    response = api_as(rep_alice).get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_requests_per_token_are_throttled(api_as, rep_alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_token": "3/min"}}
    client, other = api_as(rep_alice), api_as(rep_alice)
    statuses = [client.get("/api/v1/stages/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/stages/")["Retry-After"]
    assert other.get("/api/v1/stages/").status_code == 200  # each token has its own budget


def test_the_schema_and_docs_pages_are_served(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "bearerToken" in text and "application/problem+json" in text and "/api/v1/leads/bulk/" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()
    redoc = client.get("/api/redoc/")
    assert redoc.status_code == 200 and b"redoc" in redoc.content.lower()


def test_the_command_prints_a_token_once(rep_alice):
    out, err = StringIO(), StringIO()
    call_command("api_token", rep_alice.email, "--name", "CI", "--read-only", "--days", "30", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=rep_alice)
    assert token.token_hash == token_hash(secret) and token.read_only and token.expires_at
    assert "read-only" in err.getvalue() and secret not in err.getvalue()
    assert bearer(secret).get("/api/v1/leads/").status_code == 200
