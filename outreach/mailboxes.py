"""STAND-IN (mail part): a mailbox's connection and its cap on a day, to the contract's signatures."""

from __future__ import annotations

from datetime import date

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from outreach.models import Mailbox


def mailbox_connection(mailbox: Mailbox) -> BaseEmailBackend:
    if mailbox.transport == Mailbox.Transport.SMTP:
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=mailbox.smtp_host,
            port=mailbox.smtp_port,
            username=mailbox.smtp_user,
            password=mailbox.smtp_password,
            use_tls=mailbox.smtp_tls,
            use_ssl=mailbox.smtp_ssl,
            timeout=10,
        )
    if mailbox.transport == Mailbox.Transport.CONSOLE:
        return get_connection("django.core.mail.backends.console.EmailBackend")
    options = {"api_key": mailbox.api_key}
    if mailbox.api_domain:
        options["sender_domain"] = mailbox.api_domain
    if mailbox.api_base_url:
        options["api_url"] = mailbox.api_base_url
    return get_connection(f"anymail.backends.{mailbox.transport}.EmailBackend", **options)


def mailbox_cap_on(mailbox: Mailbox, day: date) -> int:
    if mailbox.warmup_start is None or mailbox.warmup_began_on is None:
        return mailbox.daily_cap
    days = max((day - mailbox.warmup_began_on).days, 0)
    return min(mailbox.daily_cap, mailbox.warmup_start + mailbox.warmup_step * days)
