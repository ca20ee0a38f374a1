"""Forms for the CRM pages; they validate input and never change the database themselves."""

from __future__ import annotations

from babel.numbers import get_currency_name
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from crm.filters import LeadFilter, leads_matching
from crm.lead_fields import LIST_FACTS, lead_facts, lead_field_length
from crm.locale import site_locale
from crm.models import Lead, LeadList, Stage, Task, User
from crm.normalize import time_zone_names
from crm.selectors import task_assignees_for
from crm.services.consent import SOURCE_LENGTH
from crm.services.leads import NORMALIZERS, lead_fields_normalize
from crm.services.site import MAX_IDLE_MINUTES, currency_codes
from leadflow.roles import Role


def time_zone_choices(current: str = "") -> list[tuple[str, str]]:
    """Every real time zone as a choice; one already chosen stays offered, even if this machine lacks it."""
    zones = sorted(time_zone_names() | ({current} - {""}))
    return [(zone, zone.replace("_", " ")) for zone in zones]


class LawfulBasisForm(forms.Form):
    """The lead page's lawful basis: which, and where it came from (the time is stamped by the service)."""

    lawful_basis = forms.ChoiceField(label="Lawful basis", choices=[("", "Unknown"), *Lead.LawfulBasis.choices],
                                     required=False)  # fmt: skip
    source = forms.CharField(
        label="Source", max_length=SOURCE_LENGTH, required=False, help_text="Web form, import file, ad form, manual…"
    )


class LeadFactsForm(forms.ModelForm):
    """The facts a person edits on the lead page (and when creating a lead)."""

    company_name = forms.CharField(label="Company", max_length=lead_field_length("company"), required=False)
    tags = forms.CharField(required=False, help_text="Comma-separated")
    time_zone = forms.ChoiceField(label="Time zone", required=False)
    deal_value = forms.DecimalField(
        label="Expected deal value", required=False, min_value=0, max_digits=12, decimal_places=2
    )

    class Meta:
        model = Lead
        # The company is typed as a name (company_name) and found by the service; the lists of further emails and
        # phones are shown on the page, not edited inline.
        fields = lead_facts(exclude={"company", *LIST_FACTS})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "—"), *time_zone_choices(self.instance.time_zone)]
        if self.instance.pk:
            self.initial.setdefault("company_name", self.instance.company.name if self.instance.company else "")
            self.initial.setdefault("tags", ", ".join(tag.name for tag in self.instance.tags.all()))

    def clean(self):
        data = super().clean()
        try:
            data.update(lead_fields_normalize({name: data.get(name) for name in NORMALIZERS if name in data}))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
        identity = [data.get("email"), data.get("phone"), data.get("linkedin_url")]
        has_name = data.get("first_name") or data.get("last_name")
        if not any(identity) and not has_name:
            raise forms.ValidationError("Give at least a name, an email, a phone number or a LinkedIn URL.")
        return data


class LeadCreateForm(LeadFactsForm):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none())
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False, empty_label="Me")

    def __init__(self, *args, stages, can_reassign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages
        self.fields["stage"].initial = stages.first()
        if not can_reassign:
            del self.fields["owner"]


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
    tags = forms.CharField(required=False, max_length=300, help_text="Comma-separated")


class TaskForm(forms.ModelForm):
    due_at = forms.DateTimeField(
        label="Due", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    class Meta:
        model = Task
        fields = ["title", "kind", "due_at", "assignee"]

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        # Only people who can see the lead can do something about it (leadflow.roles.can_take_task_on_owned_by).
        self.fields["assignee"].queryset = task_assignees_for(lead)
        self.fields["assignee"].empty_label = "Me"


class LeadListForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated")

    class Meta:
        model = LeadList
        fields = ["name", "description", "folder"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("tags", ", ".join(tag.name for tag in self.instance.tags.all()))


class LeadSelectionForm(forms.Form):
    """Leads chosen in the table: the ticked ones, or all that match its filter (bulk actions and enrichment)."""

    leads = forms.ModelMultipleChoiceField(queryset=Lead.objects.none(), required=False)
    # "All leads matching this filter", on every page: `matching` is the table's query string when the choice was
    # offered, and the leads are found again from it among those the user may see, never from ids the browser sent.
    all_matching = forms.BooleanField(required=False)
    matching = forms.CharField(required=False)

    def __init__(self, *args, leads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = leads

    def clean(self):
        data = super().clean()
        if data.get("all_matching"):
            # The ticked ids are not what is acted on, so an id gone or not the user's stops nothing.
            self._errors.pop("leads", None)
            try:
                data["leads"] = leads_matching(self.fields["leads"].queryset, QueryDict(data["matching"]))
            except ValidationError:
                self.add_error(None, "The filter is no longer valid; select the leads again.")
        elif not data.get("leads") and "leads" not in self.errors:
            self.add_error("leads", "Select leads first.")
        return data


class BulkActionForm(LeadSelectionForm):
    ACTIONS = [
        ("assign", "Assign owner"),
        ("move", "Move to stage"),
        ("add_to_list", "Add to list"),
        ("lawful_basis", "Set lawful basis"),
        ("delete", "Delete"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    # Named apart from the table's filters (`owner`, `stage`), which travel in the same request.
    to_owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    to_stage = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)
    to_list = forms.ModelChoiceField(queryset=LeadList.objects.filter(archived=False), required=False)
    lost_reason = forms.CharField(max_length=300, required=False)
    # Named apart from the table's `lawful_basis` filter; "unknown" clears it.
    to_basis = forms.ChoiceField(choices=[("", "Basis…"), *LeadFilter.base_filters["lawful_basis"].extra["choices"]],
                                 required=False)  # fmt: skip
    basis_source = forms.CharField(max_length=SOURCE_LENGTH, required=False)
    confirmed = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        needs = {"move": "to_stage", "add_to_list": "to_list", "lawful_basis": "to_basis"}
        field = needs.get(data.get("action"))
        if field and not data.get(field):
            self.add_error(field, "Choose where to put the selected leads.")
        to_stage = data.get("to_stage")
        if (
            data.get("action") == "move"
            and to_stage
            and to_stage.kind == Stage.Kind.LOST
            and not data.get("lost_reason")
        ):
            self.add_error("lost_reason", f"Say why the selected deals were lost before moving them to {to_stage}.")
        return data


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "kind"]


class InviteForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=[(role.value, role.value) for role in Role], initial=Role.REP.value)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(role.value, role.value) for role in Role])


class SiteSettingsForm(forms.Form):
    currency = forms.ChoiceField(help_text="Deal values are shown in this currency everywhere.")
    time_zone = forms.ChoiceField(label="Default time zone", help_text="For everyone who has not chosen their own.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            (code, f"{code} · {get_currency_name(code, locale=site_locale())}") for code in currency_codes()
        ]
        self.fields["time_zone"].choices = time_zone_choices(self.initial.get("time_zone", ""))


class SecuritySettingsForm(forms.Form):
    require_admin_two_factor = forms.BooleanField(
        label="Require two-factor for Admins",
        required=False,
        help_text="Admins without an authenticator app or passkey are sent to set one up before any other page.",
    )
    session_idle_minutes = forms.IntegerField(
        label="Sign out after idle minutes",
        min_value=0,
        max_value=MAX_IDLE_MINUTES,
        help_text="A session unused this long is signed out (checked to the minute); 0: never.",
    )


class MySettingsForm(forms.Form):
    time_zone = forms.ChoiceField(label="My time zone", required=False)
    notify_by_email = forms.BooleanField(
        label="Email me when a lead replies", required=False, help_text="Notifications are in the header either way."
    )

    def __init__(self, *args, site_time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        site_default = ("", f"The site's ({site_time_zone.replace('_', ' ')})")
        self.fields["time_zone"].choices = [site_default, *time_zone_choices(self.initial.get("time_zone", ""))]
