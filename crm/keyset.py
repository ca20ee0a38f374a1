"""Keyset pages: the rows after (or before) a row, found through the sort's index instead of counting past OFFSET rows.

A cursor holds the sort values of the row a page ended on; the last sort key is unique (the id), so pages never
overlap nor skip a row, however deep, even while rows are added in front.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class SortKey:
    """One column of an order: a field path or an annotation; a nullable one sorts its empty values last either way,
    on every database (SQLite and PostgreSQL would put them at opposite ends)."""

    name: str
    descending: bool = False
    nullable: bool = False

    def order(self, *, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        # Saying NULLS LAST of a column that has none would keep PostgreSQL from reading its index backwards.
        nulls = ({"nulls_first": True} if reverse else {"nulls_last": True}) if self.nullable else {}
        return F(self.name).desc(**nulls) if descending else F(self.name).asc(**nulls)

    def bound(self, value: Any, *, reverse: bool) -> Q:
        """A range every row beyond `value` lies in, given by this key alone: said as well, it lets the database
        start reading its index at the cursor rather than skip every row before it."""
        if self.nullable or value is None:
            return Q()
        lookup = "lte" if self.descending != reverse else "gte"
        return Q(**{f"{self.name}__{lookup}": value})

    def beyond(self, value: Any, *, reverse: bool) -> Q:
        """The rows this key alone puts after `value` (before it when `reverse`)."""
        if value is None:
            # Empty values come last: nothing follows them, every filled value precedes them.
            return Q(**{f"{self.name}__isnull": False}) if reverse else Q(pk__in=[])
        lookup = "lt" if self.descending != reverse else "gt"
        beyond = Q(**{f"{self.name}__{lookup}": value})
        return beyond | Q(**{f"{self.name}__isnull": True}) if self.nullable and not reverse else beyond

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


def keyset_filter(rows: QuerySet, keys: list[SortKey], values: list[Any], *, reverse: bool = False) -> QuerySet:
    """The rows after the row whose sort values are `values` (before it when `reverse`), in `keys`' order
    (reversed when `reverse`: read the page, then turn it round)."""
    condition = Q(pk__in=[])
    for position, key in enumerate(keys):
        step = key.beyond(values[position], reverse=reverse)
        for earlier, value in zip(keys[:position], values[:position], strict=True):
            step &= earlier.equal(value)
        condition |= step
    condition &= keys[0].bound(values[0], reverse=reverse)
    return rows.filter(condition).order_by(*(key.order(reverse=reverse) for key in keys))


def cursor_of(row: Model, keys: list[SortKey]) -> str:
    """A URL-safe cursor for the row: its values of the sort keys."""
    values = [_plain(_value_of(row, key.name)) for key in keys]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_values(cursor: str, keys: list[SortKey]) -> list[Any] | None:
    """The sort values a cursor holds, or None for one that is not a cursor of this order (edited, or of another
    sort): the page then starts again from the top rather than failing."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    if not all(value is None or isinstance(value, (str, int, float)) for value in values):
        return None
    return values


def _value_of(row: Model, name: str) -> Any:
    value = row
    for part in name.split("__"):
        value = getattr(value, part, None) if value is not None else None
    return value


def _plain(value: Any) -> Any:
    """JSON holds text and numbers; the ORM reads dates and decimals back from their text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
