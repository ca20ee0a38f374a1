"""The leads table's search, filters and sort orders (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from crm.models import Lead, LeadList, Stage, Tag, User


def _sources() -> list[tuple[str, str]]:
    values = Lead.objects.exclude(source="").order_by("source").values_list("source", flat=True).distinct()
    return [(value, value.replace("_", " ").capitalize()) for value in values]


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    stage = django_filters.ModelChoiceFilter(queryset=Stage.objects.select_related("pipeline"))
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), null_label="Unassigned", null_value="none"
    )
    source = django_filters.ChoiceFilter(choices=_sources)
    list = django_filters.ModelChoiceFilter(field_name="lists", queryset=LeadList.objects.all(), label="List")
    grade = django_filters.ChoiceFilter(choices=Lead.Grade.choices)
    lifecycle = django_filters.ChoiceFilter(choices=Lead.Lifecycle.choices)
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), to_field_name="name", label="Tag"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("updated_at", "updated"),
            ("last_name", "name"),
            ("company__name", "company"),
            ("score", "score"),
            ("deal_value", "value"),
            ("created_at", "created"),
        ),
        label="Sort",
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def search(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        """Every word must match a name, the email or the company name."""
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(company__name__icontains=word)
            )
        return queryset

    @property
    def qs(self) -> QuerySet[Lead]:
        leads = super().qs
        # A stable order for pagination: ties on the chosen column fall back to the newest id.
        return leads.order_by(*(leads.query.order_by or ["-updated_at"]), "-id")
