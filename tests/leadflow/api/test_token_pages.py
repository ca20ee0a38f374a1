"""My settings > API tokens: make one (shown once), see them listed, revoke one."""

from django.urls import reverse

from leadflow.api.tokens import api_token_create, token_hash
from leadflow.models import ApiToken


def test_a_token_is_made_shown_once_and_listed_without_its_secret(client, rep_alice):
    client.force_login(rep_alice)
    page = client.post(reverse("api_token_new"), {"name": "Zapier", "read_only": "on", "expires_in": "30"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=rep_alice)
    secret = page.context["issued"].secret
    assert secret.encode() in page.content and token.token_hash == token_hash(secret) and token.read_only
    settings_page = client.get(reverse("crm:my_settings"))
    assert b"Zapier" in settings_page.content and token.prefix.encode() in settings_page.content
    assert secret.encode() not in settings_page.content


def test_a_token_is_revoked_by_its_owner_only(client, rep_alice, rep_bob):
    issued = api_token_create(user=rep_alice, name="CI")
    client.force_login(rep_bob)
    assert client.post(reverse("api_token_revoke", args=[issued.token.pk])).status_code == 404
    client.force_login(rep_alice)
    client.post(reverse("api_token_revoke", args=[issued.token.pk]))
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
