"""Forms of the enrichment pages: starting a job, and the waterfall's settings."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from crm.forms import LeadSelectionForm
from crm.models import LeadList
from enrichment.providers.base import WANTED_FIELDS
from enrichment.sources import SOURCES

FIELD_LABELS = {"email": "Email", "phone": "Phone", "linkedin": "LinkedIn URL", "company": "Company facts"}
FIELD_CHOICES = [(name, FIELD_LABELS[name]) for name in WANTED_FIELDS]
SOURCE_CHOICES = [(source.name, source.label) for source in SOURCES.values()]


class LeadsChosenForm(LeadSelectionForm):
    """Which leads: ticked in the table, all matching its filter, or a list's members."""

    lead_list = forms.ModelChoiceField(queryset=LeadList.objects.filter(archived=False), required=False)

    def clean(self):
        if self.data.get("lead_list"):
            # A list stands for its members: the ticked-leads rule does not apply.
            data = forms.Form.clean(self)
            lead_list = data.get("lead_list")
            if lead_list is not None:
                data["leads"] = self.fields["leads"].queryset.filter(memberships__lead_list=lead_list)
            self._errors.pop("leads", None)
            return data
        return super().clean()


class EnrichStartForm(LeadsChosenForm):
    """Which leads, which fields, which sources."""

    # Not named "fields": that is the form's own dict of fields.
    wanted = forms.MultipleChoiceField(
        choices=FIELD_CHOICES, widget=forms.CheckboxSelectMultiple, required=False, label="Find"
    )
    sources = forms.MultipleChoiceField(
        choices=SOURCE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every source enabled in Enrichment settings, in their order.",
    )
    overwrite = forms.BooleanField(required=False, label="Replace values people typed")
    confirmed = forms.BooleanField(required=False)


class WaterfallSettingsForm(forms.Form):
    """Order and switches of the sources, the confidence each field needs, the credit cap and the cache."""

    enabled = forms.MultipleChoiceField(choices=SOURCE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False)
    monthly_credit_cap = forms.IntegerField(min_value=0, max_value=10_000_000, label="Monthly credit cap")
    # At least a day: a job resumed after a crash finds what it already paid for.
    cache_days = forms.IntegerField(min_value=1, max_value=365, label="Reuse answers for (days)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in SOURCE_CHOICES:
            self.fields[f"position_{name}"] = forms.IntegerField(
                min_value=1,
                max_value=len(SOURCES),
                label=label,
                widget=forms.NumberInput(attrs={"aria-label": f"Place of {label}"}),
            )
        for name, label in FIELD_CHOICES:
            self.fields[f"threshold_{name}"] = forms.IntegerField(
                min_value=0, max_value=100, label=f"{label}: stop at confidence"
            )

    def clean(self):
        data = super().clean()
        positions = [data.get(f"position_{name}") for name in SOURCES]
        if None not in positions and len(set(positions)) != len(positions):
            raise ValidationError("Give each source its own place in the order.")
        return data

    def order(self) -> list[str]:
        return sorted(SOURCES, key=lambda name: self.cleaned_data[f"position_{name}"])

    def threshold_fields(self) -> list[forms.BoundField]:
        return [self[f"threshold_{name}"] for name in WANTED_FIELDS]

    def thresholds(self) -> dict[str, int]:
        return {name: self.cleaned_data[f"threshold_{name}"] for name in WANTED_FIELDS}
