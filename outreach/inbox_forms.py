"""The inbox's forms: the list's filters, the composer, snooze and assign."""

from __future__ import annotations

from django import forms

from crm.models import Stage, User
from outreach.inbox import InboxQuery
from outreach.models import ConversationChannel, Sequence

WHO_CHOICES = [("", "Everyone's"), ("mine", "Mine"), ("unassigned", "Unassigned")]


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    who = forms.ChoiceField(required=False, choices=WHO_CHOICES, label="Assigned")
    unread = forms.BooleanField(required=False, label="Unread")
    snoozed = forms.BooleanField(required=False, label="Snoozed")
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *ConversationChannel.choices])
    stage = forms.ModelChoiceField(
        required=False, queryset=Stage.objects.select_related("pipeline"), empty_label="Any stage"
    )
    sequence = forms.ModelChoiceField(
        required=False, queryset=Sequence.objects.filter(is_template=False), empty_label="Any sequence"
    )

    def inbox_query(self) -> InboxQuery:
        """The filters asked for; a value that does not check out (an odd id, an unknown channel) is dropped."""
        self.is_valid()  # cleaned_data then holds the fields that checked out
        data = self.cleaned_data
        return InboxQuery(
            who=data.get("who") or "",
            unread=bool(data.get("unread")),
            snoozed=bool(data.get("snoozed")),
            channel=data.get("channel") or "",
            stage_id=data["stage"].pk if data.get("stage") else None,
            sequence_id=data["sequence"].pk if data.get("sequence") else None,
            search=(data.get("q") or "").strip(),
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 6}), max_length=50_000)


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(label="Snooze until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        required=False, queryset=User.objects.filter(is_active=True), empty_label="Unassigned", label="Assign to"
    )
