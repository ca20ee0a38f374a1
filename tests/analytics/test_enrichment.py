"""The Enrichment and data quality report: rates against the brief's targets, found and verified per field and
source, credits, the bounce rate of verified emails, duplicates; filters and the rep's own scope."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.enrichment import enrichment_report
from analytics.reports import Scope
from crm.models import DuplicateCandidate, MergeRecord
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource, ProviderAnswer
from tests.factories import LeadFactory, MessageFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
NOVEMBER = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


def tables(user, **filters):
    return {table.slug: table for table in enrichment_report(Scope.for_user(user, **{**NOVEMBER, **filters}))}


def by(table, key):
    return {row[key]: row for row in table.rows}


def found(lead, job, field, status, source="finder", **extra):
    return FieldSource.objects.create(
        lead=lead, job=job, field=field, value=f"{field} of {lead.pk}", source=source, confidence=90, status=status,
        found_at=AT, **extra,
    )  # fmt: skip


@pytest.fixture
def world(rep_alice, rep_bob):
    """Ten of Alice's leads through an email-and-phone job; Bob's two through an email-only job."""
    both = EnrichmentJob.objects.create(fields=["email", "phone"], sources=["finder", "phone"], status="done")
    emails_only = EnrichmentJob.objects.create(fields=["email"], sources=["finder"], status="done")
    alice = [LeadFactory(owner=rep_alice, source="webinar") for _ in range(10)]
    bob = [LeadFactory(owner=rep_bob, source="import") for _ in range(2)]
    for index, lead in enumerate(alice):
        # 8 of 10 get something; 7 an email (6 verified, 1 catch-all); 4 a phone (3 mobile, 1 unknown).
        EnrichmentItem.objects.create(job=both, lead=lead, status="done", finished_at=AT)
        if index < 6:
            found(lead, both, "email", "valid")
        elif index == 6:
            found(lead, both, "email", "catch-all")
        if index < 3:
            found(lead, both, "phone", "mobile", source="phone")
        elif index == 3:
            found(lead, both, "phone", "unknown", source="phone")
        if index == 8:
            found(lead, both, "linkedin_url", "", source="website")
        if index == 9:
            found(lead, both, "email", "invalid")  # a wrong guess is no finding
    for lead in bob:
        EnrichmentItem.objects.create(job=emails_only, lead=lead, status="done", finished_at=AT)
        found(lead, emails_only, "email", "valid")
    # Finished in October: outside the range.
    EnrichmentItem.objects.create(
        job=emails_only, lead=LeadFactory(owner=rep_alice), status="done", finished_at=datetime(2026, 10, 5, tzinfo=UTC)
    )
    return {"alice": alice, "bob": bob}


def test_rates_against_the_targets(manager_mia, world):
    targets = by(tables(manager_mia)["targets"], "measure")
    # Alice's 8 and Bob's 2 of 12: 83%, under the 85% target.
    assert (targets["Enrichment success"]["found"], targets["Enrichment success"]["out_of"]) == (10, 12)
    assert targets["Enrichment success"]["rate"] == pytest.approx(10 / 12)
    assert targets["Enrichment success"]["met"] == "not met"
    # Emails: 7 of Alice's 10 and both of Bob's; phones asked of Alice's 10 only.
    assert (targets["Email discovery"]["found"], targets["Email discovery"]["out_of"]) == (9, 12)
    assert targets["Email discovery"]["met"] == "met"
    assert (targets["Phone discovery"]["found"], targets["Phone discovery"]["out_of"]) == (4, 10)
    assert targets["Phone discovery"]["met"] == "not met"
    assert targets["Phone discovery"]["target"] == 0.5


def test_found_and_verified_per_field_and_source(manager_mia, world):
    report = tables(manager_mia)
    fields = by(report["by_field"], "field")
    assert (fields["email"]["found"], fields["email"]["verified"]) == (9, 8)
    assert (fields["phone"]["found"], fields["phone"]["verified"]) == (4, 3)
    assert fields["linkedin_url"]["found"] == 1
    assert fields["email"]["verified_rate"] == pytest.approx(8 / 9)
    assert fields["linkedin_url"]["verified_rate"] is None  # no verification exists for it: no rate, not 0%
    sources = {(row["field"], row["source"]): row["found"] for row in report["by_source"].rows}
    assert sources == {("email", "finder"): 9, ("phone", "phone"): 4, ("linkedin_url", "website"): 1}


def test_a_rep_sees_their_own_leads(rep_bob, world):
    report = tables(rep_bob)
    targets = by(report["targets"], "measure")
    assert (targets["Enrichment success"]["found"], targets["Enrichment success"]["out_of"]) == (2, 2)
    assert targets["Phone discovery"]["met"] == "no data"
    assert by(report["by_field"], "field")["email"]["found"] == 2


def test_source_filter(manager_mia, world):
    targets = by(tables(manager_mia, source="import")["targets"], "measure")
    assert targets["Enrichment success"]["out_of"] == 2


def test_credits_bounces_and_duplicates(manager_mia, rep_alice, world):
    ProviderAnswer.objects.create(source="hunter", kind="finder", key="a", credits=Decimal("1.00"), created_at=AT)
    ProviderAnswer.objects.create(source="hunter", kind="verifier", key="b", credits=Decimal("0.50"), created_at=AT)
    ProviderAnswer.objects.create(source="dns", kind="mx", key="c", credits=0, created_at=AT)
    verified = [LeadFactory(owner=rep_alice, email_verified=True) for _ in range(4)]
    MessageFactory(enrollment__lead=verified[0], sent_at=AT, bounced_at=AT)
    for lead in verified[1:]:
        MessageFactory(enrollment__lead=lead, sent_at=AT)
    MessageFactory(enrollment__lead=LeadFactory(owner=rep_alice), sent_at=AT, bounced_at=AT)
    survivor = world["alice"][0]
    MergeRecord.objects.create(survivor=survivor, merged_lead_id=99999, created_at=AT)
    DuplicateCandidate.objects.create(lead_a=survivor, lead_b=world["alice"][1], score=90, reason="same email",
                                      found_at=AT)  # fmt: skip
    report = tables(manager_mia)
    credits = by(report["credits"], "source")
    assert credits["hunter"]["credits"] == pytest.approx(1.5)
    assert (credits["hunter"]["calls"], credits["dns"]["paid_calls"]) == (2, 0)
    quality = by(report["quality"], "measure")
    verified_row = quality["Bounce rate of verified emails"]
    assert (verified_row["count"], verified_row["out_of"], verified_row["rate"]) == (1, 4, 0.25)
    assert quality["Bounce rate of unverified emails"]["rate"] == 1.0
    assert quality["Duplicates merged"]["count"] == 1
    assert quality["Suspected duplicates found"]["count"] == 1
    # Bob's own view: none of those leads are his.
    bob_quality = by(tables(manager_mia, owner_id=world["bob"][0].owner_id)["quality"], "measure")
    assert bob_quality["Duplicates merged"]["count"] == 0
    assert bob_quality["Bounce rate of verified emails"]["rate"] is None
