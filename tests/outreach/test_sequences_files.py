"""Sequences as YAML: loading (created or updated by name), mistakes refused with their line and nothing half
loaded, export that loads back the same, the ready sequences, and the three commands."""

import textwrap
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.models import LeadList
from outreach.models import Enrollment, Mailbox, Sequence, SequenceStep
from outreach.sequence_files import SequenceFileError, ready_sequences_install, sequence_dump, sequence_load
from tests.factories import LeadFactory
from tests.outreach.sequence_builders import sequence_made

INTRO = textwrap.dedent("""\
    name: Intro
    mailbox: sales@acme.example
    window: {days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}   # in the lead's time zone
    daily_cap: 200
    steps:
      - delay_days: 0
        subject: "Quick question, {{ first_name|default:'there' }}"
        body: |
          Hi {{ first_name|default:"there" }}, I saw {{ company }} is hiring...
      - delay_days: 2
        business_days: true
        variants:
          - {subject: "Re: quick question", body: "..."}
          - {subject: "One more idea for {{ company }}", body: "..."}
      - {kind: task, delay_days: 1, title: "Call {{ first_name }}", task_kind: call}
      - kind: linkedin_connect
        delay_days: 1
        note: "Hi {{ first_name }}, glad to connect."
        phantom_agent_id: "42"
""")


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(name="Sales", address="sales@acme.example")


def test_the_issues_example_loads(mailbox):
    sequence, created = sequence_load(INTRO, actor=None)
    assert created and sequence.mailbox == mailbox and sequence.daily_cap == 200
    steps = list(sequence.steps.order_by("position"))
    assert [step.kind for step in steps] == ["email", "email", "task", "linkedin_connect"]
    assert steps[0].variants.get().body == 'Hi {{ first_name|default:"there" }}, I saw {{ company }} is hiring...\n'
    assert list(steps[1].variants.values_list("label", "subject")) == [
        ("A", "Re: quick question"), ("B", "One more idea for {{ company }}"),
    ]  # fmt: skip
    assert steps[1].business_days and steps[2].task_title == "Call {{ first_name }}"
    assert steps[3].phantom_agent_id == "42" and steps[3].variants.get().body == "Hi {{ first_name }}, glad to connect."


def test_loading_again_updates_by_name(mailbox):
    sequence, _ = sequence_load(INTRO, actor=None)
    again, created = sequence_load(INTRO.replace("daily_cap: 200", "daily_cap: 50"), actor=None)
    assert not created and again.pk == sequence.pk and again.daily_cap == 50
    assert Sequence.objects.count() == 1 and SequenceStep.objects.count() == 4


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("daily_cap: 200", "daily_cap: lots"), 4, "daily_cap must be a whole number"),
        (("mailbox: sales@acme.example", "mailbox: nobody@acme.example"), 2, "no mailbox 'nobody@acme.example'"),
        (("- {kind: task,", "- {kind: fax,"), 15, "unknown kind 'fax'"),
        (("Call {{ first_name }}", "Call {{ shoe_size }}"), 15, "shoe_size"),
        (("    business_days: true", "    busness_days: true"), 11, "unknown key 'busness_days'"),
        (('from: "09:00"', 'from: "9 o\'clock"'), 3, "must be a time"),
        (("  - delay_days: 0\n", "  - delay_days: 0\n   bad: [\n"), 7, "not valid YAML"),
    ],
)
def test_a_mistake_is_refused_with_its_line_and_nothing_is_loaded(mailbox, change, line, reason):
    with pytest.raises(SequenceFileError) as refused:
        sequence_load(INTRO.replace(*change), actor=None)
    assert refused.value.line == line
    assert reason in refused.value.reason
    assert not Sequence.objects.exists() and not SequenceStep.objects.exists()


def test_a_mistake_in_an_update_leaves_the_sequence_as_it_was(mailbox):
    sequence_load(INTRO, actor=None)
    broken = INTRO.replace("daily_cap: 200", "daily_cap: 50").replace("Call {{ first_name }}", "Call {{ nope }}")
    with pytest.raises(SequenceFileError):
        sequence_load(broken, actor=None)
    assert Sequence.objects.get().daily_cap == 200


def test_a_connection_note_over_300_characters_is_refused_at_its_line(mailbox):
    with pytest.raises(SequenceFileError) as refused:
        sequence_load(INTRO.replace("glad to connect.", "x" * 300), actor=None)
    assert refused.value.line == 16 and "at most 300 characters" in refused.value.reason


def test_an_unquoted_time_reads_as_the_clock_time(mailbox):
    sequence, _ = sequence_load(INTRO.replace('"09:00"', "09:30"), actor=None)
    assert sequence.window_start.isoformat() == "09:30:00"


def test_export_round_trips(mailbox):
    sequence, _ = sequence_load(INTRO, actor=None)
    exported = sequence_dump(sequence)
    assert "body: |" in exported
    Sequence.objects.all().delete()
    again, _ = sequence_load(exported, actor=None)
    assert sequence_dump(again) == exported


def test_the_ready_sequences_install_once_as_templates(db):
    created = ready_sequences_install()
    names = {sequence.name for sequence in created}
    assert names == {"Cold intro (3 steps)", "Event follow-up", "Re-engage cold leads"}
    assert all(sequence.is_template for sequence in created)
    assert Sequence.objects.get(name="Re-engage cold leads").steps.filter(kind="linkedin_connect").exists()
    assert ready_sequences_install() == []
    assert Sequence.objects.count() == 3


def test_load_sequence_and_export_sequence_commands(mailbox, tmp_path):
    path = tmp_path / "intro.yaml"
    path.write_text(INTRO)
    out = StringIO()
    call_command("load_sequence", str(path), stdout=out)
    assert out.getvalue() == "Created sequence Intro with 4 step(s).\n"
    out = StringIO()
    call_command("export_sequence", "intro", stdout=out)
    assert out.getvalue() == sequence_dump(Sequence.objects.get())


def test_load_sequence_refuses_a_mistake_with_its_line(mailbox, tmp_path):
    path = tmp_path / "intro.yaml"
    path.write_text(INTRO.replace("daily_cap: 200", "daily_cap: -3"))
    with pytest.raises(CommandError, match=r"intro.yaml: line 4: daily_cap must be a whole number.*Nothing was loaded"):
        call_command("load_sequence", str(path))


def test_load_sequence_ready(db):
    out = StringIO()
    call_command("load_sequence", "--ready", stdout=out)
    assert "Cold intro (3 steps)" in out.getvalue()


def test_enroll_command_prints_enrolled_and_skipped(admin_ada, mailbox):
    sequence_load(INTRO, actor=None)
    lead_list = LeadList.objects.create(name="Fair 2026")
    lead_list.members.add(LeadFactory(), LeadFactory(email=""), LeadFactory(do_not_contact=True))
    out = StringIO()
    call_command("enroll", "--sequence", "Intro", "--list", "fair 2026", stdout=out)
    assert out.getvalue() == (
        "Enrolled 1 lead(s) of list Fair 2026 in Intro.\nSkipped 2:\n  1 marked do-not-contact\n  1 no email address\n"
    )
    assert Enrollment.objects.count() == 1
    with pytest.raises(CommandError, match="no list named 'Nope'"):
        call_command("enroll", "--sequence", "Intro", "--list", "Nope")


def test_a_sequence_of_the_same_name_is_never_overwritten_by_the_ready_ones(db):
    own = sequence_made("cold intro (3 steps)")
    created = ready_sequences_install()
    assert {sequence.name for sequence in created} == {"Event follow-up", "Re-engage cold leads"}
    own.refresh_from_db()
    assert not own.is_template and own.steps.count() == 2


def test_the_sequence_command_pauses_resumes_clones_and_lists(db):
    sequence_made("Intro")
    out = StringIO()
    call_command("sequence", "pause", "intro", stdout=out)
    call_command("sequence", "resume", "Intro", stdout=out)
    call_command("sequence", "clone", "Intro", stdout=out)
    call_command("sequence", "list", stdout=out)
    assert out.getvalue() == (
        "Intro: paused.\nIntro: active.\nIntro (copy): draft.\n"
        "Intro (active): 0 enrolled\nIntro (copy) (draft): 0 enrolled\n"
    )
    with pytest.raises(CommandError, match="no sequence named 'Nope'"):
        call_command("sequence", "pause", "Nope")
