"""Forms of the capture pages."""

from __future__ import annotations

import yaml
from django import forms

from crm.models import LeadList, Stage, User
from scraping.models import Campaign, Source
from scraping.services import SECRET_NAMES, target_from_yaml

SECRET_LABELS = {
    "api_key": "API key (PhantomBuster)",
    "token": "API token (Apify)",
    "crm_key": "CRM key (IndiaMART)",
    "app_secret": "App secret (Meta)",
    "verify_token": "Verify token (Meta)",
    "page_access_token": "Page access token (Meta)",
    "webhook_key": "Webhook key (Google Ads, IndiaMART push)",
}


class SourceForm(forms.ModelForm):
    """A source and its secrets: typed, never shown back; left empty, the stored one stays."""

    class Meta:
        model = Source
        fields = [
            "kind", "name", "base_url", "stage", "owner", "lead_list", "paused", "acknowledge_by",
            "acknowledge_template", "acknowledge_from",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True)
        self.fields["lead_list"].queryset = LeadList.objects.filter(archived=False)
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline")
        masked = self.instance.credentials_masked() if self.instance.pk else {}
        for name in SECRET_NAMES:
            saved = masked.get(name)
            self.fields[f"secret_{name}"] = forms.CharField(
                label=SECRET_LABELS[name],
                required=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
                help_text=f"Saved: {saved}. Leave empty to keep it." if saved else "",
            )

    def secrets(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"secret_{name}", "") for name in SECRET_NAMES}


class CampaignForm(forms.ModelForm):
    target_text = forms.CharField(
        label="What to fetch",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="YAML: agent (PhantomBuster), actor and input (Apify), start_urls, item, fields, next_page, "
        "max_pages (websites), days (IndiaMART), mapping ({column: lead field}), region (country of phone numbers "
        "written without +code, e.g. GB).",
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "source", "lead_list", "owner", "round_robin", "source_tag", "enter_as", "schedule", "paused",
            "promote_at_score",
        ]  # fmt: skip
        help_texts = {"schedule": "manual, hourly, daily 07:00 or weekly mon 07:00 (the site's time zone)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = User.objects.filter(is_active=True)
        self.fields["owner"].queryset = active
        self.fields["round_robin"].queryset = active
        self.fields["round_robin"].required = False
        self.fields["lead_list"].queryset = LeadList.objects.filter(archived=False)
        if self.instance.pk and not self.is_bound:
            self.initial["target_text"] = (
                yaml.safe_dump(self.instance.target, sort_keys=False) if self.instance.target else ""
            )

    def clean_target_text(self) -> dict:
        return target_from_yaml(self.cleaned_data["target_text"])

    def clean(self):
        data = super().clean()
        if "target_text" in data:
            self.instance.target = data["target_text"]
        return data


class CampaignsFileForm(forms.Form):
    file = forms.FileField(label="Campaigns file (YAML)")
