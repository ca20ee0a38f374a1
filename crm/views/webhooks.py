"""Settings → Webhooks (admins only): subscriptions, their secret, a test event, and the delivery log with resend."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.forms_webhooks import WebhookForm
from crm.models import WebhookDelivery, WebhookSubscription
from crm.webhooks.deliver import delivery_resend
from crm.webhooks.slack import event_summary_text
from crm.webhooks.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_set_active,
    subscription_test_send,
    subscription_update,
)
from leadflow.roles import require_admin

DELIVERIES_PER_PAGE = 25


def webhook_list(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    subscriptions = WebhookSubscription.objects.annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
        waiting=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)),
        last_delivered_at=Max("deliveries__delivered_at"),
    )
    return render(request, "crm/webhooks.html", {"subscriptions": subscriptions})


def webhook_create(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Added webhook {subscription.name}. Its signing secret is below.")
            return redirect("crm:webhook", subscription.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/webhook_form.html", {"form": form}, status=status)


def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {field: getattr(subscription, field) for field in ("name", "url", "format", "events")}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_update(subscription=subscription, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved webhook {subscription.name}.")
            return redirect("crm:webhook", subscription.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/webhook_form.html", {"form": form, "subscription": subscription}, status=status)


def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The subscription, its secret and its delivery log (filtered by status, paged; htmx redraws only the log)."""
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    status = request.GET.get("status", "")
    deliveries = subscription.deliveries.select_related("event").prefetch_related("attempt_log")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    for delivery in page:
        delivery.summary = event_summary_text(delivery.event.payload)
    context = {
        "subscription": subscription,
        "page": page,
        "status": status,
        "statuses": WebhookDelivery.Status.choices,
    }
    template = "crm/webhook_detail.html#log" if request.htmx else "crm/webhook_detail.html"
    return render(request, template, context)


def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the subscription and its delivery log."""
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    if request.method == "POST":
        subscription_delete(subscription=subscription, actor=request.user)
        messages.success(request, f"Deleted webhook {subscription.name}.")
        return redirect("crm:webhooks")
    return render(request, "crm/webhook_delete.html", {"subscription": subscription})


@require_POST
def webhook_secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription_secret_rotate(subscription=subscription, actor=request.user)
    messages.success(request, "New signing secret made: update your endpoint, the old one no longer signs anything.")
    return redirect("crm:webhook", pk)


@require_POST
def webhook_active(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    active = request.POST.get("active") == "1"
    subscription_set_active(subscription=subscription, actor=request.user, active=active)
    messages.success(request, f"{'Enabled' if active else 'Disabled'} webhook {subscription.name}.")
    return redirect("crm:webhook", pk)


@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    try:
        subscription_test_send(subscription=subscription, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Test event queued: it shows in the log below once sent.")
    return redirect("crm:webhook", pk)


@require_POST
def delivery_resend_view(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    """Send a delivery again; htmx gets its row redrawn."""
    require_admin(request.user)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("event", "subscription"), pk=delivery_pk, subscription_id=pk
    )
    if not delivery.subscription.active:
        messages.error(request, "Enable the webhook first: a disabled webhook sends nothing.")
    else:
        delivery_resend(delivery=delivery)
        messages.success(request, "Sending it again.")
    if not request.htmx:
        return redirect("crm:webhook", pk)
    delivery.refresh_from_db()
    delivery.summary = event_summary_text(delivery.event.payload)
    context = {"subscription": delivery.subscription, "delivery": delivery}
    return render(request, "crm/webhook_detail.html#delivery", context)
