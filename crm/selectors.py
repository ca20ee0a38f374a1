"""Reads shared by pages, admin and API, with their joins, so query counts stay fixed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from crm.models import (
    Activity,
    CrmLink,
    DoNotCallNumber,
    IdealCustomerProfile,
    ImportJob,
    Lead,
    LeadList,
    Note,
    Pipeline,
    Stage,
    StageChange,
    Task,
    User,
)
from crm.privacy.suppression import Identity, people_suppressed
from crm.stage_totals import stage_totals
from leadflow.roles import (
    Role,
    can_edit_owned_by,
    can_take_task_on_owned_by,
    role_of,
    role_remember_from_prefetched_groups,
    sees_all_leads,
)


def owners_visible_to(user: User) -> list[int | None] | None:
    """The one answer to "whose leads may this user see": None for everyone's; else the owners' ids, None standing
    for unassigned leads. Reps see theirs and unassigned ones."""
    if sees_all_leads(user):
        return None
    if role_of(user) == Role.REP:
        return [user.pk, None]
    return []


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """The leads this user may see (owners_visible_to)."""
    leads = Lead.objects.all()
    owners = owners_visible_to(user)
    if owners is None:
        return leads
    if not owners:
        return leads.none()
    seen = Q(owner_id__in=[owner for owner in owners if owner is not None])
    return leads.filter(seen | Q(owner__isnull=True) if None in owners else seen)


def leads_with_email(user: User, email: str) -> list[Lead]:
    """The leads this user may see that already have this address, as their main one or among their others, in any
    letter case. Leads the user may not see stay unmentioned (DESIGN.md: matching reveals nothing)."""
    if not email:
        return []
    address = email.lower()
    candidates = leads_visible_to(user).filter(Q(email__iexact=address) | Q(other_emails__icontains=address))
    # icontains finds "ann@x.com" inside "joann@x.com" too: keep the leads that hold the address itself.
    return [
        lead
        for lead in candidates.select_related("owner").order_by("created_at", "id")
        if lead.email.lower() == address or address in (str(other).lower() for other in lead.other_emails)
    ]


def lead_table_rows(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """What a row of the leads table shows, fetched in two queries whatever the page size."""
    return leads.select_related("company", "owner", "stage").prefetch_related("tags")


def profile_default() -> IdealCustomerProfile:
    """The default ideal-customer profile, created empty the first time it is needed."""
    profile = IdealCustomerProfile.objects.filter(pipeline__isnull=True).order_by("pk").first()
    return profile or IdealCustomerProfile.objects.create(name="Default profile")


def profile_for(lead: Lead) -> IdealCustomerProfile:
    """The profile of the lead's pipeline, else the default one."""
    own = IdealCustomerProfile.objects.filter(pipeline__stages=lead.stage_id).first()
    return own or profile_default()


def lead_for_page(user: User, pk: int) -> Lead:
    related = ["company", "owner", "stage__pipeline", "import_job__created_by"]
    return leads_visible_to(user).select_related(*related).get(pk=pk)


@dataclass
class LeadPage:
    lead: Lead
    activities: list[Activity]
    notes: list[Note]
    open_tasks: list[Task]
    done_tasks: list[Task]
    stages: list[Stage]
    lists: list[LeadList]
    local_time: str  # "14:05" where the lead is, from its time zone; "" without one
    not_to_call: set[str]  # the lead's numbers that are on the do-not-call list
    crm_links: list[CrmLink]  # its records in connected CRMs (Settings → CRM sync)


def lead_page(lead: Lead, timeline_size: int = 50) -> LeadPage:
    """Everything the lead page shows, in a fixed number of queries."""
    tasks = list(lead.tasks.select_related("assignee"))
    activities = list(lead.activities.select_related("actor")[:timeline_size])
    notes = list(lead.notes.select_related("author").prefetch_related("tags")[:timeline_size])
    notes_by_id = {note.pk: note for note in notes}
    for activity in activities:
        # A note's timeline line shows the note itself, with its tags.
        activity.note = notes_by_id.get(activity.data.get("note")) if activity.kind == Activity.Kind.NOTE else None
    # Notes with no line of their own (imports once wrote none) are on the timeline all the same, in their place.
    lined = {activity.note.pk for activity in activities if activity.note}
    unlined = [_note_line(note) for note in notes if note.pk not in lined]
    if unlined:
        activities = sorted([*activities, *unlined], key=lambda a: a.created_at, reverse=True)[:timeline_size]
    if (
        len(activities) < timeline_size
        and lead.import_job
        and not any(a.kind == Activity.Kind.CREATED for a in activities)
    ):
        activities.append(_import_line(lead))
    return LeadPage(
        lead=lead,
        activities=activities,
        notes=notes,
        open_tasks=[task for task in tasks if not task.done],
        done_tasks=[task for task in tasks if task.done],
        stages=list(lead.stage.pipeline.stages.all()),
        lists=list(lead.lists.filter(archived=False)),
        local_time=lead_local_time(lead),
        not_to_call=numbers_not_to_call([lead.phone, *lead.other_phones]),
        crm_links=lead_crm_links(lead),
    )


def lead_crm_links(lead: Lead) -> list[CrmLink]:
    """The lead's records in connected CRMs, with their connections, by connection name."""
    return list(lead.crm_links.select_related("connection").order_by("connection__name"))


def numbers_not_to_call(numbers: Iterable[str]) -> set[str]:
    """Which of these numbers (E.164) are on the do-not-call list, or belong to a person erased at their request
    (kept as a keyed hash, crm.privacy): the one question every dialler and sender asks."""
    wanted = [number for number in numbers if number]
    if not wanted:
        return set()
    listed = set(DoNotCallNumber.objects.filter(number__in=wanted).values_list("number", flat=True))
    erased = people_suppressed([Identity(phones=[number]) for number in wanted])
    return listed | {wanted[position] for position in erased}


def lead_local_time(lead: Lead, now: datetime | None = None) -> str:
    """The time of day where the lead is ("14:05"), from its time zone; "" when it has none we know."""
    try:
        zone = ZoneInfo(lead.time_zone) if lead.time_zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # an old value this machine's zone database lacks
    if zone is None:
        return ""
    return f"{(now or timezone.now()).astimezone(zone):%H:%M}"


def _note_line(note: Note) -> Activity:
    activity = Activity(
        lead_id=note.lead_id,
        actor=note.author,
        kind=Activity.Kind.NOTE,
        summary=f"Note: {note.body[:120]}",
        created_at=note.created_at,
    )
    activity.note = note
    return activity


def _import_line(lead: Lead) -> Activity:
    """The first line of an imported lead's timeline, from its import job: imports write no row for it."""
    job = lead.import_job
    activity = Activity(
        lead=lead,
        actor=job.created_by,
        kind=Activity.Kind.CREATED,
        summary=f"Imported from {job.original_name}"[:300],
        created_at=lead.created_at,
    )
    activity.note = None
    return activity


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def task_assignees_for(lead: Lead) -> QuerySet[User]:
    """The active users a task on this lead may be given to: those who see the lead and may act on it."""
    allowed = []
    for user in active_users().prefetch_related("groups"):
        role_remember_from_prefetched_groups(user)
        if can_take_task_on_owned_by(user, lead.owner_id):
            allowed.append(user.pk)
    return active_users().filter(pk__in=allowed)


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    total_value: Decimal
    cards: list[Lead]

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count


def board_leads(stage_ids: list[int], user: User, owner_id: int | None) -> QuerySet[Lead]:
    """The leads of these stages the user sees on the board; by stage ids, as a join to the pipeline made the
    column totals (a scan of every lead) three times slower on PostgreSQL."""
    leads = leads_visible_to(user).filter(stage_id__in=stage_ids)
    if owner_id:
        leads = leads.filter(owner_id=owner_id)
    return leads


# What a card shows, and nothing more: a board fetches hundreds of cards, and every column costs time.
BOARD_CARD_FIELDS = [
    "first_name",
    "last_name",
    "stage_id",
    "owner_id",
    "deal_value",
    "score",
    "created_at",
    "updated_at",
    "company__name",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
]


def board_column_cards(leads: QuerySet[Lead], stage: Stage, offset: int = 0) -> list[Lead]:
    """One page of a column's cards, most recently changed first."""
    size = settings.BOARD_COLUMN_SIZE
    return list(
        leads.filter(stage=stage)
        .select_related("company", "owner")
        .only(*BOARD_CARD_FIELDS)
        .order_by("-updated_at", "-id")[offset : offset + size]
    )


def board_cards_facts(cards: list[Lead], user: User) -> None:
    """Add what each card shows beyond its lead: its next open task, days in its stage, whether the user may move it;
    two queries whatever the number of cards (one subquery per column cost more to build than to run)."""
    card_ids = [card.pk for card in cards]
    moves = StageChange.objects.filter(lead_id__in=card_ids).order_by().values("lead_id", "to_stage_id")
    entered = {(row["lead_id"], row["to_stage_id"]): row["at"] for row in moves.annotate(at=Max("created_at"))}
    # Only each card's first open task leaves the database: a lead given a task per ad-form answer held 2,800 of
    # them, which the board built as objects on every visit (70 ms). `done` too: the overdue check reads it.
    first = Window(RowNumber(), partition_by=F("lead_id"), order_by=[F("due_at").asc(nulls_last=True), F("id").asc()])
    open_tasks = Task.objects.filter(lead_id__in=card_ids, done=False).annotate(place=first).filter(place=1)
    next_tasks = {task.lead_id: task for task in open_tasks.only("lead_id", "title", "due_at", "done")}
    today = timezone.now()
    for card in cards:
        card.next_task = next_tasks.get(card.pk)
        # A lead saved straight into its stage (an import, a bulk load) has no StageChange: it entered on creation.
        card.days_in_stage = (today - entered.get((card.pk, card.stage_id), card.created_at)).days
        card.movable = can_edit_owned_by(user, card.owner_id)


def board_totals(leads: QuerySet[Lead]) -> dict[int, dict]:
    """Count and total deal value per stage, in one grouped query."""
    rows = leads.order_by().values("stage").annotate(count=Count("*"), total=Sum("deal_value"))
    return {row["stage"]: row for row in rows}


def board_columns(pipeline: Pipeline, user: User, owner_id: int | None = None) -> list[BoardColumn]:
    """The Kanban board: one query for the totals (kept per stage by the database), one for the first cards of each
    stage (by index), two for what the cards show beyond their leads."""
    stages = list(pipeline.stages.all())
    stage_ids = [stage.pk for stage in stages]
    leads = board_leads(stage_ids, user, owner_id)
    totals = stage_totals(stage_ids, owners_visible_to(user), owner_id)
    columns = []
    for stage in stages:
        row = totals.get(stage.pk, {})
        columns.append(
            BoardColumn(
                stage=stage,
                count=row.get("count", 0),
                total_value=row.get("total", Decimal(0)),
                cards=board_column_cards(leads, stage),
            )
        )
    board_cards_facts([card for column in columns for card in column.cards], user)
    return columns


def tasks_for(user: User) -> QuerySet[Task]:
    return (
        Task.objects.filter(assignee=user, done=False)
        .select_related("lead__company")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def end_of_day(moment: datetime) -> datetime:
    """Midnight after `moment`, in the site's time zone."""
    day = timezone.localtime(moment).date()
    return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(days=1)


@dataclass
class TaskBuckets:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]


def task_buckets(user: User, now: datetime | None = None) -> TaskBuckets:
    """A user's open tasks split into overdue, due today and upcoming (undated last), in one query."""
    now = now or timezone.now()
    end_of_today = end_of_day(now)
    buckets = TaskBuckets(overdue=[], today=[], upcoming=[])
    for task in tasks_for(user):
        if task.due_at is None or task.due_at >= end_of_today:
            buckets.upcoming.append(task)
        elif task.due_at < now:
            buckets.overdue.append(task)
        else:
            buckets.today.append(task)
    return buckets


# The dashboard lists this many of a user's overdue tasks, and of those due today; the tasks page lists them all.
DASHBOARD_TASKS = 10


@dataclass
class DueTasks:
    """A user's open tasks overdue and due later today: how many of each, and the first few (soonest due first)."""

    overdue: list[Task]
    today: list[Task]
    overdue_count: int
    today_count: int


def due_tasks(user: User, now: datetime | None = None, shown: int = DASHBOARD_TASKS) -> DueTasks:
    """Counted and listed from the assignee's index: a rep with thousands of overdue tasks costs the same."""
    now = now or timezone.now()
    end_of_today = end_of_day(now)
    counts = Task.objects.filter(assignee=user, done=False, due_at__lt=end_of_today).aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)), today=Count("pk", filter=Q(due_at__gte=now))
    )
    return DueTasks(
        overdue=list(tasks_for(user).filter(due_at__lt=now)[:shown]),
        today=list(tasks_for(user).filter(due_at__gte=now, due_at__lt=end_of_today)[:shown]),
        overdue_count=counts["overdue"],
        today_count=counts["today"],
    )


@dataclass
class Dashboard:
    contacts: int
    leads: int
    pipeline: list[BoardColumn]
    tasks: DueTasks
    recent: list[Activity]


def dashboard(user: User) -> Dashboard:
    # The contact and lead counts and the pipeline's columns from the totals the database keeps per stage and owner
    # (crm.stage_totals), over every pipeline's stages: a sum over a few rows.
    totals = stage_totals(list(Stage.objects.values_list("pk", flat=True)), owners_visible_to(user))
    contacts = sum(row["contacts"] for row in totals.values())
    everyone = sum(row["count"] for row in totals.values())
    pipeline = Pipeline.objects.filter(is_default=True).first()
    columns = []
    if pipeline is not None:
        for stage in pipeline.stages.filter(kind=Stage.Kind.OPEN):
            row = totals.get(stage.pk, {})
            columns.append(BoardColumn(stage, row.get("count", 0), row.get("total") or Decimal(0), []))
    recent = Activity.objects.select_related("lead", "actor")
    if not sees_all_leads(user):
        recent = recent.filter(Q(lead__owner=user) | Q(lead__owner__isnull=True))
    return Dashboard(
        contacts=contacts,
        leads=everyone - contacts,  # the other lifecycle
        pipeline=columns,
        tasks=due_tasks(user),
        recent=list(recent[:15]),
    )


def lists_with_counts(include_archived: bool = False) -> QuerySet[LeadList]:
    lists = (
        LeadList.objects.annotate(member_count=Count("memberships"))
        .prefetch_related("tags")
        .select_related("created_by")
    )
    return lists if include_archived else lists.filter(archived=False)


def imports_visible_to(user: User) -> QuerySet[ImportJob]:
    """Import history: reps see their own imports, everyone else all of them."""
    jobs = ImportJob.objects.select_related("created_by", "lead_list")
    return jobs if sees_all_leads(user) else jobs.filter(created_by=user)
