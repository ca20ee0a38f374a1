"""Forms of Settings → CRM sync: a connection (credentials never shown back) and its field mapping."""

from __future__ import annotations

from django import forms

from crm.models import CrmConnection, User
from crm.sync.clients import credentials_for, credentials_missing
from crm.sync.fields import SYNC_FIELDS
from leadflow.roles import Role

STORED_ENCRYPTED_HELP = "Stored encrypted; leave blank to keep the saved one (or to use the environment's token)."
FIELD_LABELS = {"linkedin_url": "LinkedIn URL", "title": "Job title"}


class ConnectionForm(forms.ModelForm):
    token = forms.CharField(
        label="Private app or API token", required=False, widget=forms.PasswordInput, help_text=STORED_ENCRYPTED_HELP
    )
    client_secret = forms.CharField(
        label="OAuth client secret", required=False, widget=forms.PasswordInput, help_text=STORED_ENCRYPTED_HELP
    )

    class Meta:
        model = CrmConnection
        fields = [
            "name",
            "kind",
            "token",
            "client_id",
            "client_secret",
            "account",
            "direction",
            "conflict_rule",
            "schedule",
            "push_on_qualify",
            "acting_user",
        ]
        labels = {
            "acting_user": "Acts as",
            "client_id": "OAuth client id",
            "account": "Instance URL (Salesforce) or location id (GoHighLevel)",
        }
        help_texts = {
            "client_id": "Salesforce: a connected app with the client credentials flow; or an access token below.",
            "account": "Salesforce: the org's URL that goes with an access token; GoHighLevel: the sub-account's id.",
            "name": "Letters, digits and dashes: `manage.py sync_crm NAME` runs it.",
            "acting_user": "The sync changes only the leads this user may change.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        writers = [Role.ADMIN.value, Role.MANAGER.value, Role.REP.value]
        self.fields["acting_user"].queryset = User.objects.filter(is_active=True, groups__name__in=writers).distinct()
        if self.instance.pk:
            self.fields["kind"].disabled = True  # links and the mapping belong to one CRM

    def clean(self) -> dict:
        """Each CRM's credentials, the stored secrets and the environment's counted: what is missing is asked for
        next to its box."""
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        if not kind:
            return cleaned
        kept = self._kept_secrets()
        connection = CrmConnection(
            kind=kind,
            token=cleaned.get("token") or kept.get("token", ""),
            client_id=cleaned.get("client_id", ""),
            client_secret=cleaned.get("client_secret") or kept.get("client_secret", ""),
            account=cleaned.get("account", ""),
        )
        for name, message in credentials_missing(kind, credentials_for(connection)).items():
            self.add_error(name, message)
        account = cleaned.get("account", "")
        if kind == CrmConnection.Kind.SALESFORCE and account and not account.startswith("https://"):
            self.add_error("account", "A Salesforce instance URL starts with https://.")
        return cleaned

    def _kept_secrets(self) -> dict[str, str]:
        if not self.instance.pk:
            return {}
        return CrmConnection.objects.filter(pk=self.instance.pk).values("token", "client_secret").first() or {}

    def save(self, commit: bool = True) -> CrmConnection:
        # A blank secret keeps the stored one: the form never shows it back, so blank means "unchanged".
        connection = super().save(commit=False)
        for name, stored in self._kept_secrets().items():
            if not self.cleaned_data.get(name):
                setattr(connection, name, stored)
        return connection


class MappingForm(forms.Form):
    """One box per Leadflow field: the CRM field it goes to (blank: not synced)."""

    def __init__(self, *args, mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in SYNC_FIELDS:
            label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
            self.fields[name] = forms.CharField(label=label, required=False, initial=mapping.get(name, ""))
            self.fields[name].widget.attrs["list"] = "crm-fields"

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}
