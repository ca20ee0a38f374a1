"""Telling a member of the team something: a row they see counted in the header, and an email when they asked
for one."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm.models import Lead, Notification, User

logger = logging.getLogger(__name__)


def notify(
    user: User | None, *, kind: str, text: str, url: str = "", lead: Lead | None = None, email_body: str = ""
) -> Notification | None:
    """Notify `user` (no one: None). With `email_body` and the user's notify_by_email on, the email goes too, once
    the caller's transaction has committed (a rolled-back reply tells no one)."""
    if user is None or not user.is_active:
        return None
    notification = Notification.objects.create(user=user, kind=kind, text=text[:300], url=url, lead=lead)
    if email_body and user.notify_by_email and user.email:
        transaction.on_commit(lambda: _email(user.email, text, email_body))
    return notification


def notifications_unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (these ids only, when given); how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def _email(address: str, subject: str, body: str) -> None:
    try:
        send_mail(subject=subject[:200], message=body, from_email=None, recipient_list=[address])
    except OSError:
        # The notification is in the app whatever the mail server says; the log tells the operator.
        logger.warning("Could not email a notification to %s", address, exc_info=True)
