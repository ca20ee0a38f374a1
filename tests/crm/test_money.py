"""Deal values in the site currency and locale, set by admins on Settings, General tab."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.locale import money_format
from crm.models import SiteSettings
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _set_currency(client, admin, currency: str, time_zone: str = "UTC"):
    client.force_login(admin)
    return client.post(reverse("crm:settings_general"), {"currency": currency, "time_zone": time_zone})


def test_deal_values_show_in_the_env_currency_until_an_admin_picks_one(client, settings, manager_mia):
    settings.CURRENCY = "INR"
    LeadFactory(stage=default_stage(0), deal_value=Decimal("12500"))
    client.force_login(manager_mia)
    assert '<td class="num">₹12,500</td>' in client.get(reverse("crm:dashboard")).content.decode()


def test_an_admin_picks_the_currency_and_every_deal_value_follows(client, admin_ada):
    whole = LeadFactory(stage=default_stage(0), deal_value=Decimal("12500"))
    cents = LeadFactory(stage=default_stage(1), deal_value=Decimal("1250.50"))
    response = _set_currency(client, admin_ada, "EUR")
    assert response["Location"] == reverse("crm:settings_general")
    assert SiteSettings.objects.get().currency == "EUR"
    dashboard = client.get(reverse("crm:dashboard")).content.decode()
    assert '<td class="num">€12,500</td>' in dashboard and '<td class="num">€1,250.50</td>' in dashboard
    assert "<dd>€12,500</dd>" in client.get(reverse("crm:lead", args=[whole.pk])).content.decode()
    assert "<dd>€1,250.50</dd>" in client.get(reverse("crm:lead", args=[cents.pk])).content.decode()
    table = client.get(reverse("crm:leads")).content.decode()
    assert '<td class="num">€12,500</td>' in table and '<td class="num">€1,250.50</td>' in table
    board = client.get(reverse("crm:board")).content.decode()
    assert '<dd class="value">€12,500</dd>' in board and '<dd class="value">€1,250.50</dd>' in board
    assert f'id="total-{whole.stage_id}">€12,500</span>' in board


def test_a_lead_without_a_deal_value_shows_a_dash(client, rep_alice):
    lead = LeadFactory(owner=rep_alice, deal_value=None)
    client.force_login(rep_alice)
    assert "<dt>Deal value</dt><dd>—</dd>" in client.get(reverse("crm:lead", args=[lead.pk])).content.decode()


def test_the_general_settings_refuse_an_unknown_currency_or_zone(client, admin_ada):
    response = _set_currency(client, admin_ada, "XQQ", "Mars/Olympus")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice. XQQ is not one of the available choices." in html
    assert "Select a valid choice. Mars/Olympus is not one of the available choices." in html
    assert not SiteSettings.objects.exists()


def test_only_admins_reach_the_general_settings(client, manager_mia):
    client.force_login(manager_mia)
    assert client.get(reverse("crm:settings_general")).status_code == 403
    assert _set_currency(client, manager_mia, "EUR").status_code == 403
    assert not SiteSettings.objects.exists()


def test_the_settings_tabs_offer_general(client, admin_ada):
    client.force_login(admin_ada)
    html = client.get(reverse("crm:settings_users")).content.decode()
    assert f'<a href="{reverse("crm:settings_general")}" >General</a>' in html
    page = client.get(reverse("crm:settings_general")).content.decode()
    assert 'aria-current="page">General</a>' in page and '<strong id="money-example">$12,500</strong>' in page


def test_the_settings_record_is_read_once_per_page_however_many_values_it_formats(
    client, admin_ada, django_assert_num_queries
):
    _set_currency(client, admin_ada, "EUR")
    LeadFactory(stage=default_stage(0), deal_value=Decimal("100"))
    with CaptureQueriesContext(connection) as one_value:
        client.get(reverse("crm:dashboard"))
    for position in range(1, 6):
        LeadFactory(stage=default_stage(position), deal_value=Decimal("100"))
    with django_assert_num_queries(len(one_value.captured_queries)) as many_values:
        assert client.get(reverse("crm:dashboard")).content.decode().count("€100") == 6
    assert sum("crm_sitesettings" in query["sql"] for query in many_values.captured_queries) == 1


def test_money_is_formatted_by_one_function_for_json_answers_too(admin_ada):
    assert money_format(Decimal("99.9")) == "$99.90"
    assert money_format(3) == "$3"
    assert money_format(None) == ""
