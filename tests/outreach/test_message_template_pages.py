"""The message templates pages: the form refuses unknown fields and tags, naming them; the preview fills a template
in for a lead the user may see and names the fields it cannot fill."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outreach.models import Template
from tests.factories import CompanyFactory, LeadFactory


@pytest.fixture
def intro(db, manager_mia):
    return Template.objects.create(
        name="Intro",
        subject="Quick question, {{ first_name|default:'there' }}",
        body="Hi {{ first_name }}, I saw {{ company }} is hiring {{ title }}s.",
        created_by=manager_mia,
    )


@pytest.fixture
def priya(db, rep_alice):
    return LeadFactory(
        first_name="Priya", title="", company=CompanyFactory(name="Acme Logistics"), owner=rep_alice,
        email="priya@acme.example",
    )  # fmt: skip


def test_the_form_lists_the_merge_fields(client, rep_alice):
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:message_template_new")).content.decode()
    assert "<code>company_domain</code>" in page
    assert "custom.fleet_size" in page


def test_a_rep_saves_a_template(client, rep_alice):
    client.force_login(rep_alice)
    answer = client.post(
        reverse("outreach:message_template_new"),
        {"name": "Follow-up", "subject": "Re: {{ company }}", "body": "Hi {{ first_name|default:'there' }}"},
    )
    template = Template.objects.get()
    assert answer.status_code == 302
    assert (template.name, template.created_by) == ("Follow-up", rep_alice)


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("Hi {{ frist_name }}", "Unknown merge field in the body: {{ frist_name }}"),
        ("{{ lead.owner.password }}", "{{ lead.owner.password }}"),
        ("{% load static %}{% include 'base.html' %}", "({% load %}, {% include %})"),
        ("{{ first_name|safe }}", "Invalid filter: &#x27;safe&#x27;"),
    ],
)
def test_the_form_refuses_what_the_sandbox_refuses(client, rep_alice, body, shown):
    client.force_login(rep_alice)
    answer = client.post(reverse("outreach:message_template_new"), {"name": "Bad", "subject": "Hi", "body": body})
    assert answer.status_code == 422
    assert shown in answer.content.decode()
    assert not Template.objects.exists()


def test_a_rep_cannot_change_a_managers_template(client, rep_alice, intro):
    client.force_login(rep_alice)
    url = reverse("outreach:message_template_edit", args=[intro.pk])
    assert client.get(url).status_code == 302  # to the preview
    assert client.post(url, {"name": "Mine", "subject": "x", "body": "y"}).status_code == 403
    intro.refresh_from_db()
    assert intro.name == "Intro"


def test_a_viewer_cannot_add_templates(client, viewer_vic):
    client.force_login(viewer_vic)
    assert client.get(reverse("outreach:message_template_new")).status_code == 403
    assert client.get(reverse("outreach:message_templates")).status_code == 200


def test_the_preview_fills_in_a_lead_and_names_unresolved_fields(client, rep_alice, intro, priya):
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:message_template_preview", args=[intro.pk]), {"lead": priya.pk})
    text = page.content.decode()
    assert "Quick question, Priya" in text
    assert "Hi Priya, I saw Acme Logistics is hiring s." in text
    assert "no value and no fallback for <code>title</code>" in text


def test_the_preview_offers_only_leads_the_user_may_see(client, rep_alice, rep_bob, intro, priya):
    bobs = LeadFactory(first_name="Bartholomew", owner=rep_bob, email="b@b.example")
    client.force_login(rep_alice)
    url = reverse("outreach:message_template_preview", args=[intro.pk])
    page = client.get(url).content.decode()
    assert "Priya" in page and "Bartholomew" not in page
    assert client.get(url, {"lead": bobs.pk}).status_code == 404


@pytest.mark.parametrize("odd", ["abc", "0", "99999999999999999999999", "²"])
def test_odd_lead_ids_are_not_found(client, rep_alice, intro, odd):
    client.force_login(rep_alice)
    assert client.get(reverse("outreach:message_template_preview", args=[intro.pk]), {"lead": odd}).status_code == 404


@pytest.mark.parametrize("odd", ["0", "424242", "99999999999999999999999"])
def test_odd_template_ids_are_not_found(client, manager_mia, odd):
    client.force_login(manager_mia)
    assert client.get(f"/outreach/message-templates/{odd}/").status_code == 404
    assert client.get(f"/outreach/message-templates/{odd}/preview/").status_code == 404


def test_the_admin_checks_templates_on_save(client, admin_ada):
    client.force_login(admin_ada)
    answer = client.post(
        reverse("admin:outreach_template_add"), {"name": "Bad", "subject": "Hi", "body": "{{ lead.owner.password }}"}
    )
    assert answer.status_code == 200
    assert "Unknown merge field in the body" in answer.content.decode()
    assert not Template.objects.exists()
