"""/api/v1/leads/: the table's filters and pages, one lead, create, update, delete, bulk upsert, moves; with the
pages' role and visibility rules."""

from crm.models import Activity, Lead, StageChange
from crm.services.pipelines import pipeline_default
from tests.factories import LeadFactory, LeadListFactory


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_a_rep_lists_theirs_and_unassigned_leads_only(api_as, rep_alice, rep_bob):
    mine, unassigned, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=None), LeadFactory(owner=rep_bob)
    listed = ids(api_as(rep_alice).get("/api/v1/leads/"))
    assert set(listed) == {mine.pk, unassigned.pk}
    assert bobs.pk not in listed


def test_managers_and_viewers_see_every_lead(api_as, manager_mia, viewer_vic, rep_bob):
    leads = {LeadFactory(owner=rep_bob).pk, LeadFactory().pk}
    assert set(ids(api_as(manager_mia).get("/api/v1/leads/"))) == leads
    assert set(ids(api_as(viewer_vic).get("/api/v1/leads/"))) == leads


def test_another_reps_lead_is_404_for_every_verb(api_as, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    client = api_as(rep_alice)
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 404
    stage = pipeline_default().stages.all()[1]
    assert client.post(f"/api/v1/leads/{lead.pk}/move/", {"stage": stage.pk}, format="json").status_code == 404
    assert Lead.objects.filter(pk=lead.pk, stage=lead.stage).exists()


def test_search_and_filters_are_the_tables(api_as, manager_mia, rep_bob):
    ann = LeadFactory(first_name="Ann", last_name="Lee", owner=rep_bob, grade="hot")
    LeadFactory(first_name="Bo", last_name="Ng", grade="cold")
    client = api_as(manager_mia)
    assert ids(client.get("/api/v1/leads/", {"q": "ann lee"})) == [ann.pk]
    assert ids(client.get("/api/v1/leads/", {"grade": "hot"})) == [ann.pk]
    assert ids(client.get("/api/v1/leads/", {"owner": rep_bob.pk})) == [ann.pk]
    lead_list = LeadListFactory()
    lead_list.members.add(ann)
    assert ids(client.get("/api/v1/leads/", {"list": lead_list.pk})) == [ann.pk]
    bad = client.get("/api/v1/leads/", {"grade": "lukewarm", "sort": "colour"})
    assert bad.status_code == 400
    assert {error["pointer"] for error in bad.json()["errors"]} == {"/grade"}


def test_cursor_pages_cover_every_lead_once(api_as, manager_mia):
    made = {LeadFactory().pk for _ in range(7)}
    client, seen, url = api_as(manager_mia), [], "/api/v1/leads/?page_size=3&sort=name"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)
    assert client.get("/api/v1/leads/", {"page_size": "0"}).status_code == 400
    assert client.get("/api/v1/leads/", {"cursor": "garbage"}).status_code == 404


def test_a_rep_creates_a_lead_that_is_theirs_normalised_with_its_timeline(api_as, rep_alice, rep_bob):
    body = {
        "first_name": "ann",
        "email": " Ann@Example.COM ",
        "company_name": "Acme",
        "tags": ["Hot"],
        "owner": rep_bob.pk,
    }
    response = api_as(rep_alice).post("/api/v1/leads/", body, format="json")
    assert response.status_code == 403  # a rep may not give a new lead to someone else
    del body["owner"]
    response = api_as(rep_alice).post("/api/v1/leads/", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["email"] == "ann@example.com" and data["first_name"] == "Ann" and data["tags"] == ["hot"]
    assert data["owner"]["id"] == rep_alice.pk and data["company"]["name"] == "Acme"
    lead = Lead.objects.get(pk=data["id"])
    assert lead.activities.filter(kind=Activity.Kind.CREATED).exists()


def test_a_viewer_cannot_create_update_or_delete(api_as, viewer_vic):
    lead = LeadFactory()
    client = api_as(viewer_vic)
    assert client.post("/api/v1/leads/", {"first_name": "Ann"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_update_records_changes_and_refuses_a_stale_version(api_as, rep_alice):
    lead = LeadFactory(owner=rep_alice, title="Engineer")
    client = api_as(rep_alice)
    version = client.get(f"/api/v1/leads/{lead.pk}/").json()["version"]
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "CTO", "version": version}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "CTO"
    assert lead.activities.filter(kind=Activity.Kind.UPDATED).exists()
    stale = client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "CEO", "version": version}, format="json")
    assert stale.status_code == 409 and stale["Content-Type"] == "application/problem+json"
    lead.refresh_from_db()
    assert lead.title == "CTO"


def test_a_rep_cannot_change_an_unassigned_lead_they_see(api_as, rep_alice):
    lead = LeadFactory(owner=None)
    assert api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", {"title": "x"}, format="json").status_code == 403


def test_only_managers_reassign(api_as, manager_mia, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_alice)
    assert api_as(rep_alice).patch(f"/api/v1/leads/{lead.pk}/", {"owner": rep_bob.pk}, format="json").status_code == 403
    response = api_as(manager_mia).patch(f"/api/v1/leads/{lead.pk}/", {"owner": rep_bob.pk}, format="json")
    assert response.status_code == 200 and response.json()["owner"]["id"] == rep_bob.pk


def test_delete_removes_the_lead(api_as, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    assert api_as(rep_alice).delete(f"/api/v1/leads/{lead.pk}/").status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_move_goes_through_the_pipeline_service(api_as, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    stages = list(pipeline_default().stages.all())
    lost = next(stage for stage in stages if stage.kind == "lost")
    client = api_as(rep_alice)
    refused = client.post(f"/api/v1/leads/{lead.pk}/move/", {"stage": lost.pk}, format="json")
    assert refused.status_code == 400  # a lost deal must say why
    moved = client.post(f"/api/v1/leads/{lead.pk}/move/", {"stage": lost.pk, "lost_reason": "Budget"}, format="json")
    assert moved.status_code == 200 and moved.json()["stage"]["id"] == lost.pk
    assert StageChange.objects.filter(lead=lead, to_stage=lost, lost_reason="Budget").exists()
    history = client.get(f"/api/v1/leads/{lead.pk}/moves/").json()
    assert history[0]["to_stage"] == lost.pk


def test_bulk_upsert_updates_only_leads_the_caller_may_see(api_as, rep_alice, rep_bob):
    mine = LeadFactory(owner=rep_alice, email="ann@acme.example", title="Engineer")
    bobs = LeadFactory(owner=rep_bob, email="bo@acme.example", title="Founder")
    body = {
        "leads": [
            {"email": "ANN@acme.example", "title": "CTO"},
            {"email": "bo@acme.example", "title": "Intern"},
            {"email": "cy@acme.example", "first_name": "Cy"},
        ]
    }
    response = api_as(rep_alice).post("/api/v1/leads/bulk/", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["created"], data["updated"], data["skipped"]) == (2, 1, 0)
    assert data["results"][0] == {"index": 0, "status": "updated", "id": mine.pk}
    assert data["results"][1]["id"] != bobs.pk  # Bob's lead is neither changed nor revealed
    bobs.refresh_from_db()
    mine.refresh_from_db()
    assert bobs.title == "Founder" and mine.title == "CTO"
    assert Lead.objects.get(pk=data["results"][1]["id"]).owner == rep_alice


def test_bulk_is_all_or_nothing_with_pointers_into_the_items(api_as, rep_alice):
    body = {"leads": [{"first_name": "Ok", "email": "ok@x.example"}, {"email": "not an email"}]}
    response = api_as(rep_alice).post("/api/v1/leads/bulk/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/leads/1/email"
    assert not Lead.objects.filter(email="ok@x.example").exists()


def test_bulk_skip_leaves_existing_leads_alone(api_as, rep_alice):
    mine = LeadFactory(owner=rep_alice, email="ann@acme.example", title="Engineer")
    body = {"on_existing": "skip", "leads": [{"email": "ann@acme.example", "title": "CTO"}]}
    data = api_as(rep_alice).post("/api/v1/leads/bulk/", body, format="json").json()
    assert data["results"] == [{"index": 0, "status": "skipped", "id": mine.pk}]
    mine.refresh_from_db()
    assert mine.title == "Engineer"


def test_the_representation_is_one_function(rep_alice):
    from crm.api.serializers import lead_representation

    lead = LeadFactory(owner=rep_alice)
    shape = lead_representation(lead)
    assert shape["id"] == lead.pk and shape["owner"]["email"] == rep_alice.email and "version" in shape
