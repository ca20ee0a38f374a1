"""A subscription's run of failures: counted on every attempt, and past both limits (WEBHOOK_DISABLE_AFTER_FAILURES
attempts in a row over at least WEBHOOK_DISABLE_AFTER_SECONDS) the subscription is disabled and its creator and the
Admins are told. It stays off until a person enables it again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from crm.models import Notification, User, WebhookSubscription
from crm.services.notifications import notify
from leadflow.roles import Role


@transaction.atomic
def subscription_health_record(subscription_id: int, *, succeeded: bool, at: datetime) -> None:
    subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        return
    if succeeded:
        if subscription.consecutive_failures or subscription.failing_since:
            subscription.consecutive_failures, subscription.failing_since = 0, None
            subscription.save(update_fields=["consecutive_failures", "failing_since", "updated_at"])
        return
    subscription.consecutive_failures += 1
    subscription.failing_since = subscription.failing_since or at
    failing_for = at - subscription.failing_since
    if (
        subscription.active
        and subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        and failing_for >= timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    ):
        _disable(subscription, at)
        return
    subscription.save(update_fields=["consecutive_failures", "failing_since", "updated_at"])


def _disable(subscription: WebhookSubscription, at: datetime) -> None:
    hours = (at - subscription.failing_since).total_seconds() / 3600
    subscription.active, subscription.disabled_at = False, at
    subscription.disabled_reason = (
        f"Disabled after {subscription.consecutive_failures} failed attempts in a row over {hours:.0f} hours."
    )
    subscription.save()
    text = f"Webhook “{subscription.name}” was disabled: its endpoint kept failing"
    url = reverse("crm:webhook", args=[subscription.pk])
    body = (
        f"{subscription.disabled_reason}\n\nURL: {subscription.url}\n\nDeliveries wait until the webhook is enabled "
        f"again: {settings.SITE_URL}{url}"
    )
    for user in _told_of(subscription):
        notify(user, kind=Notification.Kind.OTHER, text=text, url=url, email_body=body)


def _told_of(subscription: WebhookSubscription) -> list[User]:
    admins = Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value)
    if subscription.created_by_id:
        admins |= Q(pk=subscription.created_by_id)
    return list(User.objects.filter(admins, is_active=True).distinct().order_by("pk"))
