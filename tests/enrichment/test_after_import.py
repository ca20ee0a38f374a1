"""An import asked to enrich what it brought (the import page's option, the API's enrich_after_import, the command's
--enrich) queues one enrichment job over the leads it created or changed when it is done."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from crm.importing.jobs import import_job_run
from crm.models import ImportJob, Lead
from crm.services.users import user_role_apply
from enrichment.models import EnrichmentJob
from leadflow.roles import Role
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

CSV = (
    b"First name,Last name,Email,Company\n"
    b"Ann,Lee,ann@acme.example,Acme\n"
    b"Bo,Ng,bo@globex.example,Globex\n"
    b"Cy,Old,cy@initech.example,Initech\n"
)


def _enriched_lead_ids(job: EnrichmentJob) -> set[int]:
    return set(job.items.values_list("lead_id", flat=True))


def test_an_api_import_enriches_the_leads_it_created_and_updated_once(
    api_as, manager_mia, django_capture_on_commit_callbacks
):
    updated = LeadFactory(first_name="Cy", last_name="Old", email="cy@initech.example", company=None, owner=manager_mia)
    untouched = LeadFactory(email="dee@elsewhere.example")
    client = api_as(manager_mia)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/api/v1/imports/",
            {"file": SimpleUploadedFile("people.csv", CSV, "text/csv"), "on_duplicate": "fill",
             "enrich_after_import": "true"},
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 202, response.json()
    assert response.json()["enrich_after"] is True
    import_id = response.json()["id"]
    # The cluster runs the import; the enrichment job it asks for is queued when that transaction commits.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert import_job_run(import_id) == "done"
    job = EnrichmentJob.objects.get()
    created = set(Lead.objects.filter(import_job_id=import_id).values_list("pk", flat=True))
    assert len(created) == 2
    assert _enriched_lead_ids(job) == created | {updated.pk}
    assert untouched.pk not in _enriched_lead_ids(job)
    assert job.created_by == manager_mia and job.status == EnrichmentJob.Status.QUEUED
    assert job.progress_total == 3 and "people.csv" in job.description
    assert [queue.__qualname__ for queue in queued].count("enrichment_job_create.<locals>.<lambda>") == 1
    # The import's task delivered again (a Redis redelivery) finds it done and asks nothing more.
    import_job_run(import_id)
    assert EnrichmentJob.objects.count() == 1
    assert ImportJob.objects.get(pk=import_id).enrichment_requested_at is not None


def test_an_import_without_the_option_enriches_nothing(api_as, manager_mia, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager_mia).post(
            "/api/v1/imports/", {"file": SimpleUploadedFile("people.csv", CSV, "text/csv")}, format="multipart"
        )
    assert response.json()["status"] == "queued" and response.json()["enrich_after"] is False
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert not EnrichmentJob.objects.exists()


def test_the_api_refuses_a_value_that_is_not_a_boolean(api_as, manager_mia):
    response = api_as(manager_mia).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("people.csv", CSV, "text/csv"), "enrich_after_import": "maybe"},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "/enrich_after_import"
    assert not ImportJob.objects.exists()


def test_the_import_page_option_enriches_after_the_import(client, rep_alice, django_capture_on_commit_callbacks):
    client.force_login(rep_alice)
    client.post(reverse("crm:imports"), {"file": SimpleUploadedFile("people.csv", CSV, "text/csv")})
    job = ImportJob.objects.get()
    page = client.get(reverse("crm:import_mapping", args=[job.pk])).content.decode()
    assert 'name="enrich_after"' in page and "Enrich the new and updated leads" in page
    data = {f"col_{index}": target for index, target in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("crm:import_mapping", args=[job.pk]), {**data, "on_duplicate": "skip", "start": "1",
                                                                   "enrich_after": "on"})  # fmt: skip
    import_job_run(job.pk)
    enrichment = EnrichmentJob.objects.get()
    assert (
        "The new and updated leads are being enriched"
        in client.get(reverse("crm:import", args=[job.pk])).content.decode()
    )
    assert enrichment.created_by == rep_alice
    assert _enriched_lead_ids(enrichment) == set(Lead.objects.filter(import_job=job).values_list("pk", flat=True))


def test_a_person_whose_role_became_read_only_gets_the_import_without_enrichment(
    api_as, rep_alice, django_capture_on_commit_callbacks
):
    upload = {"file": SimpleUploadedFile("people.csv", CSV, "text/csv"), "enrich_after_import": "true"}
    with django_capture_on_commit_callbacks(execute=False):
        import_id = api_as(rep_alice).post("/api/v1/imports/", upload, format="multipart").json()["id"]
    user_role_apply(rep_alice, Role.VIEWER)
    assert import_job_run(import_id) == "done"
    assert Lead.objects.filter(import_job_id=import_id).count() == 3
    assert not EnrichmentJob.objects.exists()


def test_the_command_enriches_with_enrich(tmp_path, manager_mia, django_capture_on_commit_callbacks):
    path = tmp_path / "people.csv"
    path.write_bytes(CSV)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("import_leads", str(path), "--enrich", "--user", manager_mia.email, stdout=out)
    assert "Enrichment of the new and updated leads was queued" in out.getvalue()
    assert EnrichmentJob.objects.get().progress_total == 3


def test_a_dry_run_with_enrich_queues_nothing_and_says_nothing_of_it(tmp_path, manager_mia):
    path = tmp_path / "people.csv"
    path.write_bytes(CSV)
    out = io.StringIO()
    call_command("import_leads", str(path), "--enrich", "--dry-run", "--user", manager_mia.email, stdout=out)
    assert "Dry run: nothing was saved." in out.getvalue() and "Enrichment" not in out.getvalue()
    assert not EnrichmentJob.objects.exists()
