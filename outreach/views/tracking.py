"""The links in sent mail: the open pixel, click redirects and the unsubscribe page. No login and no CSRF token (a
mail provider's one-click POST carries none): the signed token in the URL is the proof."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leadflow.audit import client_ip
from outreach.events import event_record
from outreach.machines import machine_verdict
from outreach.models import Message, MessageEvent
from outreach.tracking import click_token_read, open_token_read, unsubscribe_token_read

# A transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _hit_record(request: HttpRequest, message_pk: int, kind: str, url: str = "") -> None:
    message = Message.objects.filter(pk=message_pk).first()
    if message is None:
        return  # the message was deleted since: nothing to record
    at, user_agent, ip = timezone.now(), request.headers.get("User-Agent", ""), client_ip(request)
    machine, reason = machine_verdict(message, kind, at=at, user_agent=user_agent, ip=ip, url=url)
    via = "pixel" if kind == MessageEvent.Kind.OPENED else "redirect"
    data = {"user_agent": user_agent[:300], "ip": ip}
    event_record(message, kind, occurred_at=at, machine=machine, machine_reason=reason, url=url, via=via, data=data)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: always the image, whatever the token (a broken image tells a scanner nothing useful)."""
    message_pk = open_token_read(token)
    if message_pk is not None and request.method == "GET":
        _hit_record(request, message_pk, MessageEvent.Kind.OPENED)
    return HttpResponse(PIXEL, content_type="image/gif")


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: recorded, then on to the URL the token signs (a token we did not sign: 404)."""
    target = click_token_read(token)
    if target is None:
        raise Http404("No such link.")
    message_pk, url = target
    if request.method == "GET":
        _hit_record(request, message_pk, MessageEvent.Kind.CLICKED, url)
    return HttpResponseRedirect(url)


@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page asking to confirm (a scanner following the link unsubscribes nobody). POST: unsubscribe now, from
    the page's button or a mail provider's RFC 8058 one-click POST ("List-Unsubscribe=One-Click")."""
    message_pk = unsubscribe_token_read(token)
    message = Message.objects.select_related("mailbox", "enrollment__sequence__mailbox").filter(pk=message_pk).first()
    if message is None:
        raise Http404("No such unsubscribe link.")
    mailbox = message.mailbox or message.enrollment.sequence.mailbox
    context = {"message": message, "sender": mailbox.name if mailbox else "", "email": message.to_email}
    if request.method == "POST":
        via = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "unsubscribe page"
        event_record(message, MessageEvent.Kind.UNSUBSCRIBED, via=via)
        return render(request, "outreach/unsubscribed.html", context)
    return render(request, "outreach/unsubscribe.html", context)
