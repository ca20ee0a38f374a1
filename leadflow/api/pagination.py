"""Cursor pagination: stable pages however many rows arrive meanwhile, and no COUNT over a large table."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from leadflow.params import id_or_none


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request) -> int:
        """The page size asked for; one that is no whole number from 1 to max_page_size is refused (400), not
        quietly replaced, so a client learns of its mistake."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        number = id_or_none(value)
        if number is None or number > self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return number

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


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
