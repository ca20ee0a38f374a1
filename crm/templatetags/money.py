"""{{ lead.deal_value|money }}: a deal value in the site currency and locale (crm.locale.money_format)."""

from __future__ import annotations

from django import template

from crm.locale import money_format

register = template.Library()
register.filter("money", money_format)
