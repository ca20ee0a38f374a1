"""What counts as a reply, a meeting, a qualified lead and a win: one definition each, for every report, the
dashboard's figures and the weekly email."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from crm.models import Activity, Stage, StageChange
from crm.rescoring import scoring_settings

# The default pipeline's stage for a booked meeting; a move into a stage of this name counts as one.
MEETING_STAGE_NAME = "Meeting booked"


def replied() -> Q:
    """The lead has replied (outreach writes a Replied line on its timeline for each reply)."""
    return Q(Exists(Activity.objects.filter(lead_id=OuterRef("pk"), kind=Activity.Kind.REPLIED)))


def meeting_stage_ids() -> list[int]:
    """The stages named Meeting booked (any pipeline), read once: a join to stages per lead cost more than the rest."""
    return list(Stage.objects.filter(name__iexact=MEETING_STAGE_NAME).values_list("pk", flat=True))


def met() -> Q:
    """A meeting was booked: a Meeting booked line on the timeline, or a move into the Meeting booked stage."""
    booked = Activity.objects.filter(lead_id=OuterRef("pk"), kind=Activity.Kind.MEETING_BOOKED)
    moved = StageChange.objects.filter(lead_id=OuterRef("pk"), to_stage_id__in=meeting_stage_ids())
    return Q(Exists(booked)) | Q(Exists(moved))


def won() -> Q:
    return Q(stage__kind=Stage.Kind.WON)


def qualified_thresholds() -> tuple[int, int]:
    """The MQL and SQL score thresholds, as the scoring settings say today."""
    config = scoring_settings()
    return config.mql_threshold, config.sql_threshold
