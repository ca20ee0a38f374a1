"""Enrichment and data quality: how often enrichment finds and verifies each field, against the brief's targets;
what each source found; the credits spent; how verified emails bounce; the duplicates merged."""

from __future__ import annotations

from collections import Counter

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet, Sum

from analytics.cohort import in_range, rate
from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import Split, rollups_split
from analytics.scoping import lead_q
from crm.models import DuplicateCandidate, MergeRecord
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource, ProviderAnswer
from outreach.models import Message

# The brief's targets: (measure, the job field it needs asked for or "" for any job, target rate).
TARGETS = [
    ("Enrichment success", "", 0.85),
    ("Email discovery", "email", 0.70),
    ("Phone discovery", "phone", 0.50),
]
# A value that is there at all; an email is verified only when the mailbox answered (status "valid"); a phone when
# its number is a real line of a known type.
FOUND = ~Q(status="invalid")
VERIFIABLE = ("email", "phone")
VERIFIED = Q(field="email", status="valid") | (Q(field="phone") & ~Q(status__in=["", "invalid", "unknown"]))


def _values_found(item_field: str, *, field: str | None = None, verified: bool = False) -> Exists:
    """Whether the item's job found a value (of `field`) for the item's lead."""
    found = FieldSource.objects.filter(lead=OuterRef("lead_id"), job=OuterRef(item_field)).filter(FOUND)
    if field:
        found = found.filter(field=field)
    if verified:
        found = found.filter(VERIFIED)
    return Exists(found)


def items_finished(scope: Scope) -> QuerySet:
    return EnrichmentItem.objects.filter(in_range(scope, "finished_at"), lead_q(scope, "lead__")).order_by()


def item_counts() -> dict[str, Count]:
    """Per group of enrichment items: how many, and for how many the job found a value (an email, a phone)."""
    return {
        "items": Count("pk"),
        "succeeded": Count("pk", filter=Q(status=EnrichmentItem.Status.DONE) & _values_found("job_id")),
        "email": Count("pk", filter=_values_found("job_id", field="email")),
        "email_verified": Count("pk", filter=_values_found("job_id", field="email", verified=True)),
        "phone": Count("pk", filter=_values_found("job_id", field="phone")),
    }


def target_table(scope: Scope, split: Split | None) -> Table:
    """Each target's rate over the enrichment items finished in the range, with each job's asked fields deciding
    which items count towards email and phone discovery."""
    if split is not None:
        per_job = [{"job_id": job_id, **row} for (job_id,), row in split.rows("enriched", ("job_id",)).items()]
    else:
        per_job = list(items_finished(scope).values("job_id").annotate(**item_counts()))
    asked = dict(EnrichmentJob.objects.filter(pk__in=[row["job_id"] for row in per_job]).values_list("pk", "fields"))
    done, out_of = Counter(), Counter()
    for row in per_job:
        fields = asked.get(row["job_id"]) or []
        done["Enrichment success"] += row["succeeded"]
        out_of["Enrichment success"] += row["items"]
        for measure, field in (("Email discovery", "email"), ("Phone discovery", "phone")):
            if field in fields:
                done[measure] += row[field]
                out_of[measure] += row["items"]
    rows = []
    for measure, _, target in TARGETS:
        achieved = rate(done[measure], out_of[measure])
        met = "no data" if achieved is None else ("met" if achieved >= target else "not met")
        rows.append(
            {
                "measure": measure,
                "found": done[measure],
                "out_of": out_of[measure],
                "rate": achieved,
                "target": target,
                "met": met,
            }
        )
    return Table(
        "targets",
        "Against the targets",
        [
            Column("measure", "Measure"),
            Column("found", "Leads", "int"),
            Column("out_of", "Out of", "int"),
            Column("rate", "Rate", "percent"),
            Column("target", "Target", "percent"),
            Column("met", "Met"),
        ],
        rows,
        chart=Chart("bar", "measure", ("rate", "target")),
        note="Leads of enrichment jobs finished in the date range, matching the filters. Success: the job found at "
        "least one usable value for the lead; email (phone) discovery: it found an email (phone), over the leads of "
        "jobs that asked for emails (phones). An invalid value is not found.",
    )


def values_found(scope: Scope) -> QuerySet:
    return FieldSource.objects.filter(in_range(scope, "found_at"), lead_q(scope, "lead__")).order_by()


VALUE_COUNTS = {
    "found": Count("pk", filter=FOUND),
    "verified": Count("pk", filter=VERIFIED),
    "applied": Count("pk", filter=Q(applied=True)),
}


def _found_rows(split: Split, keys: tuple[str, ...]) -> list[dict]:
    """The per-field (and source) rows from the rollups, ordered as the live query orders them."""
    rows = []
    for key, row in sorted(split.rows("found", keys).items()):
        if row["values"]:
            named = dict(zip(("field", "source"), key, strict=False))
            counts = {name: row[name] for name in VALUE_COUNTS}
            rows.append({**named, **counts, "confidence": row["confidence_sum"] / row["values"]})
    return rows


def sources_tables(scope: Scope, split: Split | None) -> list[Table]:
    values = values_found(scope)
    counted = {**VALUE_COUNTS, "confidence": Avg("confidence")}
    columns = [
        Column("found", "Found", "int"),
        Column("verified", "Verified", "int"),
        Column("verified_rate", "Verified rate", "percent"),
        Column("applied", "Used on the lead", "int"),
        Column("confidence", "Average confidence", "number"),
    ]

    def figures(row: dict) -> dict:
        return {
            **row,
            # Only emails and phones are verified: another field shows no rate rather than 0%.
            "verified_rate": rate(row["verified"], row["found"]) if row["field"] in VERIFIABLE else None,
            "confidence": round(row["confidence"] or 0, 1),
        }

    if split is not None:
        by_field = [figures(row) for row in _found_rows(split, ("field",))]
        by_source = [figures(row) for row in _found_rows(split, ("field", "found_by"))]
    else:
        by_field = [figures(row) for row in values.values("field").annotate(**counted).order_by("field")]
        by_source = [
            figures(row) for row in values.values("field", "source").annotate(**counted).order_by("field", "source")
        ]
    note = (
        "Values found in the date range for leads matching the filters (an invalid value is not found). Verified: "
        "an email whose mailbox answered, a phone whose number is a known line type."
    )
    return [
        Table(
            "by_field",
            "Found and verified per field",
            [Column("field", "Field"), *columns],
            by_field,
            chart=Chart("bar", "field", ("found", "verified")),
            note=note,
        ),
        Table(
            "by_source",
            "Found and verified per field and source",
            [Column("field", "Field"), Column("source", "Source"), *columns],
            by_source,
            note=note,
        ),
    ]


def credits_table(scope: Scope) -> Table:
    spent = (
        ProviderAnswer.objects.filter(in_range(scope, "created_at"))
        .order_by()
        .values("source")
        .annotate(calls=Count("pk"), paid_calls=Count("pk", filter=Q(credits__gt=0)), credits=Sum("credits"))
        .order_by("source")
    )
    rows = [{**row, "credits": float(row["credits"] or 0)} for row in spent]
    return Table(
        "credits",
        "Credits spent",
        [
            Column("source", "Source"),
            Column("calls", "Answers", "int"),
            Column("paid_calls", "Paid answers", "int"),
            Column("credits", "Credits", "number"),
        ],
        rows,
        note="Every answer a source gave in the date range, for the whole site: answers are shared by all leads of a "
        "company, so the lead filters do not apply here.",
    )


def messages_sent(scope: Scope) -> QuerySet:
    return Message.objects.filter(in_range(scope, "sent_at"), lead_q(scope, "lead__")).order_by()


BOUNCES = {"sent": Count("pk"), "bounced": Count("pk", filter=Q(bounced_at__isnull=False))}
# The rollups' event kinds of messages sent to a verified (an unverified) email: n sent, value bounced.
MAILED = {True: "mailed_verified", False: "mailed_unverified"}


def quality_table(scope: Scope, split: Split | None) -> Table:
    """The bounce rate of verified against unverified emails, and the duplicates found and merged."""
    if split is not None:
        bounces = {}
        for verified, kind in MAILED.items():
            row = split.total("mail_events", kind=kind)
            bounces[verified] = {"sent": row["n"], "bounced": int(row["value"] or 0)}
    else:
        bounces = {
            row["lead__email_verified"]: row
            for row in messages_sent(scope).values("lead__email_verified").annotate(**BOUNCES)
        }
    merged = MergeRecord.objects.filter(in_range(scope, "created_at"), lead_q(scope, "survivor__")).count()
    found = DuplicateCandidate.objects.filter(in_range(scope, "found_at"), lead_q(scope, "lead_a__")).count()
    rows = []
    for verified, label in ((True, "Bounce rate of verified emails"), (False, "Bounce rate of unverified emails")):
        row = bounces.get(verified, {"sent": 0, "bounced": 0})
        rows.append(
            {
                "measure": label,
                "count": row["bounced"],
                "out_of": row["sent"],
                "rate": rate(row["bounced"], row["sent"]),
            }
        )
    rows.append({"measure": "Suspected duplicates found", "count": found, "out_of": None, "rate": None})
    rows.append({"measure": "Duplicates merged", "count": merged, "out_of": None, "rate": None})
    return Table(
        "quality",
        "Data quality",
        [
            Column("measure", "Measure"),
            Column("count", "Count", "int"),
            Column("out_of", "Out of", "int"),
            Column("rate", "Rate", "percent"),
        ],
        rows,
        note="Bounces: messages sent in the date range to leads matching the filters, by whether the lead's email is "
        "verified now. Duplicates: pairs found, and merges made, in the date range (the surviving lead matching the "
        "filters).",
    )


@report("enrichment", "Enrichment and data quality", order=40)
def enrichment_report(scope: Scope) -> list[Table]:
    split = rollups_split(scope)
    return [
        target_table(scope, split),
        *sources_tables(scope, split),
        credits_table(scope),
        quality_table(scope, split),
    ]
