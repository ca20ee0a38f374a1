"""The sync engine against each CRM's stand-in: push, pull, both, conflicts, rate limits, deletions, visibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Activity, CrmConnection, CrmLink, Lead, SyncChange, SyncRun
from tests.crm.sync.helpers import connect, sync
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_push_creates_each_lead_once_and_a_rerun_does_nothing(remote, manager_mia):
    ann = LeadFactory(first_name="Ann", last_name="Lee", email="ann@acme.example", title="CTO", owner=manager_mia)
    bo = LeadFactory(first_name="Bo", last_name="Ray", email="bo@acme.example", title="CEO", owner=manager_mia)
    connection = connect(remote, manager_mia)

    run = sync(connection, CrmConnection.Direction.PUSH)

    assert run.status == SyncRun.Status.DONE, run.error
    assert (run.created, run.updated, run.errors) == (2, 0, 0)
    for lead in (ann, bo):
        remote_id = CrmLink.objects.get(connection=connection, lead=lead).remote_id
        assert remote.value(remote_id, "email") == lead.email
        assert remote.value(remote_id, "first_name") == lead.first_name
        assert remote.value(remote_id, "title") == lead.title
    assert remote.count() == 2
    logged = SyncChange.objects.filter(run=run, lead=ann, direction="push").values_list("field", "new")
    assert ("email", "ann@acme.example") in set(logged) and ("title", "CTO") in set(logged)

    writes = remote.writes()
    again = sync(connection, CrmConnection.Direction.BOTH)
    assert again.status == SyncRun.Status.DONE, again.error
    assert again.counts == {
        "created": 0,
        "updated": 0,
        "pulled": 0,
        "skipped": again.skipped,
        "conflicts": 0,
        "errors": 0,
    }
    assert not SyncChange.objects.filter(run=again).exists()
    assert remote.writes() == writes
    assert remote.count() == 2


def test_push_updates_the_record_with_the_same_email_instead_of_making_another(remote, manager_mia):
    remote_id = remote.add(email="ann@acme.example", first_name="Ann")
    lead = LeadFactory(first_name="Ann", email="ann@acme.example", title="Head of Ops", owner=manager_mia)
    connection = connect(remote, manager_mia)

    run = sync(connection, CrmConnection.Direction.PUSH)

    assert (run.created, run.updated) == (0, 1)
    assert remote.count() == 1
    assert remote.value(remote_id, "title") == "Head of Ops"
    assert CrmLink.objects.get(connection=connection, lead=lead).remote_id == remote_id


def test_a_lead_changed_in_leadflow_is_pushed_to_its_linked_record(remote, manager_mia):
    lead = LeadFactory(email="ann@acme.example", title="CTO", owner=manager_mia)
    connection = connect(remote, manager_mia)
    sync(connection, CrmConnection.Direction.PUSH)
    remote_id = CrmLink.objects.get(lead=lead).remote_id

    from crm.services.leads import lead_update

    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=manager_mia, title="Chief Technology Officer")
    run = sync(connection, CrmConnection.Direction.PUSH)

    assert run.updated == 1
    assert remote.value(remote_id, "title") == "Chief Technology Officer"
    change = SyncChange.objects.get(run=run)
    assert (change.field, change.old, change.new, change.direction) == (
        "title",
        "CTO",
        "Chief Technology Officer",
        "push",
    )


def test_pull_makes_new_people_leads_and_applies_changes_through_the_services(remote, manager_mia):
    remote_id = remote.add(email="cy@globex.example", first_name="cy", last_name="north", title="VP Sales")
    connection = connect(remote, manager_mia)

    run = sync(connection, CrmConnection.Direction.PULL)

    assert run.status == SyncRun.Status.DONE, run.error
    assert run.pulled == 1
    lead = CrmLink.objects.get(connection=connection, remote_id=remote_id).lead
    # Names are normalised on the way in, as for any other source.
    assert (lead.email, lead.first_name, lead.last_name, lead.title) == ("cy@globex.example", "Cy", "North", "VP Sales")
    assert connection.pulled_until is not None

    remote.edit(remote_id, at=timezone.now() + timedelta(seconds=5), title="SVP Sales")
    run = sync(connection, CrmConnection.Direction.PULL)

    lead.refresh_from_db()
    assert lead.title == "SVP Sales"
    assert run.pulled == 1
    assert Activity.objects.filter(lead=lead, kind=Activity.Kind.UPDATED, summary__contains="SVP Sales").exists()
    change = SyncChange.objects.get(run=run)
    assert (change.field, change.old, change.new, change.direction) == ("title", "VP Sales", "SVP Sales", "pull")

    rerun = sync(connection, CrmConnection.Direction.PULL)
    assert rerun.pulled == 0 and not SyncChange.objects.filter(run=rerun).exists()


def _linked(remote, actor, conflict_rule):
    lead = LeadFactory(email="dee@initech.example", title="Analyst", owner=actor)
    connection = connect(remote, actor, conflict_rule=conflict_rule)
    sync(connection, CrmConnection.Direction.PUSH)
    return lead, connection, CrmLink.objects.get(lead=lead).remote_id


def _change_both_sides(remote, remote_id, lead, actor, *, crm_later: bool):
    from crm.services.leads import lead_update

    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=actor, title="Leadflow title")
    lead.refresh_from_db()
    at = lead.updated_at + (timedelta(minutes=5) if crm_later else -timedelta(minutes=5))
    remote.edit(remote_id, at=at, title="CRM title")


@pytest.mark.parametrize(
    ("rule", "crm_later", "winner_title", "why"),
    [
        ("newest", True, "CRM title", "newest"),
        ("newest", False, "Leadflow title", "newest"),
        ("leadflow", True, "Leadflow title", "leadflow"),
        ("crm", False, "CRM title", "crm"),
    ],
)
def test_a_field_changed_on_both_sides_follows_the_conflict_rule(
    remote, manager_mia, rule, crm_later, winner_title, why
):
    lead, connection, remote_id = _linked(remote, manager_mia, rule)
    _change_both_sides(remote, remote_id, lead, manager_mia, crm_later=crm_later)
    connection.pulled_until = timezone.now() - timedelta(days=1)
    connection.save()

    run = sync(connection, CrmConnection.Direction.BOTH)

    assert run.status == SyncRun.Status.DONE, run.error
    assert run.conflicts == 1
    lead.refresh_from_db()
    assert lead.title == winner_title
    assert remote.value(remote_id, "title") == winner_title
    change = SyncChange.objects.get(run=run, field="title")
    assert change.conflict and change.winner == why
    assert change.direction == ("pull" if winner_title == "CRM title" else "push")

    rerun = sync(connection, CrmConnection.Direction.BOTH)
    assert rerun.conflicts == 0 and not SyncChange.objects.filter(run=rerun).exists()


def test_a_rate_limit_is_waited_out_as_the_crm_asks(remote, manager_mia, slept):
    LeadFactory(email="eve@acme.example", owner=manager_mia)
    connection = connect(remote, manager_mia)
    remote.rate_limits(times=1, retry_after=3)

    run = sync(connection, CrmConnection.Direction.PUSH)

    assert run.status == SyncRun.Status.DONE, run.error
    assert run.created == 1
    if remote.says_retry_after:
        assert 3 in slept  # the CRM's Retry-After
    else:
        assert slept and all(0 < wait <= 5 for wait in slept)  # the client's own backoff, capped
    assert remote.count() == 1


def test_a_crm_that_keeps_rate_limiting_fails_the_run_cleanly_and_the_next_run_resumes(
    remote, manager_mia, slept, settings
):
    settings.SYNC_RATE_LIMIT_RETRIES = 1
    LeadFactory(email="fay@acme.example", owner=manager_mia)
    connection = connect(remote, manager_mia)
    remote.rate_limits(times=50, retry_after=1)

    failed = sync(connection, CrmConnection.Direction.PUSH)

    assert failed.status == SyncRun.Status.FAILED
    assert "rate limiting" in failed.error
    assert failed.lease_owner == ""
    remote.clear_failures()

    resumed = sync(connection, CrmConnection.Direction.PUSH)
    assert resumed.status == SyncRun.Status.DONE and resumed.created == 1
    assert remote.count() == 1


def test_a_server_error_is_retried(remote, manager_mia, slept):
    LeadFactory(email="gus@acme.example", owner=manager_mia)
    connection = connect(remote, manager_mia)
    remote.server_error(times=1)

    run = sync(connection, CrmConnection.Direction.PUSH)

    assert run.status == SyncRun.Status.DONE, run.error
    assert remote.count() == 1


def test_a_record_deleted_in_the_crm_is_unlinked_logged_and_not_recreated(remote, manager_mia):
    lead = LeadFactory(email="hal@acme.example", title="CFO", owner=manager_mia)
    connection = connect(remote, manager_mia)
    sync(connection, CrmConnection.Direction.PUSH)
    link = CrmLink.objects.get(lead=lead)
    remote.delete(link.remote_id)

    from crm.services.leads import lead_update

    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=manager_mia, title="CEO")
    run = sync(connection, CrmConnection.Direction.PUSH)

    assert run.status == SyncRun.Status.DONE, run.error
    link.refresh_from_db()
    assert link.remote_deleted_at is not None
    assert SyncChange.objects.filter(run=run, lead=lead, winner=SyncChange.Winner.DELETED).exists()
    assert remote.count() == 0

    again = sync(connection, CrmConnection.Direction.PUSH)
    assert again.created == 0 and remote.count() == 0


def test_a_reps_connection_never_changes_another_reps_lead(remote, rep_alice, rep_bob):
    bobs = LeadFactory(email="ivy@acme.example", title="Buyer", owner=rep_bob)
    alices = LeadFactory(email="jo@acme.example", title="Owner", owner=rep_alice)
    remote.add(email="ivy@acme.example", title="Changed in the CRM")
    connection = connect(remote, rep_alice)

    run = sync(connection, CrmConnection.Direction.BOTH)

    assert run.status == SyncRun.Status.DONE, run.error
    bobs.refresh_from_db()
    assert bobs.title == "Buyer"
    assert not CrmLink.objects.filter(lead=bobs).exists()
    assert CrmLink.objects.filter(lead=alices).exists()
    # No lead was made for the person either: that would reveal nothing new but duplicate Bob's lead.
    assert Lead.objects.filter(email="ivy@acme.example").count() == 1
    assert run.skipped >= 1


def test_a_rate_limit_in_the_middle_of_a_pull_is_waited_out_and_the_pull_goes_on(remote, manager_mia, slept):
    for n in range(3):
        remote.add(email=f"p{n}@globex.example", first_name=f"P{n}")
    connection = connect(remote, manager_mia)
    remote.rate_limits(times=5, retry_after=2)  # more than the transport's own retries

    run = sync(connection, CrmConnection.Direction.PULL)

    assert run.status == SyncRun.Status.DONE, run.error
    assert run.pulled == 3
    assert Lead.objects.filter(email__endswith="@globex.example").count() == 3
    if remote.says_retry_after:
        assert slept.count(2) >= 5
    else:
        assert len(slept) >= 5


def test_two_leads_with_one_address_make_one_crm_person(remote, manager_mia):
    first = LeadFactory(email="kim@acme.example", title="CTO", owner=manager_mia)
    LeadFactory(email="KIM@acme.example", title="Chief Technology Officer", owner=manager_mia)
    connection = connect(remote, manager_mia)

    run = sync(connection, CrmConnection.Direction.PUSH)
    rerun = sync(connection, CrmConnection.Direction.PUSH)

    assert (run.status, run.created, run.skipped) == (SyncRun.Status.DONE, 1, 1), run.error
    assert rerun.status == SyncRun.Status.DONE and rerun.created == 0
    assert remote.count() == 1
    assert CrmLink.objects.get(connection=connection).lead == first


def test_a_lead_with_only_an_email_goes_out_and_a_rerun_brings_nothing_back(remote, manager_mia):
    blanks = {"first_name": "", "last_name": "", "title": "", "company": None}
    lead = LeadFactory(email="solo@acme.example", owner=manager_mia, **blanks)
    connection = connect(remote, manager_mia)

    run = sync(connection, CrmConnection.Direction.PUSH)
    rerun = sync(connection, CrmConnection.Direction.BOTH)

    assert (run.status, run.created) == (SyncRun.Status.DONE, 1), run.error
    assert rerun.status == SyncRun.Status.DONE, rerun.error
    # A CRM that fills what it requires (Salesforce's "[not provided]" Company) hands no placeholder back.
    assert not SyncChange.objects.filter(run=rerun).exists()
    lead.refresh_from_db()
    assert (lead.company, lead.last_name) == (None, "")
    remote_id = CrmLink.objects.get(lead=lead).remote_id
    assert remote.value(remote_id, "email") == "solo@acme.example"


def test_a_company_changed_in_leadflow_is_not_undone_by_the_next_sync(remote, manager_mia):
    lead = LeadFactory(email="lou@acme.example", company=None, owner=manager_mia)
    connection = connect(remote, manager_mia)
    sync(connection, CrmConnection.Direction.PUSH)

    from crm.services.leads import lead_update

    lead_update(lead=Lead.objects.get(pk=lead.pk), actor=manager_mia, company_name="Globex")
    run = sync(connection, CrmConnection.Direction.BOTH)
    rerun = sync(connection, CrmConnection.Direction.BOTH)

    assert run.status == rerun.status == SyncRun.Status.DONE, run.error or rerun.error
    lead.refresh_from_db()
    assert lead.company.name == "Globex"
    remote_id = CrmLink.objects.get(lead=lead).remote_id
    pushed = SyncChange.objects.filter(run=run, field="company").values_list("direction", "new")
    if remote.mapping["company"] in remote.client.create_only_fields:
        # GoHighLevel takes a company only when a contact is made: nothing claims it went, nothing comes back.
        assert not pushed and remote.value(remote_id, "company") == ""
    else:
        assert list(pushed) == [("push", "Globex")] and remote.value(remote_id, "company") == "Globex"
    assert not SyncChange.objects.filter(run=rerun).exists()
