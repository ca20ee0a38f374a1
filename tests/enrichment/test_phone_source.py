"""Phone facts come from libphonenumber, offline: the number's form, line type, region and zone, and the
do-not-call list."""

import pytest

from crm.models import DoNotCallNumber
from enrichment.providers import phone
from enrichment.providers.base import PHONE, LeadFacts, ProviderFailed

pytestmark = pytest.mark.django_db


def test_a_british_mobile_is_read_with_its_type_region_and_zone():
    found = phone.find(LeadFacts(phone="07400 123456", region="GB"), frozenset({PHONE}))
    number, zone = found
    assert (number.field, number.value, number.status, number.confidence) == ("phone", "+447400123456", "mobile", 100)
    assert number.detail["region"] == "GB"
    # A British mobile may be in Jersey or on the Isle of Man too; the country's own zone is the one said.
    assert (zone.field, zone.value) == ("time_zone", "Europe/London")
    assert "Europe/Jersey" in number.detail["time_zones"]


def test_a_german_landline_is_a_fixed_line_in_berlin():
    number, zone = phone.find(LeadFacts(phone="030 901820", region="DE"), frozenset({PHONE}))
    assert (number.value, number.status) == ("+4930901820", "fixed_line")
    assert number.detail["location"] == "Berlin"
    assert zone.value == "Europe/Berlin"


def test_a_us_number_may_be_either_kind_so_it_is_less_sure():
    (number, *_rest) = phone.find(LeadFacts(phone="(201) 555-0123", region="US"), frozenset({PHONE}))
    assert number.status == "fixed_or_mobile"
    assert number.confidence < 100


def test_a_number_on_the_do_not_call_list_says_so():
    DoNotCallNumber.objects.create(number="+447911123456")
    (number, _zone) = phone.find(LeadFacts(phone="+44 7911 123456"), frozenset({PHONE}))
    assert number.status == "do-not-call"
    assert number.detail["do_not_call"] is True


def test_a_number_that_is_no_number_fails_that_lead_with_the_reason():
    with pytest.raises(ProviderFailed, match="not a valid phone number"):
        phone.find(LeadFacts(phone="12", region="GB"), frozenset({PHONE}))


def test_it_finds_nothing_when_no_phone_is_wanted_or_known():
    assert phone.find(LeadFacts(phone="+447911123456"), frozenset({"email"})) == []
    assert phone.find(LeadFacts(), frozenset({PHONE})) == []
