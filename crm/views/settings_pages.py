"""Settings (admins only): pipeline stages and staff accounts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.forms import InviteForm, RoleForm, StageForm
from crm.models import Pipeline, Stage, User
from crm.services.pipelines import pipeline_default, stage_create, stage_update, stages_reorder
from crm.services.pipelines import stage_delete as stage_delete_service
from crm.services.users import user_invite, user_set_active, user_set_role
from leadflow.params import id_or_404
from leadflow.roles import Role, require_admin, role_from_groups, role_of


def _pipeline(request: HttpRequest) -> Pipeline:
    pipeline_id = request.GET.get("pipeline") or request.POST.get("pipeline")
    return get_object_or_404(Pipeline, pk=id_or_404(pipeline_id)) if pipeline_id else pipeline_default()


def _swapped(order: list[int], first: int, second: int) -> list[int]:
    if not (0 <= first < len(order) and 0 <= second < len(order)):
        return order
    swapped = list(order)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    return swapped


def pipeline_settings(request: HttpRequest) -> HttpResponse:
    """List the stages with their lead counts; POST adds a stage."""
    require_admin(request.user)
    pipeline = _pipeline(request)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stage = stage_create(pipeline=pipeline, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Added stage {stage.name}.")
            return redirect("crm:settings_pipeline")
    return render(request, "crm/settings_pipeline.html", {"form": form, **_stages_context(pipeline)})


def _stages_context(pipeline: Pipeline, arrow: str = "") -> dict:
    """The stages in order, each with the orders its arrows post; `arrow` ("<stage id>-up" or "-down", the one just
    pressed) keeps the keyboard's focus on that stage's arrow in the redrawn table, or on its other one at an end."""
    # Ordered explicitly: a grouped query (the lead counts) ignores the model's default ordering.
    stages = list(pipeline.stages.annotate(lead_count=Count("leads")).order_by("position", "id"))
    order = [stage.pk for stage in stages]
    pressed_id, _, direction = arrow.partition("-")
    for index, stage in enumerate(stages):
        # The ↑ and ↓ buttons post the whole new order, so a stale page cannot scramble it.
        stage.move_up_order = _swapped(order, index, index - 1)
        stage.move_down_order = _swapped(order, index, index + 1)
        stage.focused_arrow = None
        if pressed_id == str(stage.pk) and direction in {"up", "down"}:
            at_the_end = index == 0 if direction == "up" else index == len(stages) - 1
            stage.focused_arrow = ({"up": "down", "down": "up"}[direction]) if at_the_end else direction
    return {"pipeline": pipeline, "stages": stages}


@require_POST
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    stage = get_object_or_404(Stage, pk=pk)
    form = StageForm(request.POST, instance=Stage.objects.get(pk=pk))
    if form.is_valid():
        try:
            stage_update(stage=stage, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Saved stage {stage.name}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "; ".join(" ".join(errors) for errors in form.errors.values()))
    return redirect("crm:settings_pipeline")


@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    stage = get_object_or_404(Stage, pk=pk)
    try:
        stage_delete_service(stage=stage, actor=request.user)
        messages.success(request, f"Removed stage {stage.name}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("crm:settings_pipeline")


@require_POST
def stage_order_save(request: HttpRequest) -> HttpResponse:
    """Save a new order of stages (a drag or an arrow); htmx gets the table redrawn from what was saved."""
    require_admin(request.user)
    pipeline = _pipeline(request)
    status = 200
    try:
        stage_ids = [id_or_404(value) for value in request.POST.getlist("stage")]
        stages_reorder(pipeline=pipeline, actor=request.user, stage_ids=stage_ids)
        messages.success(request, "Saved the order of stages.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        status = 422
    if not request.htmx:
        return redirect(reverse("crm:settings_pipeline") + f"?pipeline={pipeline.pk}")
    context = _stages_context(pipeline, arrow=request.POST.get("arrow", ""))
    return render(request, "crm/settings_pipeline.html#stages", context, status=status)


def users_settings(request: HttpRequest) -> HttpResponse:
    """Staff accounts with their roles; POST invites someone by email."""
    require_admin(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_invite(
                request=request,
                actor=request.user,
                email=data["email"],
                role=Role(data["role"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Invited {user.email}; they will get an email with a link to set a password.")
            return redirect("crm:settings_users")
    users = list(User.objects.prefetch_related("groups").order_by("-is_active", "email"))
    for user in users:
        user.role_name = role_from_groups(user, {group.name for group in user.groups.all()}) or "—"
    return render(request, "crm/settings_users.html", {"users": users, "form": form, "roles": list(Role)})


@require_POST
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a user's role, or deactivate / reactivate them."""
    require_admin(request.user)
    user = get_object_or_404(User, pk=pk)
    try:
        if "active" in request.POST:
            active = request.POST["active"] == "1"
            user_set_active(user=user, active=active, actor=request.user)
            messages.success(request, f"{'Reactivated' if active else 'Deactivated'} {user.email}.")
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose a role.")
            user_set_role(user=user, role=Role(form.cleaned_data["role"]), actor=request.user)
            messages.success(request, f"{user.email} is now {role_of(user)}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("crm:settings_users")
