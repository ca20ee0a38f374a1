"""Phone facts from libphonenumber (phonenumbers): validity, E.164, line type, region and time zone, and whether the
number is on the do-not-call list. Free and offline."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezones

from crm.normalize import NormalizeError, phone_e164
from crm.selectors import numbers_not_to_call
from enrichment.providers.base import PHONE, Finding, LeadFacts, ProviderFailed

SOURCE = "phone"

LINE_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# How sure a line type is: libphonenumber knows mobile ranges exactly in most countries, but in some (the US,
# Canada) a range serves both fixed lines and mobiles.
TYPE_CONFIDENCE = {"fixed_or_mobile": 70}


def _main_zone(region: str, zones: list[str]) -> str:
    """The number's zone, or when it lies in several (a British mobile: London, Jersey, Guernsey, Isle of Man) the
    one the country's own example landline has; "" when that does not decide it (a US toll-free number)."""
    if len(zones) == 1:
        return zones[0]
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.FIXED_LINE) if region else None
    home = set(phone_timezones.time_zones_for_number(example)) if example else set()
    shared = [zone for zone in zones if zone in home]
    return shared[0] if len(shared) == 1 else ""


def phone_facts(number: str, region: str = "") -> dict:
    """What libphonenumber knows of one number: e164, type, region, location, time zones, do_not_call."""
    try:
        e164 = phone_e164(number, region or None)
    except NormalizeError as exc:
        raise ProviderFailed(f"phone {exc}") from exc
    # Imported on first use: its place names take about 100 MB, which every web worker and every import's
    # normalising child would otherwise carry without ever looking a number up.
    from phonenumbers import geocoder

    parsed = phonenumbers.parse(e164)
    zones = [zone for zone in phone_timezones.time_zones_for_number(parsed) if zone != "Etc/Unknown"]
    return {
        "e164": e164,
        "type": LINE_TYPES.get(phonenumbers.number_type(parsed), "unknown"),
        "region": phonenumbers.region_code_for_number(parsed) or "",
        "location": geocoder.description_for_number(parsed, "en"),
        "time_zones": zones,
        "time_zone": _main_zone(phonenumbers.region_code_for_number(parsed) or "", zones),
        "do_not_call": bool(numbers_not_to_call([e164])),
    }


def phone_findings(number: str, region: str, *, confidence: int = 100) -> list[Finding]:
    """The number itself (status: its line type, or "do-not-call") and, when its zone is known, the lead's."""
    facts = phone_facts(number, region)
    status = "do-not-call" if facts["do_not_call"] else facts["type"]
    sure = min(confidence, TYPE_CONFIDENCE.get(facts["type"], 100))
    found = [Finding(field=PHONE, value=facts["e164"], confidence=sure, source=SOURCE, status=status, detail=facts)]
    if facts["time_zone"]:
        zone = facts["time_zone"]
        found.append(Finding(field="time_zone", value=zone, confidence=sure, source=SOURCE, detail={"from": "phone"}))
    return found


def find(facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
    """Checks the lead's own number; finding a number it does not have is for the other sources."""
    if PHONE not in wanted or not facts.phone:
        return []
    return phone_findings(facts.phone, facts.region)
