"""Money spent on sources and campaigns: typed in by managers, or imported from an ad platform's export; and what
a date range's share of it is (a period partly in the range counts the share of its days inside)."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from analytics.models import Spend
from crm.importing.reading.reader import table_inspect, table_rows
from crm.importing.reading.table import FileRefused
from crm.locale import site_settings
from crm.models import User
from leadflow.roles import can_reassign
from scraping.models import Campaign

# An ad platform's export is a report, not a lead file: a few thousand rows at most.
AD_SPEND_MAX_BYTES = 5 * 1024 * 1024
AD_SPEND_MAX_COLUMNS = 200


def month_period(month: date) -> tuple[date, date]:
    """The first and last day of the month `month` is in."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def require_manage_costs(user: User) -> None:
    if not can_reassign(user):
        raise PermissionDenied("Only managers and admins can enter costs.")


@transaction.atomic
def spend_save(
    *,
    actor: User,
    month: date,
    amount: Decimal,
    source: str = "",
    campaign: Campaign | None = None,
    note: str = "",
    spend: Spend | None = None,
) -> Spend:
    """Enter (or correct) a month's spend on a source and/or a campaign; the same target and month is one record."""
    require_manage_costs(actor)
    source = source.strip()
    if not source and campaign is None:
        raise ValidationError("Say which source or campaign the money was spent on.")
    if amount < 0:
        raise ValidationError("An amount spent cannot be negative.")
    start, end = month_period(month)
    if spend is None:
        spend = Spend.objects.filter(
            period_start=start, period_end=end, source=source, campaign=campaign, ad_campaign="", imported=False
        ).first() or Spend(created_by=actor)
    spend.period_start, spend.period_end, spend.source, spend.campaign = start, end, source, campaign
    spend.amount, spend.note, spend.currency = amount, note.strip(), site_settings().currency
    spend.save()
    return spend


def spend_delete(*, actor: User, spend: Spend) -> None:
    require_manage_costs(actor)
    spend.delete()


# ---- What a range's share is ----


@dataclass
class RangeCosts:
    by_source: dict[str, Decimal] = field(default_factory=dict)
    by_campaign: dict[int, Decimal] = field(default_factory=dict)


def costs_in_range(start: date, end: date, *, source: str = "", campaign_id: int | None = None) -> RangeCosts:
    """Spend in [start, end] per source and per campaign (a record on both counts for each), each period's share
    by its days in the range. Reads the spend records of the range only: a few per source and month."""
    records = Spend.objects.filter(period_start__lte=end, period_end__gte=start)
    if source:
        records = records.filter(source=source)
    if campaign_id:
        records = records.filter(campaign_id=campaign_id)
    costs = RangeCosts()
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    by_campaign: dict[int, Decimal] = defaultdict(Decimal)
    for spend in records.only("period_start", "period_end", "source", "campaign_id", "amount"):
        inside = (min(spend.period_end, end) - max(spend.period_start, start)).days + 1
        share = spend.amount * inside / spend.days
        if spend.source:
            by_source[spend.source] += share
        if spend.campaign_id:
            by_campaign[spend.campaign_id] += share
    costs.by_source = {key: value.quantize(Decimal("0.01")) for key, value in by_source.items()}
    costs.by_campaign = {key: value.quantize(Decimal("0.01")) for key, value in by_campaign.items()}
    return costs


# ---- Importing an ad platform's export ----

# Column names in Meta Ads Manager's "Export table data" and Google Ads' report downloads (first match wins).
DATE_COLUMNS = ("day", "date", "reporting starts", "week", "month")
PERIOD_END_COLUMNS = ("reporting ends",)
CAMPAIGN_COLUMNS = ("campaign name", "campaign")
AMOUNT_COLUMNS = ("amount spent", "cost", "spend", "amount spent (", "cost (")
CURRENCY_COLUMNS = ("currency code", "currency")
DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%d %b %Y", "%B %d, %Y", "%Y/%m/%d", "%B %Y", "%b %Y")


@dataclass
class AdSpendImport:
    rows_read: int = 0
    records_saved: int = 0
    total: Decimal = Decimal("0")
    skipped: list[str] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None


def _column(headers: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [header.strip().lower() for header in headers]
    for name in names:
        for index, header in enumerate(lowered):
            if header == name or (name.endswith("(") and header.startswith(name)) or header.startswith(name + " ("):
                return index
    return None


def _header_currency(header: str) -> str:
    """Meta writes the account currency into the header: "Amount spent (EUR)"."""
    found = re.search(r"\(([A-Z]{3})\)", header)
    return found.group(1) if found else ""


def parse_amount(text: str) -> Decimal | None:
    """An amount as exports write it: "1,250.50", "1.250,50", "€1 250", "--" (none)."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if not cleaned or cleaned in ("-", "--"):
        return None
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    elif "," in cleaned:
        # "1,250" is a thousand and more; "99,5" and "99,50" are decimals.
        decimal_mark = "," if len(cleaned) - cleaned.rfind(",") - 1 != 3 else ""
    else:
        decimal_mark = "."
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        cleaned = cleaned.replace(mark, "")
    try:
        return Decimal(cleaned.replace(",", ".")) if cleaned else None
    except InvalidOperation:
        return None


def parse_day(text: str) -> tuple[date, date] | None:
    """The period a date cell names: a day, or a whole month ("March 2026")."""
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        return month_period(parsed) if "%d" not in fmt else (parsed, parsed)
    return None


def ad_spend_import(*, actor: User, path: Path, source: str, file_name: str = "") -> AdSpendImport:
    """Read an ad platform's spend export (one row per campaign and day, or per campaign over the report's period)
    and keep it as the source's spend, per platform campaign and period. Importing a later export of the same days
    replaces what an earlier one said for them, so importing twice counts once."""
    require_manage_costs(actor)
    source = source.strip()
    if not source:
        raise ValidationError("Say which lead source these ads brought (the leads' Source field).")
    try:
        info = table_inspect(path, max_bytes=AD_SPEND_MAX_BYTES, max_columns=AD_SPEND_MAX_COLUMNS)
    except FileRefused as refused:
        raise ValidationError(str(refused)) from refused
    headers = info.headers
    day_at, end_at = _column(headers, DATE_COLUMNS), _column(headers, PERIOD_END_COLUMNS)
    campaign_at, amount_at = _column(headers, CAMPAIGN_COLUMNS), _column(headers, AMOUNT_COLUMNS)
    currency_at = _column(headers, CURRENCY_COLUMNS)
    if day_at is None or campaign_at is None or amount_at is None:
        raise ValidationError(
            "This file needs a date column (Day, Date or Reporting starts), a campaign column (Campaign name or "
            "Campaign) and an amount column (Amount spent or Cost); its columns are: " + ", ".join(headers[:20])
        )
    site_currency = site_settings().currency
    file_currency = _header_currency(headers[amount_at])
    result = AdSpendImport()
    sums: dict[tuple[date, date, str], Decimal] = defaultdict(Decimal)
    for row in table_rows(path, info):
        result.rows_read += 1
        values = row.values
        campaign = values[campaign_at].strip()
        if not campaign or any(cell.lower().startswith("total") for cell in (campaign, values[day_at])):
            continue  # Google's "Total: Account" lines and blank summary rows are not campaigns
        period = parse_day(values[day_at])
        if end_at is not None and period is not None:
            period_end = parse_day(values[end_at])
            period = (period[0], period_end[1]) if period_end and period_end[1] >= period[0] else None
        amount = parse_amount(values[amount_at])
        currency = (values[currency_at].strip().upper() if currency_at is not None else "") or file_currency
        if period is None:
            result.skipped.append(f"Line {row.line}: no date we can read in {values[day_at]!r}.")
        elif amount is None or amount < 0:
            result.skipped.append(f"Line {row.line}: no amount we can read in {values[amount_at]!r}.")
        elif currency and currency != site_currency:
            result.skipped.append(f"Line {row.line}: the amount is in {currency}, this site counts in {site_currency}.")
        else:
            sums[(period[0], period[1], campaign[:200])] += amount
    if sums:
        result.first_day = min(start for start, _, _ in sums)
        result.last_day = max(end for _, end, _ in sums)
        with transaction.atomic():
            # What an earlier import said for these days of these campaigns is replaced, not added to.
            for name in {name for _, _, name in sums}:
                Spend.objects.filter(
                    Q(period_start__gte=result.first_day, period_end__lte=result.last_day),
                    imported=True,
                    source=source,
                    ad_campaign=name,
                ).delete()
            Spend.objects.bulk_create(
                Spend(
                    period_start=start,
                    period_end=end,
                    source=source,
                    ad_campaign=name,
                    imported=True,
                    amount=amount,
                    currency=site_currency,
                    note=f"Imported from {file_name or path.name}"[:300],
                    created_by=actor,
                )
                for (start, end, name), amount in sorted(sums.items())
            )
        result.records_saved = len(sums)
        result.total = sum(sums.values(), Decimal("0"))
    return result
