"""Twilio's webhooks for WhatsApp and SMS: messages from leads and the status reports of ours, one URL per channel
(also given to Twilio as each message's StatusCallback). No login and no CSRF token: each request proves itself by
X-Twilio-Signature over SITE_URL plus the path it was posted to and its form parameters; one that does not writes
nothing. Twilio is always answered at once with an empty TwiML <Response/>."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from leadflow.audit import webhook_refused
from outreach.channels.twilio_api import signature_valid
from outreach.models import ConversationChannel
from outreach.twilio_inbound import is_status_callback, twilio_message_received, twilio_status_received


def _hook(request: HttpRequest, channel: str) -> HttpResponse:
    url = settings.SITE_URL + request.get_full_path()
    if not signature_valid(url, request.POST, request.headers.get("X-Twilio-Signature", "")):
        return webhook_refused(request, provider="twilio", reason="Bad or missing X-Twilio-Signature.")
    form = request.POST.dict()
    if is_status_callback(form):
        twilio_status_received(form)
    elif not (form.get("MessageSid") or form.get("SmsSid")) or not form.get("From"):
        return HttpResponseBadRequest("A message needs MessageSid and From.")
    else:
        twilio_message_received(channel, form)
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")


@csrf_exempt
@login_not_required
@require_POST
def whatsapp_hook(request: HttpRequest) -> HttpResponse:
    return _hook(request, ConversationChannel.WHATSAPP)


@csrf_exempt
@login_not_required
@require_POST
def sms_hook(request: HttpRequest) -> HttpResponse:
    return _hook(request, ConversationChannel.SMS)
