"""Forms of the scoring settings page: weights and thresholds, and an ideal-customer profile."""

from __future__ import annotations

from django import forms

from crm.models import IdealCustomerProfile, Stage
from crm.services.scores import PROFILE_LISTS

PERCENT = {"min_value": 0, "max_value": 100}


class ScoringSettingsForm(forms.Form):
    weight_fit = forms.IntegerField(label="Fit weight", **PERCENT)
    weight_completeness = forms.IntegerField(label="Completeness weight", **PERCENT)
    weight_engagement = forms.IntegerField(label="Engagement weight", **PERCENT)
    weight_recency = forms.IntegerField(label="Recency weight", **PERCENT)
    weight_ai = forms.IntegerField(
        label="AI opinion's share of the fit (%)", help_text="0 ignores the AI's opinion.", **PERCENT
    )
    mql_threshold = forms.IntegerField(label="MQL threshold (warm from)", **PERCENT)
    sql_threshold = forms.IntegerField(label="SQL threshold (hot from)", **PERCENT)
    promote_at_mql = forms.BooleanField(label="Promote a contact to a lead when it crosses MQL", required=False)
    stage = forms.ModelChoiceField(
        label="Move to this stage when crossing SQL",
        queryset=Stage.objects.filter(kind=Stage.Kind.OPEN)
        .select_related("pipeline")
        .order_by("pipeline__name", "position", "id"),
        required=False,
        empty_label="Leave the stage alone",
        help_text="Only leads of the stage's pipeline move.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].label_from_instance = lambda stage: f"{stage.pipeline.name}: {stage.name}"


def _lines(values: list[str]) -> str:
    return "\n".join(values)


class ProfileForm(forms.ModelForm):
    """A profile, its keyword lists edited as text, one per line (or comma separated)."""

    industries = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    title_keywords = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    seniority_keywords = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    locations = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    technologies = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    exclusion_keywords = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="A lead mentioning one fits not at all."
    )

    class Meta:
        model = IdealCustomerProfile
        fields = [
            "name",
            "company_size_min",
            "company_size_max",
            "value_proposition",
            "offer",
            "proof_points",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ("value_proposition", "offer", "proof_points")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in PROFILE_LISTS:
                self.initial[name] = _lines(getattr(self.instance, name))
