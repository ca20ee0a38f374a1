"""No full email address or phone number reaches a log line: the masking filter, alone and in the log set-up."""

import json
import logging
import subprocess
import sys
from pathlib import Path

from leadflow.redaction import PersonalDataFilter, personal_data_masked

ROOT = Path(__file__).resolve().parents[2]


def test_it_masks_emails_keeping_the_first_letter_and_the_domain():
    assert personal_data_masked("sent to ada.lovelace@engines.example today") == "sent to a***@engines.example today"
    assert personal_data_masked("GET /leads/?q=grace%40navy.example") == "GET /leads/?q=g***@navy.example"


def test_it_masks_phone_numbers_keeping_the_last_two_digits():
    assert personal_data_masked("call +44 20 7946 0958 now") == "call ***58 now"
    assert personal_data_masked("E.164 +442079460958.") == "E.164 ***58."
    assert personal_data_masked("typed (415) 555-0132") == "typed ***32"
    assert personal_data_masked("GET /leads/?q=%2B14155550132") == "GET /leads/?q=***32"


def test_it_leaves_dates_times_and_ids_alone():
    text = "job 123456 at 2026-12-03 16:30:12+00:00 took 0.25 s (lead #98765, 2026-12-03T16:30:12.123456Z)"
    assert personal_data_masked(text) == text


def _record(msg, *args, exc_info=None, **extra):
    record = logging.LogRecord("leadflow.test", logging.ERROR, __file__, 1, msg, args, exc_info)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_the_filter_masks_the_message_its_arguments_the_traceback_and_extra_fields():
    try:
        raise ValueError("no mailbox for ada@engines.example")
    except ValueError:
        record = _record(
            "sending to %s failed (%s)",
            "grace@navy.example",
            "+14155550132",
            exc_info=sys.exc_info(),
            to="bob@builders.example",
            attempts=3,
        )
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "sending to g***@navy.example failed (***32)"
    assert "a***@engines.example" in record.exc_text and "ada@" not in record.exc_text
    assert record.exc_info is None  # only the masked text of the traceback is left to format
    assert (record.to, record.attempts) == ("b***@builders.example", 3)


# A fresh process with the production settings (DEBUG off: JSON lines) logs a message naming a person.
SCRIPT = """
import logging
import django
django.setup()
logging.getLogger("crm.importing").warning("row 7: %s has no company", "ada.lovelace@engines.example",
                                           extra={"phone": "+44 20 7946 0958"})
"""


def test_production_log_lines_are_json_without_the_email_or_the_phone(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "SECRET_KEY": "redaction-test-" + "k" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert line["message"] == "row 7: a***@engines.example has no company"
    assert (line["level"], line["logger"], line["phone"]) == ("WARNING", "crm.importing", "***58")
    assert "ada.lovelace" not in result.stderr and "7946" not in result.stderr
