"""One list of a lead's facts: what the page edits, the services accept, the admin shows, exports carry and imports
fill in all derive from crm.lead_fields and the model."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.admin.leads import LeadAdmin
from crm.forms import LeadFactsForm
from crm.importing.writer import UPDATABLE
from crm.lead_fields import (
    LEAD_FACTS,
    LIST_FACTS,
    NOT_FACTS,
    STANDING_FACTS,
    lead_field_label,
    lead_field_length,
    lead_field_lengths,
)
from crm.models import Lead
from crm.resources import LEAD_COLUMNS
from crm.services.leads import EDITABLE_FIELDS, lead_create
from crm.services.merge import MERGE_FIELDS
from tests.factories import LeadFactory, default_stage


def test_every_field_of_a_lead_is_a_fact_or_known_not_to_be_one():
    fields = {field.name for field in Lead._meta.get_fields() if not field.auto_created or field.concrete}
    assert fields - NOT_FACTS == set(LEAD_FACTS), "a new Lead field belongs in crm.lead_fields"
    assert len(LEAD_FACTS) == len(set(LEAD_FACTS))


def test_lengths_and_labels_come_from_the_model():
    assert lead_field_length("title") == 200 and lead_field_length("email") == 254
    assert lead_field_length("company") == 200  # the company's name
    assert lead_field_length("deal_value") is None and "other_emails" not in lead_field_lengths()
    assert lead_field_lengths()["first_name"] == Lead._meta.get_field("first_name").max_length
    assert (lead_field_label("title"), lead_field_label("linkedin_url")) == ("Job title", "LinkedIn URL")


def test_the_lists_of_fields_derive_from_the_facts():
    assert list(LEAD_FACTS) == EDITABLE_FIELDS
    assert LeadFactsForm.Meta.fields == [name for name in LEAD_FACTS if name not in {"company", *LIST_FACTS}]
    assert list(LEAD_COLUMNS[1 : len(LEAD_FACTS) + 1]) == list(LEAD_FACTS)
    shown = [name for _title, options in LeadAdmin.fieldsets for name in options["fields"]]
    assert set(LEAD_FACTS) <= set(shown) and len(shown) == len(set(shown))
    assert not LIST_FACTS & set(MERGE_FIELDS)


def test_an_import_fills_in_who_the_person_is_never_where_they_stand():
    assert UPDATABLE == [
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "linkedin_url",
        "website",
        "company_id",
        "location",
        "time_zone",
        "deal_value",
    ]
    assert not STANDING_FACTS & set(UPDATABLE)


@pytest.mark.django_db
def test_the_services_keep_further_emails_and_phones_normalised(rep_alice):
    lead = lead_create(
        actor=rep_alice,
        stage=default_stage(0),
        first_name="Jo",
        other_emails=["Jo.Park@Work.example", " ", "jo.park@work.example"],
        other_phones="+44 20 7946 0958; +1 415 555 0100",
    )
    assert lead.other_emails == ["jo.park@work.example"]
    assert lead.other_phones == ["+442079460958", "+14155550100"]


@pytest.mark.django_db
def test_further_emails_and_phones_are_exported_and_imported_back(client, manager_mia):
    lead = LeadFactory(other_emails=["jo@home.example", "jo@work.example"], other_phones=["+442079460958"])
    client.force_login(manager_mia)
    form = client.get(reverse("admin:crm_lead_export")).context["form"]
    chosen = {name: "on" for name in form.fields if name.startswith("leadresource_")}
    response = client.post(reverse("admin:crm_lead_export"), {"format": "0", "resource": "0", **chosen})
    row = next(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert row["other_emails"] == "jo@home.example; jo@work.example"
    assert row["other_phones"] == "'+442079460958"  # formula-safe, as every exported cell

    cells = f"id,other_emails,other_phones\n{lead.pk},JO@new.example; jo@home.example,'+1 415 555 0100\n"
    upload = SimpleUploadedFile("leads.csv", cells.encode(), content_type="text/csv")
    preview = client.post(reverse("admin:crm_lead_import"), {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.context["confirm_form"] is not None, preview.context["result"].row_errors()
    client.post(reverse("admin:crm_lead_process_import"), preview.context["confirm_form"].initial, follow=True)
    lead.refresh_from_db()
    assert (lead.other_emails, lead.other_phones) == (["jo@new.example", "jo@home.example"], ["+14155550100"])


@pytest.mark.django_db
def test_the_lead_page_shows_further_emails_but_does_not_edit_them_inline(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, other_emails=["jo@home.example"], other_phones=["+442079460958"])
    client.force_login(rep_alice)
    html = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "jo@home.example" in html and "+442079460958" in html
    form = client.get(reverse("crm:lead_facts", args=[lead.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'name="other_emails"' not in form
