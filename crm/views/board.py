"""The pipeline as a Kanban board: columns of cards, drag to move, more cards on demand."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.models import Lead, Pipeline, Stage
from crm.selectors import active_users, board_column_cards, board_columns, board_leads, board_totals, leads_visible_to
from crm.services.leads import lead_move_stage
from crm.services.pipelines import pipeline_default


def _owner_id(request: HttpRequest) -> int | None:
    value = request.GET.get("owner", "")
    return int(value) if value.isdigit() else None


def _lead_url_prefix() -> str:
    """The lead page URL without its id: reversing it once, not once for each of hundreds of cards."""
    return reverse("crm:lead", args=[0]).removesuffix("0/")


def board(request: HttpRequest) -> HttpResponse:
    pipeline_id = request.GET.get("pipeline", "")
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id) if pipeline_id.isdigit() else pipeline_default()
    owner_id = _owner_id(request)
    context = {
        "pipeline": pipeline,
        "pipelines": Pipeline.objects.all(),
        "columns": board_columns(pipeline, request.user, owner_id),
        "owners": active_users(),
        "owner_id": owner_id,
        "lead_url_prefix": _lead_url_prefix(),
    }
    template = "crm/board.html#columns" if request.htmx and not request.htmx.boosted else "crm/board.html"
    return render(request, template, context)


def board_cards(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of one column, for the "Show more" button."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
    offset = int(value) if (value := request.GET.get("offset", "")).isdigit() else 0
    owner_id = _owner_id(request)
    leads = board_leads(stage.pipeline, request.user, owner_id)
    cards = board_column_cards(leads, stage, offset)
    next_offset = offset + settings.BOARD_COLUMN_SIZE
    has_more = len(cards) == settings.BOARD_COLUMN_SIZE and leads.filter(stage=stage).count() > next_offset
    context = {
        "stage": stage,
        "cards": cards,
        "has_more": has_more,
        "next_offset": next_offset,
        "owner_id": owner_id,
        "lead_url_prefix": _lead_url_prefix(),
    }
    return render(request, "crm/board.html#more_cards", context)


@require_POST
def board_move(request: HttpRequest) -> JsonResponse:
    """Save a drag: the card names the stage it was dragged from, so a stale drag is refused."""
    try:
        lead = leads_visible_to(request.user).get(pk=request.POST.get("lead", ""))
        stage = Stage.objects.get(pk=request.POST.get("stage", ""))
        from_stage = int(request.POST.get("from_stage", ""))
    except (Lead.DoesNotExist, ValueError):
        return JsonResponse({"ok": False, "message": "That lead is gone or not yours to see."}, status=404)
    except Stage.DoesNotExist:
        return JsonResponse({"ok": False, "message": "That stage no longer exists; reload the board."}, status=409)
    try:
        lead_move_stage(lead=lead, stage=stage, actor=request.user, expected_stage_id=from_stage)
    except PermissionDenied as exc:
        return JsonResponse({"ok": False, "message": str(exc) or "You cannot move this lead."}, status=403)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "message": " ".join(exc.messages)}, status=409)
    leads = board_leads(stage.pipeline, request.user, _owner_id(request)).filter(stage_id__in=[from_stage, stage.pk])
    totals = board_totals(leads)
    columns = {
        str(stage_id): {
            "count": totals.get(stage_id, {}).get("count", 0),
            "total": str(totals.get(stage_id, {}).get("total") or 0),
        }
        for stage_id in (from_stage, stage.pk)
    }
    return JsonResponse({"ok": True, "message": f"{lead.full_name} moved to {stage.name}.", "columns": columns})
