"""Ad lead forms by webhook: Meta Lead Ads and Google Ads lead forms.

A webhook is checked (Meta: X-Hub-Signature-256 over the raw body with the app secret; Google: the google_key in the
body), kept as an AdDelivery (one per platform lead id, so a redelivery changes nothing), and handed to a queued task:
Meta's notification holds only ids, so `scraping.ad_tasks.meta_deliveries_fetch` reads each lead from the Graph API;
Google's holds the answers, so its deliveries go straight to `scraping.deliveries.deliveries_save`.

Docs: https://developers.facebook.com/docs/graph-api/webhooks/getting-started (handshake, signature),
https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving (leadgen notification, lead read),
https://developers.google.com/google-ads/webhook/docs/implementation (Google's body and its google_key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping

from leadflow.params import id_or_none
from scraping.models import AdDelivery, Source
from scraping.queueing import deliveries_keep

SIGNATURE_PREFIX = "sha256="

# Meta's standard lead-form questions (field_data names) -> the import's field; "" keeps the answer as a custom
# field under its own header, as every custom question is kept.
META_FIELD_MAPPING: dict[str, str] = {
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone_number": "phone",
    "company_name": "company",
    "job_title": "title",
    "city": "city",
    "country": "country",
    # The main address and number come from email and phone_number; work ones join them as further ones (and
    # stand in for them when the form asked only for the work ones).
    "work_email": "other_email",
    "work_phone_number": "other_phone",
    "state": "",
    "province": "",
    "zip_code": "",
    "post_code": "",
    "street_address": "",
    "date_of_birth": "",
    "gender": "",
    "marital_status": "",
    "relationship_status": "",
    "military_status": "",
}

# Google's column ids (LeadFormFieldUserInputType) -> the import's field; a column Google does not name a standard
# id for (a custom question) is kept under its column name as a custom field.
GOOGLE_FIELD_MAPPING: dict[str, str] = {
    "FULL_NAME": "full_name",
    "FIRST_NAME": "first_name",
    "GIVEN_NAME": "first_name",
    "LAST_NAME": "last_name",
    "FAMILY_NAME": "last_name",
    "EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "title",
    "CITY": "city",
    "COUNTRY": "country",
    "WORK_EMAIL": "other_email",
    "WORK_PHONE": "other_phone",
    "REGION": "",
    "POSTAL_CODE": "",
    "STREET_ADDRESS": "",
}


# A lead form's question or checkbox that asks for consent ("I agree to be contacted", "GDPR opt-in", Meta's custom
# disclaimer checkboxes), and the answers that give it. A form without one gives no lawful basis: legitimate
# interest is never assumed.
_CONSENT_QUESTION = re.compile(r"consent|agree|opt[\s_-]?in|permission|gdpr|disclaimer", re.IGNORECASE)
_CONSENT_GIVEN = frozenset(
    {"yes", "y", "true", "1", "checked", "agree", "i agree", "accepted", "ja", "oui", "sí", "si"}
)
# The column a delivery's consent reaches the import in, mapped to the lead's lawful basis.
CONSENT_COLUMN = "Lawful basis (from the form)"
# Where the import says a lead's consent came from, per kind of source.
CONSENT_SOURCES = {Source.Kind.META: "Meta lead form", Source.Kind.GOOGLE_ADS: "Google lead form"}


def is_consent_question(question: str) -> bool:
    return bool(_CONSENT_QUESTION.search(question))


def ad_consent_given(fields: Mapping[str, object]) -> bool:
    """Whether the person answered yes to a consent question or ticked a consent checkbox of the form."""
    return any(
        is_consent_question(question) and str(answer).strip().lower() in _CONSENT_GIVEN
        for question, answer in fields.items()
    )


class MalformedWebhook(ValueError):
    """The body is not the JSON the platform documents."""


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected secret never matches (an unconfigured source accepts nothing)."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def ad_sources(kind: str, source_id: str | None = None) -> list[Source]:
    """The enabled (not paused) sources of a kind, or only the one a webhook URL's ?source=<id> names."""
    sources = Source.objects.filter(kind=kind, paused=False).order_by("pk")
    if source_id is not None:
        # An odd id ("²", "1e9", 30 digits) names no source: nothing matches, nothing fails.
        sources = sources.filter(pk=id_or_none(source_id))
    return list(sources)


# ---- Meta ----


def meta_signature_valid(body: bytes, signature_header: str, app_secret: str) -> bool:
    """Whether X-Hub-Signature-256 is "sha256=" + the hex HMAC-SHA256 of the raw body under the app secret."""
    if not app_secret or not signature_header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature_header[len(SIGNATURE_PREFIX) :].lower().encode(), expected.encode())


def meta_source_signed(sources: Iterable[Source], body: bytes, signature_header: str) -> Source | None:
    """The first source whose app secret signed this body, or None (a forged, missing or unknown signature)."""
    for source in sources:
        if meta_signature_valid(body, signature_header, source.credential("app_secret")):
            return source
    return None


def meta_verify_token_source(sources: Iterable[Source], token: str) -> Source | None:
    """The source whose verify token the subscription handshake brought, or None."""
    for source in sources:
        if secrets_match(token, source.credential("verify_token")):
            return source
    return None


def meta_leadgen_changes(body: bytes) -> list[dict]:
    """The `value` of every leadgen change in a Page notification ({"object": "page", "entry": [{"changes": [...]}]}).
    Other objects and fields are not ours and give nothing; a body that is not that shape raises MalformedWebhook."""
    try:
        notification = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhook("The body is not JSON.") from exc
    if not isinstance(notification, dict) or not isinstance(notification.get("entry"), list):
        raise MalformedWebhook("The body is not a webhook notification with entries.")
    if notification.get("object") != "page":
        return []
    values = []
    for entry in notification["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            raise MalformedWebhook("An entry has no list of changes.")
        for change in changes:
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict) or not str(value.get("leadgen_id") or "").strip():
                raise MalformedWebhook("A leadgen change has no leadgen_id.")
            values.append(value)
    return values


def meta_origin(value: dict) -> dict[str, str]:
    """Where a lead came from, as the notification says it (ids as text: Meta sends them as numbers or strings)."""
    keys = ("ad_id", "form_id", "page_id", "adgroup_id", "created_time")
    return {key: str(value[key]) for key in keys if value.get(key) not in (None, "")}


def meta_deliveries_receive(*, source: Source, changes: list[dict]) -> int:
    """Keep each notified lead once and queue the Graph fetch with it; returns how many were new. A replay brings
    nothing new, so it queues nothing (the fetch task's next run retries what failed)."""
    deliveries = [
        AdDelivery(
            source=source,
            platform_lead_id=str(value["leadgen_id"]).strip(),
            origin=meta_origin(value),
            payload={"field": "leadgen", "value": value},
        )
        for value in changes
    ]
    return len(deliveries_keep(deliveries, "scraping.ad_tasks.meta_deliveries_fetch", source.pk))


def meta_lead_fields(lead: dict) -> dict[str, str]:
    """A Graph lead's answers as {question name: first value} (multi-value answers keep the first, as Meta's own
    CSV export shows single answers), and each custom disclaimer checkbox as "Disclaimer <key>": "checked" or
    "not checked" (Graph's is_checked: "1", "0", or a boolean)."""
    fields: dict[str, str] = {}
    for item in lead.get("field_data") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        values = item.get("values") or []
        fields[str(item["name"])] = str(values[0]) if isinstance(values, list) and values else ""
    for item in lead.get("custom_disclaimer_responses") or []:
        if isinstance(item, dict) and item.get("checkbox_key"):
            checked = str(item.get("is_checked", "")).strip().lower() in {"1", "true"}
            fields[f"Disclaimer {item['checkbox_key']}"] = "checked" if checked else "not checked"
    return fields


def meta_lead_origin(lead: dict) -> dict[str, str]:
    """The ids a Graph lead adds to the notification's: ad set and campaign (and the form and ad again)."""
    keys = ("ad_id", "adset_id", "campaign_id", "form_id", "is_organic", "platform")
    return {key: str(lead[key]) for key in keys if lead.get(key) not in (None, "")}


# ---- Google Ads ----


def google_source_for_key(sources: Iterable[Source], google_key: object) -> Source | None:
    """The source whose webhook key the body's google_key matches (constant time), or None."""
    if not isinstance(google_key, str) or not google_key:
        return None
    for source in sources:
        if secrets_match(google_key, source.credential("webhook_key")):
            return source
    return None


def google_lead_parse(body: bytes) -> dict:
    """The lead form body as a dict with a lead_id; anything else raises MalformedWebhook."""
    try:
        lead = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhook("The body is not JSON.") from exc
    if not isinstance(lead, dict):
        raise MalformedWebhook("The body is not a JSON object.")
    if not isinstance(lead.get("user_column_data", []), list):
        raise MalformedWebhook("user_column_data is not a list.")
    return lead


def google_lead_fields(lead: dict) -> dict[str, str]:
    """The answers by header: a standard column by its column_id (FULL_NAME, EMAIL, ...), a custom question by its
    column name (the question's text), so the mapping and the lead's custom fields read naturally."""
    fields: dict[str, str] = {}
    for column in lead.get("user_column_data") or []:
        if not isinstance(column, dict):
            continue
        column_id = str(column.get("column_id") or "")
        header = column_id if column_id in GOOGLE_FIELD_MAPPING else str(column.get("column_name") or column_id)
        if not header:
            continue
        unique, number = header, 2
        while unique in fields:  # two columns of one name keep both answers
            unique, number = f"{header} ({number})", number + 1
        fields[unique] = str(column.get("string_value") or "")
    return fields


def google_origin(lead: dict) -> dict[str, str]:
    keys = ("campaign_id", "adgroup_id", "creative_id", "form_id", "gcl_id", "asset_group_id", "api_version")
    return {key: str(lead[key]) for key in keys if lead.get(key) not in (None, "")}


def google_delivery_receive(*, source: Source, lead: dict) -> bool:
    """Keep a Google lead once, whether it was new; a real one is queued for saving with it, a test one (is_test)
    only kept. A lead without a lead_id raises MalformedWebhook (Google dedupes on it, and so do we)."""
    if not str(lead.get("lead_id") or "").strip():
        raise MalformedWebhook("The body has no lead_id.")
    is_test = lead.get("is_test") is True
    delivery = AdDelivery(
        source=source,
        platform_lead_id=str(lead["lead_id"]).strip(),
        status=AdDelivery.Status.TEST if is_test else AdDelivery.Status.RECEIVED,
        payload={key: value for key, value in lead.items() if key != "google_key"},  # the secret is not kept
        fields=google_lead_fields(lead),
        origin=google_origin(lead),
    )
    task = None if is_test else "scraping.deliveries.deliveries_save"
    return bool(deliveries_keep([delivery], task, source.pk))
