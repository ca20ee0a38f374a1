"""A/B results: counts per variant from the messages, and the two-proportion z-test said plainly."""

import math

import pytest
from django.utils import timezone

from outreach.ab_test import VariantCounts, step_ab_result, two_proportion_p, verdict
from outreach.models import Enrollment
from outreach.sequences import StepSpec, VariantSpec
from tests.factories import LeadFactory
from tests.outreach.sequence_builders import message_made, sequence_made


def test_the_p_value_matches_the_textbook_example():
    # 45/300 vs 60/300: pooled 0.175, z = 0.05 / sqrt(0.175 * 0.825 * 2/300) = 1.6116, two-sided p = 0.1070.
    assert two_proportion_p(45, 300, 60, 300) == pytest.approx(0.1070, abs=0.0005)
    assert two_proportion_p(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportion_p(0, 0, 5, 10) == 1.0
    assert two_proportion_p(0, 50, 0, 50) == 1.0  # no successes at all: nothing to tell
    z = 1.959964
    assert math.erfc(z / math.sqrt(2)) == pytest.approx(0.05, abs=1e-6)


def test_a_clear_winner_is_called_likely_better():
    a, b = VariantCounts("A", 200, 100, 10, 8), VariantCounts("B", 200, 105, 15, 18)
    assert verdict(a, b) == "B's reply rate 9% vs A's 4%: likely better (p = 0.04)"
    assert verdict(b, a) == "A's reply rate 4% vs B's 9%: likely worse (p = 0.04)"


def test_a_tiny_p_value_is_shown_as_below_one_percent():
    a, b = VariantCounts("A", 400, 200, 20, 16), VariantCounts("B", 400, 210, 30, 36)
    assert verdict(a, b) == "B's reply rate 9% vs A's 4%: likely better (p < 0.01)"


def test_a_small_difference_is_no_clear_difference():
    a, b = VariantCounts("A", 100, 40, 5, 4), VariantCounts("B", 100, 45, 5, 6)
    assert verdict(a, b).endswith("no clear difference yet (p = 0.52)")


def test_too_few_sends_is_not_enough_data():
    assert verdict(VariantCounts("A", 10, 5, 1, 2), VariantCounts("B", 12, 9, 3, 5)) == "B vs A: not enough data yet"


def test_without_replies_the_open_rate_is_compared():
    a, b = VariantCounts("A", 200, 40, 0, 0), VariantCounts("B", 200, 80, 0, 0)
    assert verdict(a, b).startswith("B's open rate 40% vs A's 20%: likely better")


def test_counts_come_from_sent_messages_and_peoples_times(db):
    step_spec = StepSpec(variants=[VariantSpec("A", "a"), VariantSpec("B", "b")])
    sequence = sequence_made(steps=[step_spec])
    step = sequence.steps.get()
    a, b = step.variants.order_by("label")
    now = timezone.now()
    for variant, fields in [
        (a, {"sent_at": now, "opened_at": now}),
        (a, {"sent_at": now, "opened_at": now, "clicked_at": now, "replied_at": now}),
        (a, {"status": "queued"}),  # not sent: not counted
        (b, {"sent_at": now}),
    ]:
        enrollment = Enrollment.objects.create(sequence=sequence, lead=LeadFactory())
        message_made(enrollment, variant=variant, **fields)
    result = step_ab_result(step)
    assert [(c.label, c.sent, c.opened, c.clicked, c.replied) for c in result.variants] == [
        ("A", 2, 2, 1, 1), ("B", 1, 0, 0, 0),
    ]  # fmt: skip
    assert result.verdicts == ["B vs A: not enough data yet"]


def test_a_single_variant_step_has_no_ab_result(db):
    assert step_ab_result(sequence_made().steps.first()) is None
