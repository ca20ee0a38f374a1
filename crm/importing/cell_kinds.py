"""What a column's sample values look like: email addresses, LinkedIn profiles, websites, phone numbers. A value
speaks for its column when the header says nothing clear, and against it when the header claims one kind and the
values are another ("Email Status" full of "Verified")."""

from __future__ import annotations

import re

# What values look like.
_EMAIL = re.compile(r"(mailto:)?[^@\s<>,;]+@[^@\s<>,;]+\.[a-z]{2,}", re.IGNORECASE)
_LINKEDIN_PERSON = re.compile(
    r"(https?://)?([a-z]{2,3}\.)?linkedin\.com/(in|pub|sales/lead|sales/people)/\S+", re.IGNORECASE
)
_URL = re.compile(r"(https?://)?(www\.)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?(/\S*)?", re.IGNORECASE)
_NOT_A_WEBSITE = re.compile(
    r"(^|\.)(linkedin|licdn|facebook|fb|twitter|x|instagram|youtube|tiktok|github|gravatar|googleusercontent|"
    r"google|bit|wa|t)\.[a-z.]+$",
    re.IGNORECASE,
)
_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg)(\?|$)", re.IGNORECASE)
_PHONE = re.compile(r"(p:\s*)?(\+|00)?[\d\s().\-/]{7,24}((ext|x|#)\.?\s*\d{1,6})?", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"\d(\.\d+)?e\+\d{1,2}", re.IGNORECASE)  # a phone number Excel turned into 4.47911E+11
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
# "2015 - 2018", "01/2019 - 03/2021": a span of years, not a phone number.
_YEARS = re.compile(r"(\d{1,2}[-/.])?(19|20)\d\d\s*[-\u2013]\s*(\d{1,2}[-/.])?(19|20)\d\d")
# A LinkedIn link by member id or to Sales Navigator, which a vanity /in/jane-doe column is preferred to.
_LINKEDIN_ID = re.compile(r"linkedin\.com/(sales/|in/AC[a-zA-Z]AA)", re.IGNORECASE)
_HONORIFIC = re.compile(r"(mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|m|mme|sr|sra)\.?", re.IGNORECASE)
_DECIMAL = re.compile(r"\d+[.,]\d{1,2}")

# Fields whose values can be recognised, and what a column of such values scores with an unhelpful header.
VALUE_FIELDS = ("email", "linkedin_url", "website", "phone")
VALUE_ONLY = {"email": 0.6, "linkedin_url": 0.6, "website": 0.55, "phone": 0.55}


def value_kinds(values: list[str]) -> dict[str, float]:
    """The share of values that look like an email, a LinkedIn profile, a website or a phone number (and of
    LinkedIn links by member id, and of honorifics such as "Mr")."""
    if not values:
        return {}
    counts = dict.fromkeys((*VALUE_FIELDS, "phone_strict", "other_kind", "linkedin_id", "honorific"), 0)
    for value in values:
        if ":::" in value:
            value = value.partition(":::")[0].strip()  # Google's list of values: judged by the first
        kind = _value_kind(value)
        if kind == "linkedin_url" and _LINKEDIN_ID.search(value):
            counts["linkedin_id"] += 1
        elif not kind and len(value) <= 6 and _HONORIFIC.fullmatch(value):
            counts["honorific"] += 1
        if kind:
            counts[kind] += 1
        strict = kind != "phone" or _strict_phone(value)
        if kind == "phone" and strict:
            counts["phone_strict"] += 1
        if kind and strict:
            counts["other_kind"] += 1  # clearly not a name, a company, an amount…
    return {kind: count / len(values) for kind, count in counts.items()}


def _value_kind(value: str) -> str:
    if _EMAIL.fullmatch(value):
        return "email"
    if _LINKEDIN_PERSON.fullmatch(value):
        return "linkedin_url"
    if _URL.fullmatch(value):
        host = re.sub(r"^(https?://)?", "", value, flags=re.IGNORECASE).split("/")[0].split(":")[0]
        if _NOT_A_WEBSITE.search(host) or _IMAGE.search(value):
            return ""
        return "website"
    if _SCIENTIFIC.fullmatch(value):
        return "phone"
    if (
        _PHONE.fullmatch(value)
        and not _DATE.fullmatch(value)
        and not _YEARS.fullmatch(value)
        and 7 <= sum(char.isdigit() for char in value) <= 15
    ):
        return "phone"
    return ""


def _strict_phone(value: str) -> bool:
    """Written like a phone number: a + or a leading 0, or digit groups split by spaces, dashes, dots or brackets."""
    if _DECIMAL.fullmatch(value) or _SCIENTIFIC.fullmatch(value):
        return False
    return value.startswith(("+", "(", "00", "0", "p:")) or re.search(r"\d[\s\-.()/]+\d", value) is not None
