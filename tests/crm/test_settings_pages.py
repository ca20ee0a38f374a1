"""Settings: pipeline stages and staff accounts (admins only)."""

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from crm.models import Stage, User
from crm.services.pipelines import pipeline_default
from leadflow.roles import Role, role_of
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _stage_names() -> list[str]:
    return list(pipeline_default().stages.values_list("name", flat=True))


def test_add_rename_and_reorder_stages(client, admin_ada):
    client.force_login(admin_ada)
    client.post(reverse("crm:settings_pipeline"), {"name": "Trial", "kind": "open"})
    assert _stage_names()[-1] == "Trial"
    trial = Stage.objects.get(name="Trial")
    client.post(reverse("crm:stage_edit", args=[trial.pk]), {"name": "Free trial", "kind": "open"})
    trial.refresh_from_db()
    assert trial.name == "Free trial"
    order = list(pipeline_default().stages.values_list("pk", flat=True))
    order.insert(1, order.pop())
    client.post(reverse("crm:stages_reorder"), {"stage": order})
    assert _stage_names()[:2] == ["New", "Free trial"]


def test_the_page_offers_moving_a_stage_up(client, admin_ada):
    client.force_login(admin_ada)
    stages = client.get(reverse("crm:settings_pipeline")).context["stages"]
    assert stages[1].move_up_order[:2] == [stages[1].pk, stages[0].pk]


def test_a_stale_reorder_is_refused(client, admin_ada):
    client.force_login(admin_ada)
    before = _stage_names()
    response = client.post(reverse("crm:stages_reorder"), {"stage": [default_stage(0).pk]}, follow=True)
    assert "The stages changed meanwhile" in response.content.decode()
    assert _stage_names() == before


def test_a_stage_with_leads_cannot_be_removed(client, admin_ada):
    LeadFactory(stage=default_stage(2))
    client.force_login(admin_ada)
    response = client.post(reverse("crm:stage_delete", args=[default_stage(2).pk]), follow=True)
    assert "still holds leads" in response.content.decode()
    assert "Replied" in _stage_names()
    client.post(reverse("crm:stage_delete", args=[default_stage(5).pk]))
    assert "Negotiation" not in _stage_names()


def test_duplicate_stage_name_is_a_form_error(client, admin_ada):
    client.force_login(admin_ada)
    response = client.post(reverse("crm:settings_pipeline"), {"name": "Won", "kind": "won"})
    assert "already exists" in response.content.decode()
    assert _stage_names().count("Won") == 1


def test_invite_a_rep_who_then_sets_a_password_and_signs_in(client, admin_ada, django_capture_on_commit_callbacks):
    client.force_login(admin_ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("crm:settings_users"), {"email": "New.Rep@Example.com", "first_name": "Nia", "role": "Rep"}
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.rep@example.com")
    assert role_of(user) == Role.REP and not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.rep@example.com"]
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    client.logout()
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    response = client.post(set_url, {"password1": "a-Strong-pass-123", "password2": "a-Strong-pass-123"})
    assert response.status_code == 302
    assert authenticate(email="new.rep@example.com", password="a-Strong-pass-123") == user


def test_inviting_an_existing_email_is_refused(client, admin_ada, rep_alice):
    client.force_login(admin_ada)
    response = client.post(reverse("crm:settings_users"), {"email": rep_alice.email, "role": "Rep"})
    assert "already has an account" in response.content.decode()
    assert not mail.outbox


def test_change_role_and_deactivate(client, admin_ada, rep_alice):
    client.force_login(admin_ada)
    client.post(reverse("crm:user_edit", args=[rep_alice.pk]), {"role": "Manager"})
    rep_alice.refresh_from_db()
    assert role_of(rep_alice) == Role.MANAGER and rep_alice.is_staff
    client.post(reverse("crm:user_edit", args=[rep_alice.pk]), {"active": "0"})
    rep_alice.refresh_from_db()
    assert not rep_alice.is_active


def test_an_admin_cannot_demote_or_deactivate_themselves(client, admin_ada):
    client.force_login(admin_ada)
    response = client.post(reverse("crm:user_edit", args=[admin_ada.pk]), {"active": "0"}, follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()
    admin_ada.refresh_from_db()
    assert admin_ada.is_active


def test_the_table_shows_the_saved_order_and_htmx_gets_it_redrawn(client, admin_ada):
    client.force_login(admin_ada)
    client.post(reverse("crm:settings_pipeline"), {"name": "Qualified", "kind": "open"})
    order = list(pipeline_default().stages.values_list("pk", flat=True))
    order.insert(2, order.pop())
    response = client.post(reverse("crm:stages_reorder"), {"stage": order}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and "Saved the order of stages." in response.content.decode()
    assert [stage.name for stage in response.context["stages"]][:4] == ["New", "Contacted", "Qualified", "Replied"]
    # The full page lists them in that order too, and each arrow offers the order it shows, changed by one step.
    stages = client.get(reverse("crm:settings_pipeline")).context["stages"]
    assert [stage.pk for stage in stages] == order
    assert stages[2].move_up_order == [order[0], order[2], order[1], *order[3:]]


def test_a_stale_htmx_reorder_is_refused_and_redrawn(client, admin_ada):
    client.force_login(admin_ada)
    before = _stage_names()
    response = client.post(reverse("crm:stages_reorder"), {"stage": [default_stage(0).pk]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "The stages changed meanwhile" in response.content.decode()
    assert _stage_names() == before


def test_the_redrawn_table_keeps_the_focus_on_the_pressed_arrow(client, admin_ada):
    client.force_login(admin_ada)
    stages = client.get(reverse("crm:settings_pipeline")).context["stages"]
    contacted = stages[1]
    response = client.post(
        reverse("crm:stages_reorder"),
        {"stage": contacted.move_up_order, "arrow": f"{contacted.pk}-up"},
        HTTP_HX_REQUEST="true",
    )
    redrawn = response.context["stages"]
    # Contacted is first now, its ↑ disabled: the focus goes to its ↓.
    assert redrawn[0].pk == contacted.pk and redrawn[0].focused_arrow == "down"
    assert [stage.focused_arrow for stage in redrawn[1:]] == [None] * (len(redrawn) - 1)
    assert response.content.decode().count("data-takes-focus") == 1
