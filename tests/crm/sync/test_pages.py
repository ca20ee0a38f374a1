"""Settings → CRM sync: who may open it, connecting (credentials stored encrypted, shown masked), the mapping
editor and its refusals, run buttons, and run history with the change log."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.urls import reverse

from crm.models import CrmConnection, SyncChange, SyncRun
from tests.crm.sync.helpers import sync
from tests.factories import LeadFactory
from tests.fakes.gohighlevel_server import LOCATION_ID as GHL_LOCATION_ID
from tests.fakes.gohighlevel_server import TOKEN as GHL_TOKEN
from tests.fakes.gohighlevel_server import GoHighLevelStandIn
from tests.fakes.hubspot_server import TOKEN, HubSpotStandIn
from tests.fakes.salesforce_server import CLIENT_ID as SALESFORCE_CLIENT_ID
from tests.fakes.salesforce_server import CLIENT_SECRET as SALESFORCE_CLIENT_SECRET
from tests.fakes.salesforce_server import SalesforceStandIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def hubspot(local_stand_ins, settings):
    stand_in = HubSpotStandIn.started()
    settings.HUBSPOT_BASE_URL = stand_in.base_url
    settings.HUBSPOT_TOKEN = ""
    yield stand_in
    stand_in.stop()


def _connect(client, **extra):
    data = {
        "name": "hub",
        "kind": "hubspot",
        "token": TOKEN,
        "direction": "both",
        "conflict_rule": "newest",
        "schedule": "off",
        **extra,
    }
    return client.post(reverse("crm:settings_crm"), data)


@pytest.mark.parametrize("persona", ["rep_alice", "viewer_vic"])
def test_reps_and_viewers_may_not_open_crm_sync(client, request, persona, admin_ada):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("crm:settings_crm")).status_code == 403
    connection = CrmConnection.objects.create(name="x", kind="hubspot", acting_user=admin_ada)
    assert client.get(reverse("crm:crm_connection", args=[connection.pk])).status_code == 403
    assert client.post(reverse("crm:crm_connection_run", args=[connection.pk])).status_code == 403


def test_a_manager_connects_with_a_token_stored_encrypted_and_shown_masked(client, manager_mia, hubspot):
    client.force_login(manager_mia)
    assert client.get(reverse("crm:settings_crm")).status_code == 200

    response = _connect(client, acting_user=manager_mia.pk)

    connection = CrmConnection.objects.get(name="hub")
    assert response.status_code == 302
    assert connection.token == TOKEN
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT token FROM crm_crmconnection WHERE id = %s", [connection.pk])
        assert TOKEN not in cursor.fetchone()[0]
    # The default mapping, as far as the account has the fields.
    assert connection.mapping["email"] == "email" and connection.mapping["title"] == "jobtitle"
    page = client.get(reverse("crm:crm_connection", args=[connection.pk])).content.decode()
    assert TOKEN not in page
    assert "••••••" + TOKEN[-4:] in page


def test_the_default_mapping_leaves_out_fields_the_account_lacks(client, manager_mia, local_stand_ins, settings):
    stand_in = HubSpotStandIn.started(property_names=["email", "firstname", "lastname"])
    settings.HUBSPOT_BASE_URL = stand_in.base_url
    try:
        client.force_login(manager_mia)
        _connect(client, acting_user=manager_mia.pk)
    finally:
        stand_in.stop()
    assert CrmConnection.objects.get().mapping == {"email": "email", "first_name": "firstname", "last_name": "lastname"}


def test_a_mapping_naming_a_field_the_crm_lacks_is_refused_at_save(client, admin_ada, hubspot):
    client.force_login(admin_ada)
    _connect(client, acting_user=admin_ada.pk)
    connection = CrmConnection.objects.get()
    before = dict(connection.mapping)
    data = {f"connection-{k}": v for k, v in {"name": "hub", "direction": "both", "conflict_rule": "crm"}.items()}
    data |= {"connection-schedule": "daily", "connection-acting_user": admin_ada.pk}
    data |= {"map-email": "email", "map-title": "job_title_that_does_not_exist"}

    response = client.post(reverse("crm:crm_connection", args=[connection.pk]), data)

    assert response.status_code == 422
    assert "has no field &#x27;job_title_that_does_not_exist&#x27;" in response.content.decode()
    connection.refresh_from_db()
    assert connection.mapping == before and connection.conflict_rule == "newest"

    data["map-title"] = "jobtitle"
    assert client.post(reverse("crm:crm_connection", args=[connection.pk]), data).status_code == 302
    connection.refresh_from_db()
    assert connection.mapping == {"email": "email", "title": "jobtitle"}
    assert (connection.conflict_rule, connection.schedule) == ("crm", "daily")
    assert connection.token == TOKEN  # a blank token box keeps the stored one


def test_the_run_button_queues_a_run_and_the_history_shows_counts_and_changes(client, manager_mia, hubspot):
    client.force_login(manager_mia)
    _connect(client, acting_user=manager_mia.pk)
    connection = CrmConnection.objects.get()
    LeadFactory(email="ann@acme.example", first_name="Ann", title="CTO", owner=manager_mia)
    done = sync(connection, "push")

    response = client.post(reverse("crm:crm_connection_run", args=[connection.pk]), {"direction": "pull"})

    assert response.status_code == 302
    queued = SyncRun.objects.exclude(pk=done.pk).get()
    assert (queued.direction, queued.created_by) == ("pull", manager_mia)
    page = client.get(reverse("crm:crm_connection", args=[connection.pk])).content.decode()
    assert f'href="{reverse("crm:crm_run", args=[done.pk])}"' in page
    detail = client.get(reverse("crm:crm_run", args=[done.pk])).content.decode()
    assert "1 created" in detail
    assert "ann@acme.example" in detail and "CTO" in detail
    assert SyncChange.objects.filter(run=done).count() >= 3
    sideways = client.post(reverse("crm:crm_connection_run", args=[connection.pk]), {"direction": "sideways"})
    assert sideways.status_code == 400
    assert client.get(reverse("crm:crm_run", args=[999999])).status_code == 404


@pytest.mark.parametrize("model", ["crmconnection", "crmlink", "syncrun", "syncchange"])
def test_the_back_office_lists_sync_records_read_only_without_secrets(client, admin_ada, model):
    connection = CrmConnection.objects.create(name="hub", kind="hubspot", acting_user=admin_ada, token=TOKEN)
    run = SyncRun.objects.create(connection=connection, direction="push")
    lead = LeadFactory()
    connection.links.create(lead=lead, remote_id="101")
    SyncChange.objects.create(run=run, lead=lead, field="title", old="a", new="b", direction="push")
    client.force_login(admin_ada)
    assert client.get(reverse(f"admin:crm_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:crm_{model}_add")).status_code == 403
    change = client.get(reverse("admin:crm_crmconnection_change", args=[connection.pk])).content.decode()
    assert TOKEN not in change


def _serving(stand_in, settings, *from_the_form: str):
    """The stand-in's settings, less the credentials the form is to supply (not the environment)."""
    for name, value in stand_in.settings.items():
        setattr(settings, name, "" if name in from_the_form else value)
    return stand_in


@pytest.fixture
def salesforce(local_stand_ins, settings):
    stand_in = _serving(SalesforceStandIn.started(), settings, "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET")
    yield stand_in
    stand_in.stop()


@pytest.fixture
def gohighlevel(local_stand_ins, settings):
    stand_in = _serving(GoHighLevelStandIn.started(), settings, "GOHIGHLEVEL_TOKEN", "GOHIGHLEVEL_LOCATION_ID")
    yield stand_in
    stand_in.stop()


def test_a_manager_connects_salesforce_with_a_connected_apps_client_credentials(client, manager_mia, salesforce):
    client.force_login(manager_mia)

    response = _connect(
        client, name="sf", kind="salesforce", token="", client_id=SALESFORCE_CLIENT_ID,
        client_secret=SALESFORCE_CLIENT_SECRET, acting_user=manager_mia.pk,
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    connection = CrmConnection.objects.get(name="sf")
    assert (connection.client_id, connection.client_secret) == (SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET)
    assert connection.mapping["email"] == "Email" and connection.mapping["title"] == "Title"
    page = client.get(reverse("crm:crm_connection", args=[connection.pk])).content.decode()
    assert SALESFORCE_CLIENT_SECRET not in page
    assert '<option value="LinkedIn__c">' in page  # the mapping editor offers the org's own fields


def test_salesforce_with_an_access_token_needs_its_instance_url(client, manager_mia, salesforce):
    client.force_login(manager_mia)
    token = salesforce.issue_token()

    refused = _connect(client, name="sf", kind="salesforce", token=token, acting_user=manager_mia.pk)

    assert refused.status_code == 422
    assert "Salesforce needs its instance URL" in refused.content.decode()
    assert not CrmConnection.objects.exists()
    accepted = _connect(
        client, name="sf", kind="salesforce", token=token, account=salesforce.base_url, acting_user=manager_mia.pk
    )
    assert accepted.status_code == 302
    assert CrmConnection.objects.get(name="sf").account == salesforce.base_url


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Salesforce needs a connected app&#x27;s client id and its client secret or an access token"),
        ({"client_id": SALESFORCE_CLIENT_ID}, "Salesforce needs its client secret."),
        ({"token": "00D!abc", "account": "http://localhost"}, "A Salesforce instance URL starts with https://."),
    ],
)
def test_salesforce_credentials_left_out_are_asked_for(client, manager_mia, salesforce, fields, message):
    client.force_login(manager_mia)

    response = _connect(
        client, **{"name": "sf", "kind": "salesforce", "token": "", "acting_user": manager_mia.pk} | fields
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not CrmConnection.objects.exists()


def test_a_manager_connects_gohighlevel_with_a_token_and_location_and_maps_a_custom_field(
    client, manager_mia, gohighlevel
):
    client.force_login(manager_mia)

    without_location = _connect(client, name="ghl", kind="gohighlevel", token=GHL_TOKEN, acting_user=manager_mia.pk)
    assert without_location.status_code == 422
    assert "GoHighLevel needs the location (sub-account) id." in without_location.content.decode()

    response = _connect(
        client, name="ghl", kind="gohighlevel", token=GHL_TOKEN, account=GHL_LOCATION_ID, acting_user=manager_mia.pk
    )

    assert response.status_code == 302
    connection = CrmConnection.objects.get(name="ghl")
    assert (connection.token, connection.account) == (GHL_TOKEN, GHL_LOCATION_ID)
    assert connection.mapping["company"] == "companyName" and "title" not in connection.mapping
    data = {f"connection-{k}": v for k, v in {"name": "ghl", "direction": "both", "conflict_rule": "newest"}.items()}
    data |= {"connection-schedule": "off", "connection-acting_user": manager_mia.pk}
    data |= {"connection-account": GHL_LOCATION_ID, "map-email": "email", "map-title": "contact.job_title"}
    assert client.post(reverse("crm:crm_connection", args=[connection.pk]), data).status_code == 302
    connection.refresh_from_db()
    assert connection.mapping == {"email": "email", "title": "contact.job_title"}
    assert connection.token == GHL_TOKEN  # a blank token box keeps the stored one


def test_the_lead_page_shows_the_leads_records_in_connected_crms(client, admin_ada, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    hub = CrmConnection.objects.create(name="hub", kind="hubspot", acting_user=admin_ada)
    sf = CrmConnection.objects.create(name="sf", kind="salesforce", acting_user=admin_ada)
    hub.links.create(lead=lead, remote_id="101", lead_synced_at=lead.updated_at)
    sf.links.create(lead=lead, remote_id="00Q5g0000000001AAA", remote_deleted_at=lead.updated_at)
    client.force_login(rep_alice)

    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()

    panel = page[page.index('id="lead-crm-links"') :]
    assert "HubSpot" in panel and "<code>101</code>" in panel
    assert "Salesforce" in panel and "00Q5g0000000001AAA" in panel and "Deleted in the CRM" in panel
    other = LeadFactory(owner=rep_alice)
    assert 'id="lead-crm-links"' not in client.get(reverse("crm:lead", args=[other.pk])).content.decode()
