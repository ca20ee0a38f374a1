"""Settings, Scoring tab: weights, thresholds, what crossing them does, and the ideal-customer profiles. Everyone
may look; managers and admins change them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.forms_scoring import ProfileForm, ScoringSettingsForm
from crm.models import IdealCustomerProfile, Pipeline
from crm.rescoring import scoring_settings
from crm.selectors import profile_default
from crm.services.scores import PROFILE_LISTS, profile_save, rescore_all_queue, scoring_settings_update
from leadflow.params import id_or_404
from leadflow.roles import can_reassign

SETTINGS_FIELDS = [*ScoringSettingsForm.base_fields]


def _require_manager(request: HttpRequest) -> None:
    if not can_reassign(request.user):
        raise PermissionDenied("Only managers and admins can change scoring.")


def _profile_of(request: HttpRequest) -> tuple[Pipeline | None, IdealCustomerProfile | None]:
    """The pipeline whose profile is shown (?pipeline=id; none: the default profile) and its profile, if any."""
    pipeline_id = request.GET.get("pipeline") or request.POST.get("pipeline")
    if not pipeline_id:
        return None, profile_default()
    pipeline = get_object_or_404(Pipeline, pk=id_or_404(pipeline_id))
    return pipeline, IdealCustomerProfile.objects.filter(pipeline=pipeline).first()


def scoring_settings_page(request: HttpRequest) -> HttpResponse:
    record = scoring_settings()
    initial = {name: getattr(record, name) for name in SETTINGS_FIELDS if name != "stage"}
    initial["stage"] = record.sql_stage_id
    pipeline, profile = _profile_of(request)
    settings_form = ScoringSettingsForm(initial=initial)
    profile_form = ProfileForm(instance=profile or IdealCustomerProfile(name=pipeline.name if pipeline else ""))
    status = 200
    if request.method == "POST":
        _require_manager(request)
        if "save_settings" in request.POST:
            settings_form = ScoringSettingsForm(request.POST, initial=initial)
            if _settings_saved(request, settings_form):
                return redirect("crm:settings_scoring")
        else:
            profile_form = ProfileForm(request.POST, instance=profile)
            if _profile_saved(request, profile_form, profile, pipeline):
                return redirect(_here(pipeline))
        status = 422
    context = {
        "settings_form": settings_form,
        "profile_form": profile_form,
        "record": record,
        "pipeline": pipeline,
        "pipelines": Pipeline.objects.all(),
        "can_change": can_reassign(request.user),
    }
    return render(request, "crm/settings_scoring.html", context, status=status)


def _here(pipeline: Pipeline | None) -> str:
    url = reverse("crm:settings_scoring")
    return f"{url}?pipeline={pipeline.pk}" if pipeline else url


def _settings_saved(request: HttpRequest, form: ScoringSettingsForm) -> bool:
    if not form.is_valid():
        return False
    try:
        scoring_settings_update(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    messages.success(request, "Saved. Every lead is being rescored.")
    return True


def _profile_saved(
    request: HttpRequest, form: ProfileForm, profile: IdealCustomerProfile | None, pipeline: Pipeline | None
) -> bool:
    if not form.is_valid():
        return False
    values = {name: form.cleaned_data[name] for name in (*form.Meta.fields, *PROFILE_LISTS)}
    try:
        profile_save(actor=request.user, profile=profile, pipeline=pipeline, **values)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    messages.success(request, "Profile saved. Every lead is being rescored.")
    return True


@require_POST
def rescore_all(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    rescore_all_queue()
    messages.success(request, "Every lead is being rescored; scores change as the job goes.")
    return redirect("crm:settings_scoring")
