"""The leads table's search, filters and sort orders (django-filter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import django_filters
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Case, Expression, F, IntegerField, Q, QuerySet, Subquery, Value, When

from crm.keyset import SortKey
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


# The distinct sources in order, one index seek each (a "loose index scan"): SELECT DISTINCT read every lead's entry
# of the source index, 125-140 ms at a million leads on every leads-table request, for a dozen values.
_SOURCES_SQL = """
WITH RECURSIVE sources (source) AS (
    SELECT MIN(source) FROM {table} WHERE source > ''
    UNION ALL
    SELECT (SELECT MIN(lead.source) FROM {table} lead WHERE lead.source > sources.source)
    FROM sources WHERE sources.source IS NOT NULL
)
SELECT source FROM sources WHERE source IS NOT NULL
"""


def _sources() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_SOURCES_SQL.format(table=connection.ops.quote_name(Lead._meta.db_table)))
        values = [value for (value,) in cursor.fetchall()]
    return [(value, value.replace("_", " ").capitalize()) for value in values]


# The filter's value for leads with no lawful basis recorded (stored as "").
UNKNOWN_BASIS = "unknown"


# Sort columns that may be empty: their empty values sort last either way, as SQLite and PostgreSQL otherwise would
# not agree (and a keyset page needs one order).
NULLABLE_SORTS = {"score", "deal_value", "company__name"}
# The table's order when none is chosen; ties on any order fall back to the newest id, so every row has one place.
DEFAULT_SORT = [SortKey("updated_at", descending=True)]
TIE_BREAK = SortKey("id", descending=True)
# How well a lead matches one searched word: its name is the word, starts with it (the email too), or holds it.
SEARCH_RANK_NAME, SEARCH_RANK_START, SEARCH_RANK_INSIDE = 0, 1, 2
# A search looks for its first few words; a word shorter than a trigram cannot use the trigram indexes.
SEARCH_WORDS = 5
TRIGRAM_LENGTH = 3


def _word_rank(word: str) -> Case:
    return Case(
        When(Q(last_name__iexact=word) | Q(first_name__iexact=word), then=Value(SEARCH_RANK_NAME)),
        When(
            Q(last_name__istartswith=word) | Q(first_name__istartswith=word) | Q(email__istartswith=word),
            then=Value(SEARCH_RANK_START),
        ),
        default=Value(SEARCH_RANK_INSIDE),
        output_field=IntegerField(),
    )


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
        """Every word must match a name, an email or phone number (the lead's others too), or the company name; the
        best matches (names that are the words, then names and emails that start with them) rank first."""
        words = value.split()[:SEARCH_WORDS]
        if not words:
            return queryset
        rank = _word_rank(words[0])
        for word in words[1:]:
            rank += _word_rank(word)
        queryset = queryset.annotate(search_rank=rank)
        for word in words:
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

    @property
    def search_indexed(self) -> bool:
        """A search whose every word the trigram indexes can look up (pg_trgm needs three characters of a word)."""
        words = (self.form.cleaned_data.get("q") or "").split()[:SEARCH_WORDS]
        return bool(words) and all(len(word) >= TRIGRAM_LENGTH for word in words)

    def page_ids(self, offset: int, limit: int) -> list[int] | None:
        """The ids of the table's leads from `offset` on (`limit` of them) by a quicker road, when one applies (None:
        none does): a one-word search's first page (first_page_ids), or a page of the sort by company."""
        if offset == 0 and (ids := self.first_page_ids(limit)) is not None:
            return ids
        return self.company_page_ids(offset, limit)

    def company_page_ids(self, offset: int, limit: int) -> list[int] | None:
        """A page of the sort by company whose leads all have a company, read with the company as an inner join:
        PostgreSQL then walks the company names' index, where the outer join the table needs (leads with no company
        come last) made it sort every lead the user may see (1.5 s under load at a million leads). None when the
        sort is another one, or the page reaches the leads without a company."""
        keys = self.sort_keys()
        if keys[0].name != "company__name":
            return None
        companied = self.qs.filter(company__name__isnull=False)  # never NULL: the join becomes an inner one
        # Nothing empty left to sort last: an order the names' index gives read either way.
        companied = companied.order_by(*(replace(key, nullable=False).order() for key in keys))
        ids = list(companied.values_list("pk", flat=True)[offset : offset + limit])
        return ids if len(ids) == limit else None

    def first_page_ids(self, limit: int) -> list[int] | None:
        """The ids of the table's first `limit` leads by a quicker road, when one applies: a one-word search in its
        own order whose best matches (a first or last name that is the word) fill the page. Each name's index is
        read in the table's order, so a common name ("Smith": thousands of leads) costs `limit` rows rather than
        ranking every match (0.1 s at a million leads). None when it does not apply."""
        if self.sort_keys() != [SortKey("search_rank"), *DEFAULT_SORT, TIE_BREAK]:
            return None
        words = (self.form.cleaned_data.get("q") or "").split()
        if len(words) != 1:
            return None
        # Under the other filters only: the search's conditions would lead the database to rank every match.
        in_order = self.unsearched.order_by(*(key.order() for key in [*DEFAULT_SORT, TIE_BREAK]))
        updated: dict[int, object] = {}
        for name in ("last_name", "first_name"):
            updated.update(in_order.filter(**{f"{name}__iexact": words[0]}).values_list("id", "updated_at")[:limit])
        if len(updated) < limit:
            return None
        return sorted(updated, key=lambda pk: (updated[pk], pk), reverse=True)[:limit]

    def filter_queryset(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        """Every filter, the search last: the leads the others leave are kept as `unsearched` (first_page_ids)."""
        values = dict(self.form.cleaned_data)
        words = values.pop("q", "")
        for name, value in values.items():
            queryset = self.filters[name].filter(queryset, value)
        self.unsearched = queryset
        return self.filters["q"].filter(queryset, words)

    def basis(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return queryset.filter(lawful_basis="" if value == UNKNOWN_BASIS else value)

    @property
    def qs(self) -> QuerySet[Lead]:
        leads = super().qs
        return leads.order_by(*(key.order() for key in self.sort_keys(leads)))

    def sort_keys(self, leads: QuerySet[Lead] | None = None) -> list[SortKey]:
        """The table's order as keys (keyset pages read them): the chosen column, else the search's ranking then the
        most recently updated, else the most recently updated; the newest id last."""
        leads = super().qs if leads is None else leads
        chosen = [
            SortKey(key.lstrip("-"), descending=key.startswith("-"), nullable=key.lstrip("-") in NULLABLE_SORTS)
            for key in leads.query.order_by
            if isinstance(key, str) and key.lstrip("-") != "id"
        ]
        if not chosen and "search_rank" in leads.query.annotations:
            chosen = [SortKey("search_rank"), *DEFAULT_SORT]
        return [*(chosen or DEFAULT_SORT), TIE_BREAK]


def leads_matching(leads: QuerySet[Lead], params: Mapping[str, str]) -> QuerySet[Lead]:
    """Every lead among `leads` (those the user may see) that the table shows for these parameters, on all its pages,
    in its order: what an export holds and what "all leads matching this filter" acts on. A parameter the filters
    refuse is a ValidationError rather than ignored, so nothing acts on more leads than the table showed."""
    lead_filter = LeadFilter(params, queryset=leads)
    if not lead_filter.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in lead_filter.errors.items())
        raise ValidationError(f"These filters are not valid: {problems}")
    return lead_filter.qs
