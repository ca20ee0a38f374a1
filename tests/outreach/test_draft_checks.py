"""The checks a draft passes before approval: length, placeholders, spam phrases, and facts nobody gave."""

from __future__ import annotations

import pytest

from outreach.draft_checks import draft_findings

INPUTS = [
    "Priya",
    "Shah",
    "Head of Operations",
    "Acme Logistics",
    "We cut freight invoice errors by 40%",
    "Ada Lovelace",
]


def checks(body: str, *, channel: str = "email", subject: str = "Hello", inputs=INPUTS) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in draft_findings(channel=channel, subject=subject, body=body, inputs=inputs):
        found.setdefault(finding.check, []).append(finding.message)
    return found


def test_a_grounded_message_passes():
    body = (
        "Hi Priya,\n\nAs Head of Operations at Acme Logistics, you know invoices. We cut errors by 40%.\n\nBest,\nAda"
    )
    assert checks(body) == {}


def test_it_flags_an_invented_company_name():
    found = checks("Hi Priya, we helped Globex Corporation and Acme Logistics save time.")
    assert "Globex" in found["facts"][0] and "Corporation" in found["facts"][0]
    assert "Acme" not in found["facts"][0]


def test_it_flags_an_invented_number_but_not_a_given_one():
    found = checks("Hi Priya, we cut errors by 40% and saved clients $2.5M in 2023.")
    message = " ".join(found["facts"])
    assert "$2.5M" in message and "2023" in message and "40%" not in message


def test_it_flags_an_invented_persons_name():
    assert "Johnson" in checks("Hi Priya, my colleague Mark Johnson suggested I write.")["facts"][0]


@pytest.mark.parametrize("phrase", ["Click here", "ACT NOW", "risk-free", "Limited time", "guaranteed"])
def test_it_flags_spam_trigger_phrases(phrase):
    found = checks(f"Hi Priya, {phrase} to see how Acme Logistics could benefit.")
    assert phrase.lower() in found["spam"][0]


@pytest.mark.parametrize(
    "placeholder", ["{{ first_name }}", "[Name]", "{first_name}", "[Company Name]", "<FIRST NAME>"]
)
def test_it_flags_unfilled_placeholders(placeholder):
    found = checks(f"Hi {placeholder}, a note for Acme Logistics.")
    assert placeholder in found["placeholder"][0]


def test_a_placeholder_in_the_subject_counts_too():
    assert "placeholder" in checks("Hi Priya.", subject="Idea for {company}")


def test_a_linkedin_note_over_300_characters_is_flagged():
    body = "Hi Priya, " + "a" * 291
    assert len(body) == 301
    assert "300" in checks(body, channel="linkedin", subject="")["length"][0]
    assert checks(body[:300], channel="linkedin", subject="") == {}


def test_an_email_needs_a_subject_and_a_body():
    found = checks("   ", subject="")
    assert len(found["length"]) == 2


def test_a_whatsapp_message_over_twilios_limit_is_flagged():
    assert "1600" in checks("Hi Priya. " + "x" * 1600, channel="whatsapp", subject="")["length"][0]


def test_a_name_opening_a_sentence_is_caught_when_it_looks_like_one():
    found = checks("Hi Priya.\nGlobex Corporation uses us. HubSpot does too. Acme Logistics is next.")
    assert "Globex" in found["facts"][0] and "HubSpot" in found["facts"][0] and "Acme" not in found["facts"][0]
