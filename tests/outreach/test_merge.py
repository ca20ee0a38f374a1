"""Merge fields: a template filled in for a lead, with defaults and custom fields; unknown fields, tags and escapes
from the sandbox refused at save; fields left empty reported as unresolved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from outreach.merge import merge_fields, render_for_lead, template_check
from outreach.models import Mailbox
from tests.factories import CompanyFactory, LeadFactory


@pytest.fixture
def priya(db, rep_alice):
    company = CompanyFactory(
        name="Acme Logistics", domain="acme-logistics.example", industry="Logistics", location="Rotterdam"
    )
    return LeadFactory(
        first_name="Priya", last_name="Shah", title="Head of Operations", email="priya@acme-logistics.example",
        company=company, owner=rep_alice, custom_fields={"Fleet size": "40 trucks", "Referred by": ""},
    )  # fmt: skip


def test_it_fills_in_the_leads_fields(priya):
    rendered = render_for_lead(
        "Quick question, {{ first_name }}",
        "Hi {{ full_name }}, as {{ title|lower }} at {{ company }} ({{ company_domain }}, {{ industry }}) "
        "in {{ location }}: {{ email }}",
        priya,
    )
    assert rendered.subject == "Quick question, Priya"
    assert rendered.text == (
        "Hi Priya Shah, as head of operations at Acme Logistics (acme-logistics.example, Logistics) in Rotterdam: "
        "priya@acme-logistics.example"
    )
    assert rendered.unresolved == []


def test_a_default_fills_an_empty_field(priya):
    priya.first_name = ""
    rendered = render_for_lead("Hi {{ first_name|default:'there' }}", 'Hello {{ first_name|default:"there" }}', priya)
    assert (rendered.subject, rendered.text, rendered.unresolved) == ("Hi there", "Hello there", [])


def test_an_empty_field_without_a_default_is_unresolved(priya):
    priya.title = ""
    priya.company = None
    rendered = render_for_lead("For {{ company }}", "As {{ title }} at {{ company }}, {{ phone|default:'-' }}", priya)
    assert rendered.unresolved == ["company", "title"]


def test_custom_fields_are_read_by_their_written_key(priya):
    template_check("", "{{ custom.fleet_size }} {{ custom.referred_by|default:'a friend' }} {{ custom.budget }}")
    rendered = render_for_lead(
        "", "{{ custom.fleet_size }}, via {{ custom.referred_by|default:'a friend' }}{{ custom.budget }}", priya
    )
    assert rendered.text == "40 trucks, via a friend"
    assert rendered.unresolved == ["custom.budget"]


def test_a_custom_field_as_a_default_reads_empty_when_missing(priya):
    rendered = render_for_lead("", "Hi {{ first_name|default:custom.nickname }}", priya)
    assert (rendered.text, rendered.unresolved) == ("Hi Priya", [])


def test_the_sender_fields_come_from_the_mailbox(priya):
    mailbox = Mailbox(name="Sam Seller", signature="Sam, Acme", address="sam@acme.example")
    rendered = render_for_lead("", "{{ sender_name }}\n{{ signature }}", priya, mailbox=mailbox)
    assert rendered.text == "Sam Seller\nSam, Acme"
    assert render_for_lead("", "{{ sender_name }}", priya).unresolved == ["sender_name"]


def test_text_is_not_html_escaped_and_a_subject_stays_one_line(priya):
    priya.company.name = "Smith & Sons <Ltd>"
    priya.first_name = "Priya\nBcc: victim@example.com"
    rendered = render_for_lead("Hi {{ first_name }}", "{{ company }}", priya)
    assert rendered.text == "Smith & Sons <Ltd>"
    assert "\n" not in rendered.subject


def test_unknown_fields_are_refused_at_save_naming_them():
    with pytest.raises(ValidationError) as refused:
        template_check("Hi {{ frist_name }}", "{{ company }} {{ compnay }} {{ first_name|default:nickname }}")
    errors = refused.value.message_dict
    assert "{{ frist_name }}" in errors["subject"][0]
    assert "{{ compnay }}" in errors["body"][0] and "{{ nickname }}" in errors["body"][0]
    assert "{{ company }}" not in errors["body"][0]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{ lead.owner.password }}", "Unknown merge field"),
        ("{{ first_name.upper }}", "Unknown merge field"),
        ("{{ custom }}", "Unknown merge field"),
        ("{{ custom.Fleet }}", "Unknown merge field"),
        ("{{ first_name.__class__ }}", "may not begin with underscores"),
        ("{% load static %}", "{% load %}"),
        ("{% include 'base.html' %}", "{% include %}"),
        ("{% extends 'base.html' %}", "{% extends %}"),
        ("{% debug %}", "{% debug %}"),
        ("{% csrf_token %}", "{% csrf_token %}"),
        ("{% if first_name %}x{% endif %}", "{% if %}"),
        ("{% %}", "template tags"),
        ("{{ first_name|date:'Y' }}", "Invalid filter: 'date'"),
        ("{{ first_name|default }}", "default requires 2 arguments"),
        ("Hi {{ first_name ", "never closed (line 1)"),
        ("{{ }}", "cannot be read"),
    ],
)
def test_escapes_from_the_sandbox_and_bad_syntax_are_refused(body, reason):
    with pytest.raises(ValidationError) as refused:
        template_check("Hello", body)
    assert reason in refused.value.message_dict["body"][0]


def test_an_unchecked_template_still_reads_nothing_outside_the_lead(priya):
    rendered = render_for_lead("", "{{ lead.owner.password }}{{ first_name|default:lead.owner }}", priya)
    assert rendered.text == ""
    assert rendered.unresolved == ["lead.owner.password", "lead.owner"]


def test_a_checked_template_renders_without_error(priya):
    template_check("Quick question, {{ first_name|default:'there'|title }}", "{{ company|upper|truncatewords:2 }}")
    assert render_for_lead("", "{{ company|upper|truncatewords:1 }}", priya).text == "ACME …"


def test_merge_fields_lists_the_leads_fields():
    assert {"first_name", "company", "title", "company_domain", "industry"} <= set(merge_fields())
