"""IndiaMART buyer enquiries through the Lead Manager CRM API (v2 "pull" API), as a table the import reads.

Wire format (help.indiamart.com/knowledge-base/lms-crm-integration/ and .../why-migrate-lms-crm-api-v2/):
GET {base}/wservce/crm/crmListing/v2/?glusr_crm_key=KEY&start_time=DD-Mon-YYYY HH:MM:SS&end_time=... (IST), at
most 7 days per call. The answer, whatever happened, is one JSON envelope {CODE, STATUS, MESSAGE, TOTAL_RECORDS,
RESPONSE}: CODE 200 with RESPONSE a list of enquiries; 204 "There are no leads in the given time duration"; 429 "It
is advised to hit this API once in every 5 minutes..." (the key is blocked for a while when callers insist); 401 a
wrong or expired key; 400 a malformed request. The push API posts the same enquiry, one at a time, in
{"CODE": 200, "STATUS": "SUCCESS", "RESPONSE": {...}} (scraping/hooks_indiamart.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from django.conf import settings

from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from scraping.sources.base import Fetched, SourceFailed, SourceSettings

LISTING_PATH = "/wservce/crm/crmListing/v2/"
# IndiaMART reads and writes times in Indian Standard Time.
IST = ZoneInfo("Asia/Kolkata")
TIME_FORMAT = "%d-%b-%Y %H:%M:%S"  # 01-Jan-2025 09:30:00
MAX_WINDOW = timedelta(days=7)
# IndiaMART answers for the last 365 days only (an older start is refused with CODE 400).
MAX_HISTORY = timedelta(days=365)
# The documented pace: one call every 5 minutes per key; a run that is throttled tries again after this.
THROTTLE_WAIT = timedelta(minutes=5)
# What IndiaMART names a buyer who gave no name: not a name to put on a lead.
PLACEHOLDER_NAMES = frozenset({"indiamart buyer", "buyer"})

# The table's columns (IndiaMART's own field names, plus the note for the timeline) and the lead field each goes to;
# webhook deliveries use the same, so a pushed enquiry and a pulled one land alike.
INDIAMART_DELIVERY_MAPPING: dict[str, str] = {
    "SENDER_NAME": "full_name",
    "SENDER_MOBILE": "phone",
    "SENDER_EMAIL": "email",
    "SENDER_COMPANY": "company",
    "SENDER_ADDRESS": "location",
    "SENDER_CITY": "city",
    "SENDER_COUNTRY_ISO": "country",
    "SENDER_MOBILE_ALT": "other_phone",
    "SENDER_PHONE": "other_phone",
    "SENDER_PHONE_ALT": "other_phone",
    "SENDER_EMAIL_ALT": "other_email",
    "SENDER_STATE": "",
    "SENDER_PINCODE": "",
    "UNIQUE_QUERY_ID": "",
    "QUERY_TYPE": "",
    "QUERY_TIME": "",
    "SUBJECT": "",
    "QUERY_PRODUCT_NAME": "",
    "QUERY_MCAT_NAME": "",
    "QUERY_MESSAGE": "",
    "notes": "notes",
}
HEADERS = list(INDIAMART_DELIVERY_MAPPING)
# CODEs that say "try later" (throttled; IndiaMART's own trouble) and those that say "this key will not work".
RETRY_CODES = frozenset({429, 500, 502, 503, 504})
KEY_CODES = frozenset({401, 403})


class Throttled(SourceFailed):
    """IndiaMART asked us to slow down; `retry_after` is how long to wait before asking again."""

    def __init__(self, message: str, *, retry_after: timedelta = THROTTLE_WAIT):
        super().__init__(message, retry=True)
        self.retry_after = retry_after


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _readable(message: str) -> str:
    """IndiaMART's message as plain text: its <br> become line breaks, other tags and carriage returns go."""
    message = re.sub(r"<br\s*/?>", "\n", message, flags=re.IGNORECASE)
    message = re.sub(r"<[^>]+>", "", message.replace("\r", "\n"))
    return re.sub(r"\n{2,}", "\n", message).strip()


def enquiry_cells(enquiry: dict) -> dict[str, str]:
    """One enquiry as {header: text} under HEADERS, with the note that puts it on the lead's timeline."""
    cells = {header: _text(enquiry.get(header)) for header in HEADERS if header != "notes"}
    if cells["SENDER_NAME"].lower() in PLACEHOLDER_NAMES:
        cells["SENDER_NAME"] = ""
    cells["QUERY_MESSAGE"] = _readable(cells["QUERY_MESSAGE"])
    product = cells["QUERY_PRODUCT_NAME"] or cells["SUBJECT"] or cells["QUERY_MCAT_NAME"] or "your products"
    cells["notes"] = f"Enquiry about {product}: {cells['QUERY_MESSAGE']}".rstrip(": ")
    return cells


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    windows = []
    while start < end:
        windows.append((start, min(start + MAX_WINDOW, end)))
        start = windows[-1][1]
    return windows


def _window_start(target: dict, cursor: dict, now: datetime) -> datetime:
    until = cursor.get("until")
    if until:
        try:
            start = datetime.fromisoformat(until)
        except (TypeError, ValueError):
            start = None
        if start is not None:
            return start if start.tzinfo else start.replace(tzinfo=UTC)
    try:
        days = max(1, min(int(target.get("days", 7)), 365))
    except (TypeError, ValueError):
        days = 7
    return now - timedelta(days=days)


def _ask(session: requests.Session, url: str, key: str, start: datetime, end: datetime) -> dict:
    """One call for one window: IndiaMART's envelope, or SourceFailed (the key never appears in a message)."""
    params = {
        "glusr_crm_key": key,
        "start_time": start.astimezone(IST).strftime(TIME_FORMAT),
        "end_time": end.astimezone(IST).strftime(TIME_FORMAT),
    }
    try:
        response = session.get(url, params=params, headers={"Accept": "application/json"})
    except ResponseTooLarge:
        raise SourceFailed(f"IndiaMART sent an answer larger than {settings.HTTP_MAX_BYTES:,} bytes.") from None
    except BlockedAddress as error:
        raise SourceFailed(f"IndiaMART's address is refused: {error}", retry=False) from None
    except requests.RequestException as error:
        # The exception's text holds the URL, and with it the key: only its kind is told.
        raise SourceFailed(f"IndiaMART could not be reached ({type(error).__name__}).") from None
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or "CODE" not in envelope:
        if response.status_code == 429:
            raise Throttled("IndiaMART is throttling this key (HTTP 429); the run tries again in 5 minutes.")
        raise SourceFailed(
            f"IndiaMART answered HTTP {response.status_code} without its JSON envelope.",
            retry=response.status_code >= 500,
        )
    return envelope


def _check(envelope: dict) -> list[dict]:
    """The enquiries of a CODE 200 envelope, [] for 204, or the failure the CODE and MESSAGE describe."""
    try:
        code = int(envelope.get("CODE"))
    except (TypeError, ValueError):
        code = 0
    message = _text(envelope.get("MESSAGE"))
    if code == 200:
        enquiries = envelope.get("RESPONSE") or []
        if not isinstance(enquiries, list):
            raise SourceFailed("IndiaMART's RESPONSE is not a list of enquiries.", retry=False)
        return [enquiry for enquiry in enquiries if isinstance(enquiry, dict)]
    if code == 204:
        return []
    if code == 429:
        again = (datetime.now(UTC) + THROTTLE_WAIT).strftime("%H:%M UTC")
        raise Throttled(f"IndiaMART throttled the call ({message or 'CODE 429'}); try again after {again}.")
    if code in KEY_CODES:
        raise SourceFailed(
            f"IndiaMART refused the CRM key ({message or f'CODE {code}'}); generate a new key in the Lead Manager "
            "and save it on the source.",
            retry=False,
        )
    raise SourceFailed(f"IndiaMART answered CODE {code}: {message or 'no message'}.", retry=code in RETRY_CODES)


def fetch(source: SourceSettings, target: dict, cursor: dict) -> Fetched:
    """Enquiries received since the cursor's "until" (first run: the last target["days"], default 7), asked for in
    windows of at most 7 days; the new cursor's "until" is the end of the last window IndiaMART answered."""
    key = source.secret("crm_key")
    if not key:
        raise SourceFailed("No IndiaMART CRM key: add it to the source (or set INDIAMART_CRM_KEY).", retry=False)
    url = (source.base_url or settings.INDIAMART_BASE_URL).rstrip("/") + LISTING_PATH
    now = datetime.now(UTC)
    first_start = max(_window_start(target, cursor, now), now - MAX_HISTORY + timedelta(minutes=1))
    windows = _windows(first_start, now)
    # Where the next run starts: the end of the last window answered (nothing asked: where this one would have).
    reached = first_start
    rows: list[list[str]] = []
    notes: list[str] = []
    answered: list[dict] = []
    with http_session() as session:
        adapter = session.get_adapter(url)
        # A throttled key must not be asked again at once (IndiaMART blocks keys that insist): 5xx only.
        adapter.max_retries = adapter.max_retries.new(status_forcelist=(500, 502, 503, 504), raise_on_status=False)
        for start, end in windows:
            try:
                enquiries = _check(_ask(session, url, key, start, end))
            except Throttled as throttled:
                if not answered:
                    raise
                # Windows already read are kept; the next run starts where this one stopped.
                notes.append(f"{throttled} Enquiries after {reached.isoformat()} come with the next run.")
                break
            rows.extend([enquiry_cells(enquiry)[header] for header in HEADERS] for enquiry in enquiries)
            answered.append({"start": start.isoformat(), "end": end.isoformat(), "enquiries": len(enquiries)})
            reached = end
    return Fetched(
        headers=list(HEADERS),
        rows=rows,
        mapping=dict(INDIAMART_DELIVERY_MAPPING),
        cursor={"until": reached.isoformat()},
        raw={"windows": answered},
        notes=notes,
    )
