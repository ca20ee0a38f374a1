"""The sequence pages: who may see and change what, the builder, enrolling from a list or the leads table, the
lead page's panel, a message's page and the review of uncertain messages; odd ids are 404s."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import LeadList, Task
from outreach.models import Enrollment, Message, Sequence, SequenceStep
from outreach.sequences import StepSpec, VariantSpec
from tests.factories import LeadFactory
from tests.outreach.sequence_builders import message_made, sequence_made

ODD_IDS = ["99999999999999999999", "0", "424242"]


def builder_post(**overrides) -> dict:
    data = {
        "name": "Spring push", "description": "", "mailbox": "", "window_days": ["mon", "tue"],
        "window_start": "09:00", "window_end": "17:00", "daily_cap": "100", "step_count": "2",
        "steps-0-kind": "email", "steps-0-delay_days": "0", "steps-0-a_subject": "Hi {{ first_name }}",
        "steps-0-a_body": "Hello {{ first_name }}", "steps-1-kind": "email", "steps-1-delay_days": "2",
        "steps-1-business_days": "on", "steps-1-a_subject": "Again", "steps-1-a_body": "Any news?",
        "steps-1-b_subject": "Idea for {{ company }}", "steps-1-b_body": "One idea", "action": "save",
    }  # fmt: skip
    return data | overrides


def test_a_managers_first_visit_installs_the_ready_sequences(client, manager_mia):
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:sequences"))
    assert page.status_code == 200
    assert "Clone “Cold intro (3 steps)”" in page.content.decode()
    assert Sequence.objects.filter(is_template=True).count() == 3
    client.get(reverse("outreach:sequences"))
    assert Sequence.objects.count() == 3


def test_a_manager_builds_a_sequence_in_the_builder(client, manager_mia):
    client.force_login(manager_mia)
    response = client.post(reverse("outreach:sequence_new"), builder_post())
    sequence = Sequence.objects.get(name="Spring push")
    assert response.status_code == 302 and response.url == reverse("outreach:sequence", args=[sequence.pk])
    second = sequence.steps.get(position=2)
    assert second.business_days and list(second.variants.values_list("label", flat=True)) == ["A", "B"]
    assert sequence.window_days == ["mon", "tue"] and sequence.daily_cap == 100


def test_the_builders_buttons_add_move_and_remove_steps_without_saving(client, manager_mia):
    client.force_login(manager_mia)
    page = client.post(reverse("outreach:sequence_new"), builder_post(action="add"))
    assert page.status_code == 200 and "Step 3 kind" in page.content.decode()
    page = client.post(reverse("outreach:sequence_new"), builder_post(action="up-1"))
    assert page.content.decode().index("Any news?") < page.content.decode().index("Hello {{ first_name }}")
    page = client.post(reverse("outreach:sequence_new"), builder_post(action="remove-1"))
    assert "Step 2 kind" not in page.content.decode()
    assert not Sequence.objects.exists()


def test_the_builder_refuses_an_unknown_merge_field_and_keeps_the_input(client, manager_mia):
    client.force_login(manager_mia)
    page = client.post(reverse("outreach:sequence_new"), builder_post(**{"steps-1-b_body": "Hi {{ shoe_size }}"}))
    assert page.status_code == 422
    assert "Step 2, variant B" in page.content.decode() and "shoe_size" in page.content.decode()
    assert "Hi {{ shoe_size }}" in page.content.decode()
    assert not Sequence.objects.exists()


def test_the_builder_edits_an_existing_sequence(client, manager_mia):
    sequence = sequence_made()
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:sequence_edit", args=[sequence.pk]))
    assert 'value="Hello {{ first_name }}"' in page.content.decode()
    client.post(reverse("outreach:sequence_edit", args=[sequence.pk]), builder_post(name="Intro", step_count="1"))
    assert sequence.steps.count() == 1


@pytest.mark.parametrize("url", ["outreach:sequence_new"])
def test_reps_cannot_open_the_builder(client, rep_alice, url):
    client.force_login(rep_alice)
    assert client.get(reverse(url)).status_code == 403
    assert client.post(reverse(url), builder_post()).status_code == 403


def test_reps_cannot_pause_or_clone(client, rep_alice):
    sequence = sequence_made()
    client.force_login(rep_alice)
    assert client.post(reverse("outreach:sequence_pause", args=[sequence.pk])).status_code == 403
    assert client.post(reverse("outreach:sequence_clone", args=[sequence.pk])).status_code == 403
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.ACTIVE


def test_a_manager_pauses_and_resumes(client, manager_mia):
    sequence = sequence_made()
    client.force_login(manager_mia)
    client.post(reverse("outreach:sequence_pause", args=[sequence.pk]))
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.PAUSED
    page = client.get(reverse("outreach:sequence", args=[sequence.pk]))
    assert "Resume sequence" in page.content.decode()
    client.post(reverse("outreach:sequence_resume", args=[sequence.pk]))
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.ACTIVE


def test_the_detail_shows_the_funnel_ab_results_and_only_visible_enrollments(client, rep_alice, rep_bob):
    sequence = sequence_made(steps=[StepSpec(variants=[VariantSpec("A", "a"), VariantSpec("B", "b")])])
    mine = Enrollment.objects.create(sequence=sequence, lead=LeadFactory(first_name="Mine", owner=rep_alice))
    Enrollment.objects.create(sequence=sequence, lead=LeadFactory(first_name="Bobs", owner=rep_bob))
    now = timezone.now()
    message_made(mine, sent_at=now, delivered_at=now, opened_at=now)
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:sequence", args=[sequence.pk])).content.decode()
    assert '<td class="num" data-column="sent">1</td>' in page
    assert '<td class="num" data-column="opened">1</td>' in page
    assert '<td class="num" data-column="replied">0</td>' in page
    assert "B vs A: not enough data yet" in page
    assert "Mine" in page and "Bobs" not in page


def test_a_long_enrolment_list_is_counted_up_to_the_cap_newest_first(client, manager_mia, settings):
    settings.LEADS_COUNT_CAP = 60  # more than a page of 50, fewer than the enrolments
    sequence = sequence_made(steps=[StepSpec(variants=[VariantSpec("A", "a")])])
    start = timezone.now() - timezone.timedelta(days=1)
    for number in range(120):
        lead = LeadFactory(first_name=f"Person{number:03}")
        Enrollment.objects.create(sequence=sequence, lead=lead, enrolled_at=start + timezone.timedelta(minutes=number))
    client.force_login(manager_mia)
    first = client.get(reverse("outreach:sequence", args=[sequence.pk])).content.decode()
    assert "Page 1 of 2+ (the newest 60+ enrolments)" in first
    assert "Person119" in first and "Person070" in first and "Person069" not in first
    second = client.get(reverse("outreach:sequence", args=[sequence.pk]), {"page": 2}).content.decode()
    assert "Person069" in second and "Person060" in second and "Person059" not in second


def test_a_rep_enrolls_a_list_and_sees_who_was_skipped(client, rep_alice, rep_bob):
    sequence = sequence_made()
    lead_list = LeadList.objects.create(name="Fair")
    lead_list.members.add(LeadFactory(owner=rep_alice), LeadFactory(owner=rep_alice, email=""),
                          LeadFactory(owner=rep_bob))  # fmt: skip
    client.force_login(rep_alice)
    page = client.post(reverse("outreach:enroll"), {"sequence": sequence.pk, "list": lead_list.pk, "confirmed": "on"})
    text = page.content.decode()
    assert "Enrolled 1 lead in Intro" in text and "1 no email address" in text
    assert Enrollment.objects.count() == 1


def test_the_leads_tables_bulk_action_carries_the_ticked_leads(client, manager_mia):
    sequence = sequence_made()
    leads = [LeadFactory(), LeadFactory(), LeadFactory()]
    client.force_login(manager_mia)
    page = client.post(reverse("outreach:enroll"), {"leads": [leads[0].pk, leads[1].pk], "action": ""})
    assert "Leads: 2 ticked lead(s)." in page.content.decode()
    client.post(reverse("outreach:enroll"), {"leads": f"{leads[0].pk},{leads[1].pk}", "sequence": sequence.pk,
                                             "confirmed": "on"})  # fmt: skip
    assert set(Enrollment.objects.values_list("lead", flat=True)) == {leads[0].pk, leads[1].pk}


def test_enrolling_all_leads_matching_the_filter(client, manager_mia):
    sequence = sequence_made()
    LeadFactory(first_name="Zed", email="zed@match.example")
    LeadFactory(first_name="Amy")
    client.force_login(manager_mia)
    client.post(reverse("outreach:enroll"), {"all_matching": "on", "matching": "q=zed", "sequence": sequence.pk,
                                             "confirmed": "on"})  # fmt: skip
    assert list(Enrollment.objects.values_list("lead__first_name", flat=True)) == ["Zed"]


def test_the_leads_table_offers_the_bulk_action(client, rep_alice):
    client.force_login(rep_alice)
    assert "Enroll in sequence…" in client.get(reverse("crm:leads")).content.decode()


def test_a_viewer_cannot_enroll(client, viewer_vic):
    client.force_login(viewer_vic)
    assert client.get(reverse("outreach:enroll")).status_code == 403


def test_enrollment_actions_respect_ownership(client, rep_alice, rep_bob):
    sequence = sequence_made()
    own = Enrollment.objects.create(sequence=sequence, lead=LeadFactory(owner=rep_alice))
    bobs = Enrollment.objects.create(sequence=sequence, lead=LeadFactory(owner=rep_bob))
    client.force_login(rep_alice)
    client.post(reverse("outreach:enrollment_action", args=[own.pk, "pause"]))
    own.refresh_from_db()
    assert own.status == Enrollment.Status.PAUSED
    assert client.post(reverse("outreach:enrollment_action", args=[bobs.pk, "pause"])).status_code == 404
    assert client.post(reverse("outreach:enrollment_action", args=[own.pk, "explode"])).status_code == 404


def test_the_lead_panel_shows_enrollments_messages_and_a_linkedin_task(client, rep_alice):
    step = StepSpec(kind=SequenceStep.Kind.LINKEDIN_CONNECT, variants=[VariantSpec(body="Hi there")])
    sequence = sequence_made("LinkedIn", steps=[step])
    lead = LeadFactory(owner=rep_alice, linkedin_url="https://www.linkedin.com/in/someone")
    enrollment = Enrollment.objects.create(sequence=sequence, lead=lead)
    task = Task.objects.create(lead=lead, title="LinkedIn")
    message = message_made(
        enrollment, status=Message.Status.TASK, body="Hi there", provider_message_id=f"task:{task.pk}"
    )
    client.force_login(rep_alice)
    panel = client.get(reverse("outreach:lead_sequences", args=[lead.pk])).content.decode()
    assert "LinkedIn</a>: Active" in panel and "Copy the note" in panel
    assert "https://www.linkedin.com/in/someone" in panel
    client.post(reverse("outreach:message_mark_sent", args=[message.pk]))
    message.refresh_from_db()
    task.refresh_from_db()
    assert message.status == Message.Status.SENT and task.done


def test_the_uncertain_review_page_calls_the_review(client, manager_mia):
    enrollment = Enrollment.objects.create(sequence=sequence_made(), lead=LeadFactory())
    message = message_made(enrollment, status=Message.Status.UNCERTAIN, subject="Hello Ann", claimed_at=timezone.now())
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:messages_uncertain")).content.decode()
    assert "Hello Ann" in page and "It was sent" in page
    client.post(reverse("outreach:message_review", args=[message.pk]), {"sent": "yes"})
    message.refresh_from_db()
    assert message.reviewed_as == "sent"
    page = client.get(reverse("outreach:messages_uncertain")).content.decode()
    assert "No uncertain messages." in page


def test_a_rep_cannot_see_another_reps_message(client, rep_alice, rep_bob):
    enrollment = Enrollment.objects.create(sequence=sequence_made(), lead=LeadFactory(owner=rep_bob))
    message = message_made(enrollment)
    client.force_login(rep_alice)
    assert client.get(reverse("outreach:message", args=[message.pk])).status_code == 404
    assert client.post(reverse("outreach:message_mark_sent", args=[message.pk])).status_code == 404
    assert client.post(reverse("outreach:message_review", args=[message.pk]), {"sent": "yes"}).status_code == 404


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize(
    "name", ["outreach:sequence", "outreach:sequence_edit", "outreach:message", "outreach:lead_sequences"]
)
def test_odd_ids_are_not_found(client, manager_mia, name, odd):
    client.force_login(manager_mia)
    assert client.get(f"{reverse(name, args=[1]).replace('/1/', f'/{odd}/')}").status_code == 404


@pytest.mark.parametrize("odd", ["abc", "99999999999999999999", "-1"])
def test_odd_ids_in_the_enroll_form_are_refused_plainly(client, manager_mia, odd):
    client.force_login(manager_mia)
    page = client.post(reverse("outreach:enroll"), {"sequence": odd, "list": odd, "leads": odd, "confirmed": "on"})
    assert page.status_code == 422 and "Choose a sequence" in page.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(reverse("outreach:sequences")).status_code == 302


def test_a_profile_link_that_is_no_web_address_is_not_offered(client, rep_alice):
    step = StepSpec(kind=SequenceStep.Kind.LINKEDIN_MESSAGE, variants=[VariantSpec(body="Hello")])
    lead = LeadFactory(owner=rep_alice, linkedin_url="javascript:alert(1)")
    enrollment = Enrollment.objects.create(sequence=sequence_made("LinkedIn", steps=[step]), lead=lead)
    message = message_made(enrollment, status=Message.Status.TASK, body="Hello")
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:message", args=[message.pk])).content.decode()
    assert "Copy the note" in page and "Mark sent" in page
    assert "Open the LinkedIn profile" not in page and "javascript:" not in page
