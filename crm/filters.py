"""The leads table's search, filters and sort orders (django-filter)."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy

from crm.models import Company, Lead, LeadList, Stage, Tag, User


class _InSubquery(Expression):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL.

    In an OR with other indexed conditions PostgreSQL can only read a plain IN (or a join) row by row; as an
    array it becomes one more index scan in a BitmapOr, so a search reads the few matching rows, not the table.
    """

    def __init__(self, column: str, queryset: QuerySet) -> None:
        super().__init__(output_field=BooleanField())
        self.column = F(column)
        self.subquery = Subquery(queryset)

    def get_source_expressions(self) -> list:
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs: list) -> None:
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection, template: str = "{column} IN {subquery}"):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        return template.format(column=column_sql, subquery=subquery_sql), (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="{column} = ANY(ARRAY{subquery})")


def _sources() -> list[tuple[str, str]]:
    values = Lead.objects.exclude(source="").order_by("source").values_list("source", flat=True).distinct()
    return [(value, value.replace("_", " ").capitalize()) for value in values]


# The filter's value for leads with no lawful basis recorded (stored as "").
UNKNOWN_BASIS = "unknown"


def _nulls_last(key: str) -> OrderBy:
    return F(key.lstrip("-")).desc(nulls_last=True) if key.startswith("-") else F(key).asc(nulls_last=True)


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    stage = django_filters.ModelChoiceFilter(queryset=Stage.objects.select_related("pipeline"), empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), null_label="Unassigned", null_value="none", empty_label="Anyone"
    )
    source = django_filters.ChoiceFilter(choices=_sources, empty_label="Any")
    list = django_filters.ModelChoiceFilter(
        field_name="lists", queryset=LeadList.objects.all(), label="List", empty_label="Any"
    )
    grade = django_filters.ChoiceFilter(choices=Lead.Grade.choices, empty_label="Any")
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label="Score from", min_value=0)
    lifecycle = django_filters.ChoiceFilter(choices=Lead.Lifecycle.choices, empty_label="Any")
    lawful_basis = django_filters.ChoiceFilter(
        choices=[*Lead.LawfulBasis.choices, (UNKNOWN_BASIS, "Unknown")],
        method="basis",
        label="Lawful basis",
        empty_label="Any",
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), to_field_name="name", label="Tag", empty_label="Any"
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
        empty_label="Recently updated",
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def search(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        """Every word must match a name, an email or phone number (the lead's others too), or the company name."""
        for word in value.split()[:5]:
            # The company as a subquery, not a join, so that PostgreSQL can use the trigram indexes of all four.
            companies = Company.objects.filter(name__icontains=word).order_by().values("pk")
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(other_emails__icontains=word)
                | Q(other_phones__icontains=word)
                | _InSubquery("company", companies)
            )
        return queryset

    def basis(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return queryset.filter(lawful_basis="" if value == UNKNOWN_BASIS else value)

    @property
    def qs(self) -> QuerySet[Lead]:
        leads = super().qs
        # Unscored leads (no score yet) last either way, as SQLite does and PostgreSQL would not by itself.
        order = [_nulls_last(key) if key.lstrip("-") == "score" else key for key in leads.query.order_by]
        # A stable order for pagination: ties on the chosen column fall back to the newest id.
        return leads.order_by(*(order or ["-updated_at"]), "-id")


def leads_matching(leads: QuerySet[Lead], params: Mapping[str, str]) -> QuerySet[Lead]:
    """Every lead among `leads` (those the user may see) that the table shows for these parameters, on all its pages,
    in its order: what an export holds and what "all leads matching this filter" acts on. A parameter the filters
    refuse is a ValidationError rather than ignored, so nothing acts on more leads than the table showed."""
    lead_filter = LeadFilter(params, queryset=leads)
    if not lead_filter.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in lead_filter.errors.items())
        raise ValidationError(f"These filters are not valid: {problems}")
    return lead_filter.qs
