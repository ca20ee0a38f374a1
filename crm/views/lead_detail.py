"""The lead page: facts with inline edit, timeline, notes, tasks, stage and owner."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.forms import LawfulBasisForm, LeadFactsForm, NoteForm, TaskForm
from crm.models import Lead, Stage, User
from crm.selectors import active_users, lead_for_page, lead_page
from crm.services.consent import SOURCE_SUGGESTIONS, lead_consent_withdraw, lead_lawful_basis_set
from crm.services.leads import lead_assign_owner, lead_move_stage, lead_update
from crm.services.leads import lead_claim as lead_claim_service
from crm.services.leads import lead_promote as lead_promote_service
from crm.services.timeline import shown_value
from crm.services.versions import StaleEdit, lead_values_at, lead_version
from crm.services.work import note_create, task_create
from leadflow.params import id_or_404
from leadflow.roles import can_edit_lead, require_edit_lead

# The timeline names a lead's company "company"; the facts form types it as a name.
FORM_FIELD_OF_FACT = {"company": "company_name", "company_id": "company_name"}


def _typed_text(value: object) -> str:
    """A value as a form field holds it when typed: text, "" for nothing."""
    return "" if value is None else str(value)


def _visible_lead(request: HttpRequest, pk: int) -> Lead:
    try:
        return lead_for_page(request.user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404("No such lead.") from exc


def _page_context(request: HttpRequest, lead: Lead, **forms) -> dict:
    return {
        "page": lead_page(lead),
        "lead": lead,
        "can_edit": can_edit_lead(request.user, lead),
        "users": active_users(),
        "note_form": forms.get("note_form") or NoteForm(),
        "task_form": forms.get("task_form") or TaskForm(lead=lead),
        "facts_form": forms.get("facts_form"),
        "basis_form": forms.get("basis_form")
        or LawfulBasisForm(initial={"lawful_basis": lead.lawful_basis, "source": lead.lawful_basis_source}),
        "basis_sources": SOURCE_SUGGESTIONS,
        "version": lead_version(lead),
    }


def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    return render(request, "crm/lead_detail.html", _page_context(request, lead))


def lead_facts(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the facts as an edit form (htmx swaps it in); POST: save and show the facts again."""
    lead = _visible_lead(request, pk)
    if request.method == "GET" and "cancel" in request.GET:
        return render(request, "crm/lead_detail.html#facts", _page_context(request, lead))
    require_edit_lead(request.user, lead)
    form = LeadFactsForm(request.POST or None, instance=Lead.objects.get(pk=lead.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in LeadFactsForm.Meta.fields}
        try:
            lead_update(
                lead=lead,
                actor=request.user,
                tags=data["tags"],
                company_name=data["company_name"],
                seen_version=request.POST.get("version", ""),
                **changes,
            )
        except StaleEdit as exc:
            lead = _visible_lead(request, pk)
            form = _stale_form_merged(form, lead, seen_version=request.POST.get("version", ""))
            form.add_error(None, exc)
            form.add_error(None, "Not saved. What you typed is kept; fields changed meanwhile show their new value.")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            lead = _visible_lead(request, pk)
            template = "crm/lead_detail.html#facts_saved" if request.htmx else "crm/lead_detail.html"
            return render(request, template, _page_context(request, lead))
    # The whole facts panel, as its Edit link's hx-target (#facts) holds it: with the form and its errors.
    template = "crm/lead_detail.html#facts" if request.htmx else "crm/lead_detail.html"
    status = 422 if request.method == "POST" else 200
    return render(request, template, _page_context(request, lead, facts_form=form), status=status)


def _stale_form_merged(form: LeadFactsForm, lead: Lead, *, seen_version: str) -> LeadFactsForm:
    """The refused form again, on the lead as it is now (and its version): a field someone else changed meanwhile
    that this user left as it was takes the new value, so saving again loses nothing; one both changed keeps what
    was typed, with the new value beside it."""
    typed = form.data.copy()
    now = LeadFactsForm(instance=lead)
    conflicts = []
    for name, value_then in lead_values_at(lead, seen_version).items():
        field = FORM_FIELD_OF_FACT.get(name, name)
        if field not in now.fields:
            continue
        value_now = now[field].value()
        if typed.get(field, "") == _typed_text(value_then):
            typed[field] = _typed_text(value_now)
        elif typed.get(field, "") != _typed_text(value_now):
            conflicts.append((field, value_now))
    merged = LeadFactsForm(typed, instance=Lead.objects.get(pk=lead.pk))
    merged.is_valid()
    for field, value_now in conflicts:
        merged.add_error(field, f"Now: {shown_value(_typed_text(value_now))}")
    return merged


def _work_saved_or_errors(request: HttpRequest, lead: Lead, form_name: str, form, save) -> HttpResponse:
    """Run `save` if the form is valid, then show the notes-tasks-timeline block (or the form with its errors and
    what was typed, in the same block: the forms' hx-target is #work)."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not request.htmx:
                return redirect("crm:lead", pk=lead.pk)
            # A note changes the lead's version, which the stage and owner forms carry: they come along.
            lead = _visible_lead(request, lead.pk)
            return render(request, "crm/lead_detail.html#work_saved", _page_context(request, lead))
    template = "crm/lead_detail.html#work" if request.htmx else "crm/lead_detail.html"
    return render(request, template, _page_context(request, lead, **{form_name: form}), status=422)


@require_POST
def lead_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    require_edit_lead(request.user, lead)

    def save(data: dict) -> None:
        note_create(lead=lead, actor=request.user, body=data["body"], tags=data["tags"])

    return _work_saved_or_errors(request, lead, "note_form", NoteForm(request.POST), save)


@require_POST
def lead_task_add(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    require_edit_lead(request.user, lead)

    def save(data: dict) -> None:
        task_create(lead=lead, actor=request.user, **data)

    return _work_saved_or_errors(request, lead, "task_form", TaskForm(request.POST, lead=lead), save)


@require_POST
def lead_stage(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    stage = get_object_or_404(Stage, pk=id_or_404(request.POST.get("stage")))
    try:
        lead_move_stage(
            lead=lead,
            stage=stage,
            actor=request.user,
            seen_version=request.POST.get("version", ""),
            lost_reason=request.POST.get("lost_reason", ""),
        )
    except StaleEdit as exc:
        messages.error(request, f"Stage not changed. {' '.join(exc.messages)} This is the lead as it is now.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("crm:lead", pk=pk)


@require_POST
def lead_claim(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    try:
        lead_claim_service(lead=lead, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{lead.full_name} is yours now.")
    return redirect("crm:lead", pk=pk)


@require_POST
def lead_promote(request: HttpRequest, pk: int) -> HttpResponse:
    """A person says this contact is a lead now (they answered elsewhere, they called)."""
    lead = _visible_lead(request, pk)
    if lead_promote_service(lead=lead, actor=request.user, reason="person"):
        messages.success(request, f"{lead.full_name} is a lead now.")
    return redirect("crm:lead", pk=pk)


@require_POST
def lead_owner(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _visible_lead(request, pk)
    owner_id = request.POST.get("owner")
    owner = get_object_or_404(User, pk=id_or_404(owner_id), is_active=True) if owner_id else None
    try:
        lead_assign_owner(lead=lead, owner=owner, actor=request.user, seen_version=request.POST.get("version", ""))
    except StaleEdit as exc:
        messages.error(request, f"Owner not changed. {' '.join(exc.messages)} This is the lead as it is now.")
    return redirect("crm:lead", pk=pk)


@require_POST
def lead_lawful_basis(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the lawful basis chosen on the page; a value the form refuses shows the page again with why (400)."""
    lead = _visible_lead(request, pk)
    require_edit_lead(request.user, lead)
    form = LawfulBasisForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        lead_lawful_basis_set(
            lead=lead, basis=data["lawful_basis"], source=data["source"] or "Manual", actor=request.user
        )
        messages.success(request, "Lawful basis saved.")
        return redirect("crm:lead", pk=pk)
    context = _page_context(request, lead, basis_form=form)
    return render(request, "crm/lead_detail.html", context, status=400)


@require_POST
def lead_consent_withdrawn(request: HttpRequest, pk: int) -> HttpResponse:
    """The person withdrew consent (told a rep): unsubscribed everywhere, as an unsubscribe link does."""
    lead = _visible_lead(request, pk)
    lead_consent_withdraw(lead=lead, actor=request.user, via="lead page")
    messages.success(request, f"Consent withdrawn: {lead.full_name} is unsubscribed and out of every sequence.")
    return redirect("crm:lead", pk=pk)
