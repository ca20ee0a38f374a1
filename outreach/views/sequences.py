"""Sequence pages: the list (with ready sequences to clone), the builder, a sequence's detail (funnel, A/B results,
enrollments), pausing and resuming it, and enrolling leads from a list, the leads filter or ticked leads."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.filters import leads_matching
from crm.models import Lead, LeadList, Task
from crm.selectors import leads_visible_to
from crm.table_pages import CappedPaginator
from leadflow.params import id_or_none, ids
from leadflow.roles import require_write
from outreach.ab_test import step_ab_result
from outreach.enrollments import EnrollResult, enroll
from outreach.models import WEEKDAYS, Mailbox, Sequence, SequenceStep, WhatsAppTemplate
from outreach.sequence_files import ready_sequences_install
from outreach.sequence_forms import blank_step, builder_apply, builder_spec
from outreach.sequence_selectors import (
    FUNNEL,
    enrollment_counts,
    enrollments_visible_to,
    sequence_funnel,
    sequences_visible_to,
)
from outreach.sequences import (
    SequenceSpec,
    can_manage_sequences,
    require_manage_sequences,
    sequence_clone,
    sequence_pause,
    sequence_resume,
    sequence_save,
    sequence_spec_of,
)

ENROLLMENTS_PER_PAGE = 50


def _sequence(request: HttpRequest, pk: int) -> Sequence:
    sequence = sequences_visible_to(request.user).filter(pk=pk).first()
    if sequence is None:
        raise Http404("No such sequence.")
    return sequence


def sequence_list(request: HttpRequest) -> HttpResponse:
    if can_manage_sequences(request.user):
        ready_sequences_install()  # the ready sequences appear the first time a manager looks
    sequences = sequences_visible_to(request.user).exclude(status=Sequence.Status.ARCHIVED)
    context = {
        "sequences": sequences.filter(is_template=False),
        "ready": sequences.filter(is_template=True),
        "can_manage": can_manage_sequences(request.user),
    }
    return render(request, "outreach/sequences.html", context)


def _builder(request: HttpRequest, spec: SequenceSpec, sequence: Sequence | None, error: str = "", status: int = 200):
    context = {
        "spec": spec,
        "sequence": sequence,
        "error": error,
        "mailboxes": Mailbox.objects.filter(active=True),
        "weekdays": WEEKDAYS,
        "kinds": SequenceStep.Kind.choices,
        "task_kinds": Task.Kind.choices,
        "whatsapp_templates": WhatsAppTemplate.objects.filter(active=True),
        "required_bases": Sequence.RequiredBasis.choices,
    }
    return render(request, "outreach/sequence_builder.html", context, status=status)


def sequence_builder(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """New or existing sequence: every button posts the whole form; "Save" saves, the others edit the steps."""
    require_manage_sequences(request.user)
    sequence = _sequence(request, pk) if pk is not None else None
    if request.method != "POST":
        spec = sequence_spec_of(sequence) if sequence else SequenceSpec(name="", steps=[blank_step()])
        if not sequence:
            spec.steps[0].delay_days, spec.steps[0].business_days = 0, False
        return _builder(request, spec, sequence)
    spec = builder_spec(request.POST)
    if builder_apply(spec, request.POST.get("action", "save")):
        return _builder(request, spec, sequence)
    try:
        saved = sequence_save(spec=spec, actor=request.user, sequence=sequence)
    except ValidationError as exc:
        return _builder(request, spec, sequence, error=" ".join(exc.messages), status=422)
    messages.success(request, f"Saved sequence {saved.name}.")
    return redirect("outreach:sequence", pk=saved.pk)


def sequence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = _sequence(request, pk)
    funnel = sequence_funnel(sequence)
    enrollments = enrollments_visible_to(request.user).filter(sequence=sequence).order_by("-enrolled_at", "-id")
    context = {
        "sequence": sequence,
        "funnel": funnel,
        "funnel_columns": list(FUNNEL),
        "ab_results": [result for row in funnel if (result := step_ab_result(row.step))],
        "counts": enrollment_counts(sequence),
        "page": CappedPaginator(enrollments, ENROLLMENTS_PER_PAGE).get_page(request.GET.get("page")),
        "can_manage": can_manage_sequences(request.user),
    }
    return render(request, "outreach/sequence.html", context)


def _status_change(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    sequence = _sequence(request, pk)
    try:
        change(sequence=sequence, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(name=sequence.name))
    return redirect("outreach:sequence", pk=sequence.pk)


@require_POST
def sequence_pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, sequence_pause, "Paused {name}: nothing more is sent until it is resumed.")


@require_POST
def sequence_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, sequence_resume, "{name} is sending.")


@require_POST
def sequence_clone_view(request: HttpRequest, pk: int) -> HttpResponse:
    clone = sequence_clone(sequence=_sequence(request, pk), actor=request.user)
    messages.success(request, f"Created {clone.name}: check its mailbox and steps, then start it.")
    return redirect("outreach:sequence_edit", pk=clone.pk)


def _chosen_leads(request: HttpRequest) -> tuple[QuerySet[Lead] | None, str, dict]:
    """The leads to enroll, from a list, the leads table's filter ("all matching") or ticked ids, with how the page
    describes them and the hidden fields that carry them to the next post."""
    data = request.POST if request.method == "POST" else request.GET
    visible = leads_visible_to(request.user)
    lead_list = LeadList.objects.filter(pk=id_or_none(data.get("list"))).first()
    if lead_list is not None:
        return visible.filter(memberships__lead_list=lead_list), f"list {lead_list.name}", {"list": lead_list.pk}
    if data.get("all_matching"):
        matching = data.get("matching", "")
        try:
            leads = leads_matching(visible, QueryDict(matching))
        except ValidationError:
            return None, "", {}
        return leads, f"{leads.count()} leads matching the filter", {"all_matching": "on", "matching": matching}
    chosen = ids(",".join(data.getlist("leads")).split(","))
    if chosen:
        return visible.filter(pk__in=chosen), f"{len(chosen)} ticked lead(s)", {"leads": ",".join(map(str, chosen))}
    return None, "", {}


def enroll_page(request: HttpRequest) -> HttpResponse:
    """Choose a sequence (and a list, unless leads came ticked from the table), then enroll and show who was
    enrolled and who was skipped, and why."""
    require_write(request.user)
    data = request.POST if request.method == "POST" else request.GET
    sequences = sequences_visible_to(request.user).filter(is_template=False).exclude(status=Sequence.Status.ARCHIVED)
    sequence = sequences.filter(pk=id_or_none(data.get("sequence"))).first()
    leads, described, carried = _chosen_leads(request)
    result: EnrollResult | None = None
    error = ""
    if request.method == "POST" and data.get("confirmed") and sequence and leads is not None:
        try:
            result = enroll(sequence, leads, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    elif request.method == "POST" and data.get("confirmed"):
        error = "Choose a sequence and the leads to enroll."
    context = {
        "sequences": sequences, "sequence": sequence, "lists": LeadList.objects.filter(archived=False),
        "described": described, "carried": carried, "result": result, "error": error,
    }  # fmt: skip
    return render(request, "outreach/enroll.html", context, status=422 if error else 200)
