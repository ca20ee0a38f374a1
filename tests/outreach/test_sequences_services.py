"""Saving sequences with their steps and variants, cloning ready ones, pausing and resuming a whole sequence."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from outreach.models import Enrollment, Sequence, SequenceStep
from outreach.sequences import (
    SequenceProblem,
    SequenceSpec,
    StepSpec,
    VariantSpec,
    sequence_clone,
    sequence_pause,
    sequence_resume,
    sequence_save,
    sequence_spec_of,
)
from tests.factories import LeadFactory
from tests.outreach.sequence_builders import email_step, message_made, sequence_made


def test_a_manager_saves_a_sequence_with_an_ab_step(manager_mia):
    spec = SequenceSpec(
        name="Intro",
        steps=[
            email_step(),
            StepSpec(delay_days=2, business_days=True, variants=[VariantSpec("Re: hi", "A"), VariantSpec("Idea", "B")]),
            StepSpec(kind=SequenceStep.Kind.TASK, delay_days=1, task_title="Call {{ first_name }}"),
        ],
    )
    sequence = sequence_save(spec=spec, actor=manager_mia)
    steps = list(sequence.steps.order_by("position"))
    assert [step.kind for step in steps] == ["email", "email", "task"]
    assert [v.label for v in steps[1].variants.all()] == ["A", "B"]
    assert steps[1].business_days and steps[1].delay_days == 2
    assert steps[2].task_title == "Call {{ first_name }}" and not steps[2].variants.exists()
    assert sequence.owner == manager_mia and sequence.status == Sequence.Status.DRAFT


def test_a_rep_cannot_change_sequences(rep_alice):
    with pytest.raises(PermissionDenied):
        sequence_save(spec=SequenceSpec(name="Mine", steps=[email_step()]), actor=rep_alice)


@pytest.mark.parametrize(
    ("step", "said"),
    [
        (email_step(body="Hi {{ favourite_colour }}"), "favourite_colour"),
        (email_step(subject=""), "needs a subject"),
        (StepSpec(kind=SequenceStep.Kind.LINKEDIN_CONNECT, variants=[VariantSpec(body="x" * 301)]), "at most 300"),
        (StepSpec(kind=SequenceStep.Kind.TASK), "needs a title"),
        (StepSpec(kind="fax", variants=[VariantSpec("a", "b")]), "unknown kind"),
    ],
)
def test_a_bad_step_is_refused_and_nothing_is_saved(db, step, said):
    with pytest.raises(SequenceProblem, match=said):
        sequence_save(spec=SequenceSpec(name="Bad", steps=[email_step(), step]), actor=None)
    assert not Sequence.objects.exists()


def test_a_connection_note_of_300_characters_is_accepted(db):
    step = StepSpec(kind=SequenceStep.Kind.LINKEDIN_CONNECT, variants=[VariantSpec(body="x" * 300)])
    sequence = sequence_save(spec=SequenceSpec(name="LinkedIn", steps=[step]), actor=None)
    assert len(sequence.steps.get().variants.get().body) == 300


def test_updating_reorders_steps_and_keeps_their_rows(db):
    sequence = sequence_made(steps=[email_step("First", "1"), email_step("Second", "2")])
    first, second = sequence.steps.order_by("position")
    spec = sequence_spec_of(sequence)
    spec.steps.reverse()
    sequence_save(spec=spec, actor=None, sequence=sequence)
    assert list(sequence.steps.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_a_step_with_messages_cannot_be_removed(db):
    sequence = sequence_made()
    enrollment = Enrollment.objects.create(sequence=sequence, lead=LeadFactory())
    message_made(enrollment, position=2)
    spec = sequence_spec_of(sequence)
    spec.steps = spec.steps[:1]
    with pytest.raises(SequenceProblem, match="Step 2 has sent messages"):
        sequence_save(spec=spec, actor=None, sequence=sequence)
    assert sequence.steps.count() == 2


def test_names_are_unique_whatever_the_case(db):
    sequence_made("Intro")
    with pytest.raises(SequenceProblem, match="already exists"):
        sequence_save(spec=SequenceSpec(name="intro", steps=[email_step()]), actor=None)


def test_a_ready_sequence_is_cloned_into_a_draft(manager_mia):
    ready = sequence_save(spec=SequenceSpec(name="Ready", steps=[email_step()]), actor=None, is_template=True)
    clone = sequence_clone(sequence=ready, actor=manager_mia)
    assert clone.name == "Ready (copy)" and not clone.is_template and clone.status == Sequence.Status.DRAFT
    assert clone.owner == manager_mia
    assert clone.steps.get().variants.get().subject == "Hello {{ first_name }}"
    assert sequence_clone(sequence=ready, actor=manager_mia).name == "Ready (copy) 2"
    with pytest.raises(ValidationError, match="clone it first"):
        sequence_resume(sequence=ready, actor=manager_mia)


def test_pausing_a_sequence_raises_its_enrollments_versions(manager_mia):
    sequence = sequence_made()
    enrollment = Enrollment.objects.create(sequence=sequence, lead=LeadFactory())
    sequence_pause(sequence=sequence, actor=manager_mia)
    sequence.refresh_from_db()
    enrollment.refresh_from_db()
    assert sequence.status == Sequence.Status.PAUSED and enrollment.version == 2
    sequence_resume(sequence=sequence, actor=manager_mia)
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.ACTIVE


def test_a_rep_cannot_pause_a_sequence(rep_alice):
    sequence = sequence_made()
    with pytest.raises(PermissionDenied):
        sequence_pause(sequence=sequence, actor=rep_alice)


def test_a_sequence_that_emails_needs_a_mailbox_to_start(manager_mia):
    sequence = sequence_save(spec=SequenceSpec(name="No mailbox", steps=[email_step()]), actor=manager_mia)
    with pytest.raises(ValidationError, match="Choose the mailbox"):
        sequence_resume(sequence=sequence, actor=manager_mia)
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.DRAFT
