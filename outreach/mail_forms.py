"""Forms of the mailbox and message-template pages (and of their admin)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from outreach.mailboxes import mailbox_address, mailbox_check
from outreach.merge import template_check
from outreach.models import WEEKDAYS, Mailbox, Template
from outreach.models.mail import working_days

SECRET_FIELDS = ("smtp_password", "api_key", "imap_password")


class MailboxForm(forms.ModelForm):
    """A mailbox's settings; its password and API key are never sent back to the browser, and left blank they keep
    the stored value."""

    smtp_password = forms.CharField(
        label="SMTP password", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    api_key = forms.CharField(label="API key", required=False, widget=forms.PasswordInput(render_value=False))
    imap_password = forms.CharField(
        label="IMAP password", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    window_days = forms.MultipleChoiceField(
        choices=[(day, day.capitalize()) for day in WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
        label="Sends on",
        initial=working_days,
    )

    class Meta:
        model = Mailbox
        fields = [
            "name", "address", "transport", "smtp_host", "smtp_port", "smtp_tls", "smtp_ssl", "smtp_user",
            "smtp_password", "api_key", "api_domain", "api_base_url", "imap_host", "imap_port", "imap_ssl", "imap_user",
            "imap_password", "imap_folder", "daily_cap", "time_zone", "window_days",
            "window_start", "window_end", "warmup_start", "warmup_step", "warmup_began_on", "signature",
            "postal_address", "active",
        ]  # fmt: skip
        widgets = {
            "window_start": forms.TimeInput(attrs={"type": "time"}),
            "window_end": forms.TimeInput(attrs={"type": "time"}),
            "warmup_began_on": forms.DateInput(attrs={"type": "date"}),
            "signature": forms.Textarea(attrs={"rows": 3}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "address": "Sender address",
            "smtp_host": "SMTP host",
            "smtp_port": "SMTP port",
            "smtp_user": "SMTP user",
            "api_domain": "API domain",
            "api_base_url": "API base URL",
            "daily_cap": "Daily cap",
            "warmup_start": "Warm-up: first day",
            "warmup_step": "Warm-up: added each day",
            "warmup_began_on": "Warm-up began on",
        }
        help_texts = {
            "api_domain": "Mailgun: the sending domain (else the address's domain).",
            "api_base_url": "Empty: the service's own. Mailgun in the EU: https://api.eu.mailgun.net/v3",
            "time_zone": "The sending window's zone, e.g. Europe/Berlin (empty: the team's).",
            "warmup_start": "Messages on the first day of a warm-up; empty: no warm-up.",
            "warmup_step": "Messages added each day until the daily cap.",
            "postal_address": "Shown at the foot of every sequence email; required before sequences send.",
            "imap_host": "Where replies to this mailbox are read (empty: not read; Mailgun's inbound route instead).",
            "imap_port": "Empty: 993 over TLS, else 143.",
            "imap_user": "Empty: the sender address.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            if getattr(self.instance, name):
                self.fields[name].help_text = "One is stored (not shown). Leave blank to keep it."

    def _post_clean(self) -> None:
        # After the model's own validation (Django's hook for it), the mailbox rules, so they show on their fields.
        super()._post_clean()
        try:
            mailbox_check(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)

    def clean_address(self) -> str:
        return mailbox_address(self.cleaned_data["address"])

    def clean_smtp_password(self) -> str:
        return self.cleaned_data["smtp_password"] or self.instance.smtp_password

    def clean_api_key(self) -> str:
        return self.cleaned_data["api_key"].strip() or self.instance.api_key

    def clean_imap_password(self) -> str:
        return self.cleaned_data["imap_password"] or self.instance.imap_password


class MailboxTestForm(forms.Form):
    to = forms.EmailField(label="Send a test to")


class TemplateForm(forms.ModelForm):
    class Meta:
        model = Template
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def clean(self) -> dict:
        data = super().clean()
        if "subject" in data and "body" in data:
            template_check(data["subject"], data["body"])
        return data
