"""/api/v1/enrichment-jobs/: started for lead ids and fields through enrichment.jobs, read with progress, breakdown
and credits, cancelled; reps enrich and see only their own."""

from enrichment.models import EnrichmentJob
from tests.factories import LeadFactory


def test_a_rep_starts_a_job_for_the_leads_they_may_change(api_as, rep_alice, rep_bob):
    mine, bobs = LeadFactory(owner=rep_alice, phone=""), LeadFactory(owner=rep_bob)
    client = api_as(rep_alice)
    response = client.post(
        "/api/v1/enrichment-jobs/", {"lead_ids": [mine.pk, bobs.pk], "fields": ["phone"]}, format="json"
    )
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["fields"] == ["phone"] and job["progress"]["total"] == 1
    stored = EnrichmentJob.objects.get(pk=job["id"])
    assert list(stored.items.values_list("lead_id", flat=True)) == [mine.pk]
    status = client.get(f"/api/v1/enrichment-jobs/{job['id']}/").json()
    assert status["progress"]["processed"] == 0 and status["credits_used"] == "0.00" and "breakdown" in status
    assert client.post(f"/api/v1/enrichment-jobs/{job['id']}/cancel/").json()["status"] == "cancelled"


def test_reps_see_only_their_jobs_and_viewers_cannot_start_one(api_as, rep_alice, rep_bob, viewer_vic):
    lead = LeadFactory(owner=rep_bob)
    job_id = api_as(rep_bob).post("/api/v1/enrichment-jobs/", {"lead_ids": [lead.pk]}, format="json").json()["id"]
    assert api_as(rep_alice).get(f"/api/v1/enrichment-jobs/{job_id}/").status_code == 404
    assert api_as(viewer_vic).get(f"/api/v1/enrichment-jobs/{job_id}/").status_code == 200
    assert (
        api_as(viewer_vic).post("/api/v1/enrichment-jobs/", {"lead_ids": [lead.pk]}, format="json").status_code == 403
    )


def test_unknown_fields_are_400(api_as, rep_alice):
    response = api_as(rep_alice).post("/api/v1/enrichment-jobs/", {"lead_ids": [1], "fields": ["dna"]}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "/fields/0"
