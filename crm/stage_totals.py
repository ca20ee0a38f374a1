"""The board's column totals from the changes the database keeps per stage and owner (crm.models.StageTotal): a sum
over a few rows, however many leads there are."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

from crm.models import Stage, StageTotal

# The owner key of unassigned leads in StageTotal.
UNASSIGNED = 0


def stage_totals(stage_ids: list[int], owners: list[int | None] | None, owner_id: int | None = None) -> dict[int, dict]:
    """Count, total deal value and contacts per stage of the leads of these owners (crm.selectors.owners_visible_to:
    None for everyone's), and of one owner's when given, in one grouped query:
    {stage id: {"count": n, "total": Decimal, "contacts": n}}."""
    rows = StageTotal.objects.filter(stage_id__in=stage_ids)
    if owners is not None:
        rows = rows.filter(owner_key__in=[UNASSIGNED if owner is None else owner for owner in owners])
    if owner_id:
        rows = rows.filter(owner_key=owner_id)
    sums = rows.order_by().values("stage_id").annotate(count=Sum("leads"), cents=Sum("cents"), contacts=Sum("contacts"))
    return {
        row["stage_id"]: {"count": row["count"], "total": Decimal(row["cents"]) / 100, "contacts": row["contacts"]}
        for row in sums
    }


@transaction.atomic
def stage_totals_compact() -> int:
    """Fold the changes into one row per stage and owner (none where they cancel out, none for a deleted stage);
    returns how many rows went. What the DELETE saw is what is folded: changes written meanwhile stay as they are, for
    the next time."""
    table = connection.ops.quote_name(StageTotal._meta.db_table)
    with connection.cursor() as cursor:
        # A model's table:
        cursor.execute(f"DELETE FROM {table} RETURNING stage_id, owner_key, leads, cents, contacts")  # noqa: S608
        removed = cursor.fetchall()
    folded: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for stage_id, owner_key, *changes in removed:
        place = folded[(stage_id, owner_key)]
        for measure, change in enumerate(changes):
            place[measure] += change
    stages = set(Stage.objects.filter(pk__in={stage_id for stage_id, _ in folded}).values_list("pk", flat=True))
    StageTotal.objects.bulk_create(
        StageTotal(stage_id=stage_id, owner_key=owner_key, leads=leads, cents=cents, contacts=contacts)
        for (stage_id, owner_key), (leads, cents, contacts) in folded.items()
        if (leads or cents or contacts) and stage_id in stages
    )
    return len(removed)
