"""The signed-in user's notifications (a reply came, a lead arrived), newest first, and marking them read."""

from __future__ import annotations

from functools import partial

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.models import Notification
from crm.services.notifications import notifications_mark_read, notifications_unread_count
from leadflow.params import ids

PER_PAGE = 50


def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(user=request.user).select_related("lead")
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "crm/notifications.html", {"page": page})


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark the ticked notifications read (`ids`), or all of them (`all`); only the user's own ever change."""
    chosen = None if request.POST.get("all") else ids(request.POST.getlist("ids"))
    notifications_mark_read(request.user, chosen)
    return redirect("crm:notifications")


def notifications_context(request: HttpRequest) -> dict:
    """The header's unread count, counted only if a page shows it (an htmx fragment does not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": partial(notifications_unread_count, user)}
