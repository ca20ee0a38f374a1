"""Which client speaks to which CRM, and the credentials a connection hands it."""

from __future__ import annotations

from django.conf import settings

from crm.models import CrmConnection
from crm.sync.base import Credentials, CrmClient, SyncError
from crm.sync.gohighlevel import GoHighLevelClient
from crm.sync.hubspot import HubSpotClient
from crm.sync.pipedrive import PipedriveClient
from crm.sync.salesforce import SalesforceClient

# CrmConnection.Kind -> its client class; one line per CRM.
CLIENTS: dict[str, type[CrmClient]] = {
    CrmConnection.Kind.HUBSPOT: HubSpotClient,
    CrmConnection.Kind.PIPEDRIVE: PipedriveClient,
    CrmConnection.Kind.SALESFORCE: SalesforceClient,
    CrmConnection.Kind.GOHIGHLEVEL: GoHighLevelClient,
}


# What each CRM needs to connect: any one of these sets of credentials, by Credentials field, with how the user is
# asked for it. A field left blank on the connection may come from the environment (credentials_for).
CREDENTIALS_NEEDED: dict[str, tuple[dict[str, str], ...]] = {
    CrmConnection.Kind.HUBSPOT: ({"token": "a private app token"},),
    CrmConnection.Kind.PIPEDRIVE: ({"token": "an API token"},),
    CrmConnection.Kind.SALESFORCE: (
        {"client_id": "a connected app's client id", "client_secret": "its client secret"},
        {"token": "an access token", "account": "its instance URL (https://yourorg.my.salesforce.com)"},
    ),
    CrmConnection.Kind.GOHIGHLEVEL: (
        {"token": "a private integration token", "account": "the location (sub-account) id"},
    ),
}
# Settings the connection's account falls back to, where the CRM has one (the other fields: <KIND>_TOKEN, ...).
ACCOUNT_SETTINGS = {CrmConnection.Kind.GOHIGHLEVEL: "GOHIGHLEVEL_LOCATION_ID"}


def credentials_missing(kind: str, credentials: Credentials) -> dict[str, str]:
    """Credentials field -> what to enter there, when no set the CRM accepts is complete; {} when one is. The set
    the user started filling in is the one asked for; with nothing filled in, the message names every way."""
    choices = CREDENTIALS_NEEDED.get(kind, ())
    filled = [sum(bool(getattr(credentials, name)) for name in choice) for choice in choices]
    if not choices or any(count == len(choice) for count, choice in zip(filled, choices, strict=True)):
        return {}
    chosen = choices[filled.index(max(filled))]
    crm = CrmConnection.Kind(kind).label
    if max(filled) == 0 and len(choices) > 1:
        ways = " or ".join(" and ".join(choice.values()) for choice in choices)
        return {next(iter(choices[0])): f"{crm} needs {ways}."}
    return {name: f"{crm} needs {label}." for name, label in chosen.items() if not getattr(credentials, name)}


def client_class(kind: str) -> type[CrmClient]:
    try:
        return CLIENTS[kind]
    except KeyError:
        raise SyncError(f"Leadflow has no client for {kind!r} yet.") from None


def credentials_for(connection: CrmConnection) -> Credentials:
    """The connection's stored credentials; a blank one falls back to its setting (<KIND>_TOKEN, the environment).
    The base URL is always the <KIND>_BASE_URL setting, so tests and private networks only change settings."""
    prefix = connection.kind.upper()
    return Credentials(
        base_url=getattr(settings, f"{prefix}_BASE_URL", ""),
        token=connection.token or getattr(settings, f"{prefix}_TOKEN", ""),
        client_id=connection.client_id or getattr(settings, f"{prefix}_CLIENT_ID", ""),
        client_secret=connection.client_secret or getattr(settings, f"{prefix}_CLIENT_SECRET", ""),
        account=connection.account or getattr(settings, ACCOUNT_SETTINGS.get(connection.kind, ""), ""),
    )


def client_for(connection: CrmConnection) -> CrmClient:
    return client_class(connection.kind)(credentials_for(connection))
