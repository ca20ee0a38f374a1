"""Drafts on the lead page: write one, edit it, approve it once the checks pass; stale edits, roles, odd ids."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Activity
from outreach.drafts import DraftNotReady, StaleDraft, draft_approve, draft_edit, draft_generate
from outreach.models import Draft
from tests.factories import LeadFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def write(client, lead, **choices):
    data = {"channel": "email", "tone": "friendly", "length": "medium", **choices}
    return client.post(reverse("outreach:draft_new", args=[lead.pk]), data, **HTMX)


def test_the_lead_page_loads_the_drafts_panel(client, rep_alice, priya):
    client.force_login(rep_alice)
    page = client.get(reverse("crm:lead", args=[priya.pk])).content.decode()
    assert reverse("outreach:lead_drafts", args=[priya.pk]) in page
    panel = client.get(reverse("outreach:lead_drafts", args=[priya.pk]), **HTMX).content.decode()
    assert "No drafts yet." in panel and "Write a draft" in panel


def test_a_rep_writes_a_draft_for_her_lead_with_the_built_in_writer(client, rep_alice, priya):
    client.force_login(rep_alice)
    response = write(client, priya, channel="linkedin", tone="direct")
    assert response.status_code == 200
    draft = Draft.objects.get(lead=priya)
    assert (draft.channel, draft.tone, draft.source, draft.status) == ("linkedin", "direct", "template", "draft")
    assert draft.created_by == rep_alice and draft.findings == [] and len(draft.body) <= 300
    assert "Priya" in draft.body and "All checks pass." in response.content.decode()
    assert Activity.objects.filter(lead=priya, summary__contains="draft written").exists()


def test_approval_is_refused_while_a_check_fails_and_given_once_it_is_fixed(client, rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="formal", length="short")
    draft = draft_edit(
        draft=draft, actor=rep_alice, subject=draft.subject, body=draft.body + "\nClick here!", version=1
    )
    assert [finding["check"] for finding in draft.findings] == ["spam"]
    client.force_login(rep_alice)
    response = client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": draft.version}, **HTMX)
    assert "Fix what the checks found" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.decided_by is None
    edit = {"subject": draft.subject, "body": draft.body.replace("\nClick here!", ""), "version": draft.version}
    client.post(reverse("outreach:draft_edit", args=[draft.pk]), edit, **HTMX)
    draft.refresh_from_db()
    assert draft.findings == []
    client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": draft.version}, **HTMX)
    draft.refresh_from_db()
    assert (draft.status, draft.decided_by) == ("approved", rep_alice) and draft.decided_at


def test_facts_typed_into_an_edit_that_nobody_gave_block_approval(rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="whatsapp", tone="friendly", length="short")
    draft = draft_edit(
        draft=draft, actor=rep_alice, subject="", body=draft.body + " We know Initech saw 3x growth.", version=1
    )
    with pytest.raises(DraftNotReady, match="Initech"):
        draft_approve(draft=draft, actor=rep_alice, version=draft.version)


def test_a_stale_edit_is_refused(client, rep_alice, manager_mia, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="friendly", length="short")
    draft_edit(draft=draft, actor=manager_mia, subject="Mia's subject", body="Hi Priya, from Mia.", version=1)
    with pytest.raises(StaleDraft):
        draft_edit(draft=draft, actor=rep_alice, subject="Alice's", body="Hi Priya.", version=1)
    client.force_login(rep_alice)
    response = client.post(
        reverse("outreach:draft_edit", args=[draft.pk]), {"subject": "x", "body": "Hi Priya.", "version": 1}, **HTMX
    )
    assert "Someone changed this draft" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.subject, draft.version) == ("Mia's subject", 2)
    # Approving from a stale page is refused too.
    client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": 1}, **HTMX)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_editing_an_approved_draft_sends_it_back_for_approval(rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    draft = draft_approve(draft=draft, actor=rep_alice, version=1)
    draft = draft_edit(draft=draft, actor=rep_alice, subject="New", body="Hi Priya.", version=draft.version)
    assert (draft.status, draft.decided_by) == ("draft", None)
    # The withdrawn approval is on the lead's timeline, with who edited.
    edited = Activity.objects.get(lead=priya, summary__contains="edited")
    assert edited.summary == "Email draft edited (was approved: back to draft)" and edited.actor == rep_alice


def test_the_edit_form_and_the_draft_page(client, rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    client.force_login(rep_alice)
    form = client.get(reverse("outreach:draft_edit", args=[draft.pk]), **HTMX).content.decode()
    assert 'name="body"' in form and 'name="version"' in form
    page = client.get(reverse("outreach:draft", args=[draft.pk])).content.decode()
    assert 'name="body"' in page and "Approve" in page
    # Without JavaScript an edit lands back on the draft's page.
    response = client.post(
        reverse("outreach:draft_edit", args=[draft.pk]), {"subject": "S", "body": "Hi Priya.", "version": 1}
    )
    assert response.status_code == 302 and response["Location"] == reverse("outreach:draft", args=[draft.pk])


def test_text_from_a_draft_is_never_marked_safe(client, rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    draft_edit(draft=draft, actor=rep_alice, subject="<b>S</b>", body="<script>alert(1)</script>", version=1)
    client.force_login(rep_alice)
    panel = client.get(reverse("outreach:lead_drafts", args=[priya.pk]), **HTMX).content.decode()
    assert "<script>alert(1)" not in panel and "&lt;script&gt;alert(1)" in panel


def test_a_rep_cannot_see_or_touch_another_reps_drafts(client, rep_alice, rep_bob, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    client.force_login(rep_bob)
    assert client.get(reverse("outreach:lead_drafts", args=[priya.pk])).status_code == 404
    assert write(client, priya).status_code == 404
    for name in ("draft", "draft_edit"):
        assert client.get(reverse(f"outreach:{name}", args=[draft.pk])).status_code == 404
    for name in ("draft_approve", "draft_reject"):
        assert client.post(reverse(f"outreach:{name}", args=[draft.pk]), {"version": 1}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_viewer_sees_drafts_but_cannot_write_edit_or_approve(client, viewer_vic, rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    client.force_login(viewer_vic)
    panel = client.get(reverse("outreach:lead_drafts", args=[priya.pk]), **HTMX).content.decode()
    assert draft.subject in panel and "Write a draft" not in panel and "Approve" not in panel
    assert write(client, priya).status_code == 403
    assert client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": 1}).status_code == 403
    assert client.post(reverse("outreach:draft_edit", args=[draft.pk]), {"body": "x", "version": 1}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_approving_needs_edit_rights_on_the_lead(client, rep_alice, rep_bob, manager_mia):
    unassigned = LeadFactory(owner=None, first_name="Una")
    draft = draft_generate(lead=unassigned, actor=manager_mia, channel="email", tone="direct", length="short")
    client.force_login(rep_bob)  # reps see unassigned leads but may not change them
    assert client.get(reverse("outreach:lead_drafts", args=[unassigned.pk])).status_code == 200
    assert client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": 1}).status_code == 403
    client.force_login(manager_mia)
    client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": 1}, **HTMX)
    draft.refresh_from_db()
    assert draft.status == "approved"


@pytest.mark.parametrize("odd", ["0", "99999999999999999999999", "9223372036854775808"])
def test_odd_ids_are_not_found(client, rep_alice, odd):
    client.force_login(rep_alice)
    for name in ("lead_drafts", "draft_new", "draft", "draft_edit", "draft_approve", "job"):
        path = reverse(f"outreach:{name}", args=[1]).replace("/1/", f"/{odd}/")
        method = client.post if name in ("draft_new", "draft_approve") else client.get
        assert method(path, {"version": 1}).status_code == 404, path


def test_odd_form_values_are_refused_without_an_error(client, rep_alice, priya):
    client.force_login(rep_alice)
    assert "Choose a channel" in write(client, priya, channel="fax").content.decode()
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="short")
    response = client.post(reverse("outreach:draft_approve", args=[draft.pk]), {"version": "²"}, **HTMX)
    assert "out of date" in response.content.decode()
    assert not Draft.objects.filter(channel="fax").exists()


def test_approval_checks_the_facts_as_they_are_now_and_keeps_what_it_found(rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="formal", length="short")
    assert "Acme Logistics" in draft.body and draft.findings == []
    priya.company.name = "Northwind Traders"  # the lead's company was corrected after the draft was written
    priya.company.save()
    with pytest.raises(DraftNotReady, match="Acme"):
        draft_approve(draft=draft, actor=rep_alice, version=draft.version)
    draft.refresh_from_db()
    assert draft.status == "draft" and "Acme" in draft.findings[0]["message"]
