"""/api/v1/sync-runs/: admins and managers read and start CRM sync runs; everyone else is refused, as on the page."""

from crm.models import CrmConnection, SyncRun


def test_a_manager_starts_a_run_reads_it_and_is_answered_the_same_run_while_it_waits(api_as, manager_mia, admin_ada):
    connection = CrmConnection.objects.create(name="hub", kind="hubspot", acting_user=admin_ada, direction="both")
    client = api_as(manager_mia)

    started = client.post("/api/v1/sync-runs/", {"connection": connection.pk, "direction": "push"}, format="json")

    assert started.status_code == 202
    run = SyncRun.objects.get()
    assert (run.direction, run.status, run.created_by) == ("push", "queued", manager_mia)
    assert started.json()["connection_name"] == "hub" and started.json()["crm"] == "hubspot"
    again = client.post("/api/v1/sync-runs/", {"connection": connection.pk}, format="json")
    assert again.json()["id"] == run.pk and SyncRun.objects.count() == 1
    assert [row["id"] for row in client.get("/api/v1/sync-runs/").json()["results"]] == [run.pk]
    assert client.get(f"/api/v1/sync-runs/{run.pk}/").json()["status"] == "queued"


def test_reps_viewers_and_read_only_tokens_cannot_start_runs_and_odd_ids_are_404(
    api_as, admin_ada, rep_alice, viewer_vic
):
    connection = CrmConnection.objects.create(name="hub", kind="hubspot", acting_user=admin_ada)
    run = SyncRun.objects.create(connection=connection, direction="push")
    for user in (rep_alice, viewer_vic):
        assert api_as(user).get("/api/v1/sync-runs/").status_code == 403
        assert api_as(user).get(f"/api/v1/sync-runs/{run.pk}/").status_code == 403
    read_only = api_as(admin_ada, read_only=True)
    assert read_only.post("/api/v1/sync-runs/", {"connection": connection.pk}, format="json").status_code == 403
    admin = api_as(admin_ada)
    assert admin.post("/api/v1/sync-runs/", {"connection": 99999}, format="json").status_code == 400
    assert (
        admin.post("/api/v1/sync-runs/", {"connection": connection.pk, "direction": "x"}, format="json").json()[
            "status"
        ]
        == 400
    )
    for odd in ("0", "abc", "99999999999999999999"):
        assert admin.get(f"/api/v1/sync-runs/{odd}/").status_code == 404
    assert SyncRun.objects.count() == 1
