"""Meta's Graph API, the one call Lead Ads needs: read a lead by its leadgen id.

`GET {META_GRAPH_BASE_URL}/{leadgen_id}?access_token=...&fields=...` answers the lead with its `field_data`
(https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving); a failure answers the common error
body {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}, whose codes say what to do
(https://developers.facebook.com/docs/graph-api/guides/error-handling). Knows nothing of the ORM (STYLE.md §2).
"""

from __future__ import annotations

import hashlib
import hmac

import requests
from django.conf import settings

from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from scraping.sources.base import SourceFailed

# What a lead is read with: the answers, the custom disclaimer's checkboxes (consent) and where the lead came from.
LEAD_FIELDS = (
    "id,created_time,ad_id,adset_id,campaign_id,form_id,field_data,custom_disclaimer_responses,is_organic,platform"
)
# Graph error codes worth asking again later: unknown (1), service (2), throttles (4, 17, 32, 341, 613 and the ads
# ones 80000-80014). Every other code (190 expired token, 10 and 200-299 permissions, 100 no such lead) will not
# change by waiting.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, *range(80000, 80015)})
# Codes that mean the page access token no longer works: every other lead of the source would fail the same way.
TOKEN_CODES = frozenset({102, 190})
# Graph's limit is 4,800 calls a day per lead of the last 90 days: generous, but no reason to hammer it.
GRAPH_REQUESTS_PER_SECOND = 20.0


class GraphError(SourceFailed):
    """The Graph API refused or failed a request; `code` is Graph's error code (0 when it sent none)."""

    def __init__(self, message: str, *, retry: bool, code: int = 0):
        super().__init__(message, retry=retry)
        self.code = code

    @property
    def token_unusable(self) -> bool:
        return self.code in TOKEN_CODES


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """The proof Graph asks for when the app requires it: HMAC-SHA256 of the access token with the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def _rate_per_host() -> float:
    # HTTP_RATE_PER_HOST = 0 turns every pause off (tests and benchmarks against a local stand-in).
    return GRAPH_REQUESTS_PER_SECOND if settings.HTTP_RATE_PER_HOST else 0.0


def graph_lead(base_url: str, access_token: str, leadgen_id: str, *, app_secret: str = "") -> dict:
    """One lead as Graph answers it ({"id", "created_time", "ad_id", "adset_id", "campaign_id", "form_id",
    "field_data": [{"name", "values"}]}); raises GraphError with Graph's own message on any failure."""
    if not access_token:
        raise GraphError("No page access token is configured for this Meta source.", retry=False)
    if not str(leadgen_id).isdigit():
        raise GraphError(f"Not a Meta lead id: {leadgen_id!r}.", retry=False)
    params = {"access_token": access_token, "fields": LEAD_FIELDS}
    if app_secret:
        params["appsecret_proof"] = appsecret_proof(access_token, app_secret)
    url = f"{base_url.rstrip('/')}/{leadgen_id}"
    try:
        with http_session(rate_per_host=_rate_per_host()) as session:
            response = session.get(url, params=params)
    except BlockedAddress as exc:
        raise GraphError(str(exc), retry=False) from exc
    except ResponseTooLarge as exc:
        raise GraphError(f"The Graph API answer for lead {leadgen_id} was too large.", retry=False) from exc
    except requests.RequestException as exc:
        # Timeouts, refused connections and 5xx/429 answers that outlasted the session's own retries.
        # The exception's text names the URL, whose query holds the page token: only its kind is told.
        raise GraphError(
            f"The Graph API could not be reached for lead {leadgen_id} ({exc.__class__.__name__}).", retry=True
        ) from exc
    return _lead_or_error(response, leadgen_id)


def _lead_or_error(response: requests.Response, leadgen_id: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphError(
            f"The Graph API answered lead {leadgen_id} with HTTP {response.status_code} and no JSON object.",
            retry=response.status_code >= 500,
        )
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), int) else 0
        transient = code in TRANSIENT_CODES or error.get("is_transient") is True or response.status_code >= 500
        message = str(error.get("message") or "no message")
        raise GraphError(f"Graph API error {code} for lead {leadgen_id}: {message}", retry=transient, code=code)
    if response.status_code >= 400:
        raise GraphError(
            f"The Graph API answered lead {leadgen_id} with HTTP {response.status_code}.",
            retry=response.status_code >= 500,
        )
    if not isinstance(body.get("field_data"), list):
        raise GraphError(f"The Graph API answer for lead {leadgen_id} has no field_data.", retry=False)
    return body
