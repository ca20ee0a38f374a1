"""Forms of the import pages: the upload, and the mapping of each column to a lead field."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django import forms
from django.conf import settings

from crm.importing.mapping import CUSTOM, FIELDS, IGNORE, REPEATABLE
from crm.models import ImportJob, LeadList, SavedMapping, User
from crm.normalize import region_names

# The lead fields (one column each), then the further emails and phones (any number of columns).
TARGET_CHOICES = [(CUSTOM, "Keep as a custom field"), *FIELDS.items(), *REPEATABLE.items(), (IGNORE, "Do not import")]
# Regions phonenumbers knows but has no English name for.
REGION_NAMES_MISSING = {"AC": "Ascension Island", "TA": "Tristan da Cunha", "XK": "Kosovo"}


def phone_region_names() -> dict[str, str]:
    """English names of the regions phonenumbers can read numbers for, by ISO code."""
    names = region_names("en")
    return {code: names.get(code) or REGION_NAMES_MISSING.get(code, code) for code in phonenumbers.SUPPORTED_REGIONS}


def phone_region_choices() -> list[tuple[str, str]]:
    """The phone region select: blank (each row's country, else the site's default), then every region by name."""
    names = phone_region_names()
    default = settings.PHONE_DEFAULT_REGION
    blank = f"From each row's country, else {names.get(default, default)} ({default})"
    # Sorted as a reader looks them up: "Åland Islands" among the A's.
    regions = sorted(names.items(), key=lambda item: _sort_key(item[1]))
    return [("", blank), *((code, f"{name} ({code})") for code, name in regions)]


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


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
    region = forms.ChoiceField(label="Country of phone numbers without +code", required=False)
    enrich_after = forms.BooleanField(
        label="Enrich the new and updated leads when the import is done",
        required=False,
        help_text="Every field, from the sources enabled in Enrichment settings; their credits are spent.",
    )
    save_as = forms.CharField(label="Save this mapping as", max_length=100, required=False)

    def __init__(self, *args, headers: list[str], mapping: list[str], can_reassign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        # Built per form: the blank choice names PHONE_DEFAULT_REGION as it is now.
        self.fields["region"].choices = phone_region_choices()
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

    def phone_region(self) -> str:
        """The phone region chosen (for the live preview too), or "" for none or an unknown one."""
        region = self.data.get("region", "") if self.is_bound else ""
        return region if region in phone_region_names() else ""


class SavedMappingChoiceForm(forms.Form):
    saved = forms.ModelChoiceField(queryset=SavedMapping.objects.all(), required=False, empty_label="Suggested")
