"""GoHighLevelClient reads and writes one sub-account's contacts through API v2 with the documented headers, names
custom fields by their fieldKey, pages searches with the searchAfter cursor, treats a contact deleted in GoHighLevel
as gone and a duplicate refusal as the existing contact, backs off on 429s and 5xx, and reports a refused token as
AuthFailed. Against a local stand-in for GoHighLevel's API."""

from datetime import datetime

import pytest

from crm.sync.base import AuthFailed, Credentials, RateLimited, SyncError
from crm.sync.gohighlevel import PAGE_LIMIT, GoHighLevelClient
from tests.fakes.gohighlevel_server import LOCATION_ID, TOKEN, GoHighLevelStandIn


@pytest.fixture
def ghl(local_stand_ins):
    local_stand_ins.GOHIGHLEVEL_RATE_PER_SECOND = 0
    local_stand_ins.GOHIGHLEVEL_TOKEN = local_stand_ins.GOHIGHLEVEL_LOCATION_ID = ""
    stand_in = GoHighLevelStandIn.started()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def client(ghl) -> GoHighLevelClient:
    return GoHighLevelClient(Credentials(base_url=ghl.base_url, token=TOKEN, account=LOCATION_ID))


def _contact(email: str, **fields) -> dict:
    return {"email": email, "firstName": "Grace", "lastName": "Hopper", "companyName": "Navy", **fields}


def test_it_knows_the_standard_fields_and_the_sub_accounts_custom_fields(ghl, client):
    names = client.field_names()

    assert {"email", "firstName", "lastName", "phone", "companyName", "website", "source"} <= names
    assert {"contact.linkedin", "contact.job_title"} <= names
    assert set(GoHighLevelClient.default_mapping.values()) <= names
    assert "title" not in names  # GoHighLevel has no job title of its own: a mapping naming it is refused
    (request,) = ghl.received
    assert (request.method, request.path, request.query) == (
        "GET",
        f"/locations/{LOCATION_ID}/customFields",
        {"model": "contact"},
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Version"] == "2021-07-28"
    assert request.headers["Accept"] == "application/json"


def test_a_refused_token_needs_the_user(ghl):
    client = GoHighLevelClient(Credentials(base_url=ghl.base_url, token="pit-revoked", account=LOCATION_ID))
    with pytest.raises(AuthFailed, match="Invalid token: access token is invalid"):
        client.field_names()


def test_a_token_for_another_sub_account_needs_the_user(ghl):
    client = GoHighLevelClient(Credentials(base_url=ghl.base_url, token=TOKEN, account="otherLocation0000001"))
    with pytest.raises(AuthFailed, match="does not have access to this location"):
        client.field_names()


def test_a_connection_without_a_location_needs_the_user(ghl):
    with pytest.raises(AuthFailed, match="no location"):
        GoHighLevelClient(Credentials(base_url=ghl.base_url, token=TOKEN)).field_names()


def test_it_finds_contacts_by_email_whatever_their_case(ghl, client):
    grace = ghl.add(**_contact("Grace@Navy.mil", phone="+1 202 555 0100"))
    ghl.add(**_contact("someone@navy.mil"))

    found = client.find_by_emails(["grace@navy.mil", "nobody@navy.mil"])

    assert list(found) == ["grace@navy.mil"]
    record = found["grace@navy.mil"]
    assert record.remote_id == grace
    assert record.fields["phone"] == "+1 202 555 0100"
    assert record.fields["companyName"] == "Navy"
    assert record.modified_at == datetime.fromisoformat(ghl.contacts[grace]["dateUpdated"])
    search = ghl.requests_to("POST", "/contacts/search")[0].body
    assert search["locationId"] == LOCATION_ID and search["pageLimit"] == PAGE_LIMIT
    assert search["filters"] == [
        {
            "group": "OR",
            "filters": [
                {"field": "email", "operator": "eq", "value": "grace@navy.mil"},
                {"field": "email", "operator": "eq", "value": "nobody@navy.mil"},
            ],
        }
    ]


def test_get_answers_the_contacts_that_still_exist_with_their_custom_fields(ghl, client):
    kept = ghl.add(**_contact("kept@navy.mil", customFields=[{"id": "3sv6UEo51C9Bmpo1cKTq", "value": "in/grace"}]))
    gone = ghl.add(**_contact("gone@navy.mil"))
    ghl.delete(gone)

    found = client.get([kept, gone, "../locations/x"])

    assert list(found) == [kept]
    assert ghl.received[-1].raw_path == "/contacts/..%2Flocations%2Fx"  # an odd id stays one path segment
    assert found[kept].fields["contact.linkedin"] == "in/grace"
    assert found[kept].fields["email"] == "kept@navy.mil"


def test_it_creates_contacts_one_a_call_with_the_location_and_custom_fields(ghl, client):
    ids = client.create(
        [_contact("grace@navy.mil", **{"contact.linkedin": "in/grace"}), {"email": "ada@example.com", "phone": ""}]
    )

    assert len(ids) == 2
    assert ghl.contacts[ids[0]]["companyName"] == "Navy"
    assert ghl.custom_value(ids[0], "contact.linkedin") == "in/grace"
    posts = ghl.requests_to("POST", "/contacts/")
    assert len(posts) == 2
    assert posts[0].body["locationId"] == LOCATION_ID
    assert posts[0].body["customFields"] == [{"id": "3sv6UEo51C9Bmpo1cKTq", "field_value": "in/grace"}]
    assert posts[1].body["phone"] is None  # an empty value is no value
    assert posts[0].headers["Version"] == "2021-07-28"


def test_a_duplicate_refusal_answers_the_contact_that_exists(ghl, client):
    existing = ghl.add(**_contact("grace@navy.mil"))
    assert client.create([_contact("GRACE@navy.mil")]) == [existing]
    assert len(ghl.contacts) == 1


def test_a_field_the_sub_account_does_not_have_is_refused_before_any_write(ghl, client):
    with pytest.raises(SyncError, match=r"no field named 'contact\.score'"):
        client.create([_contact("grace@navy.mil", **{"contact.score": "80"})])
    assert ghl.requests_to("POST", "/contacts/") == []


def test_it_updates_and_reports_contacts_deleted_in_gohighlevel(ghl, client):
    grace = ghl.add(**_contact("grace@navy.mil"))
    gone = ghl.add(**_contact("gone@navy.mil"))
    before = ghl.contacts[grace]["dateUpdated"]
    ghl.delete(gone)

    deleted = client.update(
        [(grace, {"lastName": "Murray Hopper", "companyName": "Remington Rand", "contact.job_title": "Rear Admiral"}),
         (gone, {"lastName": "Gone"})]
    )  # fmt: skip

    assert deleted == {gone}
    assert ghl.contacts[grace]["lastName"] == "Murray Hopper"
    assert ghl.custom_value(grace, "contact.job_title") == "Rear Admiral"
    assert ghl.contacts[grace]["dateUpdated"] > before
    put = ghl.requests_to("PUT", f"/contacts/{grace}")[0]
    # Update Contact takes no companyName (nor locationId): it is left out rather than refused.
    assert "companyName" not in put.body and "locationId" not in put.body
    assert ghl.contacts[grace]["companyName"] == "Navy"


def test_changed_since_pages_through_every_change_oldest_first(ghl, client, monkeypatch):
    monkeypatch.setattr("crm.sync.gohighlevel.PAGE_LIMIT", 2)
    ids = [ghl.add(**_contact(f"p{n}@navy.mil")) for n in range(5)]
    ghl.edit(ids[1], lastName="Edited in GoHighLevel")

    changes = list(client.changed_since(None))

    assert [record.remote_id for record in changes] == [ids[0], ids[2], ids[3], ids[4], ids[1]]
    assert changes[-1].fields["lastName"] == "Edited in GoHighLevel"
    searches = [request.body for request in ghl.requests_to("POST", "/contacts/search")]
    assert len(searches) == 3
    assert searches[0]["sort"] == [{"field": "dateUpdated", "direction": "asc"}]
    assert searches[0]["page"] == 1 and "searchAfter" not in searches[0]
    assert searches[1]["searchAfter"][1] == ids[2]  # the cursor of the last contact of the page before
    assert "page" not in searches[1]


def test_without_a_cursor_it_pages_by_number(ghl, client, monkeypatch):
    monkeypatch.setattr("crm.sync.gohighlevel.PAGE_LIMIT", 2)
    ghl.cursor_field = None
    ids = [ghl.add(**_contact(f"p{n}@navy.mil")) for n in range(4)]

    assert [record.remote_id for record in client.changed_since(None)] == ids
    assert [request.body["page"] for request in ghl.requests_to("POST", "/contacts/search")] == [1, 2, 3]


def test_changed_since_a_moment_asks_for_later_changes_only(ghl, client):
    first = ghl.add(**_contact("first@navy.mil"))
    second = ghl.add(**_contact("second@navy.mil"))
    since = datetime.fromisoformat(ghl.contacts[second]["dateUpdated"])
    ghl.edit(first, phone="+1 202 555 0199")

    changes = list(client.changed_since(since))

    assert [record.remote_id for record in changes] == [first]
    search = ghl.requests_to("POST", "/contacts/search")[0].body
    assert search["filters"] == [
        {"field": "dateUpdated", "operator": "range", "value": {"gt": "2026-01-05T09:00:02.000Z"}}
    ]


def test_a_429_waits_as_gohighlevel_says_and_tries_again(ghl, client, slept):
    ghl.throttle(1)  # burst window spent: X-RateLimit-Remaining 0, X-RateLimit-Interval-Milliseconds 10000
    ghl.throttle(1, retry_after=3)

    ids = client.create([_contact("grace@navy.mil")])

    assert len(ids) == 1 and len(ghl.contacts) == 1
    assert slept == [10.0, 3.0]


def test_a_limit_that_holds_is_reported_as_rate_limited(ghl, client, slept):
    ghl.throttle(4, retry_after=2)
    with pytest.raises(RateLimited) as raised:
        client.find_by_emails(["grace@navy.mil"])
    assert raised.value.retry_after == 2
    assert slept == [2.0, 2.0, 2.0]


def test_a_spent_daily_limit_is_not_retried(ghl, client, slept):
    ghl.throttle(1, daily_spent=True)
    with pytest.raises(RateLimited, match="daily API limit"):
        client.get(["ghlCanything"])
    assert slept == []


def test_a_failing_read_is_tried_again_but_a_failing_create_is_not_repeated(ghl, client, slept):
    grace = ghl.add(**_contact("grace@navy.mil"))
    ghl.fail(1)
    assert list(client.get([grace])) == [grace]
    assert slept == [1.0]

    ghl.fail(1)
    with pytest.raises(SyncError, match=r"refused to create a contact \(502\)"):
        client.create([_contact("ada@example.com")])
    assert len(ghl.requests_to("POST", "/contacts/")) == 1


def test_an_address_leadflow_may_not_reach_is_refused(ghl, client, local_stand_ins):
    local_stand_ins.HTTP_ALLOW_PRIVATE_HOSTS = []
    with pytest.raises(SyncError, match="could not be reached"):
        client.field_names()
    assert ghl.received == []
