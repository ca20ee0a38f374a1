"""Rescoring leads in bulk: rows read with `.values()` in batches, engagement and last touch read with one aggregate
query per batch, changed leads written with one executemany, snapshots with one bulk insert. Crossing a threshold
writes the timeline, promotes a contact and moves a lead to the configured stage through the usual services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.utils import timezone

from crm.importing.tables import TableRows
from crm.lookups import OneOf
from crm.models import Activity, IdealCustomerProfile, Lead, ScoreSnapshot, ScoringSettings, Stage
from crm.scoring import NO_ENGAGEMENT, TOUCH_KINDS, CompiledProfile, Engagement, Scored, score_row
from crm.selectors import profile_default
from crm.services.leads import lead_move_stage, leads_promote
from crm.services.stale import RESCORE_TASK, stale_task_queue
from crm.services.timeline import activities_record_each
from crm.webhooks.events import EventType
from crm.webhooks.publish import leads_event_publish
from leadflow.queue_once import queued_run_started

# Measured on PostgreSQL (bench/score.py): 2,000 a batch took 31 s for 100,000 leads, 5,000 26 s, 10,000 21 s.
BATCH_SIZE = 10000
# The queued task rescores this many stale leads at most (a few seconds) and queues the rest as a new task.
RESCORE_TASK_LEADS = 20000
# One stale rescore at a time; a run killed with its lock leaves it to expire, and the reconciler queues it again.
RESCORE_LOCK = "crm:rescoring:stale"
RESCORE_LOCK_SECONDS = 600
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
    "score_stale",
    "lifecycle",
    "stage_id",
    "stage__pipeline_id",
    "stage__position",
    "stage__kind",
    "company__name",
    "company__industry",
    "company__size",
    "company__location",
    "company__technologies",
)


@dataclass(slots=True)
class _Written:
    """What a rescore writes to a lead, and the score it read (written only if the lead still has it): no model
    instance, which costs more to build than the write."""

    pk: int
    old_score: int | None
    score: int
    grade: str
    score_parts: dict


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
    # A machine open is left out before counting, so that it is no touch either (its time is not the last touch).
    wanted = set(lead_ids)
    rows = (
        Activity.objects.filter(_ids_q("lead_id", lead_ids), kind__in=TOUCH_KINDS)
        .filter(Q(data__machine__isnull=True) | ~Q(data__machine=True))  # no key is NULL, which NOT leaves out
        .order_by()
        .values("lead_id", "kind")
        .annotate(n=Count("id"), last=Max("created_at"))
    )
    counts: dict[int, dict[str, int]] = {}
    touched: dict[int, datetime] = {}
    for row in rows:
        if row["lead_id"] not in wanted:
            continue  # in the id range asked for, not in the batch
        counts.setdefault(row["lead_id"], {})[row["kind"]] = row["n"]
        if row["lead_id"] not in touched or row["last"] > touched[row["lead_id"]]:
            touched[row["lead_id"]] = row["last"]
    return {pk: Engagement(counts=counts.get(pk, {}), last_touch=touched.get(pk)) for pk in touched}


def _ids_q(field: str, ids: list[int]) -> Q:
    """These ids as a filter: a range when they are nearly all of it (a batch of the full scan), which the database
    reads straight from its index, where Django turns a list of 10,000 ids into as many parameters one by one
    (measured: a second of a 100,000-lead rescore on SQLite per such list). The caller drops rows of other ids."""
    if ids and max(ids) - min(ids) < 2 * len(ids):
        return Q(**{f"{field}__gte": min(ids), f"{field}__lte": max(ids)})
    return Q(**{f"{field}__in": ids})


def _row_batches(lead_ids: list[int] | None) -> Iterator[list[dict]]:
    """The rows to score, a batch at a time: these leads, or every lead by ranges of ids."""
    rows = Lead.objects.order_by("pk").values(*ROW_FIELDS)
    if lead_ids is not None:
        for start in range(0, len(lead_ids), BATCH_SIZE):
            yield list(rows.filter(pk__in=lead_ids[start : start + BATCH_SIZE]))
        return
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH_SIZE]):
        yield batch
        last = batch[-1]["id"]


def leads_rescore(lead_ids: list[int] | None = None, *, now: datetime | None = None) -> RescoreResult:
    """Score these leads (None: every lead) and act on thresholds crossed; idempotent, so safe to run twice.

    On PostgreSQL, outside a transaction, each batch of a run of several is written by a second connection in a
    thread while the next one is read and scored: the server's work on one core, ours on the other. (Inside a
    transaction, as in tests, another connection could not see what it holds. For one batch, as the queued task
    after a change, a thread and its new connection would cost more than the rescore: 25 ms for a lead, not 12.)"""
    now = now or timezone.now()
    config, profiles = scoring_settings(), _profiles()
    result = RescoreResult()
    several = lead_ids is None or len(lead_ids) > BATCH_SIZE
    behind = several and connection.vendor == "postgresql" and not connection.in_atomic_block
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="score-writer") if behind else None
    pending: Future | None = None
    try:
        for rows in _row_batches(lead_ids):
            batch = _batch_score(rows, config, profiles, now)
            if writer is None:
                _batch_write(batch, config, result)
                continue
            if pending is not None:
                pending.result()  # one batch in flight: an error stops the run there
            pending = writer.submit(_batch_write, batch, config, result)
        if pending is not None:
            pending.result()
    finally:
        if writer is not None:
            writer.submit(connections.close_all)  # the writer thread's own connection
            writer.shutdown()
    return result


def leads_score_preview(lead_ids: list[int], weights: dict[str, int] | None = None) -> list[Scored]:
    """These leads' scores as they would be with these component weights ({"fit": 40, ...}; missing ones as saved),
    written nowhere: what a change of weights would do to a selection."""
    config = scoring_settings()
    for name, weight in (weights or {}).items():
        setattr(config, f"weight_{name}", weight)
    profiles, now = _profiles(), timezone.now()
    scored = []
    for rows in _row_batches(sorted(set(lead_ids))):
        events = engagement_of([row["id"] for row in rows])
        for row in rows:
            profile = profiles.get(row["stage__pipeline_id"], profiles[None])
            scored.append(score_row(row, profile, config, events.get(row["id"], NO_ENGAGEMENT), now))
    return scored


@dataclass
class _Crossing:
    row: dict
    scored: Scored
    thresholds: list[tuple[str, int]]


@dataclass
class _Batch:
    """What scoring one batch found to write."""

    now: datetime
    scored: int = 0
    changed: list[_Written] = field(default_factory=list)
    unchanged_stale: list[int] = field(default_factory=list)
    snapshots: list[dict] = field(default_factory=list)
    crossings: list[_Crossing] = field(default_factory=list)


def _crossed(old: int | None, new: int, config: ScoringSettings) -> list[tuple[str, int]]:
    """The thresholds a score rose through (a first score rises from nothing)."""
    before = -1 if old is None else old
    named = (("MQL", config.mql_threshold), ("SQL", config.sql_threshold))
    return [(name, value) for name, value in named if before < value <= new]


def _batch_score(rows: list[dict], config: ScoringSettings, profiles: dict, now: datetime) -> _Batch:
    """Score a batch of rows in memory; only what changed is kept for writing."""
    events = engagement_of([row["id"] for row in rows])
    batch = _Batch(now=now, scored=len(rows))
    for row in rows:
        profile = profiles.get(row["stage__pipeline_id"], profiles[None])
        scored = score_row(row, profile, config, events.get(row["id"], NO_ENGAGEMENT), now)
        # The thresholds may have moved (grade) or a reason may read differently ("3 days ago") at the same score.
        if (scored.score, scored.grade, scored.parts) != (row["score"], row["grade"], row["score_parts"]):
            batch.changed.append(_Written(row["id"], row["score"], scored.score, scored.grade, scored.parts))
        elif row["score_stale"]:
            batch.unchanged_stale.append(row["id"])
        if scored.score != row["score"]:
            batch.snapshots.append(
                {"lead_id": row["id"], "score": scored.score, "grade": scored.grade}
                | {name: part["value"] for name, part in scored.parts.items()}
            )
            thresholds = _crossed(row["score"], scored.score, config)
            if thresholds:
                batch.crossings.append(_Crossing(row, scored, thresholds))
    return batch


@transaction.atomic
def _batch_write(batch: _Batch, config: ScoringSettings, result: RescoreResult) -> None:
    """One write per lead at most (each rewrites the lead's indexes on PostgreSQL): the score and the cleared mark
    together. A change made between the read and this write loses its mark, but not its rescore: it is newer than
    scored_at, and the reconciler (leads_stale_reconcile) finds it."""
    written = _scores_write(batch.changed, batch.now) if batch.changed else set()
    if batch.unchanged_stale:
        Lead.objects.filter(pk__in=batch.unchanged_stale).update(score_stale=False, scored_at=batch.now)
    # A score another run wrote first, or a lead deleted meanwhile, leaves no snapshot and crosses nothing here.
    snapshots = [snapshot for snapshot in batch.snapshots if snapshot["lead_id"] in written]
    TableRows.of(ScoreSnapshot, snapshots, {"created_at": batch.now}).insert()
    _crossings_act([c for c in batch.crossings if c.row["id"] in written], config, result)
    result.scored += batch.scored
    result.changed += len(snapshots)


def _scores_write(changed: list[_Written], now: datetime) -> set[int]:
    """Write the new scores, each only where the lead still has the score it was read with (two runs at once write
    it once); the ids written. On PostgreSQL one UPDATE from arrays for the whole batch (a statement per lead costs
    more than the writing itself), on SQLite one executemany UPDATE."""
    parts = [json.dumps(row.score_parts) for row in changed]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            stamp = connection.ops.adapt_datetimefield_value(now)  # as Django stores it, so scored_at=now finds it
            cursor.executemany(
                "UPDATE crm_lead SET score = %s, grade = %s, score_parts = %s, scored_at = %s, score_stale = 0"
                " WHERE id = %s AND score IS %s",
                [
                    (row.score, row.grade, part, stamp, row.pk, row.old_score)
                    for row, part in zip(changed, parts, strict=True)
                ],
            )
            ids = [row.pk for row in changed]
            written = Lead.objects.filter(_ids_q("pk", ids), scored_at=now).values_list("pk", flat=True)
            return set(written) & set(ids)
        # Recomputed by the next run if lost: no need to wait for the disk at this commit.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            """UPDATE crm_lead SET score = v.score, grade = v.grade, score_parts = v.parts::jsonb, scored_at = %s,
                   score_stale = false
               FROM unnest(%s::bigint[], %s::smallint[], %s::smallint[], %s::text[], %s::text[])
                   AS v(id, old_score, score, grade, parts)
               WHERE crm_lead.id = v.id AND crm_lead.score IS NOT DISTINCT FROM v.old_score
               RETURNING crm_lead.id""",
            [
                now,
                [row.pk for row in changed],
                [row.old_score for row in changed],
                [row.score for row in changed],
                [row.grade for row in changed],
                parts,
            ],
        )
        return {pk for (pk,) in cursor.fetchall()}


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
    _qualified_push([crossing.row["id"] for crossing in crossings])
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
            try:
                # Only from the stage it was read in: a lead someone moved meanwhile (won, say) stays where it is.
                moved = lead_move_stage(
                    lead=Lead(pk=row["id"]), stage=stage, actor=None, expected_stage_id=row["stage_id"]
                )
            except ValidationError:
                continue  # moved meanwhile, or a stage no lead may enter unasked (a lost one): the rest go on
            result.moved += moved is not None
    hot = {c.row["id"]: c for c in crossings if "SQL" in dict(c.thresholds)}
    if hot:
        # A hot lead: after the move above, so the event shows the stage it went to.
        data = {
            pk: {"score": c.scored.score, "grade": c.scored.grade, "threshold": config.sql_threshold}
            for pk, c in hot.items()
        }
        leads_event_publish(EventType.LEAD_QUALIFIED, list(hot), data)


def _qualified_push(lead_ids: list[int]) -> None:
    """Leads that crossed MQL or SQL go to the CRMs that ask for qualified leads, once the scores are saved."""
    from crm.sync.jobs import leads_qualified_push  # the sync reaches the services that import this module

    transaction.on_commit(lambda: leads_qualified_push(lead_ids))


def _moves_to(stage: Stage | None, row: dict) -> bool:
    """Only forward, from an open stage earlier in the same pipeline: a won deal never goes back to a meeting."""
    return (
        stage is not None
        and stage.pipeline_id == row["stage__pipeline_id"]
        and row["stage__kind"] == Stage.Kind.OPEN
        and row["stage__position"] < stage.position
    )


def stale_lead_ids(limit: int | None = None) -> list[int]:
    """The ids of the leads marked stale, in order (the first `limit`)."""
    return list(Lead.objects.filter(score_stale=True).order_by("pk").values_list("pk", flat=True)[:limit])


def leads_rescore_stale(limit: int = RESCORE_TASK_LEADS) -> str:
    """The queued task: rescore the leads marked stale, `limit` at most, then queue itself again while any are
    left, so that other jobs' tasks get their turn between parts however many leads a change of profile marked.
    One run at a time: a run that finds another one going leaves the leads to it, which looks for leads marked
    meanwhile once it lets go (without the lock every task queued by a flood of changes rescored the same leads)."""
    queued_run_started(RESCORE_TASK)
    if not cache.add(RESCORE_LOCK, timezone.now().isoformat(), RESCORE_LOCK_SECONDS):
        return "another rescore is running: it takes these leads too"
    try:
        part = stale_lead_ids(limit)
        result = leads_rescore(part)
    finally:
        cache.delete(RESCORE_LOCK)
    # A lead marked while this part ran, before or after its id, queued a task that may have found the lock held.
    if len(part) == limit or Lead.objects.filter(score_stale=True).exclude(OneOf(F("pk"), part)).exists():
        stale_task_queue(limit)
    return str(result)


def leads_rescore_all() -> str:
    """The nightly task: every lead, since recency changes with the days alone."""
    return str(leads_rescore())


def leads_stale_reconcile(window: timedelta = timedelta(days=1)) -> str:
    """The periodic repair: mark stale what a lost task or a writer that bypassed the services left unscored
    (changed, given timeline lines, or its company changed, as in the admin, after its last score), then rescore
    them."""
    since = timezone.now() - window
    unscored = Q(scored_at__isnull=True) | Q(updated_at__gt=F("scored_at")) | Q(company__updated_at__gt=F("scored_at"))
    touched = Exists(
        Activity.objects.filter(lead=OuterRef("pk"), created_at__gte=since, created_at__gt=OuterRef("scored_at"))
    )
    Lead.objects.filter(score_stale=False).filter(unscored | touched).update(score_stale=True)
    return leads_rescore_stale()
