"""The built-in writer: every channel and tone, varied across a list, never a sentence needing a missing fact."""

from __future__ import annotations

import itertools

import pytest

from outreach.draft_checks import PLACEHOLDERS, draft_findings
from outreach.grounding import Analysis, Grounding, Pitch
from outreach.models import Channel, Length, Tone
from outreach.writer import builtin_write

PITCH = Pitch(
    value_proposition="We cut freight invoice errors by 40%",
    offer="a free audit of last month's invoices",
    proof_points="- Used by 120 carriers across Europe\n- SOC 2 audited",
)
PEOPLE = [
    ("Priya", "Shah", "Head of Operations", "Acme Logistics", "Logistics"),
    ("Tom", "Okafor", "CFO", "Northwind Traders", "Wholesale"),
    ("Lena", "Berg", "Operations Manager", "Fjord Freight", "Logistics"),
    ("Ravi", "Iyer", "Founder", "Kite Labs", "Software"),
    ("Ana", "Lopez", "VP Sales", "Solar Sur", "Energy"),
    ("Jin", "Park", "COO", "Hanbit Ships", "Shipping"),
]


def _grounding(person, **extra) -> Grounding:
    first, last, title, company, industry = person
    return Grounding(
        first_name=first, last_name=last, title=title, company=company, industry=industry, pitch=PITCH,
        analysis=Analysis(pain_points=("manual invoice checks",)), sender_name="Ada Lovelace", **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "tone", "length"), list(itertools.product(Channel.values, Tone.values, Length.values))
)
def test_it_writes_clean_messages_for_every_channel_tone_and_length(channel, tone, length):
    for seed, person in enumerate(PEOPLE, start=1):
        grounding = _grounding(person)
        written = builtin_write(grounding, channel=channel, tone=tone, length=length, seed=seed)
        assert written.source == "template"
        findings = draft_findings(
            channel=channel, subject=written.subject, body=written.body, inputs=grounding.inputs()
        )
        assert findings == [], (written.body, findings)
        assert person[0] in written.body  # greeted by name
        assert not PLACEHOLDERS.search(written.subject + written.body)
        if channel == "linkedin":
            assert len(written.body) <= 300
        if channel == "email":
            assert written.subject


@pytest.mark.parametrize("channel", Channel.values)
@pytest.mark.parametrize("tone", Tone.values)
def test_a_list_does_not_get_one_identical_text(channel, tone):
    grounding = _grounding(PEOPLE[0])
    # The same facts for every lead, so only the choice of phrases can make the texts differ.
    texts = {builtin_write(grounding, channel=channel, tone=tone, length="long", seed=seed).body for seed in range(20)}
    assert len(texts) >= 2


def test_the_same_lead_gets_the_same_text_every_time():
    grounding = _grounding(PEOPLE[1])
    first = builtin_write(grounding, channel="email", tone="direct", length="medium", seed=7)
    assert builtin_write(grounding, channel="email", tone="direct", length="medium", seed=7) == first


@pytest.mark.parametrize("channel", Channel.values)
@pytest.mark.parametrize("tone", Tone.values)
def test_a_lead_with_almost_no_facts_gets_a_plain_honest_message(channel, tone):
    for seed in range(6):
        written = builtin_write(Grounding(), channel=channel, tone=tone, length="long", seed=seed)
        assert written.body and len(written.body) < 300
        assert draft_findings(channel=channel, subject=written.subject, body=written.body, inputs=[]) == []
        assert "None" not in written.body and "{" not in written.body


def test_no_sentence_needs_a_fact_the_lead_lacks():
    grounding = Grounding(first_name="Tom", pitch=Pitch(value_proposition="We make invoicing painless"))
    for tone, seed in itertools.product(Tone.values, range(8)):
        written = builtin_write(grounding, channel="email", tone=tone, length="long", seed=seed)
        assert " at ." not in written.body and "  " not in written.body
        assert (
            draft_findings(channel="email", subject=written.subject, body=written.body, inputs=grounding.inputs()) == []
        )


def test_longer_messages_say_more():
    grounding = _grounding(PEOPLE[2])
    short, medium, long = (
        builtin_write(grounding, channel="email", tone="consultative", length=length, seed=3).body
        for length in Length.values
    )
    assert len(short) < len(medium) < len(long)
    assert "40%" not in short and "40%" in medium and "120 carriers" in long
