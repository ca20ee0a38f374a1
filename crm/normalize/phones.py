"""Phone numbers in E.164, read by libphonenumber."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings

from crm.normalize.text import NormalizeError, trim_or_blank

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d*)?\s*e\s*[+-]?\d+$", re.IGNORECASE)
# "tel:", "callto:", and Meta lead ads' "p:+919876543210".
_TEL_PREFIX = re.compile(r"^(?:tel|callto|phone|p)\s*:\s*/{0,2}", re.IGNORECASE)
_FLOAT_TAIL = re.compile(r"^(\+?\d+)\.0+$")  # 447911123456.0, a number that passed through a float column


def _default_region() -> str:
    # Read per call, not at import: settings may be configured later or overridden in tests.
    region = getattr(settings, "PHONE_DEFAULT_REGION", None) if settings.configured else None
    return region or "US"


def _valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_e164(value: str, region: str | None = None) -> str:
    """The number in E.164 ("+442079460958"), read in region (default settings.PHONE_DEFAULT_REGION) unless it says +.

    Extensions are dropped. Numbers whose "+" a spreadsheet ate ("919876543210") and "00" international
    prefixes are tried as international numbers when they are not valid national ones.
    """
    text = trim_or_blank(value)
    if not text:
        return ""
    text = _TEL_PREFIX.sub("", text)
    if _SCIENTIFIC.match(text):
        raise NormalizeError("looks like a spreadsheet turned it into scientific notation; digits were lost")
    float_tail = _FLOAT_TAIL.match(text)
    if float_tail:
        text = float_tail.group(1)
    region = (region or _default_region()).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        # A configuration mistake, not a bad cell: a plain ValueError, so an import stops instead of
        # reporting every row.
        raise ValueError(f"unknown phone region {region!r}; use a two-letter country code such as 'GB'")

    number = _valid_number(text, region)
    if number is None and not text.startswith("+"):
        digits = "".join(c for c in text.lower().partition("x")[0] if c.isdigit())  # no "x12" extension
        if digits.startswith("00"):
            number = _valid_number("+" + text.lstrip(" (").removeprefix("00"), region)
        elif len(digits) >= 11 and digits[0] != "0":
            number = _valid_number("+" + text, region)
    if number is not None:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    # Say which country the number was read for: the one it names with +, or the default region.
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise NormalizeError("not a valid phone number: unknown country code") from None
        if not any(c.isdigit() for c in text):
            raise NormalizeError("not a phone number") from None
        raise NormalizeError(f"not a valid phone number for {region}") from None
    if text.startswith("+"):
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    raise NormalizeError(f"not a valid phone number for {region}")


# Between numbers in one cell: Google's " ::: ", a line break, ";", "," or " / " with spaces (a "/" inside a number,
# as in "030/1234567", is part of it).
_BETWEEN_NUMBERS = re.compile(r"\s*(?::::|[;\n,|]|\s/\s|\s+or\s+)\s*", re.IGNORECASE)
_SEVERAL_NUMBERS = re.compile(r"[:;,\n|]|\s/\s|\sor\s", re.IGNORECASE)


def phone_split(value: str) -> list[str]:
    """The numbers in one cell, as written: "+1 555 0100 ::: +1 555 0101" gives two. A piece too short to be a
    number ("+1 555 0100, ext. 12") stays with the number before it."""
    if _SEVERAL_NUMBERS.search(value) is None:
        return [value]
    parts: list[str] = []
    for part in _BETWEEN_NUMBERS.split(value):
        if not part:
            continue
        if parts and sum(c.isdigit() for c in part) < 6:
            parts[-1] = f"{parts[-1]}, {part}"
        else:
            parts.append(part)
    return parts or [value]
