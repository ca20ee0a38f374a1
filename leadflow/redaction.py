"""Personal data kept out of logs and error reports: emails and phone numbers are masked wherever text leaves us."""

from __future__ import annotations

import logging
import re
from typing import Any

# An address, also URL-encoded (a search in a logged query string): its first character and its domain are kept,
# enough to tell two apart while debugging.
EMAIL = re.compile(r"(?<![\w.+%-])([\w+-])[\w.+%-]*(?:@|%40)((?:[\w-]+\.)+[A-Za-z]{2,})", re.IGNORECASE)
# A phone number: international (E.164 as Leadflow stores them, also URL-encoded) or North American as typed; only
# its last two digits are kept.
PHONE = re.compile(r"(?:\+|%2B)\d[\d ().-]{5,}\d|(?<!\d)\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)", re.IGNORECASE)


def personal_data_masked(text: str) -> str:
    """The text with every email address and phone number masked."""
    text = EMAIL.sub(lambda found: f"{found[1]}***@{found[2]}", text)
    return PHONE.sub(lambda found: "***" + re.sub(r"\D", "", found[0])[-2:], text)


def personal_data_masked_in(value: Any) -> Any:
    """Every string inside a structure (an error report: dicts, lists, tuples) masked."""
    if isinstance(value, str):
        return personal_data_masked(value)
    if isinstance(value, dict):
        return {key: personal_data_masked_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(personal_data_masked_in(item) for item in value)
    return value


# What every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class PersonalDataFilter(logging.Filter):
    """Masks emails and phone numbers in a record's message, its traceback and its `extra` strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = personal_data_masked(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info:
            # The traceback's text is kept, masked, in place of the exception (its message may name a person).
            record.exc_text = personal_data_masked(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = personal_data_masked(record.exc_text)
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, personal_data_masked(value))
        return True
