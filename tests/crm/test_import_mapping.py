"""Suggesting which lead field each column holds, for the files people actually upload."""

from pathlib import Path

import pytest

from crm.importing.mapping import CUSTOM, FIELDS, IGNORE, REPEATABLE, mapping_suggest
from crm.importing.reading import table_inspect, table_sample

DATA = Path(__file__).resolve().parent.parent / "data"


def suggested(name: str) -> dict[str, str]:
    """Header -> suggested target for a file in tests/data, judged on its first rows as the import page does."""
    path = DATA / name
    info = table_inspect(path, max_bytes=50 * 1024 * 1024)
    samples = [row.values for row in table_sample(path, info, count=10)]
    return dict(zip(info.headers, mapping_suggest(info.headers, samples), strict=True))


def mapped(suggestion: dict[str, str]) -> dict[str, str]:
    return {header: target for header, target in suggestion.items() if target != CUSTOM}


def test_the_fields_are_the_lead_fields_an_import_can_fill():
    assert list(FIELDS) == [
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "linkedin_url",
        "website",
        "company",
        "title",
        "location",
        "city",
        "country",
        "time_zone",
        "source",
        "tags",
        "deal_value",
        "notes",
        # Recorded through crm.services.consent with the file as its source, not as a fact.
        "lawful_basis",
    ]
    assert CUSTOM == "" and IGNORE == "ignore" and IGNORE not in FIELDS
    # Any number of columns may hold further addresses and numbers of the person.
    assert REPEATABLE == {"other_email": "Other email", "other_phone": "Other phone"}
    assert not set(REPEATABLE) & set(FIELDS)


def test_an_apollo_export():
    suggestion = suggested("apollo_export.csv")

    assert mapped(suggestion) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "title",
        "Company": "company",
        "Email": "email",
        "Mobile Phone": "phone",  # of Apollo's five phone columns, the mobile (WhatsApp works on it)
        # The person's other numbers and addresses are kept beside the main ones, never dropped (issue 8).
        "Work Direct Phone": "other_phone",
        "Home Phone": "other_phone",
        "Corporate Phone": "other_phone",
        "Other Phone": "other_phone",
        "Secondary Email": "other_email",
        "Tertiary Email": "other_email",
        "Lists": "tags",
        "Person Linkedin Url": "linkedin_url",
        "Website": "website",
        "City": "city",
        "Country": "country",
    }
    # The near misses stay custom fields: nothing is thrown away.
    for header in (
        "Company Name for Emails",
        "Email Status",
        "Primary Email Source",
        "Contact Owner",
        "Company Linkedin Url",
        "Company City",
        "Company Country",
        "Company Phone",  # the company's switchboard, not the person's line
        "Secondary Email Source",
        "Latest Funding Amount",
    ):
        assert suggestion[header] == CUSTOM, header
    assert len(suggestion) == 54


def test_a_sales_navigator_export():
    assert mapped(suggested("sales_navigator.csv")) == {
        "firstName": "first_name",
        "lastName": "last_name",
        "fullName": "full_name",
        "title": "title",
        "companyName": "company",
        "linkedinProfileUrl": "linkedin_url",  # the public profile, not the Sales Navigator link in profileUrl
        "location": "location",
    }


def test_a_hubspot_contacts_export():
    assert mapped(suggested("hubspot_contacts.csv")) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "other_phone",
        "Company Name": "company",
        "Job Title": "title",
        "City": "city",
        "Country/Region": "country",
        "Time Zone": "time_zone",
        "Website URL": "website",
        "Original Source": "source",
    }


def test_a_salesforce_lead_report():
    assert mapped(suggested("salesforce_leads.csv")) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "title",
        "Company / Account": "company",
        "Email": "email",
        "Phone": "phone",
        "Mobile": "other_phone",
        "Lead Source": "source",
        "City": "city",
        "Country": "country",
        "Website": "website",
        "Description": "notes",
    }


def test_a_hunter_export():
    assert mapped(suggested("hunter_export.csv")) == {
        "Email address": "email",
        "First name": "first_name",
        "Last name": "last_name",
        "Position": "title",
        "Company": "company",
        "Domain name": "website",
        "Phone number": "phone",
        "LinkedIn URL": "linkedin_url",
    }


def test_a_phantombuster_profile_scraper_export():
    assert mapped(suggested("phantombuster_profiles.csv")) == {
        "fullName": "full_name",
        "firstName": "first_name",
        "lastName": "last_name",
        "companyName": "company",
        "jobTitle": "title",  # rather than the headline
        "location": "location",
        "linkedinProfileUrl": "linkedin_url",
        "mail": "email",
        "phoneNumber": "phone",
    }


def test_a_hand_typed_file():
    assert suggested("handtyped_semicolon_cp1252.csv") == {
        "Name": "full_name",
        "Company": "company",
        "E-mail Address": "email",
        "Tel.": "phone",
        "Position": "title",
        "City": "city",
        "Country": "country",
        "Notes": "notes",
    }


def test_a_messy_file_and_a_workbook():
    assert suggested("messy.csv") == {
        "Name": "full_name",
        "Email": "email",
        "Email (2)": "other_email",  # a second address is kept on the lead beside the first
        "Phone": "phone",  # even with Excel's 4.47911E+11 in it
        "Company": "company",
        "Website": "website",
        "Column 7": CUSTOM,
        "Notes": "notes",
    }
    assert mapped(suggested("contacts.xlsx")) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Company": "company",
        "Mobile Phone": "phone",
        "Deal Value": "deal_value",
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail Address", "email"),
        ("Email Address", "email"),
        ("Work Email", "email"),
        ("Email 1", "email"),
        ("Primary Email", "email"),
        ("EMAIL", "email"),
        ("Company Name", "company"),
        ("Company", "company"),
        ("Organization", "company"),
        ("Organisation", "company"),
        ("Account Name", "company"),
        ("Job Title", "title"),
        ("Title", "title"),
        ("Position", "title"),
        ("Person Linkedin Url", "linkedin_url"),
        ("LinkedIn Profile", "linkedin_url"),
        ("Profile URL", "linkedin_url"),
        ("linkedinProfileUrl", "linkedin_url"),
        ("Mobile Phone", "phone"),
        ("Corporate Phone", "phone"),
        ("Phone Number", "phone"),
        ("Work Direct Phone", "phone"),
        ("First Name", "first_name"),
        ("firstName", "first_name"),
        ("first_name", "first_name"),
        ("Last Name", "last_name"),
        ("lastName", "last_name"),
        ("Name", "full_name"),
        ("Full Name", "full_name"),
        ("Website", "website"),
        ("Company Website", "website"),
        ("Domain", "website"),
        ("City", "city"),
        ("Country", "country"),
        ("Location", "location"),
        ("Time Zone", "time_zone"),
        ("Lead Source", "source"),
        ("Tags", "tags"),
        ("Deal Value", "deal_value"),
        ("Amount", "deal_value"),
        ("Notes", "notes"),
        # Near misses
        ("  e-mail:  ", "email"),
        ("Emial", "email"),
        ("Compnay", "company"),
        ("Job Titel", "title"),
        ("First Nmae", "first_name"),
        ("Telefon", "phone"),
    ],
)
def test_it_knows_the_usual_headers_on_their_own(header, field):
    assert mapping_suggest([header], []) == [field]
    assert mapping_suggest(["Id", header, "Misc"], [["1", "", "x"]]) == [CUSTOM, field, CUSTOM]


@pytest.mark.parametrize("header", ["County", "State", "Seniority", "Email Status", "Record ID", "Stage", "Misc", ""])
def test_it_leaves_other_columns_as_custom_fields(header):
    assert mapping_suggest([header], []) == [CUSTOM]


def test_values_decide_when_the_header_does_not():
    headers = ["Contact", "Column 2", "Links", "Reach them on", "Ref"]
    samples = [
        [
            "ada@engine.example",
            "https://www.linkedin.com/in/ada-lovelace",
            "https://engine.example",
            "+44 20 7946 0001",
            "1001",
        ],
        ["grace@navy.example", "linkedin.com/in/grace-hopper/", "navy.example", "+1 (202) 555-0143", "1002"],
        ["", "https://uk.linkedin.com/in/alan-turing-1a2b3c", "www.bletchley.example", "020 7946 0002", "1003"],
    ]

    assert mapping_suggest(headers, samples) == ["email", "linkedin_url", "website", "phone", CUSTOM]


def test_values_overrule_a_header_they_contradict():
    headers = ["Email", "Contact", "Phone", "Profile"]
    samples = [
        ["Verified", "ada@engine.example", "Mobile", "https://facebook.com/ada"],
        ["Guessed", "grace@navy.example", "Landline", "https://facebook.com/grace"],
    ]

    assert mapping_suggest(headers, samples) == [CUSTOM, "email", CUSTOM, CUSTOM]


def test_placeholders_are_no_values_and_contradict_nothing():
    # "n/a" and "unknown" say the cell is empty (issue 8): they neither contradict the header nor fill the column.
    # (This test's first version counted them as values that are not phone numbers.)
    headers = ["Phone", "Mobile"]
    samples = [["n/a", "+44 7700 900001"], ["unknown", "+44 7700 900002"], ["[Not Provided]", "-"]]

    assert mapping_suggest(headers, samples) == ["other_phone", "phone"]
    assert mapping_suggest(["Phone"], [["n/a"], ["unknown"]]) == ["phone"]


def test_values_alone_never_claim_an_owner_or_an_id_column():
    headers = ["Contact Owner", "Account ID", "Employees"]
    samples = [["sam@leadflow.example", "00123456789", "1200000"], ["dana@leadflow.example", "00123456790", "45"]]

    assert mapping_suggest(headers, samples) == [CUSTOM, CUSTOM, CUSTOM]


def test_images_and_social_pages_are_not_websites():
    headers = ["Photo", "Facebook", "Company Page"]
    samples = [
        [
            "https://media.licdn.com/dms/image/abc.jpg",
            "https://facebook.com/acme",
            "https://www.linkedin.com/company/acme",
        ]
    ]

    assert mapping_suggest(headers, samples) == [CUSTOM, CUSTOM, CUSTOM]


def test_each_field_goes_to_one_column_the_best_one():
    headers = ["Email 2", "Email", "Work Email", "Phone", "Phone"]
    samples = [["a2@x.example", "", "a@x.example", "", "+44 20 7946 0001"], ["", "", "b@x.example", "", "+1 555 0100"]]

    targets = mapping_suggest(headers, samples)

    # An empty column loses to a near-equal one that holds values; the other columns of each kind are suggested as
    # the repeatable targets (issue 8: further addresses and numbers are kept, never dropped).
    assert targets == ["other_email", "other_email", "email", "other_phone", "phone"]
    assert mapping_suggest(["Email", "Email"], []) == ["email", "other_email"]  # a tie: the leftmost
    assert mapping_suggest(["Name", "First Name", "Last Name"], []) == ["full_name", "first_name", "last_name"]


def test_it_copes_with_short_rows_and_no_samples():
    assert mapping_suggest([], []) == []
    assert mapping_suggest(["Name", "Email"], [["Ada"], []]) == ["full_name", "email"]


@pytest.mark.parametrize(
    "header",
    ["form_name", "ad_name", "adset_name", "campaign_name", "Persona", "Personas", "Page Name", "Owner Name"],
)
def test_names_of_forms_ads_and_personas_are_not_the_persons_name(header):
    # Meta lead ads' "form_name" was read as a misspelt "forename", HubSpot's "Persona" as "person".
    assert mapping_suggest([header], [["Free Trial - India"], ["Decision Maker Dan"]]) == [CUSTOM]


def test_a_span_of_years_is_not_a_phone_number():
    samples = [["2015 - 2018", "Jan 2018"], ["01/2016 - 03/2020", "2019"], ["2012 - 2016", ""]]

    assert mapping_suggest(["pastExperienceDate", "Column 2"], samples) == [CUSTOM, CUSTOM]
    assert mapping_suggest(["Years"], [["2015 - 2018"], ["2019 - 2022"]]) == [CUSTOM]


def test_meta_phones_and_google_lists_are_read_by_their_values():
    headers = ["Contact", "Reach"]
    samples = [["p:+919876543210", "a@x.example ::: b@x.example"], ["p:+447700900123", "c@x.example"]]

    assert mapping_suggest(headers, samples) == ["phone", "email"]


def test_a_title_column_of_honorifics_is_not_the_job_title():
    headers = ["Title", "Job Title", "Last Name"]
    samples = [["Mr.", "CTO", "Lovelace"], ["Dr", "", "Hopper"], ["Ms.", "", "Turing"]]

    assert mapping_suggest(headers, samples) == [CUSTOM, "title", "last_name"]


def test_the_companys_columns_are_known_by_their_qualifiers():
    assert mapping_suggest(["Person - Organization"], []) == ["company"]
    # A cleaned name (Clay) is preferred to the raw one beside it; Apollo's "for Emails" one is not.
    assert mapping_suggest(["Company Name", "Company Name - Cleaned"], [["ACME, INC.", "Acme"]]) == [CUSTOM, "company"]
    assert mapping_suggest(["Company", "Company Name for Emails"], [["Acme, Inc.", "Acme"]]) == ["company", CUSTOM]


def test_a_vanity_profile_column_wins_over_member_id_links():
    headers = ["profileUrl", "linkedInProfileUrl", "defaultProfileUrl"]
    samples = [
        [
            "https://www.linkedin.com/sales/lead/ACwAAA1B2C3D4E5F6,NAME_SEARCH,a1b2",
            "https://www.linkedin.com/in/ACwAAA1B2C3D4E5F6",
            "https://www.linkedin.com/in/jane-doe",
        ],
        [
            "https://www.linkedin.com/in/ACwAAB2C3D4E5F6G7",
            "https://www.linkedin.com/in/ACwAAB2C3D4E5F6G7",
            "https://www.linkedin.com/in/marco-bianchi",
        ],
    ]

    assert mapping_suggest(headers, samples) == [CUSTOM, CUSTOM, "linkedin_url"]
    # Alone, an id link is still the profile.
    assert mapping_suggest(headers[:1], samples) == ["linkedin_url"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Person - Email - Home", "Person - Email - Work"], ["other_email", "email"]),
        (["E-mail 2 - Value", "E-mail 1 - Value"], ["other_email", "email"]),
        (["Email 3", "Other Email", "Email 1"], ["other_email", "other_email", "email"]),
        (["Person - Phone - Work", "Person - Phone - Mobile"], ["other_phone", "phone"]),
        (["E-mail 1 - Label", "E-mail 1 - Value"], [CUSTOM, "email"]),
        (["Phone", "Company Phone", "Company Main Phone", "Assistant's Phone"], ["phone", CUSTOM, CUSTOM, CUSTOM]),
    ],
)
def test_of_several_columns_of_a_kind_the_header_ranks_them(headers, expected):
    # With values in every column, the header decides: work above home, 1 above 2, a mobile above a landline.
    sample = ["jane@acme.example" if "mail" in h.lower() else "+44 7700 900123" for h in headers]
    samples = [[("Work" if "Label" in h else value) for h, value in zip(headers, sample, strict=True)]]

    assert mapping_suggest(headers, samples) == expected
