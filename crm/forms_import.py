"""Forms of the import pages: the upload, and the mapping of each column to a lead field."""

from __future__ import annotations

from django import forms

from crm.importing.mapping import CUSTOM, FIELDS, IGNORE
from crm.models import ImportJob, LeadList, SavedMapping, User

TARGET_CHOICES = [(CUSTOM, "Keep as a custom field"), *FIELDS.items(), (IGNORE, "Do not import")]


class UploadForm(forms.Form):
    # Empty files reach the reader, which says why it refuses them.
    file = forms.FileField(
        label="CSV or Excel file", help_text="CSV (any delimiter or encoding) or XLSX", allow_empty_file=True
    )


class MappingForm(forms.Form):
    """A select per column, prefilled with the suggestion, plus what to do with duplicates and where leads go."""

    on_duplicate = forms.ChoiceField(
        label="When a row matches an existing lead", choices=ImportJob.OnDuplicate.choices, initial="skip"
    )
    lead_list = forms.ModelChoiceField(
        label="Add the leads to a list", queryset=LeadList.objects.filter(archived=False), required=False
    )
    owner = forms.ModelChoiceField(
        label="Owner of new leads", queryset=User.objects.filter(is_active=True), required=False, empty_label="Nobody"
    )
    save_as = forms.CharField(label="Save this mapping as", max_length=100, required=False)

    def __init__(self, *args, headers: list[str], mapping: list[str], can_reassign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, (header, target) in enumerate(zip(headers, mapping, strict=True)):
            # Not required: "" is a real choice (keep the column as a custom field).
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=TARGET_CHOICES, initial=target, required=False
            )
        if not can_reassign:
            del self.fields["owner"]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> list[str]:
        """The target chosen for each column: as posted (for the live preview too), else the suggestion."""
        targets = []
        for index in range(len(self.headers)):
            name = f"col_{index}"
            targets.append(
                self.data.get(name, self.fields[name].initial) if self.is_bound else self.fields[name].initial
            )
        return targets


class SavedMappingChoiceForm(forms.Form):
    saved = forms.ModelChoiceField(queryset=SavedMapping.objects.all(), required=False, empty_label="Suggested")
