"""Consent from ad lead forms: a Meta lead whose custom disclaimer checkbox was ticked, or a Google lead that
answered yes to a consent question, gets the lawful basis "consent" from "Meta lead form" / "Google lead form";
a form without one gives no basis at all (legitimate interest is never assumed)."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from crm.models import Activity, Lead
from scraping.ad_tasks import meta_deliveries_fetch
from scraping.ads import ad_consent_given
from scraping.models import AdDelivery
from tests.fakes.meta_graph_server import meta_lead, meta_notification
from tests.scraping.conftest import GOOGLE_KEY, meta_signature

pytestmark = pytest.mark.django_db


def _post_meta(client, *leadgen_ids: str):
    raw = json.dumps(meta_notification(*leadgen_ids)).encode()
    headers = {"X-Hub-Signature-256": meta_signature(raw)}
    return client.post("/hooks/meta/leadgen/", data=raw, content_type="application/json", headers=headers)


def _with_disclaimer(lead: dict, is_checked) -> dict:
    # As Graph answers a lead whose form has a custom disclaimer with a checkbox (custom_disclaimer_responses).
    lead["custom_disclaimer_responses"] = [{"checkbox_key": "marketing_optin", "is_checked": is_checked}]
    return lead


def test_a_meta_lead_that_ticked_the_consent_checkbox_has_consent_from_the_meta_lead_form(client, meta_source, graph):
    graph.answers_lead("5001", _with_disclaimer(meta_lead("5001", full_name="Ines Moreau",
                                                          email="ines@atelier.example"), "1"))  # fmt: skip
    graph.answers_lead("5002", _with_disclaimer(meta_lead("5002", full_name="Jon Berg",
                                                          email="jon@berg.example"), "0"))  # fmt: skip
    graph.answers_lead("5003", meta_lead("5003", full_name="Kim Sato", email="kim@sato.example"))
    assert _post_meta(client, "5001", "5002", "5003").status_code == 200

    meta_deliveries_fetch(meta_source.pk)

    assert AdDelivery.objects.filter(status="saved").count() == 3
    ines = Lead.objects.get(email="ines@atelier.example")
    assert (ines.lawful_basis, ines.lawful_basis_source) == ("consent", "Meta lead form")
    assert timezone.now() - ines.lawful_basis_at < timedelta(minutes=1)
    assert ines.custom_fields["Disclaimer marketing_optin"] == "checked"
    assert ines.activities.get(kind=Activity.Kind.LAWFUL_BASIS).summary == "Lawful basis: Consent (Meta lead form)"
    # An unticked box, or no disclaimer at all: no basis, and no timeline line claiming one.
    for email in ("jon@berg.example", "kim@sato.example"):
        lead = Lead.objects.get(email=email)
        assert (lead.lawful_basis, lead.lawful_basis_at) == ("", None)
        assert not lead.activities.filter(kind=Activity.Kind.LAWFUL_BASIS).exists()


def test_a_meta_custom_question_named_consent_counts_too(client, meta_source, graph):
    graph.answers_lead("5001", meta_lead("5001", full_name="Ines Moreau", email="ines@atelier.example",
                                         consent="Yes"))  # fmt: skip
    _post_meta(client, "5001")
    meta_deliveries_fetch(meta_source.pk)
    ines = Lead.objects.get(email="ines@atelier.example")
    assert (ines.lawful_basis, ines.lawful_basis_source) == ("consent", "Meta lead form")
    assert ines.custom_fields["consent"] == "Yes"  # the answer itself stays, as the person gave it


def _google_post(client, django_capture_on_commit_callbacks, lead_id: str, *extra_columns: dict):
    payload = json.loads((Path(__file__).parents[1] / "fakes/google_ads/lead-production.json").read_text())
    payload.update(google_key=GOOGLE_KEY, lead_id=lead_id)
    payload["user_column_data"] = [
        {"column_name": "Full Name", "string_value": f"Person {lead_id}", "column_id": "FULL_NAME"},
        {"column_name": "User Email", "string_value": f"{lead_id}@google.example", "column_id": "EMAIL"},
        *extra_columns,
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/hooks/google-ads/leadform/", data=json.dumps(payload), content_type="application/json")
    assert answer.status_code == 200
    return Lead.objects.get(email=f"{lead_id}@google.example")


def test_a_google_lead_that_agreed_has_consent_from_the_google_lead_form(
    client, google_source, django_capture_on_commit_callbacks
):
    question = "I agree to receive emails about your products"
    agreed = _google_post(client, django_capture_on_commit_callbacks, "g1",
                          {"column_name": question, "string_value": "Yes", "column_id": "question_1"})  # fmt: skip
    declined = _google_post(client, django_capture_on_commit_callbacks, "g2",
                            {"column_name": question, "string_value": "No", "column_id": "question_1"})  # fmt: skip
    silent = _google_post(client, django_capture_on_commit_callbacks, "g3")

    assert (agreed.lawful_basis, agreed.lawful_basis_source) == ("consent", "Google lead form")
    assert agreed.custom_fields[question] == "Yes"
    assert declined.lawful_basis == "" and silent.lawful_basis == ""


@pytest.mark.parametrize(
    ("fields", "given"),
    [
        ({"Disclaimer gdpr": "checked"}, True),
        ({"Do you consent to be contacted?": "yes"}, True),
        ({"opt_in": "TRUE"}, True),
        ({"Do you consent to be contacted?": "no"}, False),
        ({"Disclaimer gdpr": "not checked"}, False),
        ({"Are you a decision maker?": "yes"}, False),
        ({}, False),
    ],
)
def test_which_answers_give_consent(fields, given):
    assert ad_consent_given(fields) is given
