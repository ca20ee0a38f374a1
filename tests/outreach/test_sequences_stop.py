"""What stops a lead's sequences: a reply (and colleagues paused where the sequence asks), a deal won or lost, a
meeting booked; and how a handed-off step (task, LinkedIn note) moves its enrollment on."""

import pytest

from crm.models import Activity, Lead, Stage, Task
from crm.services.leads import lead_move_stage, leads_bulk_move_stage
from crm.services.timeline import activity_record
from crm.services.work import task_complete
from outreach.channels.linkedin import linkedin_step_hand_off
from outreach.channels.tasks import message_mark_sent, task_step_hand_off
from outreach.models import Enrollment, Message, MessageEvent, SequenceStep
from outreach.sequences import StepSpec, VariantSpec
from outreach.stop_conditions import lead_enrollments_stop, lead_replied
from tests.factories import CompanyFactory, LeadFactory, default_stage
from tests.fakes.phantombuster_server import PhantomBusterStandIn
from tests.outreach.sequence_builders import email_step, message_made, sequence_made


def enrolled(lead, sequence=None, **fields) -> Enrollment:
    return Enrollment.objects.create(sequence=sequence or sequence_made(), lead=lead, **fields)


def test_stopping_raises_the_version_and_writes_the_timeline(db):
    lead = LeadFactory()
    first, second = enrolled(lead), enrolled(lead, sequence_made("Other"))
    assert lead_enrollments_stop(lead, Enrollment.StopReason.BOUNCED, exclude_sequence=second.sequence) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.stop_reason, first.version) == ("stopped", "bounced", 2)
    assert first.due_at is None and first.finished_at is not None
    assert second.status == Enrollment.Status.ACTIVE
    assert lead.activities.filter(kind=Activity.Kind.SEQUENCE, summary="Stopped sequence Intro: bounced").exists()
    assert lead_enrollments_stop(lead, Enrollment.StopReason.BOUNCED, exclude_sequence=second.sequence) == 0


def test_a_reply_stops_the_lead_records_it_pauses_colleagues_and_promotes(db):
    company = CompanyFactory()
    pausing = sequence_made("Pausing", pause_company_on_reply=True)
    plain = sequence_made("Plain")
    lead, colleague, other_colleague = (
        LeadFactory(company=company),
        LeadFactory(company=company),
        LeadFactory(company=company),
    )
    stranger = LeadFactory()
    own = enrolled(lead, pausing)
    message = message_made(own)
    colleague_enrollment = enrolled(colleague, pausing)
    colleague_in_plain = enrolled(other_colleague, plain)
    stranger_enrollment = enrolled(stranger, pausing)

    assert lead_replied(lead, message=message) == 2

    for row in (own, colleague_enrollment, colleague_in_plain, stranger_enrollment):
        row.refresh_from_db()
    assert (own.status, own.stop_reason) == ("stopped", "replied")
    assert (colleague_enrollment.status, colleague_enrollment.stop_reason) == ("paused", "company_replied")
    assert colleague_in_plain.status == stranger_enrollment.status == Enrollment.Status.ACTIVE
    message.refresh_from_db()
    assert message.replied_at is not None
    assert message.events.filter(kind=MessageEvent.Kind.REPLIED).count() == 1
    lead.refresh_from_db()
    assert lead.lifecycle == Lead.Lifecycle.LEAD


def test_a_reply_without_a_message_is_written_on_the_timeline(db):
    lead = LeadFactory()
    enrolled(lead)
    lead_replied(lead)
    assert lead.activities.filter(kind=Activity.Kind.REPLIED).exists()
    assert Enrollment.objects.get(lead=lead).stop_reason == Enrollment.StopReason.REPLIED


@pytest.mark.parametrize(("kind", "reason"), [(Stage.Kind.WON, "won"), (Stage.Kind.LOST, "lost")])
def test_a_deal_won_or_lost_stops_its_sequences(manager_mia, kind, reason):
    lead = LeadFactory()
    enrollment = enrolled(lead)
    stage = Stage.objects.filter(pipeline=lead.stage.pipeline, kind=kind).first()
    lead_move_stage(lead=lead, stage=stage, actor=manager_mia, lost_reason="Budget" if kind == "lost" else "")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", reason)


def test_a_bulk_move_to_won_stops_every_lead_and_an_open_stage_stops_none(manager_mia):
    leads = [LeadFactory(), LeadFactory()]
    rows = [enrolled(lead) for lead in leads[:1]] + [enrolled(leads[1], sequence_made("Other"))]
    open_stage = default_stage(1)
    leads_bulk_move_stage(leads=leads, stage=open_stage, actor=manager_mia)
    assert Enrollment.objects.filter(status="active").count() == 2
    won = Stage.objects.get(pipeline=open_stage.pipeline, kind=Stage.Kind.WON)
    leads_bulk_move_stage(leads=list(Lead.objects.filter(pk__in=[lead.pk for lead in leads])), stage=won,
                          actor=manager_mia)  # fmt: skip
    assert {row.stop_reason for row in Enrollment.objects.filter(pk__in=[row.pk for row in rows])} == {"won"}


def test_a_meeting_booked_stops_the_sequences(db):
    lead = LeadFactory()
    enrollment = enrolled(lead)
    activity_record(lead=lead, actor=None, kind=Activity.Kind.MEETING_BOOKED, summary="Meeting booked")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "meeting")


def test_a_task_step_becomes_a_task_and_completing_it_advances(rep_alice):
    sequence = sequence_made(steps=[StepSpec(kind=SequenceStep.Kind.TASK, task_title="Call {{ first_name }}"),
                                    email_step(delay_days=2)])  # fmt: skip
    lead = LeadFactory(first_name="Priya", owner=rep_alice)
    enrollment = enrolled(lead, sequence)
    message = Message.objects.create(enrollment=enrollment, step=sequence.steps.get(position=1), lead=lead)

    task_step_hand_off(message)

    message.refresh_from_db()
    task = Task.objects.get(lead=lead)
    assert (task.title, task.assignee, task.kind) == ("Call Priya", rep_alice, "call")
    assert message.status == Message.Status.TASK
    task_complete(task=task, actor=rep_alice)
    message.refresh_from_db()
    enrollment.refresh_from_db()
    assert message.status == Message.Status.SENT and message.sent_at is not None
    assert enrollment.next_position == 2 and enrollment.due_at is not None


def linkedin_sequence(**step_fields):
    note = "Hi {{ first_name }}, glad to connect."
    step = StepSpec(kind=SequenceStep.Kind.LINKEDIN_CONNECT, variants=[VariantSpec(body=note)], **step_fields)
    return sequence_made("LinkedIn", steps=[step])


def test_a_linkedin_step_is_a_task_with_the_note_and_mark_sent_finishes_it(rep_alice, settings):
    settings.PHANTOMBUSTER_API_KEY = ""
    lead = LeadFactory(first_name="Priya", last_name="Shah", owner=rep_alice)
    enrollment = enrolled(lead, linkedin_sequence(phantom_agent_id="42"))
    message = Message.objects.create(enrollment=enrollment, step=enrollment.sequence.steps.get(), lead=lead)

    linkedin_step_hand_off(message)

    message.refresh_from_db()
    assert message.body == "Hi Priya, glad to connect." and message.status == Message.Status.TASK
    assert Task.objects.get(lead=lead).title == "LinkedIn: send a connection request to Priya Shah"
    assert message_mark_sent(message=message, actor=rep_alice)
    enrollment.refresh_from_db()
    assert Task.objects.get(lead=lead).done and enrollment.status == Enrollment.Status.FINISHED


def test_with_a_phantombuster_key_the_step_launches_the_phantom(rep_alice, httpserver, local_stand_ins):
    stand_in = PhantomBusterStandIn(httpserver)
    stand_in.add_agent("42")
    stand_in.add_container("42", "c-7", ["container-running"])
    stand_in.launches_into("42", "c-7")
    local_stand_ins.PHANTOMBUSTER_API_KEY = stand_in.api_key
    local_stand_ins.PHANTOMBUSTER_BASE_URL = stand_in.base_url
    lead = LeadFactory(first_name="Priya", owner=rep_alice, linkedin_url="https://www.linkedin.com/in/priya-shah")
    enrollment = enrolled(lead, linkedin_sequence(phantom_agent_id="42"))
    message = Message.objects.create(enrollment=enrollment, step=enrollment.sequence.steps.get(), lead=lead)

    linkedin_step_hand_off(message)

    argument = {
        "spreadsheetUrl": "https://www.linkedin.com/in/priya-shah",
        "message": "Hi Priya, glad to connect.",
        "numberOfAddsPerLaunch": 1,
    }
    assert stand_in.launches == [{"id": "42", "argument": argument}]
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (Message.Status.SENT, "phantom:c-7")
    assert not Task.objects.filter(lead=lead).exists()
    assert lead.activities.filter(summary__contains="launched through PhantomBuster (container c-7)").exists()


def test_a_failed_launch_falls_back_to_a_task(rep_alice, httpserver, local_stand_ins, slept):
    stand_in = PhantomBusterStandIn(httpserver)
    local_stand_ins.PHANTOMBUSTER_API_KEY = "wrong-key"
    local_stand_ins.PHANTOMBUSTER_BASE_URL = stand_in.base_url
    lead = LeadFactory(owner=rep_alice, linkedin_url="https://www.linkedin.com/in/priya-shah")
    enrollment = enrolled(lead, linkedin_sequence(phantom_agent_id="42"))
    message = Message.objects.create(enrollment=enrollment, step=enrollment.sequence.steps.get(), lead=lead)

    linkedin_step_hand_off(message)

    message.refresh_from_db()
    assert message.status == Message.Status.TASK and "could not be launched" in message.error
    assert Task.objects.filter(lead=lead).exists()
