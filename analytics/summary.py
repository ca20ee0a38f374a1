"""The weekly summary email to managers and admins: last week's headline figures with their trends and the top
sources, as text and HTML. Run daily: each person gets each week's summary once (claimed before it is sent), so a
day the job missed is caught up the next."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from analytics.headline import headline_figures
from analytics.models import SummaryOptOut, SummarySent
from analytics.reports import Scope, site_today
from analytics.sources import sources_report
from analytics.sql import report_queries
from crm.models import User
from leadflow.roles import Role

logger = logging.getLogger(__name__)

TOP_SOURCES = 5


def last_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the last full week before `today`."""
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


def summary_recipients() -> QuerySet[User]:
    """Active managers and admins with an address who have not opted out."""
    roles = [Role.ADMIN.value, Role.MANAGER.value]
    return (
        User.objects.filter(Q(groups__name__in=roles) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("email")
    )


def wants_summary(user: User) -> bool:
    return not SummaryOptOut.objects.filter(user=user).exists()


@transaction.atomic
def summary_opt_set(*, user: User, wanted: bool) -> None:
    if wanted:
        SummaryOptOut.objects.filter(user=user).delete()
    else:
        SummaryOptOut.objects.get_or_create(user=user)


def summary_message(user: User, start: date, end: date) -> EmailMultiAlternatives:
    """The summary for `user` (their own view of the figures) over start..end, as text and HTML."""
    scope = Scope.for_user(user, start, end)
    with report_queries():
        sources = sources_report(scope)[0]
        figures = headline_figures(scope)
    context = {
        "user": user,
        "scope": scope,
        "figures": figures,
        "sources": sources.rows[:TOP_SOURCES],
        "site_url": settings.SITE_URL,
        "overview_path": reverse("analytics:report", args=["overview"]),
        "settings_path": reverse("analytics:summary_settings"),
    }
    subject = f"Leadflow weekly summary: {start:%-d %b} – {end:%-d %b %Y}"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("analytics/email/weekly_summary.txt", context), to=[user.email]
    )
    message.attach_alternative(render_to_string("analytics/email/weekly_summary.html", context), "text/html")
    return message


@dataclass
class SummaryRun:
    week_start: date
    week_end: date
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"Weekly summary for {self.week_start} to {self.week_end}:"]
        lines += [f"  sent to {address}" for address in self.sent]
        lines += [f"  already sent to {address}" for address in self.already]
        lines += [f"  {address} opted out" for address in self.opted_out]
        lines += [f"  FAILED for {address}" for address in self.failed]
        if len(lines) == 1:
            lines.append("  no managers or admins to send it to")
        return "\n".join(lines)


def weekly_summaries_send(today: date | None = None) -> SummaryRun:
    """Send last week's summary to each manager and admin who has not had it yet (the django-q2 job)."""
    start, end = last_week(today or site_today())
    run = SummaryRun(week_start=start, week_end=end)
    opted_out = set(SummaryOptOut.objects.values_list("user_id", flat=True))
    for user in summary_recipients():
        if user.pk in opted_out:
            run.opted_out.append(user.email)
            continue
        try:
            with transaction.atomic():
                claim = SummarySent.objects.create(user=user, week_start=start)
        except IntegrityError:
            run.already.append(user.email)
            continue
        try:
            summary_message(user, start, end).send()
        except Exception:  # a refused address or a server down: the claim goes, so the next run tries again
            logger.warning("weekly summary to user %s failed", user.pk, exc_info=True)
            claim.delete()
            run.failed.append(user.email)
        else:
            run.sent.append(user.email)
    return run
