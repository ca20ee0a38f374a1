"""The leads table's pages at a million leads: a count that stops at a cap and is kept briefly per filter, OFFSET
pages while they are cheap, keyset pages past them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Model, QuerySet

from crm.keyset import SortKey, cursor_of, cursor_values, keyset_filter

_COUNT_VERSION_KEY = "lead-counts:version"


@dataclass(frozen=True)
class CappedCount:
    """How many rows match, counted up to the cap: past it the table says "1,000+" rather than count a million."""

    value: int
    capped: bool

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


def count_capped(rows: QuerySet, *, cached: bool = True, by_index: bool = False) -> CappedCount:
    """The rows' count, up to settings.LEADS_COUNT_CAP; `cached`: read from the cache when the same query (same
    filters, same visibility: the SQL says both) was counted in the last LEADS_COUNT_CACHE_SECONDS and no bulk change
    from the leads table came since (other pages count afresh: their rows change without telling the table).
    `by_index`: the rows are a search the trigram indexes can find (crm.filters.LeadFilter.search_indexed)."""
    cap = settings.LEADS_COUNT_CAP
    counted = _count_kept(rows, cap, by_index) if cached else _count_up_to(rows, cap, by_index)
    return CappedCount(min(counted, cap), counted > cap)


def _count_up_to(rows: QuerySet, cap: int, by_index: bool = False) -> int:
    # COUNT over a LIMIT: the database stops reading after cap + 1 rows.
    capped = rows.order_by()[: cap + 1]
    connection = connections[rows.db]
    if not by_index or connection.vendor != "postgresql":
        return capped.count()
    # PostgreSQL guesses that a LIKE '%word%' matches several times more leads than it does, so under the LIMIT it
    # expects to meet cap + 1 of them soon while reading the table in order, and reads half of it (90-290 ms at a
    # million leads, for a rep's count of a last name); the trigram indexes find them in 7-45 ms. Table scans are off
    # for this count alone: its own transaction (or savepoint, whose rollback also undoes it) and set back after.
    with transaction.atomic(using=rows.db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        counted = capped.count()
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    return counted


def _count_kept(rows: QuerySet, cap: int, by_index: bool) -> int:
    sql, params = rows.order_by().query.sql_with_params()
    key = "lead-counts:" + hashlib.sha256(f"{cap}|{sql}|{params!r}".encode()).hexdigest()
    found = cache.get_many([key, _COUNT_VERSION_KEY])  # one round trip
    version = found.get(_COUNT_VERSION_KEY, 0)
    kept = found.get(key)
    if kept is not None and kept[1] == version:
        return kept[0]
    counted = _count_up_to(rows, cap, by_index)
    cache.set(key, (counted, version), settings.LEADS_COUNT_CACHE_SECONDS)
    return counted


class CappedPaginator(Paginator):
    """Django's pages over rows counted up to the cap (count_capped): pages past it are not offered."""

    @cached_property
    def counted(self) -> CappedCount:
        return count_capped(self.object_list, cached=False)

    @cached_property
    def count(self) -> int:
        return self.counted.value


def lead_counts_forget() -> None:
    """Kept counts no longer count: after a bulk change made from the table, whose result its user looks for."""
    try:
        cache.incr(_COUNT_VERSION_KEY)
    except ValueError:  # not set yet, or expired
        cache.set(_COUNT_VERSION_KEY, 1, None)


@dataclass
class TablePage:
    """One page of rows, its place among the others, and the URL parameters of its neighbours."""

    object_list: list[Model]
    number: int
    count: CappedCount
    num_pages: int | None  # None when the count is capped
    next_params: dict[str, str] | None
    previous_params: dict[str, str] | None
    cursor_params: dict[str, str]  # what reopens this same page (a bulk action shows it again)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_params is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_params is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _number(text: str | None) -> int:
    try:
        return max(int(text or 1), 1)
    except ValueError:
        return 1


def table_page(
    rows: QuerySet,
    keys: list[SortKey],
    params: Mapping[str, str],
    page_ids: Callable[[int, int], list[int] | None] | None = None,
    count_by_index: bool = False,
) -> TablePage:
    """The page the parameters ask for: `page=N` by OFFSET up to the count's cap, then `after=`/`before=` a cursor
    (with `page=N` only to show its number). `rows` must be in `keys`' order, the last key unique. `page_ids`, when
    given, may name an OFFSET page's rows (offset, how many) by a quicker road than `rows` (None: it cannot).
    `count_by_index`: count them as count_capped's `by_index` says."""
    size = settings.LEADS_PAGE_SIZE
    count = count_capped(rows, by_index=count_by_index)
    offset_pages = max(-(-count.value // size), 1)  # pages OFFSET reaches: all of them unless the count is capped
    number = _number(params.get("page"))
    after, before = params.get("after"), params.get("before")
    cursor = after or before
    values = cursor_values(cursor, keys) if cursor else None
    reverse = bool(before) and not after
    page_rows: list[Model] = []
    if values is not None:
        try:
            page_rows = list(keyset_filter(rows, keys, values, reverse=reverse)[: size + 1])
        except (ValidationError, ValueError, TypeError):  # a value the column cannot hold: start from the top
            values = None
    if values is None:
        number = min(number, offset_pages)
        ids = page_ids((number - 1) * size, size + 1) if page_ids else None
        page_rows = list(rows.filter(pk__in=ids) if ids else rows[(number - 1) * size : number * size + 1])
    more = len(page_rows) > size
    page_rows = page_rows[:size]
    if reverse:
        page_rows.reverse()
        # Read backwards, `more` says whether pages lie before this one; the page a cursor came from lies after.
        has_next, has_previous = bool(page_rows), more
        number = number if more else 1
    else:
        has_next, has_previous = more, number > 1
    return TablePage(
        object_list=page_rows,
        number=number,
        count=count,
        num_pages=None if count.capped else offset_pages,
        next_params=_next(page_rows, keys, number, offset_pages) if has_next else None,
        previous_params=_previous(page_rows, keys, number, offset_pages) if has_previous else None,
        cursor_params={"page": str(number), **({"after" if not reverse else "before": cursor} if values else {})},
    )


def _next(page_rows: list[Model], keys: list[SortKey], number: int, offset_pages: int) -> dict[str, str]:
    if number < offset_pages:
        return {"page": str(number + 1)}
    return {"page": str(number + 1), "after": cursor_of(page_rows[-1], keys)}


def _previous(page_rows: list[Model], keys: list[SortKey], number: int, offset_pages: int) -> dict[str, str]:
    if number - 1 <= offset_pages or not page_rows:
        return {"page": str(number - 1)}
    return {"page": str(number - 1), "before": cursor_of(page_rows[0], keys)}
