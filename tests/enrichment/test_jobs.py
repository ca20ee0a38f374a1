"""Enrichment jobs: who may start them on which leads, one runner at a time, cancel, resume, history; shown with
the phone source, which needs no server."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, DoNotCallNumber, Lead
from crm.services.merge import lead_merge
from enrichment.jobs import enrichment_job_cancel, enrichment_job_create, enrichment_job_run
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource
from tests.factories import LeadFactory, LeadListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrich(django_capture_on_commit_callbacks):
    """Start a job and let it run: it is queued once its transaction commits, which the test's own transaction never
    does, so the callbacks run as its creation ends (the queue is synchronous in tests)."""

    def start(actor, leads, **options):
        options.setdefault("sources", ["phone"])
        options.setdefault("fields", ["phone"])
        with django_capture_on_commit_callbacks(execute=True):
            chosen = Lead.objects.filter(pk__in=[lead.pk for lead in leads])
            job = enrichment_job_create(actor=actor, leads=chosen, **options)
        job.refresh_from_db()
        return job

    return start


def test_a_job_checks_each_phone_and_records_where_each_value_came_from(manager_mia, enrich):
    lead = LeadFactory(phone="+442079460958", time_zone="")
    job = enrich(manager_mia, [lead])
    assert (job.status, job.progress_done, job.progress_total) == ("done", 1, 1)
    assert job.breakdown == {"phones_found": 1}
    lead.refresh_from_db()
    assert lead.time_zone == "Europe/London"
    sources = {row.field: row for row in FieldSource.objects.filter(lead=lead)}
    assert sources["phone"].source == "phone" and sources["phone"].status == "fixed_line"
    assert sources["phone"].applied and sources["phone"].job == job
    assert sources["time_zone"].applied
    enriched = Activity.objects.get(lead=lead, kind=Activity.Kind.ENRICHED)
    assert "Europe/London" in enriched.summary
    assert EnrichmentItem.objects.get(job=job, lead=lead).outcome.startswith("filled time_zone")


def test_a_typed_value_is_kept_unless_the_job_says_to_replace_it(manager_mia, enrich):
    lead = LeadFactory(phone="+442079460958", time_zone="Europe/Paris")
    enrich(manager_mia, [lead])
    lead.refresh_from_db()
    assert lead.time_zone == "Europe/Paris"


def test_a_rep_enriches_only_leads_they_may_change(rep_alice, rep_bob, enrich):
    mine = LeadFactory(owner=rep_alice, phone="+442079460958", time_zone="")
    theirs = LeadFactory(owner=rep_bob, phone="+442079460958", time_zone="")
    job = enrich(rep_alice, [mine, theirs])
    assert job.progress_total == 1
    theirs.refresh_from_db()
    assert theirs.time_zone == "" and not FieldSource.objects.filter(lead=theirs).exists()


def test_a_viewer_may_not_start_a_job(viewer_vic, enrich):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        enrich(viewer_vic, [LeadFactory()])


def test_a_bad_number_is_that_leads_outcome_and_the_job_goes_on(manager_mia, enrich):
    bad = LeadFactory(phone="", time_zone="")
    bad.phone = "12"  # as an old import may have left it, unchecked
    bad.save()
    good = LeadFactory(phone="+4930901820", time_zone="")
    job = enrich(manager_mia, [bad, good])
    assert job.status == "done" and job.breakdown["failed"] == 1
    failed = EnrichmentItem.objects.get(job=job, lead=bad)
    assert failed.status == "failed" and "not a valid phone number" in failed.outcome
    good.refresh_from_db()
    assert good.time_zone == "Europe/Berlin"


def test_a_second_runner_leaves_a_held_job_alone(manager_mia):
    lead = LeadFactory(phone="+442079460958", time_zone="")
    job = EnrichmentJob.objects.create(created_by=manager_mia, fields=["phone"], sources=["phone"], progress_total=1)
    EnrichmentItem.objects.create(job=job, lead=lead)
    EnrichmentJob.objects.filter(pk=job.pk).update(
        status="running", lease_owner="someone-else", lease_expires_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert enrichment_job_run(job.pk) == "nothing to do"
    assert EnrichmentItem.objects.get(job=job).status == "pending"


def test_a_job_whose_runner_died_is_resumed_without_doing_a_lead_twice(manager_mia):
    done_lead = LeadFactory(phone="+442079460958", time_zone="")
    pending_lead = LeadFactory(phone="+4930901820", time_zone="")
    job = EnrichmentJob.objects.create(created_by=manager_mia, fields=["phone"], sources=["phone"], progress_total=2)
    EnrichmentItem.objects.create(job=job, lead=done_lead, status="done", outcome="kept before the crash")
    EnrichmentItem.objects.create(job=job, lead=pending_lead)
    EnrichmentJob.objects.filter(pk=job.pk).update(
        status="running", progress_done=1, lease_owner="dead", lease_expires_at=timezone.now() - timezone.timedelta(1)
    )
    assert enrichment_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.progress_done == 2
    assert not FieldSource.objects.filter(lead=done_lead).exists()
    assert FieldSource.objects.filter(lead=pending_lead, field="phone").count() == 1


def test_a_cancelled_job_stops_before_its_next_lead(manager_mia):
    leads = [LeadFactory(phone="+442079460958", time_zone="") for _ in range(3)]
    job = EnrichmentJob.objects.create(created_by=manager_mia, fields=["phone"], sources=["phone"], progress_total=3)
    EnrichmentItem.objects.bulk_create([EnrichmentItem(job=job, lead=lead) for lead in leads])
    EnrichmentJob.objects.filter(pk=job.pk).update(status="running")
    assert enrichment_job_cancel(job=job, actor=manager_mia)
    # Its runner sees the request before the next batch, and ends the job with every lead left as it was.
    assert enrichment_job_run(job.pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished_at is not None
    assert set(job.items.values_list("status", flat=True)) == {"pending"}


def test_a_queued_job_cancelled_never_runs(manager_mia):
    job = EnrichmentJob.objects.create(created_by=manager_mia, fields=["phone"], sources=["phone"])
    EnrichmentItem.objects.create(job=job, lead=LeadFactory(phone="+442079460958", time_zone=""))
    assert enrichment_job_cancel(job=job, actor=manager_mia)
    assert enrichment_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.items.get().status == "pending"


def test_merging_moves_where_values_came_from_to_the_survivor(manager_mia, enrich):
    survivor = LeadFactory(phone="", time_zone="")
    other = LeadFactory(phone="+442079460958", time_zone="")
    enrich(manager_mia, [survivor, other])
    record = lead_merge(survivor=survivor, other=other, chosen={"phone": "other"}, actor=manager_mia)
    assert FieldSource.objects.filter(lead=survivor, field="phone", value="+442079460958").exists()
    assert record.moved["field_sources"] == 2
    assert EnrichmentItem.objects.filter(lead=survivor).count() == 1


def test_the_command_enriches_a_list_and_prints_the_breakdown(manager_mia, capsys):
    lead_list = LeadListFactory(name="Berlin founders")
    lead = LeadFactory(phone="+4930901820", time_zone="")
    lead_list.members.add(lead, through_defaults={})
    LeadFactory(phone="+442079460958", time_zone="")  # not on the list
    call_command(
        "enrich", "--list", "Berlin founders", "--fields", "phone", "--sources", "phone", "--user", manager_mia.email
    )
    out = capsys.readouterr().out
    assert "1 lead(s), List Berlin founders" in out
    assert "Done: 1 of 1 lead(s) processed." in out and "phones found: 1" in out
    lead.refresh_from_db()
    assert lead.time_zone == "Europe/Berlin"


def test_the_command_without_a_list_takes_leads_missing_a_field(admin_ada, capsys):
    LeadFactory(email="", phone="+4930901820")
    LeadFactory(email="has@acme.example", phone="+4930901821")
    call_command("enrich", "--fields", "email", "--sources", "phone")
    assert "Enrichment #" in capsys.readouterr().out
    assert EnrichmentJob.objects.get().progress_total == 1


def test_the_command_refuses_unknown_fields_and_sources():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown field"):
        call_command("enrich", "--fields", "fax")
    with pytest.raises(CommandError, match="Unknown source"):
        call_command("enrich", "--sources", "clearbit")


def test_a_number_on_the_do_not_call_list_is_flagged_by_the_job(manager_mia, enrich):
    DoNotCallNumber.objects.create(number="+442079460958")
    lead = LeadFactory(phone="+442079460958")
    enrich(manager_mia, [lead])
    assert FieldSource.objects.get(lead=lead, field="phone").status == "do-not-call"


class TestPages:
    def test_the_table_starts_a_job_after_showing_what_it_will_cost(
        self, client, manager_mia, django_capture_on_commit_callbacks
    ):
        leads = [LeadFactory(phone="+442079460958", time_zone="") for _ in range(2)]
        client.force_login(manager_mia)
        page = client.post(reverse("enrichment:job_new"), {"leads": [lead.pk for lead in leads]})
        assert page.status_code == 200
        assert b"Enrich 2 leads" in page.content and b"No paid credits" in page.content
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(
                reverse("enrichment:job_new"),
                {"leads": [lead.pk for lead in leads], "wanted": ["phone"], "sources": ["phone"], "confirmed": "on"},
            )
        job = EnrichmentJob.objects.get()
        assert started.url == reverse("enrichment:job", args=[job.pk])
        detail = client.get(started.url).content.decode()
        assert "Done" in detail and 'id="phones-found">2<' in detail

    def test_a_list_is_enriched_from_the_lists_page(self, client, manager_mia):
        lead_list = LeadListFactory()
        lead_list.members.add(LeadFactory(phone="+442079460958"), through_defaults={})
        client.force_login(manager_mia)
        assert b"Enrich" in client.get(reverse("crm:lists")).content
        response = client.post(reverse("enrichment:job_new"), {"lead_list": lead_list.pk})
        assert b"Enrich 1 lead" in response.content

    def test_nothing_selected_goes_back_to_the_table_with_a_message(self, client, manager_mia):
        client.force_login(manager_mia)
        response = client.post(reverse("enrichment:job_new"), {}, follow=True)
        assert b"Select leads first." in response.content

    def test_a_lead_page_shows_its_values_with_source_and_confidence(self, client, manager_mia, enrich):
        lead = LeadFactory(phone="+442079460958", time_zone="")
        enrich(manager_mia, [lead])
        client.force_login(manager_mia)
        assert b"enrichment/leads/" in client.get(reverse("crm:lead", args=[lead.pk])).content
        panel = client.get(reverse("enrichment:lead_sources", args=[lead.pk])).content.decode()
        assert "+442079460958" in panel and "100%" in panel and "fixed_line" in panel

    def test_a_rep_sees_neither_another_reps_lead_sources_nor_their_jobs(self, client, rep_alice, rep_bob, enrich):
        lead = LeadFactory(owner=rep_bob, phone="+442079460958")
        job = enrich(rep_bob, [lead])
        client.force_login(rep_alice)
        assert client.get(reverse("enrichment:lead_sources", args=[lead.pk])).status_code == 404
        assert client.get(reverse("enrichment:job", args=[job.pk])).status_code == 404
        assert client.post(reverse("enrichment:job_cancel", args=[job.pk])).status_code == 404

    def test_odd_ids_are_not_found(self, client, manager_mia):
        client.force_login(manager_mia)
        assert client.get("/enrichment/jobs/99999999999999999999/").status_code == 404
        assert client.get("/enrichment/leads/0/sources/").status_code == 404

    def test_admins_order_and_switch_sources(self, client, admin_ada, manager_mia):
        client.force_login(manager_mia)
        assert client.get(reverse("enrichment:settings")).status_code == 403
        client.force_login(admin_ada)
        assert client.get(reverse("enrichment:settings")).status_code == 200
        form = {
            "position_phone": 4, "position_website": 3, "position_finder": 1, "position_hunter": 2,
            "enabled": ["finder", "phone"], "monthly_credit_cap": 500, "cache_days": 7,
            "threshold_email": 90, "threshold_phone": 80, "threshold_linkedin": 70, "threshold_company": 60,
        }  # fmt: skip
        assert client.post(reverse("enrichment:settings"), form).status_code == 302
        from enrichment.config import waterfall_settings

        row = waterfall_settings()
        assert row.source_order == ["finder", "hunter", "website", "phone"]
        assert row.sources_enabled == ["finder", "phone"]
        assert (row.monthly_credit_cap, row.cache_days, row.thresholds["email"]) == (500, 7, 90)
        clash = {**form, "position_phone": 1}
        assert client.post(reverse("enrichment:settings"), clash).status_code == 422


def test_only_managers_may_replace_typed_values(rep_alice, enrich):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="replace values people typed"):
        enrich(rep_alice, [LeadFactory(owner=rep_alice)], overwrite=True)


def test_leads_another_job_is_enriching_are_left_to_it(manager_mia, admin_ada):
    lead, other = LeadFactory(phone="+442079460958"), LeadFactory(phone="+4930901820")
    first = enrichment_job_create(actor=manager_mia, leads=Lead.objects.filter(pk=lead.pk), sources=["phone"])
    second = enrichment_job_create(actor=admin_ada, leads=Lead.objects.filter(pk__in=[lead.pk, other.pk]))
    assert (first.progress_total, second.progress_total) == (1, 1)
    assert list(second.items.values_list("lead_id", flat=True)) == [other.pk]


def test_a_duplicate_is_linked_only_for_people_who_may_see_it(client, rep_alice, rep_bob, manager_mia, enrich):
    mine = LeadFactory(owner=rep_alice, phone="+442079460958")
    hidden = LeadFactory(owner=rep_bob)
    enrich(rep_alice, [mine])
    FieldSource.objects.create(
        lead=mine,
        field="email",
        value="x@acme.test",
        source="finder",
        confidence=95,
        detail={"duplicate_of": hidden.pk},
    )
    client.force_login(rep_alice)
    panel = client.get(reverse("enrichment:lead_sources", args=[mine.pk])).content.decode()
    assert "(another lead has it)" in panel and f"/leads/{hidden.pk}/" not in panel
    client.force_login(manager_mia)
    panel = client.get(reverse("enrichment:lead_sources", args=[mine.pk])).content.decode()
    assert f"/leads/{hidden.pk}/" in panel


@pytest.mark.parametrize("odd", ["²", "9" * 30])
def test_the_command_says_so_for_a_list_it_cannot_find(odd, admin_ada):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no list named"):
        call_command("enrich", "--list", odd)
