"""Costs: managers enter a month's spend and import ad platforms' spend exports; a range counts its share."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from analytics.costs import ad_spend_import, costs_in_range, parse_amount, spend_save
from analytics.models import Spend
from crm.models import SiteSettings

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data" / "ad_spend"


@pytest.fixture
def euros(admin_ada):
    SiteSettings.objects.create(pk=SiteSettings.SINGLETON_PK, currency="EUR", time_zone="UTC")


def test_a_months_spend_counts_for_its_days_in_the_range(manager_mia):
    spend_save(actor=manager_mia, month=date(2026, 4, 1), amount=Decimal("300"), source="Webinar")
    spend_save(actor=manager_mia, month=date(2026, 5, 1), amount=Decimal("310"), source="Webinar")
    # 10 of April's 30 days and 1 of May's 31.
    assert costs_in_range(date(2026, 4, 21), date(2026, 5, 1)).by_source == {"Webinar": Decimal("110.00")}
    assert costs_in_range(date(2026, 6, 1), date(2026, 6, 30)).by_source == {}


def test_entering_the_same_month_again_corrects_it(manager_mia):
    spend_save(actor=manager_mia, month=date(2026, 4, 17), amount=Decimal("300"), source="Webinar")
    spend_save(actor=manager_mia, month=date(2026, 4, 1), amount=Decimal("450"), source="Webinar", note="invoice")
    spend = Spend.objects.get()
    assert (spend.period_start, spend.period_end, spend.amount, spend.note) == (
        date(2026, 4, 1),
        date(2026, 4, 30),
        Decimal("450"),
        "invoice",
    )


def test_reps_and_viewers_cannot_enter_costs(rep_alice, viewer_vic, client):
    for user in (rep_alice, viewer_vic):
        with pytest.raises(PermissionDenied):
            spend_save(actor=user, month=date(2026, 4, 1), amount=Decimal("1"), source="x")
        client.force_login(user)
        assert client.get(reverse("analytics:costs")).status_code == 403
        assert (
            client.post(reverse("analytics:costs"), {"month": "2026-04", "source": "x", "amount": "1"}).status_code
            == 403
        )
    assert not Spend.objects.exists()


def test_spend_needs_a_source_or_campaign(manager_mia):
    with pytest.raises(ValidationError):
        spend_save(actor=manager_mia, month=date(2026, 4, 1), amount=Decimal("1"), source="  ")


def test_a_manager_enters_and_deletes_spend_on_the_page(client, manager_mia):
    client.force_login(manager_mia)
    response = client.post(
        reverse("analytics:costs"), {"month": "2026-04", "source": "LinkedIn", "amount": "1250.50", "note": "=cmd"}
    )
    assert response.status_code == 302
    spend = Spend.objects.get()
    assert (spend.source, spend.amount, spend.period_start, spend.currency) == (
        "LinkedIn",
        Decimal("1250.50"),
        date(2026, 4, 1),
        "USD",
    )
    page = client.get(reverse("analytics:costs")).content.decode()
    assert "April 2026" in page and "$1,250.50" in page
    assert client.post(reverse("analytics:costs"), {"month": "April", "amount": "-3"}).status_code == 422
    client.post(reverse("analytics:cost_delete", args=[spend.pk]))
    assert not Spend.objects.exists()


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,030.00", "1030.00"),
        ("1.030,50", "1030.50"),
        ("99,5", "99.5"),
        ("1,250", "1250"),
        ("€ 12", "12"),
        ("--", None),
    ],
)
def test_amounts_are_read_as_exports_write_them(text, amount):
    assert parse_amount(text) == (Decimal(amount) if amount else None)


def test_a_meta_ads_manager_export_is_kept_per_campaign_and_day(manager_mia, euros):
    result = ad_spend_import(actor=manager_mia, path=DATA / "meta_ads_manager.csv", source="meta")
    assert result.records_saved == 3
    assert result.total == Decimal("1250.00")
    assert result.skipped == ["Line 5: no amount we can read in '--'."]
    kept = {(s.ad_campaign, s.period_start, s.amount) for s in Spend.objects.filter(source="meta", imported=True)}
    assert kept == {
        ("Spring webinar leads", date(2026, 3, 1), Decimal("120.50")),
        ("Spring webinar leads", date(2026, 3, 2), Decimal("99.50")),
        ("Retargeting", date(2026, 3, 1), Decimal("1030.00")),
    }
    assert costs_in_range(date(2026, 3, 2), date(2026, 3, 31)).by_source == {"meta": Decimal("99.50")}


def test_importing_the_same_export_twice_counts_once(manager_mia, euros):
    for _ in range(2):
        ad_spend_import(actor=manager_mia, path=DATA / "meta_ads_manager.csv", source="meta")
    assert costs_in_range(date(2026, 3, 1), date(2026, 3, 31)).by_source == {"meta": Decimal("1250.00")}


def test_a_google_ads_report_skips_its_title_totals_and_other_currencies(manager_mia, euros):
    result = ad_spend_import(actor=manager_mia, path=DATA / "google_ads_campaigns.csv", source="google_ads")
    assert result.total == Decimal("150.00")
    assert result.skipped == ["Line 6: the amount is in USD, this site counts in EUR."]
    assert set(Spend.objects.values_list("ad_campaign", flat=True)) == {"Brand search"}


def test_a_file_without_the_columns_says_what_it_needs(manager_mia, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("Name,Email\nAda,ada@example.com\n")
    with pytest.raises(ValidationError, match="needs a date column"):
        ad_spend_import(actor=manager_mia, path=path, source="meta")


def test_a_manager_imports_an_export_on_the_page(client, manager_mia, euros):
    client.force_login(manager_mia)
    with (DATA / "meta_ads_manager.csv").open("rb") as file:
        response = client.post(reverse("analytics:costs_import"), {"source": "meta", "file": file}, follow=True)
    page = response.content.decode()
    assert "Imported €1,250 over 3 campaign days (2026-03-01 to 2026-03-02) for meta." in page
    assert "Line 5: no amount we can read in" in page
    assert Spend.objects.filter(imported=True).count() == 3
