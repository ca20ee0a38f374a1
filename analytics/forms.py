"""The filter form on every analytics page: a date range (a preset or custom dates) and the lead filters."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.cache import cache

from analytics.reports import Scope, site_today
from crm.models import Lead, LeadList, User
from leadflow.roles import sees_all_leads
from outreach.models import Sequence
from scraping.models import Campaign

PRESETS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("custom", "Custom dates"),
]
DEFAULT_PRESET = "30"
# A range longer than this is refused: nobody reads daily figures over a decade, and the queries would grow with it.
LONGEST_RANGE_DAYS = 3 * 366
# Distinct sources are read from the leads' index at most this often (seconds).
SOURCES_CACHE_SECONDS = 600


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The dates a preset names, ending today (or the last month's last day)."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return last_day.replace(day=1), last_day
    return today - timedelta(days=int(preset) - 1), today


def lead_sources() -> list[str]:
    """The source names leads carry, for the filter's suggestions (cached: a distinct scan of a large table)."""
    sources = cache.get("analytics:lead-sources")
    if sources is None:
        sources = list(
            Lead.objects.exclude(source="").order_by("source").values_list("source", flat=True).distinct()[:200]
        )
        cache.set("analytics:lead-sources", sources, SOURCES_CACHE_SECONDS)
    return sources


class ScopeForm(forms.Form):
    preset = forms.ChoiceField(label="Period", choices=PRESETS, required=False)
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.ModelChoiceField(label="Owner", queryset=User.objects.filter(is_active=True), required=False)
    source = forms.CharField(
        label="Source", max_length=60, required=False, widget=forms.TextInput(attrs={"list": "analytics-sources"})
    )
    list = forms.ModelChoiceField(label="List", queryset=LeadList.objects.filter(archived=False), required=False)
    campaign = forms.ModelChoiceField(label="Campaign", queryset=Campaign.objects.all(), required=False)
    sequence = forms.ModelChoiceField(
        label="Sequence", queryset=Sequence.objects.filter(is_template=False), required=False
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not sees_all_leads(user):
            # A rep's figures are their own (Scope.for_user): no owner to choose.
            del self.fields["owner"]

    def clean(self) -> dict:
        data = super().clean()
        preset = data.get("preset") or ""
        start, end = data.get("start"), data.get("end")
        if preset != "custom" and (preset or not (start or end)):
            start, end = preset_range(preset or DEFAULT_PRESET, site_today())
        elif start is None or end is None:
            raise forms.ValidationError("Choose both dates of a custom range.")
        if start and end and end < start:
            raise forms.ValidationError("The range ends before it starts.")
        if start and end and (end - start).days >= LONGEST_RANGE_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {LONGEST_RANGE_DAYS} days.")
        data["start"], data["end"] = start, end
        return data


def scope_from_query(query, user: User) -> tuple[Scope, ScopeForm]:
    """The scope a page's query string asks for, and its form; a field in error is left out of the scope (the form
    says why), a bad range falls back to the default period."""
    form = ScopeForm(query, user=user)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    start, end = data.get("start"), data.get("end")
    if start is None or end is None or form.non_field_errors():
        start, end = preset_range(DEFAULT_PRESET, site_today())
    if form.is_bound and not form.errors:
        # The form shows the dates a preset stands for, so a person sees (and can adjust) the range.
        shown = form.data.copy()
        shown["start"], shown["end"] = start.isoformat(), end.isoformat()
        form.data = shown
    owner, lead_list, campaign, sequence = (data.get(name) for name in ("owner", "list", "campaign", "sequence"))
    scope = Scope.for_user(
        user,
        start,
        end,
        owner_id=owner.pk if owner else None,
        source=data.get("source") or "",
        list_id=lead_list.pk if lead_list else None,
        campaign_id=campaign.pk if campaign else None,
        sequence_id=sequence.pk if sequence else None,
    )
    return scope, form


def scope_query(scope: Scope) -> dict[str, str]:
    """The scope as query parameters (custom dates), so links to other pages and CSV files keep the same figures."""
    query = {"preset": "custom", "start": scope.start.isoformat(), "end": scope.end.isoformat()}
    for name, value in (
        ("owner", scope.owner_id if sees_all_leads(scope.user) else None),
        ("source", scope.source),
        ("list", scope.list_id),
        ("campaign", scope.campaign_id),
        ("sequence", scope.sequence_id),
    ):
        if value:
            query[name] = str(value)
    return query


class SpendForm(forms.Form):
    """A month's spend on a source and/or a capture campaign."""

    month = forms.DateField(
        label="Month",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    source = forms.CharField(
        label="Source", max_length=60, required=False, widget=forms.TextInput(attrs={"list": "analytics-sources"})
    )
    campaign = forms.ModelChoiceField(label="Capture campaign", queryset=Campaign.objects.all(), required=False)
    amount = forms.DecimalField(label="Amount spent", min_value=0, max_digits=12, decimal_places=2)
    note = forms.CharField(label="Note", max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("source") or "").strip() and not data.get("campaign"):
            raise forms.ValidationError("Say which source or campaign the money was spent on.")
        return data


class AdSpendImportForm(forms.Form):
    source = forms.CharField(
        label="Source of these ads' leads",
        max_length=60,
        help_text="The Source field the leads from these ads carry, e.g. meta or google_ads.",
        widget=forms.TextInput(attrs={"list": "analytics-sources"}),
    )
    file = forms.FileField(label="Export file (CSV or XLSX)")
