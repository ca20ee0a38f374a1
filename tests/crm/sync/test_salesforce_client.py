"""SalesforceClient connects with client credentials or a token, reads Leads with SOQL page by page, writes them in
sObject Collections, reports records deleted on Salesforce's side, backs off while Salesforce throttles, and turns
every refusal into a SyncError the sync log can show. Against a local HTTPS stand-in for Salesforce's REST API."""

from datetime import UTC, datetime

import pytest

from crm.sync.base import AuthFailed, Credentials, RateLimited, SyncError
from crm.sync.salesforce import NOT_PROVIDED, SalesforceClient
from tests.fakes.salesforce_server import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn


@pytest.fixture
def salesforce(tmp_path, local_stand_ins):
    stand_in = SalesforceStandIn.started(tmp_path)
    local_stand_ins.SALESFORCE_CA_BUNDLE = str(stand_in.cert_path)
    local_stand_ins.SALESFORCE_API_VERSION = stand_in.version
    local_stand_ins.SALESFORCE_SOBJECT = "Lead"
    local_stand_ins.SALESFORCE_CLIENT_ID = local_stand_ins.SALESFORCE_CLIENT_SECRET = ""
    yield stand_in
    stand_in.stop()


@pytest.fixture
def client(salesforce) -> SalesforceClient:
    return SalesforceClient(Credentials(base_url=salesforce.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET))


def _lead(email: str, **fields: str) -> dict[str, str]:
    return {"Email": email, "FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical Engines", **fields}


def test_it_connects_with_client_credentials_and_knows_the_writable_lead_fields(salesforce, client):
    names = client.field_names()

    assert {"Email", "FirstName", "LastName", "Company", "Phone", "Title", "Website", "LeadSource"} <= names
    assert "LinkedIn__c" in names  # the org's custom field
    assert not names & {"Id", "Name", "LastModifiedDate", "CreatedDate", "IsDeleted"}  # read-only
    assert set(SalesforceClient.default_mapping.values()) <= names
    token_request, describe = salesforce.received
    assert token_request.path == "/services/oauth2/token"
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert token_request.body == form
    assert describe.method == "GET" and describe.path == "/services/data/v62.0/sobjects/Lead/describe"
    assert describe.headers["Authorization"] == f"Bearer {sorted(salesforce.valid_tokens)[0]}"


def test_a_mapping_can_be_checked_against_the_fields_the_org_has(client):
    mapping = {**SalesforceClient.default_mapping, "linkedin_url": "LinkedIn__c", "score": "Lead_Score__c"}
    assert set(mapping.values()) - client.field_names() == {"Lead_Score__c"}


def test_a_stored_access_token_and_instance_url_are_used_as_they_are(salesforce):
    token = salesforce.issue_token()
    client = SalesforceClient(Credentials(base_url=salesforce.base_url, token=token, account=salesforce.base_url))

    assert "Email" in client.field_names()
    assert [request.path for request in salesforce.received] == ["/services/data/v62.0/sobjects/Lead/describe"]


def test_refused_client_credentials_need_the_user(salesforce):
    client = SalesforceClient(Credentials(base_url=salesforce.base_url, client_id=CLIENT_ID, client_secret="wrong"))
    with pytest.raises(AuthFailed, match="invalid client credentials"):
        client.field_names()


def test_a_connection_without_any_credentials_needs_the_user(salesforce):
    with pytest.raises(AuthFailed, match="neither an access token nor client credentials"):
        SalesforceClient(Credentials(base_url=salesforce.base_url)).field_names()


def test_an_expired_session_is_renewed_once_with_the_client_credentials(salesforce, client):
    client.field_names()
    salesforce.expire_sessions()
    salesforce.add(**_lead("ada@example.com"))

    assert list(client.find_by_emails(["ada@example.com"])) == ["ada@example.com"]
    assert [r.path for r in salesforce.requests_to("/oauth2/token")] == ["/services/oauth2/token"] * 2


def test_an_expired_stored_token_without_client_credentials_needs_the_user(salesforce):
    token = salesforce.issue_token()
    client = SalesforceClient(Credentials(base_url=salesforce.base_url, token=token, account=salesforce.base_url))
    salesforce.expire_sessions()
    with pytest.raises(AuthFailed, match="INVALID_SESSION_ID"):
        client.field_names()


def test_it_finds_leads_by_email_whatever_their_case_with_values_quoted_safely(salesforce, client):
    ada = salesforce.add(**_lead("Ada@Example.com", Phone="+44 20 7946 0000"))
    quoted = salesforce.add(**_lead("o'brien@example.com", LastName="O'Brien"))
    salesforce.add(**_lead("someone.else@example.com"))

    found = client.find_by_emails(["ada@example.com", "O'Brien@example.com", "nobody@example.com"])

    assert set(found) == {"ada@example.com", "o'brien@example.com"}
    assert found["ada@example.com"].remote_id == ada
    assert found["ada@example.com"].fields["Phone"] == "+44 20 7946 0000"
    assert found["ada@example.com"].fields["Title"] == ""  # every writable field, empty ones as ""
    assert found["ada@example.com"].modified_at.tzinfo is not None
    assert found["o'brien@example.com"].fields["LastName"] == "O'Brien"
    assert found["o'brien@example.com"].remote_id == quoted
    soql = salesforce.requests_to("/query")[0].query["q"][0]
    assert soql.startswith("SELECT Id, LastModifiedDate, ")
    assert "FROM Lead WHERE Email IN ('ada@example.com','nobody@example.com','o\\'brien@example.com')" in soql


def test_many_emails_are_asked_in_queries_that_fit_in_a_url(salesforce, client):
    emails = [f"someone.with.a.rather.long.address.{n}@a-long-company-domain.example.com" for n in range(150)]
    salesforce.add(**_lead(emails[149]))

    assert list(client.find_by_emails(emails)) == [emails[149]]
    queries = salesforce.requests_to("/query")
    assert len(queries) >= 2
    assert sum(query.query["q"][0].count("@") for query in queries) == 150
    assert all(len(query.query["q"][0]) < 16_384 / 3 for query in queries)


def test_two_leads_with_one_email_answer_the_one_changed_last(salesforce, client):
    salesforce.add(**_lead("twin@example.com", Title="Older"))
    newer = salesforce.add(**_lead("twin@example.com", Title="Newer"))
    assert client.find_by_emails(["twin@example.com"])["twin@example.com"].remote_id == newer


def test_get_answers_the_records_that_still_exist(salesforce, client):
    kept = salesforce.add(**_lead("kept@example.com"))
    gone = salesforce.add(**_lead("gone@example.com"))
    salesforce.delete(gone)

    found = client.get([kept, gone, kept[:15]])

    assert set(found) == {kept, kept[:15]}
    assert found[kept[:15]].fields["Email"] == "kept@example.com"


def test_it_creates_in_collections_of_200_with_the_required_fields_filled(salesforce, client):
    records = [{"Email": f"person{n}@example.com", "FirstName": f"P{n}"} for n in range(201)]

    ids = client.create(records)

    assert len(ids) == 201 and len(set(ids)) == 201
    assert [salesforce.records[ids[n]]["Email"] for n in (0, 200)] == ["person0@example.com", "person200@example.com"]
    assert salesforce.records[ids[0]]["Company"] == NOT_PROVIDED
    assert salesforce.records[ids[0]]["LastName"] == NOT_PROVIDED
    posts = salesforce.requests_to("/composite/sobjects")
    assert [(post.method, len(post.body["records"])) for post in posts] == [("POST", 200), ("POST", 1)]
    assert posts[0].body["allOrNone"] is False
    assert posts[0].body["records"][0]["attributes"] == {"type": "Lead"}
    assert posts[0].headers["Content-Type"] == "application/json"


def test_it_updates_and_reports_the_records_deleted_on_salesforces_side(salesforce, client):
    ada = salesforce.add(**_lead("ada@example.com", Phone="+1 555 0100"))
    gone = salesforce.add(**_lead("gone@example.com"))
    before = salesforce.records[ada]["LastModifiedDate"]
    salesforce.delete(gone)

    deleted = client.update([(ada, {"Title": "Countess", "Phone": "", "Company": ""}), (gone, {"Title": "CTO"})])

    assert deleted == {gone}
    assert salesforce.records[ada]["Title"] == "Countess"
    assert salesforce.records[ada]["Phone"] is None  # an empty value clears the field
    assert salesforce.records[ada]["Company"] == "Analytical Engines"  # but never a required one
    assert salesforce.records[ada]["LastModifiedDate"] > before
    patch = salesforce.requests_to("/composite/sobjects")[0]
    assert patch.method == "PATCH"
    assert patch.body["records"][0] == {"attributes": {"type": "Lead"}, "id": ada, "Title": "Countess", "Phone": None}


def test_records_salesforce_refuses_one_by_one_are_named_after_the_others_are_written(salesforce, client):
    salesforce.duplicate_rule = True
    salesforce.add(**_lead("taken@example.com"))
    with pytest.raises(SyncError, match=r"refused to create 1 of 3 records: taken@example.com: DUPLICATES_DETECTED"):
        client.create([_lead("new1@example.com"), _lead("taken@example.com"), _lead("new2@example.com")])
    emails = sorted(record["Email"] for record in salesforce.records.values())
    assert emails == ["new1@example.com", "new2@example.com", "taken@example.com"]

    new1 = next(key for key, record in salesforce.records.items() if record["Email"] == "new1@example.com")
    with pytest.raises(SyncError, match="INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Status: bad value"):
        client.update([(new1, {"Title": "CTO"}), (new1, {"Status": "Meeting booked"})])
    assert salesforce.records[new1]["Title"] == "CTO"


def test_changed_since_pages_through_every_change_oldest_first(salesforce, client):
    ids = [salesforce.add(**_lead(f"p{n}@example.com")) for n in range(5)]
    salesforce.edit(ids[1], Title="Edited in Salesforce")

    changes = list(client.changed_since(None))

    assert [record.remote_id for record in changes] == [ids[0], ids[2], ids[3], ids[4], ids[1]]
    assert changes[-1].fields["Title"] == "Edited in Salesforce"
    pages = [request.path for request in salesforce.received if "/query" in request.path]
    # Five records, two a batch: the query, then the nextRecordsUrl of each batch.
    assert pages[0] == "/services/data/v62.0/query/"
    assert [path.rsplit("-", 1)[1] for path in pages[1:]] == ["2", "4"]
    soql = salesforce.requests_to("/query")[0].query["q"][0]
    assert soql.endswith("FROM Lead ORDER BY LastModifiedDate, Id")


def test_changed_since_a_moment_answers_only_what_changed_after_it(salesforce, client):
    first = salesforce.add(**_lead("first@example.com"))
    second = salesforce.add(**_lead("second@example.com"))
    since = datetime.strptime(salesforce.records[second]["LastModifiedDate"], "%Y-%m-%dT%H:%M:%S.%f%z")
    salesforce.edit(first, Title="Changed later")

    changes = list(client.changed_since(since))

    assert [record.remote_id for record in changes] == [first]
    assert changes[0].modified_at > since
    soql = salesforce.requests_to("/query")[0].query["q"][0]
    assert "WHERE LastModifiedDate > 2026-01-05T09:00:02+00:00 ORDER BY LastModifiedDate, Id" in soql
    assert since.astimezone(UTC).second == 2


@pytest.mark.parametrize("code", ["REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"])
def test_a_throttled_call_is_tried_again_after_a_pause(salesforce, client, slept, code):
    client.field_names()
    salesforce.throttle(1, code=code)

    ids = client.create([_lead("ada@example.com")])

    assert len(ids) == 1 and len(salesforce.records) == 1  # created once, not twice
    assert len(salesforce.requests_to("/composite/sobjects")) == 2
    assert slept == [1.0]


def test_a_limit_that_holds_is_reported_as_rate_limited(salesforce, client, slept):
    client.field_names()
    salesforce.throttle(4)
    with pytest.raises(RateLimited, match="REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded"):
        client.find_by_emails(["ada@example.com"])
    assert slept == [1.0, 2.0, 4.0]


def test_a_failing_read_is_tried_again_but_a_failing_create_is_not_repeated(salesforce, client, slept):
    salesforce.add(**_lead("ada@example.com"))
    client.field_names()
    salesforce.fail(1)
    assert list(client.find_by_emails(["ada@example.com"])) == ["ada@example.com"]
    assert slept == [1.0]

    salesforce.fail(1)
    with pytest.raises(SyncError, match=r"\(500\): UNKNOWN_EXCEPTION"):
        client.create([_lead("grace@example.com")])
    assert len(salesforce.requests_to("/composite/sobjects")) == 1  # a create that may have half-run is not repeated


def test_a_field_the_org_does_not_have_is_a_clear_error(salesforce, client):
    client.field_names()
    with pytest.raises(SyncError, match="No such column 'Lead_Score__c'"):
        client.create([_lead("ada@example.com", Lead_Score__c="80")])


def test_an_address_leadflow_may_not_reach_is_refused(salesforce, local_stand_ins):
    local_stand_ins.HTTP_ALLOW_PRIVATE_HOSTS = []
    credentials = Credentials(base_url=salesforce.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with pytest.raises(SyncError, match="could not be reached"):
        SalesforceClient(credentials).field_names()
    assert salesforce.received == []
