"""The demo fills the analytics pages: spend on two sources and a campaign, and figures to show for them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from analytics.models import Spend
from analytics.reports import Scope, site_today
from analytics.sources import sources_report
from crm.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_enters_spend_and_the_sources_report_prices_its_leads(client):
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    assert "months of spend on linkedin, meta_ads and a capture campaign" in out.getvalue()
    assert Spend.objects.filter(source="linkedin").count() == 3
    manager = User.objects.get(email="mia@demo.leadflow")
    scope = Scope.for_user(manager, site_today() - timedelta(days=89), site_today())
    rows = {row["source"]: row for row in sources_report(scope)[0].rows}
    assert rows["linkedin"]["added"] > 0 and rows["linkedin"]["cost"] > 0
    assert rows["linkedin"]["per_lead"] is not None
    client.force_login(manager)
    page = client.get(reverse("analytics:report", args=["funnel"]), {"preset": "90"}).content.decode()
    assert "<svg" in page
