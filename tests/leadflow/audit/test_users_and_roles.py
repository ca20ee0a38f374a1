"""Audit: people invited, created, changed, given another role, deactivated, reactivated and deleted."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from crm.models import User
from leadflow.audit import AuditEvent
from leadflow.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_invitation_is_recorded_with_the_role(client, admin_ada, only_event, mailoutbox):
    client.force_login(admin_ada)
    client.post(
        reverse("crm:settings_users"), {"email": "new@leadflow.test", "role": "Rep"}, REMOTE_ADDR="198.51.100.4"
    )

    event = only_event("user.invited")
    invited = User.objects.get(email="new@leadflow.test")
    assert (event.actor, event.channel, event.ip) == (admin_ada, "web", "198.51.100.4")
    assert (event.object_type, event.object_id, event.details) == ("crm.user", str(invited.pk), {"role": "Rep"})


def test_a_role_change_on_the_team_page_is_recorded_before_and_after(client, admin_ada, rep_alice, only_event):
    client.force_login(admin_ada)
    client.post(reverse("crm:user_edit", args=[rep_alice.pk]), {"role": "Manager"})

    event = only_event("user.role_changed")
    assert (event.actor, event.object_id, event.changes) == (admin_ada, str(rep_alice.pk), {"role": ["Rep", "Manager"]})


def test_deactivating_and_reactivating_are_recorded(client, admin_ada, rep_alice, only_event):
    client.force_login(admin_ada)
    client.post(reverse("crm:user_edit", args=[rep_alice.pk]), {"active": "0"})
    client.post(reverse("crm:user_edit", args=[rep_alice.pk]), {"active": "1"})

    assert only_event("user.deactivated").object_id == str(rep_alice.pk)
    assert only_event("user.reactivated").actor == admin_ada


def test_the_admins_bulk_role_action_is_recorded_per_user(client, admin_ada, rep_alice, rep_bob, only_event):
    client.force_login(admin_ada)
    client.post(
        reverse("admin:crm_user_changelist"),
        {"action": "set_role", "_selected_action": [rep_alice.pk], "role": "Viewer", "apply": "1"},
    )

    assert only_event("user.role_changed").changes == {"role": ["Rep", "Viewer"]}


def test_a_user_made_in_the_admin_is_recorded_with_no_password(client, admin_ada, only_event):
    client.force_login(admin_ada)
    client.post(
        reverse("admin:crm_user_add"),
        {
            "email": "ops@leadflow.test",
            "usable_password": "true",
            "password1": "Tr1cky-Secret-99",
            "password2": "Tr1cky-Secret-99",
        },
    )

    event = only_event("user.created")
    assert (event.actor, event.changes["email"]) == (admin_ada, [None, "ops@leadflow.test"])
    assert event.changes["password"] == "changed"
    assert "Tr1cky" not in str(event.changes) and "pbkdf2" not in str(event.changes)


def test_a_change_in_the_admin_records_the_fields_and_role_that_changed(client, admin_ada, rep_alice, only_event):
    client.force_login(admin_ada)
    client.post(
        reverse("admin:crm_user_change", args=[rep_alice.pk]),
        {
            "email": rep_alice.email,
            "first_name": "Alicia",
            "last_name": rep_alice.last_name,
            "is_active": "on",
            "groups": [Group.objects.get(name=Role.MANAGER.value).pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )

    event = only_event("user.changed")
    assert event.changes == {"first_name": ["Alice", "Alicia"], "role": ["Rep", "Manager"]}


def test_deleting_in_the_admin_is_recorded_with_the_email_kept(client, admin_ada, only_event):
    gone = UserFactory(email="leaver@leadflow.test")
    client.force_login(admin_ada)
    client.post(reverse("admin:crm_user_delete", args=[gone.pk]), {"post": "yes"})

    event = only_event("user.deleted")
    assert not User.objects.filter(pk=gone.pk).exists()
    assert (event.actor, event.object_id, event.details["email"]) == (admin_ada, str(gone.pk), "leaver@leadflow.test")


def test_the_first_admin_made_by_ensure_admin_is_recorded_as_a_command(tmp_path, only_event):
    call_command(
        "ensure_admin",
        "--email",
        "boss@leadflow.test",
        "--credentials-file",
        str(tmp_path / "login.txt"),
        stdout=io.StringIO(),
    )

    event = only_event("user.created")
    assert (event.actor, event.channel, event.object_label) == (None, "command", str(User.objects.get()))
    assert event.details == {"role": "Admin", "superuser": True}


def test_a_password_set_by_an_admin_is_recorded_without_the_password(client, admin_ada, rep_alice, only_event):
    client.force_login(admin_ada)
    url = reverse("admin:auth_user_password_change", args=[rep_alice.pk])
    answer = client.post(url, {"usable_password": "true", "password1": "N3w-Secret-77x", "password2": "N3w-Secret-77x"})
    assert answer.status_code == 302

    event = only_event("user.password_set")
    assert (event.actor, event.object_id, event.changes, event.details) == (
        admin_ada,
        str(rep_alice.pk),
        {"password": "changed"},
        {"usable": True},
    )
    assert "N3w-Secret" not in str(AuditEvent.objects.values())
