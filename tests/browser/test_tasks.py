"""Completing tasks, from the lead page and from "My tasks"; done stays done."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.models import Activity, Task
from tests.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.browser


def test_it_completes_a_task_from_the_lead_page(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Tomasz", last_name="Wierzbicki", owner=rep_alice)
    task = TaskFactory(lead=lead, assignee=rep_alice, title="Send the pricing sheet")
    log_in(rep_alice)
    page.goto(f"/leads/{lead.pk}/")
    page.evaluate("window.sameDocument = true")

    row = page.locator(f"#task-{task.pk}")
    expect(row).not_to_have_class("task done")
    row.get_by_role("button", name="Complete Send the pricing sheet").click()

    expect(row).to_have_class("task done")
    expect(row.get_by_label("done")).to_have_text("✓")
    expect(row.get_by_role("button", name="Complete Send the pricing sheet")).to_have_count(0)
    # The timeline tells of it at once, without a reload.
    expect(page.locator("#timeline li").first).to_contain_text("Completed task: Send the pricing sheet")
    assert page.evaluate("window.sameDocument") is True

    task.refresh_from_db()
    assert task.done
    assert task.done_at is not None
    assert Activity.objects.filter(lead=lead, kind=Activity.Kind.TASK_DONE).count() == 1

    page.reload()
    expect(row).to_have_class("task done")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Completed task: Send the pricing sheet")


def test_it_completes_a_task_from_my_tasks(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Tomasz", last_name="Wierzbicki", owner=rep_alice)
    soon = timezone.now() + timedelta(days=2)
    task = TaskFactory(lead=lead, assignee=rep_alice, title="Call about the renewal", due_at=soon)
    TaskFactory(lead=lead, assignee=rep_alice, title="Book the onsite visit", due_at=soon + timedelta(hours=1))
    log_in(rep_alice)

    page.get_by_role("link", name="My tasks").click()
    upcoming = page.locator("#tasks-upcoming")
    expect(upcoming.locator("li.task")).to_have_count(2)
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_contain_text("Tomasz Wierzbicki")
    row.get_by_role("button", name="Complete Call about the renewal").click()

    expect(row).to_have_class("task done")
    expect(row.get_by_label("done")).to_have_text("✓")
    task.refresh_from_db()
    assert task.done

    # My tasks lists open work only: after a reload the done task is gone and the other one is still there.
    page.reload()
    expect(upcoming.locator("li.task")).to_have_count(1)
    expect(upcoming).to_contain_text("Book the onsite visit")
    expect(page.get_by_text("Call about the renewal")).to_have_count(0)
    # The lead page shows it as done.
    page.get_by_role("link", name="Tomasz Wierzbicki").click()
    expect(page.locator(f"#task-{task.pk}")).to_have_class("task done")
    assert Task.objects.get(pk=task.pk).done
