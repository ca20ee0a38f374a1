"""My tasks and the dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.selectors import DASHBOARD_TASKS, due_tasks, task_buckets
from tests.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_my_tasks_are_split_into_overdue_today_and_upcoming(rep_alice, rep_bob):
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    lead = LeadFactory(owner=rep_alice)
    earlier_today = TaskFactory(lead=lead, assignee=rep_alice, title="Morning call", due_at=noon - timedelta(hours=3))
    overdue = TaskFactory(lead=lead, assignee=rep_alice, title="Overdue call", due_at=noon - timedelta(days=2))
    today = TaskFactory(lead=lead, assignee=rep_alice, title="Evening call", due_at=noon + timedelta(hours=6))
    upcoming = TaskFactory(lead=lead, assignee=rep_alice, title="Tomorrow call", due_at=noon + timedelta(hours=12))
    undated = TaskFactory(lead=lead, assignee=rep_alice, title="Someday")
    TaskFactory(lead=lead, assignee=rep_bob, title="Bob's call", due_at=noon)
    TaskFactory(lead=lead, assignee=rep_alice, title="Done already", done=True)
    buckets = task_buckets(rep_alice, now=noon)
    assert buckets.overdue == [overdue, earlier_today]
    assert buckets.today == [today]
    assert buckets.upcoming == [upcoming, undated]


def test_my_tasks_page_shows_each_bucket(client, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    TaskFactory(lead=lead, assignee=rep_alice, title="Long overdue", due_at=timezone.now() - timedelta(days=3))
    TaskFactory(lead=lead, assignee=rep_alice, title="Next week", due_at=timezone.now() + timedelta(days=7))
    client.force_login(rep_alice)
    html = client.get(reverse("crm:tasks")).content.decode()
    overdue_section, rest = html.split('id="tasks-today"')
    assert "Long overdue" in overdue_section and "Next week" in rest


def test_completing_from_my_tasks_goes_back_there(client, rep_alice):
    task = TaskFactory(lead=LeadFactory(owner=rep_alice), assignee=rep_alice, title="Send pricing")
    client.force_login(rep_alice)
    response = client.post(reverse("crm:task_complete", args=[task.pk]), {"next": reverse("crm:tasks")}, follow=True)
    assert "Completed: Send pricing" in response.content.decode()
    task.refresh_from_db()
    assert task.done


def test_completing_refuses_to_redirect_elsewhere(client, rep_alice):
    task = TaskFactory(lead=LeadFactory(owner=rep_alice), assignee=rep_alice)
    client.force_login(rep_alice)
    response = client.post(reverse("crm:task_complete", args=[task.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("crm:tasks")


def test_dashboard_counts_pipeline_tasks_and_activity(client, rep_alice, rep_bob):
    LeadFactory(owner=rep_alice, lifecycle="contact")
    lead = LeadFactory(owner=rep_alice, lifecycle="lead", last_name="Replied")
    LeadFactory(owner=rep_bob, lifecycle="lead")
    lead.activities.create(kind="note", summary="Note: loves the product")
    TaskFactory(lead=lead, assignee=rep_alice, due_at=timezone.now() - timedelta(hours=1))
    client.force_login(rep_alice)
    response = client.get(reverse("crm:dashboard"))
    dash = response.context["dash"]
    assert (dash.contacts, dash.leads) == (1, 1)  # Bob's lead is not Alice's to see
    assert dash.pipeline[0].stage.name == "New" and dash.pipeline[0].count == 2
    assert len(dash.tasks.overdue) == 1 and dash.tasks.overdue_count == 1
    assert "Note: loves the product" in response.content.decode()


def test_the_dashboard_counts_every_task_due_and_lists_the_soonest(client, rep_alice, rep_bob):
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    lead = LeadFactory(owner=rep_alice)
    overdue = [
        TaskFactory(lead=lead, assignee=rep_alice, title=f"Call {days}", due_at=noon - timedelta(days=days))
        for days in range(1, DASHBOARD_TASKS + 4)
    ]
    today = [TaskFactory(lead=lead, assignee=rep_alice, due_at=noon + timedelta(hours=hours)) for hours in (1, 2)]
    TaskFactory(lead=lead, assignee=rep_alice, due_at=noon + timedelta(days=1))  # tomorrow: neither
    TaskFactory(lead=lead, assignee=rep_alice, due_at=noon - timedelta(days=1), done=True)
    TaskFactory(lead=lead, assignee=rep_bob, due_at=noon - timedelta(days=1))
    due = due_tasks(rep_alice, now=noon)
    assert (due.overdue_count, due.today_count) == (DASHBOARD_TASKS + 3, 2)
    assert due.overdue == sorted(overdue, key=lambda task: task.due_at)[:DASHBOARD_TASKS] and due.today == today
    client.force_login(rep_alice)
    html = client.get(reverse("crm:dashboard")).content.decode()
    # The page's own moment splits today's two between overdue and due today; together they are all listed.
    assert f"All {DASHBOARD_TASKS + 3 + 2} tasks overdue and due today" in html
    still_today = sum(task.due_at > timezone.now() for task in today)
    assert html.count('<li class="task') == DASHBOARD_TASKS + still_today  # more than ten overdue either way
