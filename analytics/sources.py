"""Sources and campaigns: what each brought in and, where a cost was entered, what it cost."""

from __future__ import annotations

from analytics.reports import Column, Scope, Table, report


@report("sources", "Sources", order=20)
def sources_report(scope: Scope) -> list[Table]:
    return [Table(slug="sources", title="Sources", columns=[Column("source", "Source")], rows=[])]
