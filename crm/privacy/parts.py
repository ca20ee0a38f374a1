"""One kind of a person's data as the export writes it: a CSV file of its own and a list in the JSON file, rows
read lazily so that no kind is ever held in memory whole."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet

# Rows fetched per round trip while exporting: a few megabytes at most, and few round trips.
CHUNK = 5000


@dataclass
class ExportPart:
    name: str
    columns: list[str]
    rows: Iterable[dict]


def queryset_part(name: str, queryset: QuerySet, extra: Iterable[str] = ()) -> ExportPart:
    """Every stored column of the queryset's model (foreign keys as ids), plus `extra` lookups ("lead_list__name"),
    read CHUNK rows at a time."""
    model: type[Model] = queryset.model
    columns = [field.attname for field in model._meta.concrete_fields] + list(extra)
    return ExportPart(name, columns, _lazy(queryset.order_by("pk").values(*columns)))


def _lazy(queryset: QuerySet) -> Iterable[dict]:
    # A generator: the query runs only once the export reaches this part.
    yield from queryset.iterator(chunk_size=CHUNK)
