"""/api/v1/ companies, lists and members, notes, tasks, stages, imports and scoring, with the pages' rules."""

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import ImportJob, Lead, LeadList, Note, Task
from crm.services.pipelines import pipeline_default
from tests.factories import CompanyFactory, LeadFactory, LeadListFactory, NoteFactory, TaskFactory


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_companies_are_listed_searched_and_read(api_as, viewer_vic):
    acme, _ = CompanyFactory(name="Acme Ltd"), CompanyFactory(name="Globex")
    client = api_as(viewer_vic)
    assert ids(client.get("/api/v1/companies/", {"q": "acme"})) == [acme.pk]
    assert client.get(f"/api/v1/companies/{acme.pk}/").json()["name"] == "Acme Ltd"
    assert client.get("/api/v1/companies/0/").status_code == 404


def test_lists_are_created_renamed_archived_by_their_owner(api_as, rep_alice, rep_bob, viewer_vic):
    client = api_as(rep_alice)
    created = client.post("/api/v1/lists/", {"name": "Q3 targets", "tags": ["Fintech"]}, format="json")
    assert created.status_code == 201 and created.json()["tags"] == ["fintech"]
    pk = created.json()["id"]
    assert client.post("/api/v1/lists/", {"name": "q3 TARGETS"}, format="json").status_code == 400  # name taken
    assert api_as(rep_bob).patch(f"/api/v1/lists/{pk}/", {"name": "Mine"}, format="json").status_code == 403
    assert api_as(viewer_vic).post("/api/v1/lists/", {"name": "V"}, format="json").status_code == 403
    renamed = client.patch(f"/api/v1/lists/{pk}/", {"name": "Q4 targets"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["tags"] == ["fintech"]
    assert client.post(f"/api/v1/lists/{pk}/archive/").json()["archived"] is True
    assert pk not in ids(client.get("/api/v1/lists/"))
    assert pk in ids(client.get("/api/v1/lists/", {"archived": "true"}))


def test_members_are_added_and_removed_only_for_leads_the_caller_may_change(api_as, rep_alice, rep_bob):
    lead_list = LeadListFactory()
    mine, bobs, unassigned = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob), LeadFactory(owner=None)
    client = api_as(rep_alice)
    added = client.post(
        f"/api/v1/lists/{lead_list.pk}/members/add/", {"lead_ids": [mine.pk, bobs.pk, unassigned.pk]}, format="json"
    )
    assert added.json() == {"count": 1}
    assert set(lead_list.members.values_list("pk", flat=True)) == {mine.pk}
    lead_list.members.add(bobs)
    assert ids(client.get(f"/api/v1/lists/{lead_list.pk}/members/")) == [mine.pk]  # Bob's member stays unseen
    removed = client.post(
        f"/api/v1/lists/{lead_list.pk}/members/remove/", {"lead_ids": [mine.pk, bobs.pk]}, format="json"
    )
    assert removed.json() == {"count": 1}
    assert set(lead_list.members.values_list("pk", flat=True)) == {bobs.pk}


def test_notes_are_read_and_written_on_visible_leads(api_as, rep_alice, rep_bob):
    mine, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob)
    NoteFactory(lead=bobs, body="secret")
    client = api_as(rep_alice)
    created = client.post("/api/v1/notes/", {"lead": mine.pk, "body": "Called", "tags": ["call"]}, format="json")
    assert created.status_code == 201 and created.json()["tags"] == ["call"]
    assert [note["body"] for note in client.get("/api/v1/notes/").json()["results"]] == ["Called"]
    refused = client.post("/api/v1/notes/", {"lead": bobs.pk, "body": "x"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["pointer"] == "/lead"
    assert client.get(f"/api/v1/notes/{Note.objects.get(lead=bobs).pk}/").status_code == 404
    assert client.get("/api/v1/notes/", {"lead": "abc"}).status_code == 400


def test_tasks_are_created_filtered_and_completed(api_as, rep_alice, rep_bob):
    mine, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob)
    TaskFactory(lead=bobs, assignee=rep_bob)
    client = api_as(rep_alice)
    created = client.post(
        "/api/v1/tasks/", {"lead": mine.pk, "title": "Call", "kind": "call", "due_at": "2030-01-01T09:00:00Z"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["assignee"] == rep_alice.pk
    pk = created.json()["id"]
    assert ids(client.get("/api/v1/tasks/", {"mine": "true", "done": "false"})) == [pk]
    assert client.post(f"/api/v1/tasks/{pk}/complete/").json()["done"] is True
    assert Task.objects.get(pk=pk).done
    assert client.post("/api/v1/tasks/", {"lead": bobs.pk, "title": "x"}, format="json").status_code == 400


def test_stages_are_listed_in_order(api_as, viewer_vic):
    pipeline = pipeline_default()
    stages = api_as(viewer_vic).get("/api/v1/stages/").json()
    assert [stage["id"] for stage in stages] == list(pipeline.stages.values_list("pk", flat=True))


CSV = b"First name,Last name,Email,Company\nAnn,Lee,ann@acme.example,Acme\nBo,Ng,not-an-email,Globex\n"


def test_an_import_is_uploaded_into_a_list_and_its_status_read(
    api_as, manager_mia, rep_alice, django_capture_on_commit_callbacks
):
    lead_list = LeadListFactory()
    client = api_as(manager_mia)
    upload = SimpleUploadedFile("people.csv", CSV, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/lists/{lead_list.pk}/import/",
            {"file": upload, "mapping": '{"Company": "company"}', "on_duplicate": "fill"},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    status = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert status["status"] == "done" and status["progress"]["percentage"] == 100
    assert status["results"]["imported"] == 2 and status["lead_list"] == lead_list.pk
    assert lead_list.members.count() == 2
    assert any(problem["column"] == "Email" for problem in status["problems"])
    # A rep sees their own imports only.
    assert api_as(rep_alice).get(f"/api/v1/imports/{status['id']}/").status_code == 404


def test_an_import_with_a_bad_mapping_keeps_nothing(api_as, manager_mia):
    upload = SimpleUploadedFile("people.csv", CSV, content_type="text/csv")
    response = api_as(manager_mia).post(
        "/api/v1/imports/", {"file": upload, "mapping": '{"Nope": "email"}'}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "/mapping"
    assert not ImportJob.objects.exists()


def test_a_viewer_cannot_import(api_as, viewer_vic):
    upload = SimpleUploadedFile("people.csv", CSV, content_type="text/csv")
    assert api_as(viewer_vic).post("/api/v1/imports/", {"file": upload}, format="multipart").status_code == 403


def test_scoring_saves_scores_and_answers_the_distribution(api_as, rep_alice, rep_bob):
    mine = [LeadFactory(owner=rep_alice, phone="+14155550100") for _ in range(3)]
    bobs = LeadFactory(owner=rep_bob)
    body = {"lead_ids": [lead.pk for lead in mine] + [bobs.pk]}
    answer = api_as(rep_alice).post("/api/v1/scoring/", body, format="json").json()
    assert answer["saved"] is True and answer["scored"] == 3
    assert sum(answer["distribution"].values()) == 3
    assert all(Lead.objects.get(pk=lead.pk).score is not None for lead in mine)
    assert Lead.objects.get(pk=bobs.pk).score is None


def test_scoring_with_weights_previews_and_writes_nothing(api_as, viewer_vic):
    leads = [LeadFactory() for _ in range(2)]
    body = {"lead_ids": [lead.pk for lead in leads], "weights": {"fit": 0, "completeness": 100, "engagement": 0}}
    answer = api_as(viewer_vic).post("/api/v1/scoring/", body, format="json").json()
    assert answer["saved"] is False and answer["scored"] == 2 and answer["average_score"] is not None
    assert not Lead.objects.filter(score__isnull=False).exists()
    assert api_as(viewer_vic).post("/api/v1/scoring/", {"lead_ids": [leads[0].pk]}, format="json").status_code == 403


def test_list_ids_are_checked(api_as, manager_mia):
    assert api_as(manager_mia).get("/api/v1/lists/abc/").status_code == 404
    assert not LeadList.objects.exists()
