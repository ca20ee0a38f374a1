"""Outreach: what the sequences' messages did, per sequence, step, variant, mailbox and rep; reply rate by the hour
and weekday they were sent in the lead's own time zone; and the A/B tests with their significance.

Counts come from one grouped query at the grain (step, variant, mailbox, owner); each table sums that small result.
Opens are people's: a message's `opened_at` is set only by a person's open, machine opens (mail privacy proxies,
scanners) are events with machine=True and are counted apart.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import TruncMinute

from analytics.cohort import in_range, rate
from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import rollups_split
from analytics.scoping import lead_q
from crm.locale import zone_or_none
from crm.models import User
from outreach.ab_test import MIN_SENT, MIN_SUCCESSES, SIGNIFICANT, two_proportion_p
from outreach.models import Mailbox, Message, MessageEvent, SequenceStep, StepVariant

COUNTS = ("sent", "delivered", "opened", "machine_opened", "clicked", "replied", "bounced", "unsubscribed")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
COHORT = "Messages sent in the date range (by their send time), to leads matching the filters."


def sent_messages(scope: Scope):
    """The cohort: messages sent in the range, of the chosen sequence, to leads matching the filters."""
    # The sequence filter means the sequence's own messages here, not every message to a lead it enrolled.
    lead_filters = lead_q(dataclasses.replace(scope, sequence_id=None), "lead__")
    messages = Message.objects.filter(in_range(scope, "sent_at"), lead_filters)
    if scope.sequence_id is not None:
        messages = messages.filter(enrollment__sequence_id=scope.sequence_id)
    return messages.order_by()


def _counted(messages):
    machine_open = MessageEvent.objects.filter(message=OuterRef("pk"), kind=MessageEvent.Kind.OPENED, machine=True)
    return messages.annotate(
        sent=Count("pk"),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        machine_opened=Count("pk", filter=Q(opened_at__isnull=True) & Exists(machine_open)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        replied=Count("pk", filter=Q(replied_at__isnull=False)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, row: dict) -> None:
        for name in COUNTS:
            self.counts[name] += row[name]

    def figures(self) -> dict:
        sent = self.counts["sent"]
        return {
            **self.counts,
            "open_rate": rate(self.counts["opened"], sent),
            "reply_rate": rate(self.counts["replied"], sent),
            "bounce_rate": rate(self.counts["bounced"], sent),
        }


def grain_rows(scope: Scope) -> list[dict]:
    """Counts per (step, variant, mailbox, lead owner): a few hundred rows at most, whatever the cohort's size."""
    grouped = sent_messages(scope).values("step_id", "variant_id", "mailbox_id", owner_id=F("lead__owner_id"))
    return list(_counted(grouped))


# The message columns counted (each counts the messages where it is set), in COUNTS order after "sent".
TIMES = ("delivered_at", "opened_at", "machine_only", "clicked_at", "replied_at", "bounced_at", "unsubscribed_at")


def counts_postgresql(scope: Scope) -> tuple[list[dict], dict[tuple[int, int], tuple[int, int]]]:
    """The grain rows and the (weekday, hour) counts in the lead's zone from one pass over the messages (GROUPING
    SETS): the messages and their leads are read once, not once per table."""
    machine_open = MessageEvent.objects.filter(message=OuterRef("pk"), kind=MessageEvent.Kind.OPENED, machine=True)
    inner = sent_messages(scope).values(
        m_step=F("step_id"), m_variant=F("variant_id"), m_mailbox=F("mailbox_id"), m_owner=F("lead__owner_id"),
        m_zone=F("lead__time_zone"), m_sent=F("sent_at"), m_delivered_at=F("delivered_at"), m_opened_at=F("opened_at"),
        m_machine_only=Case(When(Q(opened_at__isnull=True) & Exists(machine_open), then=Value(1))),
        m_clicked_at=F("clicked_at"), m_replied_at=F("replied_at"), m_bounced_at=F("bounced_at"),
        m_unsubscribed_at=F("unsubscribed_at"),
    )  # fmt: skip
    inner_sql, params = inner.query.sql_with_params()
    counted = ", ".join(f"COUNT(m.m_{name})" for name in TIMES)
    sql = f"""
        SELECT GROUPING(m.m_step, m.m_variant, m.m_mailbox, m.m_owner), m.m_step, m.m_variant, m.m_mailbox, m.m_owner,
               m.weekday, m.hour, COUNT(*), {counted}
        FROM (
            SELECT c.*, EXTRACT(ISODOW FROM c.local_at)::int - 1 AS weekday, EXTRACT(HOUR FROM c.local_at)::int AS hour
            FROM (
                SELECT i.*, i.m_sent AT TIME ZONE COALESCE(z.name, %s) AS local_at
                FROM ({inner_sql}) AS i LEFT JOIN unnest(%s::text[]) AS z (name) ON z.name = i.m_zone
            ) AS c
        ) AS m
        GROUP BY GROUPING SETS ((m.m_step, m.m_variant, m.m_mailbox, m.m_owner), (m.weekday, m.hour))
    """  # noqa: S608 (the inner query is the ORM's, with its values bound as parameters)
    rows, local = [], {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope.zone.key, *params, _postgresql_zones()])
        for grouping, step, variant, mailbox, owner, weekday, hour, sent, *times in cursor.fetchall():
            if grouping == 0:
                figures = dict(zip(COUNTS[1:], times, strict=True))
                rows.append({"step_id": step, "variant_id": variant, "mailbox_id": mailbox, "owner_id": owner,
                             "sent": sent, **figures})  # fmt: skip
            else:
                local[(weekday, hour)] = (sent, times[TIMES.index("replied_at")])
    return rows, local


GRAIN = ("step_id", "variant_id", "mailbox_id", "owner_id")


def outreach_counts(scope: Scope) -> tuple[list[dict], dict[tuple[int, int], tuple[int, int]]]:
    split = rollups_split(scope)
    if split is not None:
        rows = [dict(zip(GRAIN, key, strict=True)) | counts for key, counts in split.rows("outreach", GRAIN).items()]
        local = {
            key: (row["sent"], row["replied"]) for key, row in split.rows("send_times", ("weekday", "hour")).items()
        }
        return [row for row in rows if row["sent"]], local
    if connection.vendor == "postgresql":
        return counts_postgresql(scope)
    return grain_rows(scope), local_hour_weekday_counts(scope)


def tallied(rows: Iterable[dict], key) -> dict:
    tallies: dict = defaultdict(Tally)
    for row in rows:
        tallies[key(row)].add(row)
    return tallies


COUNT_COLUMNS = [
    Column("sent", "Sent", "int"),
    Column("delivered", "Delivered", "int"),
    Column("opened", "Opened (people)", "int"),
    Column("machine_opened", "Machine opens only", "int"),
    Column("clicked", "Clicked", "int"),
    Column("replied", "Replied", "int"),
    Column("bounced", "Bounced", "int"),
    Column("unsubscribed", "Unsubscribed", "int"),
    Column("open_rate", "Open rate", "percent"),
    Column("reply_rate", "Reply rate", "percent"),
    Column("bounce_rate", "Bounce rate", "percent"),
]
RATES_CHART = Chart("bar", "name", ("open_rate", "reply_rate"))


def _breakdown(slug: str, title: str, label: str, tallies: dict, names: dict) -> Table:
    rows = [{"name": names.get(key, "(none)"), **tally.figures()} for key, tally in tallies.items()]
    rows.sort(key=lambda row: (-row["sent"], row["name"]))
    return Table(slug, title, [Column("name", label), *COUNT_COLUMNS], rows, chart=RATES_CHART, note=COHORT)


def _steps(step_ids: set[int]) -> dict[int, SequenceStep]:
    return SequenceStep.objects.select_related("sequence").in_bulk(step_ids)


def _step_name(step: SequenceStep) -> str:
    return f"{step.sequence.name} · step {step.position}"


def _people(user_ids: set[int]) -> dict[int | None, str]:
    names: dict[int | None, str] = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids)}
    names[None] = "Unassigned"
    return names


def ab_table(rows: list[dict], steps: dict[int, SequenceStep], variants: dict[int, StepVariant]) -> Table:
    """Every variant of a step with two or more, against the step's first variant (the control): the reply rate (the
    open rate while nobody has replied) compared with a two-proportion z-test."""
    by_variant = tallied(rows, lambda row: (row["step_id"], row["variant_id"]))
    per_step: dict[int, list[tuple[StepVariant, dict]]] = defaultdict(list)
    for (step_id, variant_id), tally in by_variant.items():
        if variant_id in variants:
            per_step[step_id].append((variants[variant_id], tally.counts))
    table_rows = []
    for step_id, tested in sorted(per_step.items(), key=lambda item: _step_name(steps[item[0]])):
        if len(tested) < 2:
            continue
        tested.sort(key=lambda pair: pair[0].label)
        control = tested[0][1]
        for variant, counts in tested:
            table_rows.append(_ab_row(_step_name(steps[step_id]), variant.label, counts, control))
    return Table(
        "ab_tests",
        "A/B tests",
        [
            Column("step", "Step"),
            Column("variant", "Variant"),
            Column("sent", "Sent", "int"),
            Column("opened", "Opened (people)", "int"),
            Column("replied", "Replied", "int"),
            Column("metric", "Compared on"),
            Column("rate", "Rate", "percent"),
            Column("control_rate", "Control's rate", "percent"),
            Column("p_value", "p-value", "number"),
            Column("verdict", "Significant at 95%"),
        ],
        table_rows,
        note=COHORT + " Each variant is compared with the step's first variant (the control) by a two-proportion "
        f"z-test on the reply rate, or the open rate while nobody has replied; below {MIN_SENT} sent per variant or "
        f"{MIN_SUCCESSES} replies (opens) in all, no verdict is given.",
    )


def _ab_row(step: str, label: str, counts: dict, control: dict) -> dict:
    metric = "replied" if counts["replied"] + control["replied"] else "opened"
    row = {
        "step": step,
        "variant": label,
        "sent": counts["sent"],
        "opened": counts["opened"],
        "replied": counts["replied"],
        "metric": "reply rate" if metric == "replied" else "open rate",
        "rate": rate(counts[metric], counts["sent"]),
        "control_rate": rate(control[metric], control["sent"]),
        "p_value": None,
        "verdict": "control",
    }
    if counts is control:
        return row
    enough = min(counts["sent"], control["sent"]) >= MIN_SENT and counts[metric] + control[metric] >= MIN_SUCCESSES
    if not enough:
        row["verdict"] = "not enough data"
        return row
    p = two_proportion_p(control[metric], control["sent"], counts[metric], counts["sent"])
    row["p_value"] = round(p, 4)
    row["verdict"] = "yes" if p < SIGNIFICANT else "no"
    return row


# ---------------------------------------------------------------------------------------------------------------
# Reply rate by the hour and weekday of sending, in the lead's own time zone (empty: the site's).
# ---------------------------------------------------------------------------------------------------------------


_POSTGRESQL_ZONES: list[str] = []


def _postgresql_zones() -> list[str]:
    """The zone names the server knows, read once per process (pg_timezone_names reads the zone files: too slow to
    join on every request)."""
    if not _POSTGRESQL_ZONES:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_timezone_names")
            _POSTGRESQL_ZONES.extend(name for (name,) in cursor.fetchall())
    return _POSTGRESQL_ZONES


def local_hour_weekday_counts(scope: Scope) -> dict[tuple[int, int], tuple[int, int]]:
    """{(weekday 0=Monday, hour): (sent, replied)} without AT TIME ZONE (SQLite): counts per (lead's zone, UTC minute)
    from the database, each minute then shifted to its zone here (by the hour, a half-hour zone's sends would fall in
    the wrong local hour): a row per zone and minute sent in, never per message. (PostgreSQL counts them in the
    database: counts_postgresql.)"""
    grouped = (
        sent_messages(scope)
        .annotate(hour=TruncMinute("sent_at", tzinfo=UTC))
        .values("lead__time_zone", "hour")
        .annotate(sent=Count("pk"), replied=Count("pk", filter=Q(replied_at__isnull=False)))
    )
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in grouped:
        local = row["hour"].astimezone(zone_or_none(row["lead__time_zone"]) or scope.zone)
        slot = counts[(local.weekday(), local.hour)]
        slot[0] += row["sent"]
        slot[1] += row["replied"]
    return {key: (sent, replied) for key, (sent, replied) in counts.items()}


def timing_tables(counts: dict[tuple[int, int], tuple[int, int]]) -> list[Table]:
    note = COHORT + " Hours and days are the lead's own (its time zone; none recorded: the site's)."
    columns = [
        Column("sent", "Sent", "int"),
        Column("replied", "Replied", "int"),
        Column("reply_rate", "Reply rate", "percent"),
    ]
    by_hour, by_day = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for (weekday, hour), (sent, replied) in counts.items():
        for slot in (by_hour[hour], by_day[weekday]):
            slot[0] += sent
            slot[1] += replied
    hours = [
        {
            "hour": f"{hour:02d}:00",
            "sent": by_hour[hour][0],
            "replied": by_hour[hour][1],
            "reply_rate": rate(by_hour[hour][1], by_hour[hour][0]),
        }
        for hour in range(24)
    ]
    days = [
        {
            "weekday": name,
            "sent": by_day[day][0],
            "replied": by_day[day][1],
            "reply_rate": rate(by_day[day][1], by_day[day][0]),
        }
        for day, name in enumerate(WEEKDAY_NAMES)
    ]
    return [
        Table(
            "reply_by_hour",
            "Reply rate by send hour",
            [Column("hour", "Hour sent"), *columns],
            hours,
            chart=Chart("bar", "hour", ("reply_rate",)),
            note=note,
        ),
        Table(
            "reply_by_weekday",
            "Reply rate by weekday",
            [Column("weekday", "Day sent"), *columns],
            days,
            chart=Chart("bar", "weekday", ("reply_rate",)),
            note=note,
        ),
    ]


@report("outreach", "Outreach", order=30)
def outreach_report(scope: Scope) -> list[Table]:
    rows, local = outreach_counts(scope)
    steps = _steps({row["step_id"] for row in rows})
    # Rolled-up rows of a step deleted since keep its id until the next run: they have nothing left to be named by.
    rows = [row for row in rows if row["step_id"] in steps]
    mailboxes = {
        pk: str(mailbox)
        for pk, mailbox in Mailbox.objects.in_bulk({row["mailbox_id"] for row in rows} - {None}).items()
    }
    people = _people({row["owner_id"] for row in rows} - {None})
    sequences = {step.sequence_id: step.sequence.name for step in steps.values()}
    variants = StepVariant.objects.in_bulk({row["variant_id"] for row in rows} - {None})
    variant_names = {pk: f"{_step_name(steps[variant.step_id])} · {variant.label}" for pk, variant in variants.items()}
    step_names = {pk: _step_name(step) for pk, step in steps.items()}
    return [
        _breakdown(
            "by_sequence",
            "By sequence",
            "Sequence",
            tallied(rows, lambda r: steps[r["step_id"]].sequence_id),
            sequences,
        ),
        _breakdown("by_step", "By step", "Step", tallied(rows, lambda r: r["step_id"]), step_names),
        _breakdown("by_variant", "By variant", "Variant", tallied(rows, lambda r: r["variant_id"]), variant_names),
        ab_table(rows, steps, variants),
        _breakdown("by_mailbox", "By mailbox", "Mailbox", tallied(rows, lambda r: r["mailbox_id"]), mailboxes),
        _breakdown("by_rep", "By rep (the lead's owner)", "Rep", tallied(rows, lambda r: r["owner_id"]), people),
        *timing_tables(local),
    ]
