"""The webhook subscription form."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator

from crm.models import WebhookSubscription
from crm.webhooks.events import EVENT_LABELS, SLACK_DEFAULT_EVENTS


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the endpoint is, for you: “Zapier: new leads”.")
    url = forms.URLField(
        label="URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where events are POSTed (http or https). For Slack, the incoming-webhook URL Slack gave you.",
    )
    format = forms.ChoiceField(
        choices=WebhookSubscription.Format.choices,
        initial=WebhookSubscription.Format.STANDARD,
        widget=forms.RadioSelect,
    )
    events = forms.MultipleChoiceField(
        choices=[(event.value, f"{event.value} — {label}") for event, label in EVENT_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A Slack webhook with none ticked gets hot leads and replies.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("events"):
            if data.get("format") == WebhookSubscription.Format.SLACK:
                data["events"] = [event.value for event in SLACK_DEFAULT_EVENTS]
            else:
                self.add_error("events", "Choose at least one event.")
        return data
