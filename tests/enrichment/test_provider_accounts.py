"""Provider API keys are encrypted at rest, survive a SECRET_KEY rotation, and are seen and changed by admins only."""

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from enrichment.models import ProviderAccount
from leadflow.secrets import SecretUnreadable

pytestmark = pytest.mark.django_db

KEY = "hunter-test-key-0123456789abcdef3f9a"
OLD_SECRET = "old-secret-key-" + "o" * 40
NEW_SECRET = "new-secret-key-" + "n" * 40


def _stored(account: ProviderAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM enrichment_provideraccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_the_key_is_stored_encrypted_and_read_back_plain():
    account = ProviderAccount.objects.create(provider="hunter", api_key=KEY)
    stored = _stored(account)
    assert KEY not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert ProviderAccount.objects.get(pk=account.pk).api_key == KEY
    assert account.api_key_masked == "••••••3f9a"


def test_rotating_secret_key_with_the_old_one_in_the_fallbacks_loses_nothing():
    with override_settings(SECRET_KEY=OLD_SECRET, SECRET_KEY_FALLBACKS=[]):
        account = ProviderAccount.objects.create(provider="hunter", api_key=KEY)
        written_under_old = _stored(account)
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET]):
        account = ProviderAccount.objects.get(pk=account.pk)
        assert account.api_key == KEY
        account.save()  # written again under the new key
        assert _stored(account) != written_under_old
    with override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]):
        assert ProviderAccount.objects.get(pk=account.pk).api_key == KEY


def test_a_key_saved_under_a_secret_that_is_gone_says_how_to_get_it_back():
    with override_settings(SECRET_KEY=OLD_SECRET, SECRET_KEY_FALLBACKS=[]):
        account = ProviderAccount.objects.create(provider="hunter", api_key=KEY)
    with (
        override_settings(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]),
        pytest.raises(SecretUnreadable, match="SECRET_KEY_FALLBACKS"),
    ):
        ProviderAccount.objects.get(pk=account.pk)


def test_an_admin_saves_a_key_sees_it_masked_and_an_empty_field_keeps_it(client, admin_ada):
    client.force_login(admin_ada)
    added = client.post(
        reverse("admin:enrichment_provideraccount_add"), {"provider": "hunter", "api_key": KEY, "enabled": "on"}
    )
    assert added.status_code == 302
    account = ProviderAccount.objects.get()
    assert account.api_key == KEY

    change_url = reverse("admin:enrichment_provideraccount_change", args=[account.pk])
    page = client.get(change_url).content.decode()
    assert KEY not in page and "Saved: ••••••3f9a. Leave empty to keep it." in page
    assert KEY not in client.get(reverse("admin:enrichment_provideraccount_changelist")).content.decode()

    assert client.post(change_url, {"provider": "hunter", "api_key": "", "enabled": ""}).status_code == 302
    account.refresh_from_db()
    assert (account.api_key, account.enabled) == (KEY, False)


@pytest.mark.parametrize("persona", ["manager_mia", "rep_alice", "viewer_vic"])
def test_nobody_but_admins_sees_or_changes_provider_keys(client, request, persona):
    account = ProviderAccount.objects.create(provider="hunter", api_key=KEY)
    user = request.getfixturevalue(persona)
    user.is_staff = True  # even with the back office open to them
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:enrichment_provideraccount_changelist")).status_code == 403
    assert client.get(reverse("admin:enrichment_provideraccount_change", args=[account.pk])).status_code == 403
    assert "Provider accounts" not in client.get(reverse("admin:index")).content.decode()
