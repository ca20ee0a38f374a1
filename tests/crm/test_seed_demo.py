"""`manage.py seed_demo`: a realistic, repeatable demo that a second run leaves alone."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from crm.models import (
    Lead,
    Note,
    SiteSettings,
    Task,
    User,
)
from crm.selectors import task_buckets
from crm.services.site import site_settings_update

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    return out.getvalue()


def test_it_leaves_an_admins_currency_alone(admin_ada):
    site_settings_update(actor=admin_ada, currency="INR", time_zone="Asia/Kolkata")
    seed()

    assert SiteSettings.objects.get().currency == "INR"


def test_it_gives_the_admin_tasks_due_today(admin_ada):
    seed()

    assert task_buckets(admin_ada).today


def test_it_makes_the_same_demo_every_time():
    def seeded_then_undone() -> list[tuple]:
        with transaction.atomic():
            seed()
            # Sorted whole: leads alike in email, source and phone (a business card without either) may come in any
            # order from PostgreSQL, and their scores differ.
            leads = sorted(
                Lead.objects.values_list(
                    "email", "phone", "stage__name", "owner__email", "grade", "score", "deal_value", "source"
                ),
                key=repr,
            )
            snapshot = [
                *leads,
                *Note.objects.order_by("lead__email", "body").values_list("lead__email", "body"),
                *Task.objects.order_by("lead__email", "title", "done").values_list("lead__email", "title", "done"),
            ]
            transaction.set_rollback(True)
        return snapshot

    first = seeded_then_undone()
    assert Lead.objects.count() == 0

    assert seeded_then_undone() == first


def test_it_refuses_to_run_on_a_production_server(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(email__endswith="@demo.leadflow").exists()
