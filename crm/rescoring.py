"""Rescoring leads in bulk: rows read with `.values()` in batches, engagement and last touch read with one aggregate
query per batch, changed leads written with one executemany, snapshots with one bulk insert. Crossing a threshold
writes the timeline, promotes a contact and moves a lead to the configured stage through the usual services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.utils import timezone

from crm.importing.tables import TableRows, leads_update
from crm.models import Activity, IdealCustomerProfile, Lead, ScoreSnapshot, ScoringSettings, Stage
from crm.scoring import NO_ENGAGEMENT, TOUCH_KINDS, CompiledProfile, Engagement, Scored, score_row
from crm.selectors import profile_default
from crm.services.leads import lead_move_stage, leads_promote
from crm.services.timeline import activities_record_each

BATCH_SIZE = 2000
ROW_FIELDS = (
    "id",
    "title",
    "email",
    "phone",
    "company_id",
    "linkedin_url",
    "website",
    "location",
    "email_verified",
    "phone_verified",
    "ai_fit",
    "ai_fit_reason",
    "updated_at",
    "score",
    "grade",
    "score_parts",
    "lifecycle",
    "stage_id",
    "stage__pipeline_id",
    "company__name",
    "company__industry",
    "company__size",
    "company__location",
    "company__technologies",
)
WRITTEN = ["score", "grade", "score_parts", "scored_at"]


@dataclass(slots=True)
class _Written:
    """What a rescore writes to a lead (crm.importing.tables.leads_update reads these attributes): no model
    instance, which costs more to build than the write."""

    pk: int
    score: int
    grade: str
    score_parts: dict
    scored_at: datetime


@dataclass
class RescoreResult:
    scored: int = 0
    changed: int = 0
    promoted: int = 0
    moved: int = 0

    def __str__(self) -> str:
        return f"{self.scored} scored, {self.changed} changed, {self.promoted} promoted, {self.moved} moved"


def scoring_settings() -> ScoringSettings:
    """The scoring settings (their defaults, unsaved, until a manager saves them)."""
    found = ScoringSettings.objects.select_related("sql_stage").filter(pk=ScoringSettings.SINGLETON_PK).first()
    return found or ScoringSettings(pk=ScoringSettings.SINGLETON_PK)


def _profiles() -> dict[int | None, CompiledProfile]:
    """Each pipeline's compiled profile, None: the default one."""
    compiled: dict[int | None, CompiledProfile] = {None: CompiledProfile.of(profile_default())}
    for profile in IdealCustomerProfile.objects.filter(pipeline__isnull=False):
        compiled[profile.pipeline_id] = CompiledProfile.of(profile)
    return compiled


def engagement_of(lead_ids: list[int]) -> dict[int, Engagement]:
    """Counted events and the last touch of each lead, in one aggregate query; machine opens never count."""
    rows = (
        Activity.objects.filter(lead_id__in=lead_ids, kind__in=TOUCH_KINDS)
        .order_by()
        .values("lead_id", "kind")
        .annotate(n=Count("id"), machine=Count("id", filter=Q(data__machine=True)), last=Max("created_at"))
    )
    counts: dict[int, dict[str, int]] = {}
    touched: dict[int, datetime] = {}
    for row in rows:
        human = row["n"] - row["machine"]
        if human <= 0:
            continue
        counts.setdefault(row["lead_id"], {})[row["kind"]] = human
        if row["lead_id"] not in touched or row["last"] > touched[row["lead_id"]]:
            touched[row["lead_id"]] = row["last"]
    return {pk: Engagement(counts=counts.get(pk, {}), last_touch=touched.get(pk)) for pk in touched}


def _id_batches(lead_ids: list[int] | None) -> Iterator[list[int]]:
    if lead_ids is not None:
        for start in range(0, len(lead_ids), BATCH_SIZE):
            yield lead_ids[start : start + BATCH_SIZE]
        return
    last = 0
    while True:
        batch = list(Lead.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1]


def leads_rescore(lead_ids: list[int] | None = None, *, now: datetime | None = None) -> RescoreResult:
    """Score these leads (None: every lead) and act on thresholds crossed; idempotent, so safe to run twice."""
    now = now or timezone.now()
    config, profiles = scoring_settings(), _profiles()
    result = RescoreResult()
    for batch in _id_batches(lead_ids):
        _batch_rescore(batch, config, profiles, now, result)
    return result


@dataclass
class _Crossing:
    row: dict
    scored: Scored
    thresholds: list[tuple[str, int]]


def _crossed(old: int | None, new: int, config: ScoringSettings) -> list[tuple[str, int]]:
    """The thresholds a score rose through (a first score rises from nothing)."""
    before = -1 if old is None else old
    named = (("MQL", config.mql_threshold), ("SQL", config.sql_threshold))
    return [(name, value) for name, value in named if before < value <= new]


def _batch_rescore(
    ids: list[int], config: ScoringSettings, profiles: dict, now: datetime, result: RescoreResult
) -> None:
    # Cleared before reading: a change made while this batch runs marks its lead stale again, and is not lost.
    Lead.objects.filter(pk__in=ids).update(score_stale=False, scored_at=now)
    rows = list(Lead.objects.filter(pk__in=ids).values(*ROW_FIELDS))
    events = engagement_of(ids)
    changed, snapshots, crossings = [], [], []
    for row in rows:
        profile = profiles.get(row["stage__pipeline_id"], profiles[None])
        scored = score_row(row, profile, config, events.get(row["id"], NO_ENGAGEMENT), now)
        # The thresholds may have moved (grade) or a reason may read differently ("3 days ago") at the same score.
        if (scored.score, scored.grade, scored.parts) != (row["score"], row["grade"], row["score_parts"]):
            changed.append(_Written(row["id"], scored.score, scored.grade, scored.parts, now))
        if scored.score != row["score"]:
            snapshots.append(
                {"lead_id": row["id"], "score": scored.score, "grade": scored.grade}
                | {name: part["value"] for name, part in scored.parts.items()}
            )
            thresholds = _crossed(row["score"], scored.score, config)
            if thresholds:
                crossings.append(_Crossing(row, scored, thresholds))
    with transaction.atomic():
        if changed:
            leads_update(changed, WRITTEN)
        TableRows.of(ScoreSnapshot, snapshots, {"created_at": now}).insert()
        _crossings_act(crossings, config, result)
    result.scored += len(rows)
    result.changed += len(snapshots)


def _crossings_act(crossings: list[_Crossing], config: ScoringSettings, result: RescoreResult) -> None:
    """A timeline line for each threshold crossed; a contact crossing MQL becomes a lead, a lead crossing SQL moves
    to the SQL stage of its pipeline (if one is set and it is not there yet)."""
    if not crossings:
        return
    lines = []
    for crossing in crossings:
        names = " and ".join(f"{name} ({value})" for name, value in crossing.thresholds)
        summary = f"Score {crossing.scored.score} crossed the {names} threshold"
        data = {"score": crossing.scored.score, "thresholds": dict(crossing.thresholds)}
        lines.append((Lead(pk=crossing.row["id"]), summary, data))
    # The score's own lines change nothing the score reads: they leave the leads as scored.
    activities_record_each(actor=None, kind=Activity.Kind.SCORE, lines=lines, rescore=False)
    if config.promote_at_mql:
        mql = [
            c.row["id"]
            for c in crossings
            if "MQL" in dict(c.thresholds) and c.row["lifecycle"] == Lead.Lifecycle.CONTACT
        ]
        result.promoted += leads_promote(lead_ids=mql, actor=None, reason="score")
    stage = config.sql_stage
    for crossing in crossings:
        row = crossing.row
        if "SQL" in dict(crossing.thresholds) and _moves_to(stage, row):
            lead = Lead.objects.get(pk=row["id"])
            result.moved += lead_move_stage(lead=lead, stage=stage, actor=None) is not None


def _moves_to(stage: Stage | None, row: dict) -> bool:
    return stage is not None and stage.pipeline_id == row["stage__pipeline_id"] and stage.pk != row["stage_id"]


def leads_rescore_stale() -> str:
    """The queued task: rescore every lead marked stale, a batch at a time, until none is left."""
    result = RescoreResult()
    config, profiles = scoring_settings(), _profiles()
    while batch := list(Lead.objects.filter(score_stale=True).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
        _batch_rescore(batch, config, profiles, timezone.now(), result)
    return str(result)


def leads_rescore_all() -> str:
    """The nightly task: every lead, since recency changes with the days alone."""
    return str(leads_rescore())


def leads_stale_reconcile(window: timedelta = timedelta(days=1)) -> str:
    """The periodic repair: mark stale what a lost task or a writer that bypassed the services left unscored
    (changed, or given timeline lines, after its last score), then rescore them."""
    since = timezone.now() - window
    unscored = Q(scored_at__isnull=True) | Q(updated_at__gt=F("scored_at"))
    touched = Exists(
        Activity.objects.filter(lead=OuterRef("pk"), created_at__gte=since, created_at__gt=OuterRef("scored_at"))
    )
    Lead.objects.filter(score_stale=False).filter(unscored | touched).update(score_stale=True)
    return leads_rescore_stale()
