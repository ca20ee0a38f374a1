"""What enrichment keeps feeds scoring: a verified email and phone (completeness) and a company's technologies (fit)
reach crm through its services."""

from __future__ import annotations

import pytest

from enrichment.keeping import lead_keep
from enrichment.providers.base import COMPANY, EMAIL, PHONE, Finding
from enrichment.waterfall import Asked, WaterfallRun
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

RUN = WaterfallRun(fields=frozenset({EMAIL, PHONE, COMPANY}), sources=["finder"], thresholds={})


def test_a_verified_email_and_a_known_line_are_kept_as_verified(manager_mia):
    lead = LeadFactory(email="", phone="")
    found = [
        Finding(EMAIL, "ada@acme.test", 95, "finder", "valid"),
        Finding(PHONE, "+442079460000", 90, "phone", "fixed_line"),
    ]
    lead_keep(lead_id=lead.pk, actor=manager_mia, asked=Asked(findings=found), run=RUN, job=None)
    lead.refresh_from_db()
    assert (lead.email, lead.email_verified) == ("ada@acme.test", True)
    assert (lead.phone, lead.phone_verified) == ("+442079460000", True)
    assert lead.score_stale


def test_an_address_found_undeliverable_is_no_longer_verified(manager_mia):
    lead = LeadFactory(email="ada@acme.test", email_verified=True)
    found = [Finding(EMAIL, "ada@acme.test", 0, "finder", "invalid")]
    lead_keep(lead_id=lead.pk, actor=manager_mia, asked=Asked(findings=found), run=RUN, job=None)
    lead.refresh_from_db()
    assert (lead.email, lead.email_verified) == ("ada@acme.test", False)


def test_a_source_with_no_verdict_leaves_the_verification_as_it_was(manager_mia):
    lead = LeadFactory(email="ada@acme.test", email_verified=True, phone="")
    # The website names the address (no verdict); the mail server's "valid" came first in the same run.
    found = [
        Finding(EMAIL, "ada@acme.test", 95, "finder", "valid"),
        Finding(EMAIL, "ada@acme.test", 70, "website"),
    ]
    lead_keep(lead_id=lead.pk, actor=manager_mia, asked=Asked(findings=found), run=RUN, job=None)
    lead.refresh_from_db()
    assert lead.email_verified
    found = [Finding(EMAIL, "ada@acme.test", 70, "website")]
    lead_keep(lead_id=lead.pk, actor=manager_mia, asked=Asked(findings=found), run=RUN, job=None)
    lead.refresh_from_db()
    assert lead.email_verified


def test_a_companys_technologies_are_kept_on_the_company(manager_mia):
    lead = LeadFactory()
    found = [Finding("company.technologies", "Stripe, React", 70, "website")]
    lead_keep(lead_id=lead.pk, actor=manager_mia, asked=Asked(findings=found), run=RUN, job=None)
    lead.company.refresh_from_db()
    assert lead.company.technologies == ["Stripe", "React"]
