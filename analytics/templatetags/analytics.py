"""{{ value|figure:"money" }}: a figure written as analytics pages write it (analytics.formatting.cell_text)."""

from __future__ import annotations

from django import template

from analytics.formatting import cell_text

register = template.Library()
register.filter("figure", cell_text)
