"""Reps: for each member of the team, the leads they own, tasks done and overdue, replies answered and how fast,
stage moves, and deals won."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from analytics.cohort import in_range
from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import FIRST_DAY, LAST_DAY, Split, rollups_split
from analytics.scoping import lead_q
from analytics.sql import median_by_group, seconds_between
from crm.models import Lead, Stage, StageChange, Task, User
from outreach.models import ConversationMessage

FIGURES = ("leads_owned", "tasks_done", "tasks_overdue", "replies", "replies_answered", "stage_moves", "won")


def _first_answer_after():
    """When a person of the team first wrote in the same thread after the lead's message."""
    answers = ConversationMessage.objects.filter(
        conversation=OuterRef("conversation_id"),
        direction=ConversationMessage.Direction.OUT,
        author__isnull=False,
        occurred_at__gt=OuterRef("occurred_at"),
    ).order_by("occurred_at")
    return Subquery(answers.values("occurred_at")[:1])


def replies_received(scope: Scope) -> QuerySet:
    """The leads' messages received in the range, with when a person of the team first answered each."""
    return (
        ConversationMessage.objects.filter(
            in_range(scope, "occurred_at"),
            lead_q(scope, "conversation__lead__"),
            direction=ConversationMessage.Direction.IN,
            kind=ConversationMessage.Kind.MESSAGE,
        )
        .order_by()
        .annotate(answered_at=_first_answer_after())
    )


def reply_figures(scope: Scope) -> dict[int | None, dict]:
    """Per conversation assignee: the lead's messages received in the range, those a person answered, and the median
    time to that first answer (seconds)."""
    received = replies_received(scope)
    counted = received.values("conversation__assigned_to_id").annotate(
        replies=Count("pk"), replies_answered=Count("answered_at")
    )
    figures = {row.pop("conversation__assigned_to_id"): {**row, "response_seconds": None} for row in counted}
    answers = received.values(grp=F("conversation__assigned_to_id"), asked=F("occurred_at"), answered=F("answered_at"))
    answers_sql, params = answers.query.sql_with_params()
    values_sql = f"SELECT r.grp AS grp, {seconds_between('r.answered', 'r.asked')} AS value FROM ({answers_sql}) AS r"  # noqa: S608
    for assignee, median in median_by_group(values_sql, params).items():
        figures[assignee]["response_seconds"] = median
    return figures


def deals_won(scope: Scope) -> QuerySet:
    """Moves into a won stage in the range (from any other: a move between won stages wins nothing new)."""
    return (
        StageChange.objects.filter(
            in_range(scope, "created_at"), lead_q(scope, "lead__"), to_stage__kind=Stage.Kind.WON
        )
        .exclude(from_stage__kind=Stage.Kind.WON)
        .order_by()
    )


def stage_moves(scope: Scope) -> QuerySet:
    return StageChange.objects.filter(
        in_range(scope, "created_at"), lead_q(scope, "lead__"), from_stage__isnull=False
    ).order_by()


def tasks_done(scope: Scope) -> QuerySet:
    return Task.objects.filter(in_range(scope, "done_at"), lead_q(scope, "lead__"), done=True).order_by()


def _live(scope: Scope, put) -> None:
    leads = Lead.objects.filter(lead_q(scope)).order_by()
    put(leads.values("owner_id").annotate(leads_owned=Count("pk")), "owner_id", ("leads_owned",))
    put(tasks_done(scope).values("assignee_id").annotate(tasks_done=Count("pk")), "assignee_id", ("tasks_done",))
    for assignee, row in reply_figures(scope).items():
        put([{"assignee": assignee, **row}], "assignee", tuple(row))
    put(stage_moves(scope).values("actor_id").annotate(stage_moves=Count("pk")), "actor_id", ("stage_moves",))
    won = deals_won(scope).values("lead__owner_id").annotate(won=Count("lead", distinct=True))
    put(won, "lead__owner_id", ("won",))


def _rolled_up(split: Split, put) -> None:
    owned = split.over(FIRST_DAY, LAST_DAY).rows("added", ("owner_id",))
    put(
        [{"owner_id": owner, "leads_owned": row["added"]} for (owner,), row in owned.items()],
        "owner_id",
        ("leads_owned",),
    )
    for kind, figure in (
        ("tasks_done", "tasks_done"),
        ("received", "replies"),
        ("answered", "replies_answered"),
        ("moves", "stage_moves"),
    ):
        counted = split.rows("rep_events", ("person_id",), kind=kind)
        put([{"person_id": person, figure: row["n"]} for (person,), row in counted.items()], "person_id", (figure,))
    medians = split.medians("response_durations")
    if medians is None:
        medians = {person: row["response_seconds"] for person, row in reply_figures(split.scope).items()}
    put(
        [{"person_id": person, "response_seconds": median} for person, median in medians.items()],
        "person_id",
        ("response_seconds",),
    )
    won = split.distinct("won_leads", ("owner_id",))
    put([{"owner_id": owner, "won": count} for (_, owner), count in won.items()], "owner_id", ("won",))  # fmt: skip


def rep_rows(scope: Scope) -> list[dict]:
    figures: dict[int | None, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0) | {"response_seconds": None})

    def put(rows, key: str, names: tuple[str, ...]) -> None:
        for row in rows:
            figures[row[key]].update({name: row[name] for name in names})

    split = rollups_split(scope)
    if split is not None:
        _rolled_up(split, put)
    else:
        _live(scope, put)
    # Open tasks overdue now: a figure of this moment, counted live either way (task_open_due covers it).
    overdue = Task.objects.filter(lead_q(scope, "lead__"), done=False, due_at__lt=timezone.now()).order_by()
    if scope.owner_id is not None:
        overdue = overdue.filter(assignee_id=scope.owner_id)  # the one row shown (below): only theirs to join
    put(overdue.values("assignee_id").annotate(tasks_overdue=Count("pk")), "assignee_id", ("tasks_overdue",))

    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[pk for pk in figures if pk is not None])}
    # A rep sees their own row: the scope's owner filter holds them to their leads, and other people's rows would
    # only show the part of their work that touches this rep's leads.
    shown = [pk for pk in figures if pk is None or pk in names]  # a deleted user's figures have no one to show
    if scope.owner_id is not None:
        shown = [pk for pk in shown if pk == scope.owner_id]
    rows = [{"rep": names.get(pk, "Unassigned"), **figures[pk]} for pk in shown]
    rows.sort(key=lambda row: (row["rep"] == "Unassigned", row["rep"]))
    return rows


@report("reps", "Reps", order=50)
def reps_report(scope: Scope) -> list[Table]:
    return [
        Table(
            "reps",
            "Reps",
            [
                Column("rep", "Rep"),
                Column("leads_owned", "Leads owned", "int"),
                Column("tasks_done", "Tasks done", "int"),
                Column("tasks_overdue", "Tasks overdue now", "int"),
                Column("replies", "Replies received", "int"),
                Column("replies_answered", "Replies answered", "int"),
                Column("response_seconds", "Median first response", "duration"),
                Column("stage_moves", "Stage moves", "int"),
                Column("won", "Won", "int"),
            ],
            rep_rows(scope),
            chart=Chart("bar", "rep", ("won", "stage_moves")),
            note="Leads matching the filters. Leads owned: now. Tasks done in the date range and open tasks overdue "
            "now, by assignee. Replies: the leads' messages received in the range, by the conversation's assignee; "
            "answered when a person of the team wrote in the thread afterwards, timed to that first answer. Stage "
            "moves in the range by who made them; won: leads moved into a won stage in the range, by their owner.",
        )
    ]
