"""Cursor pagination: stable pages however many rows arrive meanwhile, and no COUNT over a large table."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


class SortedCursorPagination(ApiCursorPagination):
    """Pages in the order the `sort` parameter names (one of `sort_orders`, "-" first for descending); the first
    column is the cursor's position, ties fall back to an offset within it. Only columns that are never null: a
    cursor cannot stand on a missing value."""

    sort_param = "sort"
    sort_orders: dict[str, str] = {}
    default_sort = ""

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        wanted = request.query_params.get(self.sort_param) or self.default_sort
        descending = wanted.startswith("-")
        column = self.sort_orders.get(wanted.lstrip("-"))
        if column is None:
            choices = ", ".join(sorted(self.sort_orders))
            raise ValidationError({self.sort_param: [f"Sort by one of: {choices} (with - first for descending)."]})
        sign = "-" if descending else ""
        return (f"{sign}{column}", f"{sign}id")
