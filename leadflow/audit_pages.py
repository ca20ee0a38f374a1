"""Settings → Audit log (admins only): who did what, searchable, filtered, paged, and exported as CSV."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm.exporting import Echo
from crm.models import User
from crm.resources import formula_neutralise
from leadflow.audit import ACTIONS, AuditEvent, record
from leadflow.roles import require_admin

EVENTS_PER_PAGE = 50
EXPORT_COLUMNS = [
    "When (UTC)",
    "Actor",
    "Channel",
    "IP",
    "Action",
    "Object type",
    "Object id",
    "Object",
    "Changes",
    "Details",
]


def _label(item: tuple[str, str]) -> str:
    return item[1]


class AuditFilterForm(forms.Form):
    q = forms.CharField(
        required=False, max_length=200, label="Search", widget=forms.TextInput(attrs={"type": "search"})
    )
    action = forms.ChoiceField(
        required=False, choices=lambda: [("", "Any action"), *sorted(ACTIONS.items(), key=_label)]
    )
    actor = forms.ModelChoiceField(required=False, queryset=User.objects.order_by("email"), empty_label="Anyone")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The date range ends before it starts.")
        return data


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_matching(data: dict) -> QuerySet[AuditEvent]:
    """Events matching a valid filter form's data, newest first."""
    events = AuditEvent.objects.all()
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("actor"):
        events = events.filter(actor=data["actor"])
    if data.get("since"):
        events = events.filter(at__gte=_day_start(data["since"]))
    if data.get("until"):
        events = events.filter(at__lt=_day_start(data["until"]) + timedelta(days=1))
    if text := data.get("q", "").strip():
        # Free text matches labels, ids and actions as well as the actions' own names on the page.
        labelled = [action for action, label in ACTIONS.items() if text.lower() in label.lower()]
        events = events.filter(
            Q(actor_label__icontains=text)
            | Q(object_label__icontains=text)
            | Q(object_type__icontains=text)
            | Q(object_id=text)
            | Q(action__icontains=text)
            | Q(ip__startswith=text)
            | Q(action__in=labelled)
        )
    return events


def audit_log(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "page": None, "query": ""}
        return render(request, "leadflow/audit_log.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    page = Paginator(audit_events_matching(data).select_related("actor"), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "leadflow/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered events as CSV; exporting the log is itself an event."""
    require_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(" ".join(m for errors in form.errors.values() for m in errors), status=400)
    data = form.cleaned_data if form.is_bound else {}
    events = audit_events_matching(data)
    filters = {key: str(getattr(value, "pk", value)) for key, value in data.items() if value}
    record("audit.exported", request=request, details={"filters": filters, "rows": events.count()})
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(EXPORT_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            cells = [
                event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_label,
                event.channel,
                event.ip or "",
                event.action_label,
                event.object_type,
                event.object_id,
                event.object_label,
                _json_text(event.changes),
                _json_text(event.details),
            ]
            yield writer.writerow([formula_neutralise(cell) for cell in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.now():%Y%m%d}.csv"'
    return response


def _json_text(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
