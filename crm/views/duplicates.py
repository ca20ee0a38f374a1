"""Duplicates: the open pairs, merging or dismissing one, scanning again, and the record of a merge."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from crm.dedup import duplicates_scan_queue
from crm.locale import money_format
from crm.models import DuplicateCandidate, Lead, LeadList, MergeRecord, User
from crm.selectors import leads_visible_to
from crm.services.merge import MERGE_FIELDS, lead_merge
from crm.services.merge import duplicate_dismiss as duplicate_dismiss_service
from leadflow.roles import can_edit_lead, require_write, sees_all_leads

_PAIR_JOINS = [f"lead_{side}__{link}" for side in "ab" for link in ("company", "owner", "stage")]
RECENT_MERGES = 10
STALE_PAIR = "That pair is no longer open: one of the leads was merged or deleted, or it was marked as not duplicates."


def _candidates_visible_to(user: User) -> QuerySet[DuplicateCandidate]:
    """Pairs whose two leads the user may both see."""
    candidates = DuplicateCandidate.objects.all()
    if sees_all_leads(user):
        return candidates
    visible = leads_visible_to(user).values("pk")
    return candidates.filter(lead_a__in=visible, lead_b__in=visible)


def _merges_visible_to(user: User) -> QuerySet[MergeRecord]:
    records = MergeRecord.objects.select_related("survivor", "actor")
    if sees_all_leads(user):
        return records
    return records.filter(survivor__in=leads_visible_to(user).values("pk"))


def _can_resolve(user: User, candidate: DuplicateCandidate) -> bool:
    return can_edit_lead(user, candidate.lead_a) and can_edit_lead(user, candidate.lead_b)


def duplicate_list(request: HttpRequest) -> HttpResponse:
    candidates = (
        _candidates_visible_to(request.user)
        .filter(status=DuplicateCandidate.Status.OPEN)
        .select_related(*_PAIR_JOINS)
        .order_by("-score", "-found_at", "id")
    )
    page = Paginator(candidates, settings.LEADS_PAGE_SIZE).get_page(request.GET.get("page"))
    for candidate in page:
        candidate.can_resolve = _can_resolve(request.user, candidate)
    recent = _merges_visible_to(request.user)[:RECENT_MERGES]
    return render(request, "crm/duplicates.html", {"page": page, "recent_merges": recent})


@require_POST
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    require_write(request.user)
    duplicates_scan_queue()
    messages.info(request, "Scanning… new pairs show up here when the scan finishes.")
    return redirect("crm:duplicates")


@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a pair as two people; htmx gets the row back saying so, other requests go back to the list."""
    candidate = _candidates_visible_to(request.user).select_related("lead_a", "lead_b").filter(pk=pk).first()
    if candidate is None:
        raise Http404("No such pair.")
    try:
        duplicate_dismiss_service(candidate=candidate, actor=request.user)
    except ValidationError as exc:
        note, level = " ".join(exc.messages), messages.WARNING
    else:
        note, level = (
            f"{candidate.lead_a.full_name} and {candidate.lead_b.full_name}: not duplicates.",
            messages.SUCCESS,
        )
    if request.htmx:
        return render(request, "crm/duplicates.html#resolved_row", {"candidate": candidate, "note": note})
    messages.add_message(request, level, note)
    return redirect("crm:duplicates")


# --- the merge page -------------------------------------------------------------------------------

SIDES = [("left", "left"), ("right", "right")]


@dataclass
class MergeRow:
    """One line of the side-by-side table: a field, both values as shown, and whether there is a choice."""

    name: str
    label: str
    left: str
    right: str
    choice: bool
    selected: str = "left"
    note: str = ""


def _shown(lead: Lead, name: str) -> str:
    """A lead's value of one merge field, as a person reads it."""
    if name == "company":
        return lead.company.name if lead.company_id else ""
    if name == "owner":
        return str(lead.owner) if lead.owner_id else ""
    if name == "stage":
        return lead.stage.name
    if name in ("lifecycle", "grade"):
        return getattr(lead, f"get_{name}_display")()
    if name == "do_not_contact":
        return "Yes" if lead.do_not_contact else "No"
    if name == "deal_value":
        return money_format(lead.deal_value)
    if name == "custom_fields":
        return "; ".join(f"{key}: {value}" for key, value in lead.custom_fields.items())
    value = getattr(lead, name)
    return "" if value is None else str(value)


def _is_empty(value: object) -> bool:
    return value in (None, "", 0, Decimal(0), False, {})


def merge_rows(left: Lead, right: Lead) -> list[MergeRow]:
    """The side-by-side table; where the values differ the default is the non-empty one, left when both are."""
    rows = []
    for name in [*MERGE_FIELDS, "custom_fields"]:
        if name == "custom_fields":
            attname, label = name, "Custom fields"
        else:
            field = Lead._meta.get_field(name)
            attname, label = field.attname, capfirst(field.verbose_name)
        left_value, right_value = getattr(left, attname), getattr(right, attname)
        row = MergeRow(name, label, _shown(left, name), _shown(right, name), choice=left_value != right_value)
        if row.choice and _is_empty(left_value) and not _is_empty(right_value):
            row.selected = "right"
        if name == "do_not_contact":
            row.choice = False
            row.note = "Stays on if either lead has it."
        elif name == "custom_fields":
            shared = set(left.custom_fields) & set(right.custom_fields)
            row.choice = any(left.custom_fields[key] != right.custom_fields[key] for key in shared)
            row.note = "Both leads' fields are kept; choose whose value wins where both have one."
        rows.append(row)
    return rows


class MergeForm(forms.Form):
    """Which lead survives, and for each differing field whose value it keeps ("left" or "right")."""

    survivor = forms.ChoiceField(choices=SIDES, initial="left")
    confirm = forms.BooleanField(
        label="Merging cannot be undone here; the removed lead's values stay in the merge record.",
        error_messages={"required": "Tick the box to confirm the merge."},
    )

    def __init__(self, *args, rows: list[MergeRow], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for row in rows:
            if row.choice:
                self.fields[row.name] = forms.ChoiceField(choices=SIDES, initial=row.selected)

    def chosen(self, survivor_side: str) -> dict[str, str]:
        """The form's left/right picks as lead_merge's survivor/other."""
        return {
            name: "survivor" if self.cleaned_data[name] == survivor_side else "other"
            for name in self.fields
            if name not in ("survivor", "confirm")
        }


def _open_pair(request: HttpRequest, pk: int) -> DuplicateCandidate | None:
    candidate = (
        _candidates_visible_to(request.user)
        .select_related(*_PAIR_JOINS)
        .filter(pk=pk, status=DuplicateCandidate.Status.OPEN)
        .first()
    )
    if candidate is None:
        messages.warning(request, STALE_PAIR)
    return candidate


def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: both leads side by side with a choice per field; POST: merge and open the surviving lead."""
    candidate = _open_pair(request, pk)
    if candidate is None:
        return redirect("crm:duplicates")
    if not _can_resolve(request.user, candidate):
        raise PermissionDenied("You can only merge leads you own.")
    # The older lead goes on the left, and survives unless the user says otherwise.
    left, right = sorted([candidate.lead_a, candidate.lead_b], key=lambda lead: (lead.created_at, lead.pk))
    rows = merge_rows(left, right)
    form = MergeForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        survivor_side = form.cleaned_data["survivor"]
        survivor, other = (left, right) if survivor_side == "left" else (right, left)
        other_name = f"{other.full_name} (#{other.pk})"
        try:
            lead_merge(survivor=survivor, other=other, chosen=form.chosen(survivor_side), actor=request.user)
        except ValidationError as exc:
            messages.warning(request, " ".join(exc.messages))
            return redirect("crm:duplicates")
        messages.success(request, f"Merged {other_name} into {survivor.full_name}.")
        return redirect("crm:lead", pk=survivor.pk)
    for row in rows:
        if row.choice and form.is_bound:
            row.selected = form.data.get(row.name, row.selected)
    context = {
        "candidate": candidate,
        "left": left,
        "right": right,
        "rows": rows,
        "form": form,
        "survivor_side": form.data.get("survivor", "left") if form.is_bound else "left",
    }
    for lead in (left, right):
        lead.list_names = list(LeadList.objects.filter(memberships__lead=lead).values_list("name", flat=True))
    return render(request, "crm/merge.html", context, status=422 if form.is_bound else 200)


# --- the record of a merge ------------------------------------------------------------------------


@dataclass
class RecordRow:
    label: str
    removed: str
    before: str
    kept: str


def _snapshot_shown(snapshot: dict, name: str) -> str:
    labels = snapshot.get("labels", {})
    if name in ("company", "owner", "stage"):
        return labels.get(name, "") or ("" if snapshot.get(name) is None else f"#{snapshot[name]}")
    value = snapshot.get(name)
    if name in ("lifecycle", "grade"):
        return dict(Lead._meta.get_field(name).choices).get(value, value or "")
    if name == "do_not_contact":
        return "Yes" if value else "No"
    if name == "deal_value":
        return money_format(value)
    if name == "custom_fields":
        return "; ".join(f"{key}: {val}" for key, val in (value or {}).items())
    return "" if value is None else str(value)


def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _merges_visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404("No such merge.")
    removed, before = record.merged_snapshot, record.survivor_before
    rows = []
    for name in [*MERGE_FIELDS, "custom_fields"]:
        label = "Custom fields" if name == "custom_fields" else capfirst(Lead._meta.get_field(name).verbose_name)
        kept = "removed lead's" if record.chosen.get(name, "survivor") == "other" else "survivor's"
        if name == "do_not_contact" and (removed.get(name) or before.get(name)):
            kept = "on: either lead had it"
        rows.append(
            RecordRow(
                label=label,
                removed=_snapshot_shown(removed, name),
                before=_snapshot_shown(before, name),
                kept=kept,
            )
        )
    list_names = dict(LeadList.objects.filter(pk__in=removed.get("lists", [])).values_list("pk", "name"))
    context = {
        "record": record,
        "rows": rows,
        "removed_name": f"{removed.get('first_name', '')} {removed.get('last_name', '')}".strip()
        or removed.get("email")
        or f"Lead #{record.merged_lead_id}",
        "snapshot": sorted((key, value) for key, value in removed.items() if key != "labels"),
        "removed_tags": removed.get("labels", {}).get("tags", []),
        "removed_lists": [list_names.get(list_id, f"#{list_id} (deleted)") for list_id in removed.get("lists", [])],
        "moved": sorted((kind.replace("_", " "), count) for kind, count in record.moved.items()),
    }
    return render(request, "crm/merge_detail.html", context)
