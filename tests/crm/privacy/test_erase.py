"""Erasing from the command line and the lead page: plain answers, admins only, and sends that never reach them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm.models import Lead, SuppressedPerson
from crm.privacy.suppression import person_suppressed
from crm.selectors import numbers_not_to_call
from leadflow.audit import AuditEvent
from outreach.suppression import ERASED, suppression_reasons
from tests.crm.privacy.conftest import E164, EMAIL
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _erase(*args: str) -> str:
    output = io.StringIO()
    call_command("privacy", "erase", *args, stdout=output)
    return output.getvalue()


def test_an_unknown_person_changes_nothing_unless_suppression_is_asked_for(db):
    LeadFactory(email="someone.else@example.org")

    assert _erase("nobody@example.org").strip() == "No data held for nobody@example.org; nothing changed."
    assert Lead.objects.count() == 1 and not SuppressedPerson.objects.exists()

    answer = _erase("nobody@example.org", "--phone", "+1 415 555 2671", "--suppress")
    assert (
        answer.strip()
        == "No data held for nobody@example.org / +1 415 555 2671; nothing changed. Added to the suppression list."
    )
    assert person_suppressed(emails=["NOBODY@example.org"]) and person_suppressed(phones=["+14155552671"])
    assert Lead.objects.count() == 1
    assert AuditEvent.objects.filter(action="person.erased", details__found=False).count() == 2


def test_the_command_says_what_it_erased_and_what_it_could_not(zebedee, settings, tmp_path):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    call_command("backup", stdout=io.StringIO())
    answer = _erase(EMAIL)
    assert "Erased Zebedee.Quortlebank@Example.org: " in answer and "leads 1" in answer
    assert f"Not erased: Copies inside backups made before this erasure: 1 backup in {tmp_path / 'backups'}" in answer


def test_no_sequence_writes_to_an_erased_address_or_number(zebedee):
    _erase(EMAIL)
    assert suppression_reasons([EMAIL]) == {EMAIL.lower(): ERASED}
    assert numbers_not_to_call([E164]) == {E164}


def test_a_rep_or_manager_cannot_erase_and_an_admin_can_after_confirming(
    zebedee, client, rep_alice, manager_mia, admin_ada
):
    zebedee.owner = rep_alice
    zebedee.save(update_fields=["owner"])
    url = reverse("crm:lead_privacy_erase", args=[zebedee.pk])
    for user in (rep_alice, manager_mia):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    assert Lead.objects.filter(pk=zebedee.pk).exists()

    client.force_login(admin_ada)
    page = client.get(reverse("crm:lead", args=[zebedee.pk]))
    assert url in page.content.decode()
    assert "Erase everything held on" in client.get(url).content.decode()
    answer = client.post(url, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("crm:leads")
    assert "Only a keyed hash is kept" in answer.content.decode()
    assert not Lead.objects.filter(pk=zebedee.pk).exists()


def test_a_rep_cannot_export_and_a_manager_can(zebedee, client, rep_alice, rep_bob, viewer_vic, manager_mia):
    zebedee.owner = rep_alice
    zebedee.save(update_fields=["owner"])
    url = reverse("crm:lead_privacy_export", args=[zebedee.pk])
    client.force_login(rep_alice)
    page = client.get(reverse("crm:lead", args=[zebedee.pk])).content.decode()
    assert url not in page and reverse("crm:lead_privacy_erase", args=[zebedee.pk]) not in page
    for user, status in ((rep_alice, 403), (viewer_vic, 403), (rep_bob, 404)):
        client.force_login(user)
        assert client.post(url).status_code == status, user
    client.force_login(manager_mia)
    assert client.get(url).status_code == 405
    answer = client.post(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"] == f'attachment; filename="lead-{zebedee.pk}-data.zip"'
    assert b"person.json" in b"".join(answer.streaming_content)


@pytest.mark.parametrize(
    "path", ["/leads/999999/privacy/export/", "/leads/0/privacy/erase/", "/leads/abc/privacy/erase/"]
)
def test_odd_ids_are_not_found(client, admin_ada, path):
    client.force_login(admin_ada)
    assert client.post(path).status_code == 404
