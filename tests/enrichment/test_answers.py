"""Raw answers are the sources' cache and the values' history: reused until they expire, then forgotten unless a
value or the credits history still needs them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enrichment.answers import answer_cached, answer_record, answers_prune
from enrichment.models import FieldSource, ProviderAnswer
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _aged(answer: ProviderAnswer, days: int) -> ProviderAnswer:
    answer.created_at = timezone.now() - timedelta(days=days)
    answer.expires_at = answer.created_at + timedelta(days=30)
    answer.save()
    return answer


def test_the_newest_unexpired_answer_is_the_cached_one():
    answer_record("finder", "verify", "ann@acme.test", {"status": "invalid"})
    newest = answer_record("finder", "verify", "ann@acme.test", {"status": "valid"})
    answer_record("finder", "verify", "ann@acme.test", {"status": "unknown"}, cached=False)
    assert answer_cached("finder", "verify", "ann@acme.test") == newest


def test_an_expired_answer_is_asked_again():
    _aged(answer_record("finder", "verify", "ann@acme.test", {"status": "valid"}), days=31)
    assert answer_cached("finder", "verify", "ann@acme.test") is None


def test_pruning_forgets_only_old_free_answers_no_value_points_at():
    old_free = _aged(answer_record("finder", "mx", "old.test", {}), days=40)
    old_paid = _aged(answer_record("hunter", "email-finder", "old.test|a|b", {}, credits=1), days=40)
    old_behind_a_value = _aged(answer_record("finder", "verify", "a@old.test", {}), days=40)
    FieldSource.objects.create(
        lead=LeadFactory(), field="email", value="a@old.test", source="finder", confidence=95, answer=old_behind_a_value
    )
    fresh = answer_record("finder", "mx", "new.test", {})
    assert answers_prune() == 1
    assert set(ProviderAnswer.objects.values_list("pk", flat=True)) == {old_paid.pk, old_behind_a_value.pk, fresh.pk}
    assert not ProviderAnswer.objects.filter(pk=old_free.pk).exists()
