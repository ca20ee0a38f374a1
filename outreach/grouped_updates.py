"""Writing many changed rows in a few UPDATEs: rows that end with the same values share one statement. (Django's
bulk_update builds a CASE per field and row; for a batch of messages that mostly end the same way, sent at the same
moment, it cost more than sending them.)"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Expression, Model


def rows_update(rows: Iterable[Model], fields: list[str], **also: Expression) -> int:
    """Save `fields` of each row, one UPDATE per distinct set of values, with `also` (expressions such as
    F("version") + 1) applied to every row; the number of rows written."""
    groups: dict[tuple, list] = defaultdict(list)
    model = None
    for row in rows:
        model = type(row)
        values = tuple(getattr(row, model._meta.get_field(name).attname) for name in fields)
        groups[values].append(row.pk)
    written = 0
    for values, pks in groups.items():
        columns = {model._meta.get_field(name).attname: value for name, value in zip(fields, values, strict=True)}
        written += model._default_manager.filter(pk__in=pks).update(**columns, **also)
    return written
