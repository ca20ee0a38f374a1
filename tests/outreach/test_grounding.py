"""What drafts are written from: the lead's facts, its latest finished analysis, and its profile's pitch."""

from __future__ import annotations

from crm.selectors import profile_default
from enrichment.models import LeadAnalysis
from outreach.drafts import draft_generate
from outreach.grounding import lead_grounding
from tests.factories import LeadFactory


def pitch_set(**values) -> None:
    profile = profile_default()
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()


def test_a_draft_uses_the_profiles_pitch_and_the_ai_analysis(rep_alice, priya):
    pitch_set(value_proposition="We cut freight invoice errors by 40%", offer="A free invoice audit",
              proof_points="Trusted by 120 carriers\nSOC 2 audited")  # fmt: skip
    LeadAnalysis.objects.create(lead=priya, status="ok", source="ai", pain_points=["Manual invoice checks."])
    LeadAnalysis.objects.create(lead=priya, status="failed", source="ai", pain_points=["Ignored: it failed"])
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="friendly", length="long")
    assert "We cut freight invoice errors by 40%." in draft.body and "Trusted by 120 carriers." in draft.body
    assert "manual invoice checks" in draft.body and "Ignored" not in draft.body
    assert draft.findings == []


def test_without_a_pitch_nothing_is_claimed_about_what_we_sell(rep_alice, priya):
    draft = draft_generate(lead=priya, actor=rep_alice, channel="email", tone="direct", length="long")
    assert "What we do" not in draft.body and "Proof" not in draft.body and draft.findings == []


def test_the_built_in_analysis_quotes_are_read_by_the_ai_but_never_phrased_by_the_template(rep_alice, priya):
    LeadAnalysis.objects.create(
        lead=priya, status="ok", source="built-in", pain_points=["Enquiry: please call me about pricing"]
    )
    grounding = lead_grounding(priya, sender=rep_alice)
    assert grounding.values()["pain_point"] == ""
    assert "Enquiry: please call me about pricing" in grounding.inputs()


def test_a_lead_with_almost_no_facts(rep_alice):
    bare = LeadFactory(first_name="", last_name="", title="", company=None, email="x@example.com", owner=rep_alice)
    draft = draft_generate(lead=bare, actor=rep_alice, channel="linkedin", tone="formal", length="long")
    assert draft.body.startswith("Hello,") and draft.findings == [] and "x@example.com" not in draft.body
