"""The HubSpot and Pipedrive clients against their stand-ins: the requests they send and what they make of the
answers (paging, deletions, 207s, 401s, 429s)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from crm.sync.base import AuthFailed, Credentials, RateLimited, SyncError
from crm.sync.hubspot import HubSpotClient
from crm.sync.pipedrive import PipedriveClient
from tests.fakes.hubspot_server import OBJECTS, HubSpotStandIn
from tests.fakes.hubspot_server import TOKEN as HUBSPOT_TOKEN
from tests.fakes.pipedrive_server import CUSTOM_FIELDS, PipedriveStandIn
from tests.fakes.pipedrive_server import TOKEN as PIPEDRIVE_TOKEN


@pytest.fixture
def hubspot(local_stand_ins):
    stand_in = HubSpotStandIn.started()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def pipedrive(local_stand_ins, settings):
    settings.PIPEDRIVE_REQUESTS_PER_SECOND = 0
    stand_in = PipedriveStandIn.started()
    yield stand_in
    stand_in.stop()


def _hubspot_client(stand_in, token=HUBSPOT_TOKEN) -> HubSpotClient:
    return HubSpotClient(Credentials(base_url=stand_in.base_url, token=token))


def _pipedrive_client(stand_in, token=PIPEDRIVE_TOKEN) -> PipedriveClient:
    return PipedriveClient(Credentials(base_url=stand_in.base_url, token=token))


# HubSpot


def test_hubspot_creates_in_batches_with_a_bearer_token_and_keeps_the_inputs_order(hubspot):
    client = _hubspot_client(hubspot)
    records = [{"email": f"p{n}@acme.example", "firstname": f"P{n}"} for n in range(150)]

    ids = client.create(records)

    bodies = hubspot.requests_to("batch/create")
    assert [len(body["inputs"]) for body in bodies] == [100, 50]
    assert all(r.headers["Authorization"] == f"Bearer {HUBSPOT_TOKEN}" for r in hubspot.requests())
    # The stand-in answers each batch in reverse order, as HubSpot may: ids still line up with the inputs.
    assert [hubspot.contacts[i]["properties"]["email"] for i in ids] == [r["email"] for r in records]


def test_hubspot_finds_by_email_with_an_in_filter_and_reads_every_property(hubspot):
    contact_id = hubspot.add(email="ann@acme.example", jobtitle="CTO")
    client = _hubspot_client(hubspot)

    found = client.find_by_emails(["ANN@acme.example", "nobody@acme.example"])

    assert found["ann@acme.example"].remote_id == contact_id
    assert found["ann@acme.example"].fields["jobtitle"] == "CTO"
    search = hubspot.requests_to("search")[0]
    assert search["filterGroups"][0]["filters"][0] == {
        "propertyName": "email",
        "operator": "IN",
        "values": ["ann@acme.example", "nobody@acme.example"],
    }
    assert "jobtitle" in search["properties"]


def test_hubspot_pages_changes_oldest_first_after_a_moment(hubspot):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(250):
        hubspot.add(email=f"p{n}@acme.example", at=start + timedelta(minutes=n))
    client = _hubspot_client(hubspot)

    changed = list(client.changed_since(start + timedelta(minutes=9)))

    assert len(changed) == 240
    assert [record.modified_at for record in changed] == sorted(record.modified_at for record in changed)
    searches = hubspot.requests_to("search")
    assert [body.get("after") for body in searches] == [None, "100", "200"]
    assert searches[0]["filterGroups"][0]["filters"][0]["propertyName"] == "lastmodifieddate"
    assert searches[0]["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


def test_hubspot_reads_a_207_as_the_records_still_there_and_updates_only_those(hubspot):
    kept, gone = hubspot.add(email="a@acme.example"), hubspot.add(email="b@acme.example")
    hubspot.delete(gone)
    client = _hubspot_client(hubspot)

    assert set(client.get([kept, gone])) == {kept}
    assert client.update([(kept, {"jobtitle": "CEO"}), (gone, {"jobtitle": "CFO"})]) == {gone}
    assert hubspot.contacts[kept]["properties"]["jobtitle"] == "CEO"


def test_hubspot_field_names_are_the_accounts_contact_properties(hubspot):
    assert {"email", "firstname", "hs_linkedin_url", "leadflow_score"} <= _hubspot_client(hubspot).field_names()


def test_hubspot_refused_token_is_an_auth_failure(hubspot):
    with pytest.raises(AuthFailed, match="401"):
        _hubspot_client(hubspot, token="pat-wrong").field_names()


def test_hubspot_429s_past_the_retries_are_rate_limited_with_retry_after(hubspot, slept):
    hubspot.rate_limits(f"{OBJECTS}/search", times=10, retry_after=7)
    with pytest.raises(RateLimited) as raised:
        _hubspot_client(hubspot).find_by_emails(["a@acme.example"])
    assert raised.value.retry_after == 7
    assert 7 in slept


def test_hubspot_does_not_resend_a_batch_create_that_failed_with_a_5xx(hubspot, slept):
    hubspot.server_error(f"{OBJECTS}/batch/create", times=1)
    with pytest.raises(Exception, match="502"):
        _hubspot_client(hubspot).create([{"email": "a@acme.example"}])
    assert len(hubspot.requests_to("batch/create")) == 1


# Pipedrive


def test_pipedrive_creates_people_with_listed_emails_an_organisation_and_custom_fields(pipedrive):
    client = _pipedrive_client(pipedrive)

    [person_id] = client.create(
        [{"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee", "org_id": "Acme", "LinkedIn": "x"}]
    )

    post = json.loads(pipedrive.requests("/v1/persons", method="POST")[0].get_data())
    assert post["email"] == [{"value": "ann@acme.example", "primary": True, "label": "work"}]
    assert post["name"] == "Ann Lee"
    assert post[CUSTOM_FIELDS["LinkedIn"]] == "x"
    assert pipedrive.field(int(person_id), "org_id") == "Acme"
    assert all(r.args["api_token"] == PIPEDRIVE_TOKEN for r in pipedrive.requests())
    # The organisation is found, not made again, for the next person at Acme.
    client.create([{"email": "bo@acme.example", "first_name": "Bo", "org_id": "Acme"}])
    assert len(pipedrive.organisations) == 1


def test_pipedrive_finds_by_exact_email_and_reads_the_person(pipedrive):
    person_id = pipedrive.add(email="ann@acme.example", first_name="Ann", job_title="CTO", LinkedIn="li/ann")
    found = _pipedrive_client(pipedrive).find_by_emails(["Ann@Acme.example"])

    record = found["ann@acme.example"]
    assert record.remote_id == str(person_id)
    assert (record.fields["email"], record.fields["job_title"], record.fields["LinkedIn"]) == (
        "ann@acme.example",
        "CTO",
        "li/ann",
    )
    search = pipedrive.requests("/v1/persons/search")[0]
    assert (search.args["fields"], search.args["exact_match"]) == ("email", "true")


def test_pipedrive_reads_a_deleted_person_as_gone(pipedrive):
    kept, gone = pipedrive.add(email="a@acme.example"), pipedrive.add(email="b@acme.example")
    pipedrive.delete(gone)
    client = _pipedrive_client(pipedrive)
    assert set(client.get([str(kept), str(gone), "999"])) == {str(kept)}
    assert client.update([(str(gone), {"job_title": "x"}), ("999", {"job_title": "y"})]) == {str(gone), "999"}


def test_pipedrive_pages_all_people_then_recent_changes(pipedrive):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(130):
        pipedrive.add(email=f"p{n}@acme.example", first_name="P", at=start + timedelta(minutes=n))
    client = _pipedrive_client(pipedrive)

    assert len(list(client.changed_since(None))) == 130
    assert [r.args["start"] for r in pipedrive.requests("/v1/persons")] == ["0", "100"]
    recent = list(client.changed_since(start + timedelta(minutes=120)))
    assert [record.fields["email"] for record in recent] == [f"p{n}@acme.example" for n in range(120, 130)]
    assert pipedrive.requests("/v1/recents")[0].args["since_timestamp"] == "2026-01-01 02:00:00"


def test_pipedrive_field_names_include_custom_fields_by_name_and_key(pipedrive):
    names = _pipedrive_client(pipedrive).field_names()
    assert {"email", "job_title", "org_id", "LinkedIn", CUSTOM_FIELDS["LinkedIn"]} <= names


def test_pipedrive_refused_token_is_an_auth_failure(pipedrive):
    with pytest.raises(AuthFailed, match="unauthorized access"):
        _pipedrive_client(pipedrive, token="wrong").field_names()


def test_pipedrive_429_is_retried_after_retry_after_then_rate_limited(pipedrive, slept):
    pipedrive.rate_limits("/v1/persons/search", times=1, retry_after=2)
    pipedrive.add(email="a@acme.example")
    assert _pipedrive_client(pipedrive).find_by_emails(["a@acme.example"])
    assert 2 in slept

    pipedrive.rate_limits("/v1/persons/search", times=10, retry_after=2)
    with pytest.raises(RateLimited):
        _pipedrive_client(pipedrive).find_by_emails(["a@acme.example"])


def test_pipedrive_does_not_resend_a_create_that_failed_with_a_5xx_but_retries_a_read(pipedrive, slept):
    pipedrive.server_error("/v1/persons", times=1)
    with pytest.raises(SyncError, match="Pipedrive answered 502"):
        _pipedrive_client(pipedrive).create([{"email": "a@acme.example", "first_name": "Ann"}])
    assert len(pipedrive.requests("/v1/persons", method="POST")) == 1
    assert pipedrive.by_email("a@acme.example") is None

    person_id = pipedrive.add(email="b@acme.example")
    pipedrive.server_error(f"/v1/persons/{person_id}", times=2)
    assert str(person_id) in _pipedrive_client(pipedrive).get([str(person_id)])
    assert len(slept) == 2
