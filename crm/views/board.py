"""The pipeline as a Kanban board: columns of cards, drag to move, more cards on demand."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from crm.locale import money_format
from crm.models import Lead, Pipeline, Stage
from crm.selectors import (
    active_users,
    board_cards_facts,
    board_column_cards,
    board_columns,
    board_leads,
    leads_visible_to,
    owners_visible_to,
)
from crm.services.leads import lead_move_stage
from crm.services.pipelines import pipeline_default
from crm.stage_totals import stage_totals
from crm.views.links import lead_url_prefix
from leadflow.params import count_or, id_or_404, id_or_none


def _owner_id(request: HttpRequest) -> int | None:
    return id_or_none(request.GET.get("owner"))


def board(request: HttpRequest) -> HttpResponse:
    pipeline_id = request.GET.get("pipeline")
    pipeline = get_object_or_404(Pipeline, pk=id_or_404(pipeline_id)) if pipeline_id else pipeline_default()
    owner_id = _owner_id(request)
    context = {
        "pipeline": pipeline,
        "pipelines": Pipeline.objects.all(),
        "columns": board_columns(pipeline, request.user, owner_id),
        "owners": active_users(),
        "owner_id": owner_id,
        "lead_url_prefix": lead_url_prefix(),
    }
    template = "crm/board.html#columns" if request.htmx and not request.htmx.boosted else "crm/board.html"
    return render(request, template, context)


def board_cards(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of one column, for the "Show more" button."""
    stage = get_object_or_404(Stage, pk=stage_id)
    offset = count_or(request.GET.get("offset"))
    owner_id = _owner_id(request)
    leads = board_leads([stage.pk], request.user, owner_id)
    cards = board_column_cards(leads, stage, offset)
    board_cards_facts(cards, request.user)
    next_offset = offset + settings.BOARD_COLUMN_SIZE
    if len(cards) == settings.BOARD_COLUMN_SIZE:
        total = stage_totals([stage.pk], owners_visible_to(request.user), owner_id).get(stage.pk, {})
        has_more = total.get("count", 0) > next_offset
    else:
        has_more = False
    context = {
        "stage": stage,
        "cards": cards,
        "has_more": has_more,
        "next_offset": next_offset,
        "owner_id": owner_id,
        "lead_url_prefix": lead_url_prefix(),
    }
    return render(request, "crm/board.html#more_cards", context)


@require_POST
def board_move(request: HttpRequest) -> JsonResponse:
    """Save a drag or a "Move to…": the card names the stage it came from, so a stale move is refused; a move to a lost
    stage carries the reason."""
    lead_id, stage_id, from_stage = (id_or_none(request.POST.get(name)) for name in ("lead", "stage", "from_stage"))
    lost_reason = request.POST.get("lost_reason", "")
    try:
        lead = leads_visible_to(request.user).get(pk=lead_id)
        stage = Stage.objects.get(pk=stage_id)
    except Lead.DoesNotExist:
        return JsonResponse({"ok": False, "message": "That lead is gone or not yours to see."}, status=404)
    except Stage.DoesNotExist:
        return JsonResponse({"ok": False, "message": "That stage no longer exists; reload the board."}, status=409)
    if from_stage is None:
        return JsonResponse(
            {"ok": False, "message": "The card did not say where it came from; reload the board."}, status=400
        )
    try:
        lead_move_stage(
            lead=lead, stage=stage, actor=request.user, expected_stage_id=from_stage, lost_reason=lost_reason
        )
    except PermissionDenied as exc:
        return JsonResponse({"ok": False, "message": str(exc) or "You cannot move this lead."}, status=403)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "message": " ".join(exc.messages)}, status=409)
    totals = stage_totals([from_stage, stage.pk], owners_visible_to(request.user), _owner_id(request))
    columns = {
        str(stage_id): {
            "count": totals.get(stage_id, {}).get("count", 0),
            "total": money_format(totals.get(stage_id, {}).get("total", 0)),
        }
        for stage_id in (from_stage, stage.pk)
    }
    return JsonResponse({"ok": True, "message": f"{lead.full_name} moved to {stage.name}.", "columns": columns})
