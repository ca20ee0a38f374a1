"""Which client speaks to which CRM, and the credentials a connection hands it."""

from __future__ import annotations

from django.conf import settings

from crm.models import CrmConnection
from crm.sync.base import Credentials, CrmClient, SyncError
from crm.sync.hubspot import HubSpotClient
from crm.sync.pipedrive import PipedriveClient

# CrmConnection.Kind -> its client class; one line per CRM.
CLIENTS: dict[str, type[CrmClient]] = {
    CrmConnection.Kind.HUBSPOT: HubSpotClient,
    CrmConnection.Kind.PIPEDRIVE: PipedriveClient,
}


def client_class(kind: str) -> type[CrmClient]:
    try:
        return CLIENTS[kind]
    except KeyError:
        raise SyncError(f"Leadflow has no client for {kind!r} yet.") from None


def credentials_for(connection: CrmConnection) -> Credentials:
    """The connection's stored credentials; a blank one falls back to the <KIND>_TOKEN setting (the environment).
    The base URL is always the <KIND>_BASE_URL setting, so tests and private networks only change settings."""
    prefix = connection.kind.upper()
    return Credentials(
        base_url=getattr(settings, f"{prefix}_BASE_URL", ""),
        token=connection.token or getattr(settings, f"{prefix}_TOKEN", ""),
        client_id=connection.client_id or getattr(settings, f"{prefix}_CLIENT_ID", ""),
        client_secret=connection.client_secret or getattr(settings, f"{prefix}_CLIENT_SECRET", ""),
        account=connection.account,
    )


def client_for(connection: CrmConnection) -> CrmClient:
    return client_class(connection.kind)(credentials_for(connection))
