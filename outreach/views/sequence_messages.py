"""Pages about one lead's place in sequences: pausing, resuming or removing an enrollment, the lead page's panel,
one message, "mark sent" for a handed-off step, and the review of messages whose sending is uncertain."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crm.models import Lead
from crm.selectors import lead_for_page
from leadflow.roles import can_edit_lead, require_write
from outreach.channels.linkedin import profile_url
from outreach.channels.tasks import message_mark_sent
from outreach.enrollments import enrollment_pause, enrollment_remove, enrollment_resume
from outreach.models import Message
from outreach.outcomes import message_reviewed
from outreach.sequence_selectors import enrollments_visible_to, messages_visible_to

PANEL_MESSAGES = 20
UNCERTAIN_PER_PAGE = 50
ENROLLMENT_ACTIONS = {
    "pause": (enrollment_pause, "Paused"),
    "resume": (enrollment_resume, "Resumed"),
    "remove": (enrollment_remove, "Removed"),
}


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
def enrollment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ENROLLMENT_ACTIONS:
        raise Http404("No such action.")
    enrollment = enrollments_visible_to(request.user).filter(pk=pk).first()
    if enrollment is None:
        raise Http404("No such enrollment.")
    change, done = ENROLLMENT_ACTIONS[action]
    if change(enrollment=enrollment, actor=request.user):
        messages.success(request, f"{done}: {enrollment.lead.full_name} in {enrollment.sequence.name}.")
    else:
        messages.error(request, f"Nothing changed: the enrollment is {enrollment.get_status_display().lower()}.")
    return _back(request, reverse("outreach:sequence", args=[enrollment.sequence_id]))


def lead_sequences(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead page's panel: the lead's enrollments and its latest messages with their status."""
    try:
        lead = lead_for_page(request.user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404("No such lead.") from exc
    context = {
        "lead": lead,
        "enrollments": lead.enrollments.select_related("sequence"),
        "lead_messages": lead.messages.select_related("step", "variant", "enrollment__sequence")[:PANEL_MESSAGES],
        "can_edit": can_edit_lead(request.user, lead),
        "profile_url": profile_url(lead),
    }
    return render(request, "outreach/_lead_sequences.html", context)


def _message(request: HttpRequest, pk: int) -> Message:
    message = messages_visible_to(request.user).filter(pk=pk).first()
    if message is None:
        raise Http404("No such message.")
    return message


def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    context = {
        "message": message,
        "events": message.events.all()[:100],
        "can_edit": can_edit_lead(request.user, message.lead),
    }
    return render(request, "outreach/message.html", context)


@require_POST
def message_mark_sent_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    if message_mark_sent(message=message, actor=request.user):
        messages.success(request, f"Marked sent; {message.enrollment.sequence.name} moves on.")
    else:
        messages.error(request, "This step was already done.")
    return _back(request, reverse("outreach:message", args=[message.pk]))


def uncertain_messages(request: HttpRequest) -> HttpResponse:
    """Messages whose worker died mid-send: maybe sent. A person checks (the mailbox's Sent folder, the provider's
    log) and says which; they are never resent on their own."""
    uncertain = messages_visible_to(request.user).filter(status=Message.Status.UNCERTAIN).order_by("claimed_at", "id")
    page = Paginator(uncertain, UNCERTAIN_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "outreach/uncertain.html", {"page": page})


@require_POST
def message_review(request: HttpRequest, pk: int) -> HttpResponse:
    require_write(request.user)
    message = _message(request, pk)
    if not can_edit_lead(request.user, message.lead):
        raise PermissionDenied("You can only review messages to leads you may change.")
    verdict = request.POST.get("sent")
    if message.status != Message.Status.UNCERTAIN or verdict not in {"yes", "no"}:
        messages.error(request, "This message is not waiting for a review.")
    else:
        message_reviewed(message, sent=verdict == "yes", actor=request.user)
        said = "was sent: its sequence moves on" if verdict == "yes" else "was not sent: it goes out again once"
        messages.success(request, f"Noted that the message to {message.lead.full_name} {said}.")
    return redirect("outreach:messages_uncertain")
