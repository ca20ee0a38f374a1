"""A sequence that requires a lawful basis: enrolling (the service, the page, the API) skips leads without it and
says why; a basis removed after enrolling stops the send at send time. Withdrawing consent is an unsubscribe: the
address suppressed, every sequence stopped, on the timeline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Activity, Lead, LeadList
from crm.services.consent import lead_consent_withdraw, lead_lawful_basis_set
from outreach.enrollments import enroll
from outreach.models import Enrollment, Sequence, Suppression
from outreach.scheduler import tick
from outreach.sequence_files import SequenceFileError, sequence_dump, sequence_load
from tests.factories import LeadFactory
from tests.outreach.sending import NOW, enrolled, sequence_create
from tests.outreach.sequence_builders import sequence_made

Basis = Lead.LawfulBasis


def _leads(owner=None) -> dict[str, Lead]:
    return {
        "consent": LeadFactory(owner=owner, lawful_basis=Basis.CONSENT),
        "interest": LeadFactory(owner=owner, lawful_basis=Basis.LEGITIMATE_INTEREST),
        "unknown": LeadFactory(owner=owner),
    }


@pytest.mark.parametrize(
    ("required", "enrolled_kinds"),
    [("", {"consent", "interest", "unknown"}), ("any", {"consent", "interest"}), ("consent", {"consent"})],
)
def test_enrolling_skips_leads_without_the_basis_the_sequence_requires(manager_mia, required, enrolled_kinds):
    sequence = sequence_made(require_lawful_basis=required)
    leads = _leads()

    result = enroll(sequence, Lead.objects.all(), actor=manager_mia)

    assert result.enrolled == len(enrolled_kinds)
    skipped = 3 - len(enrolled_kinds)
    assert result.skipped == ({"no_lawful_basis": skipped} if skipped else {})
    assert result.skipped_lines == ([f"{skipped} without the lawful basis the sequence requires"] if skipped else [])
    in_sequence = set(Enrollment.objects.values_list("lead_id", flat=True))
    assert in_sequence == {leads[kind].pk for kind in enrolled_kinds}


def test_the_enroll_page_reports_who_was_skipped_for_want_of_a_basis(client, rep_alice):
    sequence = sequence_made(require_lawful_basis="consent")
    lead_list = LeadList.objects.create(name="Fair")
    lead_list.members.add(*_leads(owner=rep_alice).values())
    client.force_login(rep_alice)

    page = client.post(reverse("outreach:enroll"), {"sequence": sequence.pk, "list": lead_list.pk, "confirmed": "on"})

    text = page.content.decode()
    assert "Enrolled 1 lead in Intro" in text and "2 without the lawful basis the sequence requires" in text


def test_the_api_enroll_counts_leads_skipped_for_want_of_a_basis(api_as, rep_alice):
    sequence = sequence_made(require_lawful_basis="any")
    leads = _leads(owner=rep_alice)
    body = {"lead_ids": [lead.pk for lead in leads.values()]}

    answer = api_as(rep_alice).post(f"/api/v1/sequences/{sequence.pk}/enroll/", body, format="json")

    assert answer.json() == {"enrolled": 2, "skipped": {"no_lawful_basis": 1}}
    assert api_as(rep_alice).get(f"/api/v1/sequences/{sequence.pk}/").json()["require_lawful_basis"] == "any"


def test_a_basis_removed_after_enrolling_stops_the_send(mail_sink, mailbox, manager_mia):
    sequence = sequence_create(mailbox, require_lawful_basis=Sequence.RequiredBasis.CONSENT)
    kept = enrolled(sequence, email="kept@northwind.example", lawful_basis=Basis.CONSENT)
    changed = enrolled(sequence, email="changed@northwind.example", lawful_basis=Basis.CONSENT)
    lead_lawful_basis_set(lead=changed.lead, basis=Basis.LEGITIMATE_INTEREST, source="Manual", actor=manager_mia)

    report = tick(now=NOW)

    assert report.sent == 1 and report.skipped_reasons == {"no consent recorded": 1}
    assert [recipients for recipients, _message in mail_sink.messages] == [["kept@northwind.example"]]
    changed.refresh_from_db()
    kept.refresh_from_db()
    assert (changed.status, changed.stop_reason) == (Enrollment.Status.STOPPED, Enrollment.StopReason.NO_LAWFUL_BASIS)
    assert kept.status == Enrollment.Status.FINISHED and kept.stop_reason == ""
    line = changed.lead.activities.get(kind=Activity.Kind.EMAIL_NOT_SENT)
    assert line.summary.endswith("no consent recorded")


def test_a_sequence_without_a_requirement_sends_to_a_lead_with_no_basis(mail_sink, sequence):
    enrolled(sequence, email="ana@northwind.example")
    assert tick(now=NOW).sent == 1


def test_the_requirement_is_kept_in_a_sequence_file_and_an_odd_one_refused(manager_mia):
    sequence = sequence_made(require_lawful_basis="consent")
    document = sequence_dump(sequence)
    assert "require_lawful_basis: consent" in document
    reloaded, created = sequence_load(document.replace("name: Intro", "name: Intro copy"), actor=manager_mia)
    assert created and reloaded.require_lawful_basis == "consent"
    with pytest.raises(SequenceFileError, match="require_lawful_basis must be one of"):
        sequence_load(document.replace("require_lawful_basis: consent", "require_lawful_basis: maybe"),
                      actor=manager_mia)  # fmt: skip


def test_the_builder_saves_the_requirement(client, manager_mia):
    sequence = sequence_made()
    client.force_login(manager_mia)
    form = client.get(reverse("outreach:sequence_edit", args=[sequence.pk])).content.decode()
    assert 'name="require_lawful_basis"' in form and "Consent only" in form


def _in_two_sequences(lead: Lead) -> list[Enrollment]:
    return [enroll(sequence_made(name=name), [lead], actor=None) and Enrollment.objects.get(lead=lead,
            sequence__name=name) for name in ("Intro", "Follow-up")]  # fmt: skip


def test_withdrawing_consent_on_the_lead_page_unsubscribes_like_an_unsubscribe_link(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, email="Ines@Atelier.example", lawful_basis=Basis.CONSENT)
    enrollments = _in_two_sequences(lead)
    client.force_login(rep_alice)

    answer = client.post(reverse("crm:lead_consent_withdrawn", args=[lead.pk]), follow=True)

    assert "Consent withdrawn" in answer.content.decode()
    entry = Suppression.objects.get()
    assert (entry.email, entry.reason, entry.added_by) == ("ines@atelier.example", "unsubscribed", rep_alice)
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.stop_reason) == (Enrollment.Status.STOPPED, "unsubscribed")
    lead.refresh_from_db()
    assert lead.lawful_basis == "" and lead.consent_withdrawn_at is not None
    assert lead.lawful_basis_source == "Consent withdrawn: lead page"
    kinds = set(lead.activities.values_list("kind", "summary"))
    assert (Activity.Kind.UNSUBSCRIBED, "Unsubscribed: consent withdrawn (lead page)") in kinds
    assert (Activity.Kind.LAWFUL_BASIS, "Lawful basis: Consent → unknown (Consent withdrawn: lead page)") in kinds


def test_withdrawing_twice_changes_nothing_more(rep_alice):
    lead = LeadFactory(owner=rep_alice, lawful_basis=Basis.CONSENT)
    lead_consent_withdraw(lead=lead, actor=rep_alice, via="lead page")
    lines = lead.activities.count()
    lead_consent_withdraw(lead=lead, actor=rep_alice, via="lead page")
    assert lead.activities.count() == lines and Suppression.objects.count() == 1


def test_withdrawing_consent_over_the_api_unsubscribes_too(api_as, rep_alice):
    lead = LeadFactory(owner=rep_alice, email="jo@park.example", lawful_basis=Basis.CONSENT)
    [enrollment, _] = _in_two_sequences(lead)

    answer = api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", {"consent_withdrawn": True}, format="json")

    assert answer.status_code == 200
    assert answer.json()["lawful_basis"] == "" and answer.json()["consent_withdrawn_at"]
    assert Suppression.objects.filter(email="jo@park.example", reason="unsubscribed").exists()
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == "unsubscribed"
    refused = api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", {"consent_withdrawn": False}, format="json")
    assert refused.status_code == 400
    assert api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", {"consent_withdrawn": "yes"},
                                   format="json").status_code == 400  # fmt: skip


def test_a_viewer_cannot_withdraw_consent_and_another_reps_lead_is_hidden(client, viewer_vic, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_bob, lawful_basis=Basis.CONSENT)
    client.force_login(viewer_vic)
    assert client.post(reverse("crm:lead_consent_withdrawn", args=[lead.pk])).status_code == 403
    client.force_login(rep_alice)
    assert client.post(reverse("crm:lead_consent_withdrawn", args=[lead.pk])).status_code == 404
    lead.refresh_from_db()
    assert lead.lawful_basis == Basis.CONSENT and not Suppression.objects.exists()
