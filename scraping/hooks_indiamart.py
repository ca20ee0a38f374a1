"""IndiaMART's push API: IndiaMART POSTs each new enquiry, as it arrives, to a URL the seller registers in the Lead
Manager, as JSON {"CODE": 200, "STATUS": "SUCCESS", "RESPONSE": {one enquiry, the pull API's fields}}.

IndiaMART signs nothing and sends no secret of its own, so the URL carries one: the address registered with IndiaMART
is /hooks/indiamart/<source id>/?key=<push key>, where the push key is the source's "webhook_key" secret or, when
none is stored, a token derived from its CRM key (`push_key`). A request without the right key is refused with 403
and writes nothing. Each enquiry is kept as an AdDelivery (once per UNIQUE_QUERY_ID, so a redelivery changes
nothing) and saved as a lead by a queued task, so IndiaMART gets its answer at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.audit import webhook_refused
from scraping.models import AdDelivery, Source
from scraping.queueing import deliveries_keep
from scraping.sources.indiamart import enquiry_cells

logger = logging.getLogger(__name__)


def push_key(source: Source) -> str:
    """The secret the push URL must carry: the stored webhook key, else one derived from the CRM key (stable while
    the CRM key is, and different for each source), else "" (no push accepted)."""
    stored = source.credential("webhook_key")
    if stored:
        return stored
    crm_key = source.credential("crm_key")
    if not crm_key:
        return ""
    return hmac.new(crm_key.encode(), f"indiamart-push:{source.pk}".encode(), hashlib.sha256).hexdigest()[:40]


def _envelope(body: bytes) -> dict | None:
    """A well-formed push envelope (a JSON object whose RESPONSE is an enquiry with its id), or None."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    enquiry = envelope.get("RESPONSE") if isinstance(envelope, dict) else None
    if not isinstance(enquiry, dict) or not str(enquiry.get("UNIQUE_QUERY_ID") or "").strip():
        return None
    return envelope


@csrf_exempt
@login_not_required
@require_POST
def indiamart_push(request: HttpRequest, source_id: int) -> HttpResponse:
    """Keep one pushed enquiry for the source and queue its saving as a lead."""
    source = get_object_or_404(Source, pk=source_id)
    if source.kind != Source.Kind.INDIAMART:
        raise Http404("No IndiaMART source here.")
    expected = push_key(source)
    given = request.GET.get("key", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        logger.info("IndiaMART push for source %s refused: wrong or missing key", source.pk)
        refusal = JsonResponse({"STATUS": "FAILURE", "MESSAGE": "Wrong key."}, status=403)
        return webhook_refused(request, provider="indiamart", reason="Wrong or missing key.", response=refusal)
    if source.paused:
        # Acknowledged so that IndiaMART does not redeliver; the enquiry is still in the Lead Manager.
        return JsonResponse({"STATUS": "SUCCESS", "MESSAGE": "Source paused: ignored."})
    envelope = _envelope(request.body)
    if envelope is None:
        return JsonResponse({"STATUS": "FAILURE", "MESSAGE": "Expected IndiaMART's JSON envelope."}, status=400)
    cells = enquiry_cells(envelope["RESPONSE"])
    delivery = AdDelivery(
        source=source,
        platform_lead_id=cells["UNIQUE_QUERY_ID"][:100],
        fields=cells,
        origin={
            "query_type": cells["QUERY_TYPE"],
            "product": cells["QUERY_PRODUCT_NAME"],
            "category": cells["QUERY_MCAT_NAME"],
            "query_time": cells["QUERY_TIME"],
        },
        payload=envelope,
    )
    # The capture pipeline saves every received delivery of the source (scraping.deliveries).
    created = bool(deliveries_keep([delivery], "scraping.deliveries.deliveries_save", source.pk))
    return JsonResponse({"STATUS": "SUCCESS", "MESSAGE": "Received." if created else "Already received."})
