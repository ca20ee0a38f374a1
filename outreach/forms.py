"""Forms of the message writer's pages."""

from __future__ import annotations

from django import forms

from crm.models import LeadList
from outreach.models import Channel, Length, Tone


class _OwnIds(forms.Form):
    """Field ids of their own: the lead page's note form has a "body" too, and a label must find its own field."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "draft_%s")
        super().__init__(*args, **kwargs)


class DraftChoicesForm(_OwnIds):
    channel = forms.ChoiceField(choices=Channel.choices)
    tone = forms.ChoiceField(choices=Tone.choices, initial=Tone.FRIENDLY)
    length = forms.ChoiceField(choices=Length.choices, initial=Length.MEDIUM)


class DraftEditForm(_OwnIds):
    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class DecisionForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class DraftJobForm(DraftChoicesForm):
    """Drafts for a list, or for leads ticked in the leads table (their ids)."""

    lead_list = forms.ModelChoiceField(queryset=LeadList.objects.filter(archived=False), required=False, label="List")
    leads = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("lead_list") and not data.get("leads"):
            raise forms.ValidationError("Choose a list, or tick leads in the leads table.")
        return data
