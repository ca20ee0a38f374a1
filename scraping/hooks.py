"""Webhooks the ad platforms post leads to. No login and no CSRF token: each request proves itself instead (Meta
signs the raw body, Google sends the key the advertiser set), and a request that does not writes nothing.

Both answer at once and leave the slow work (Graph fetch, saving leads) to queued tasks: Meta retries a webhook
that is slow to answer, and Google expects a quick 200.

Several sources of one kind may share the URL: a Meta POST belongs to the first enabled Meta source whose app secret
signed it, a Google POST to the first enabled Google Ads source whose key it carries. `?source=<id>` on the URL
pins it to one source (two Meta sources sharing an app secret, or a paused one's key must not match a sibling).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leadflow.audit import webhook_refused
from scraping import ads
from scraping.models import Source


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def meta_leadgen(request: HttpRequest) -> HttpResponse:
    """GET: the subscription handshake (echo hub.challenge when hub.verify_token is ours). POST: leadgen
    notifications, each lead kept once and fetched from the Graph API by a queued task."""
    sources = ads.ad_sources(Source.Kind.META, request.GET.get("source"))
    if request.method == "GET":
        token = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") != "subscribe" or ads.meta_verify_token_source(sources, token) is None:
            return webhook_refused(request, provider="meta", reason="Verify token mismatch.")
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    body = request.body  # the raw bytes Meta signed, read before anything parses them
    source = ads.meta_source_signed(sources, body, request.headers.get("X-Hub-Signature-256", ""))
    if source is None:
        return webhook_refused(request, provider="meta", reason="Bad or missing signature.")
    try:
        changes = ads.meta_leadgen_changes(body)
    except ads.MalformedWebhook as exc:
        return HttpResponseBadRequest(str(exc))
    ads.meta_deliveries_receive(source=source, changes=changes)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def google_ads_leadform(request: HttpRequest) -> HttpResponse:
    """A Google Ads lead form submission: kept once (test leads marked and not saved), saved by a queued task."""
    try:
        lead = ads.google_lead_parse(request.body)
    except ads.MalformedWebhook as exc:
        return HttpResponseBadRequest(str(exc))
    sources = ads.ad_sources(Source.Kind.GOOGLE_ADS, request.GET.get("source"))
    source = ads.google_source_for_key(sources, lead.get("google_key"))
    if source is None:
        return webhook_refused(request, provider="google_ads", reason="Bad or missing google_key.")
    try:
        ads.google_delivery_receive(source=source, lead=lead)
    except ads.MalformedWebhook as exc:
        return HttpResponseBadRequest(str(exc))
    return JsonResponse({})
