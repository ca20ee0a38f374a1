"""Each CRM's stand-in behind one face, in Leadflow's terms, so every engine test runs against every CRM: adding a
CRM to the sync tests is one line in REMOTES, given a stand-in (tests/fakes/<crm>_server.py) that has:

- `started()` (a classmethod) and `stop()`, `base_url`, and `settings`: the settings a connection to it needs
  (<CRM>_BASE_URL and the token or client credentials), which the tests set so the connection's blank credentials
  fall back to them as they would to the environment;
- `add(at=None, **fields) -> id` and `edit(id, at=None, **fields)` (the id as text too): someone makes or changes a
  person in the CRM at `at` (fields by the CRM's own names, as the client's default_mapping names them);
  `delete(id)`;
- `rate_limits(times=, retry_after=)`: the next requests get the CRM's own throttling answer, and `says_retry_after`
  whether that answer names the wait (Salesforce's does not); `server_error(times=)`: its 5xx;
  `clear_failures()`; `writes()`: how many calls so far created or changed people;
- optionally `custom_mapping`: Leadflow fields its account maps to custom fields, on top of the default mapping.

Everything else (reading values back, counting, finding by email) goes through the client itself.
"""

from __future__ import annotations

import importlib
from datetime import datetime

import pytest

from crm.models import CrmConnection
from crm.sync.clients import client_for
from crm.sync.connections import mapping_default

# CRM kind -> its stand-in, "module:Class" under tests/fakes. One line per CRM: the engine tests run against each.
REMOTES = {
    CrmConnection.Kind.HUBSPOT: "hubspot_server:HubSpotStandIn",
    CrmConnection.Kind.PIPEDRIVE: "pipedrive_server:PipedriveStandIn",
    CrmConnection.Kind.SALESFORCE: "salesforce_server:SalesforceStandIn",
    CrmConnection.Kind.GOHIGHLEVEL: "gohighlevel_server:GoHighLevelStandIn",
}


class Remote:
    """A stand-in CRM seen through the client's default mapping: people added, edited, deleted and read by
    Leadflow field names."""

    def __init__(self, kind: str, settings):
        module_name, class_name = REMOTES[kind].split(":")
        module = importlib.import_module(f"tests.fakes.{module_name}")
        self.kind = kind
        self.stand_in = getattr(module, class_name).started()
        for name, value in self.stand_in.settings.items():
            setattr(settings, name, value)
        # A connection with blank credentials: the client is built the way a run builds it.
        self.client = client_for(CrmConnection(kind=kind))
        # The default mapping the account allows, and the custom fields its admin made for the rest.
        self.mapping = mapping_default(CrmConnection(kind=kind))[0] | getattr(self.stand_in, "custom_mapping", {})
        self.says_retry_after = self.stand_in.says_retry_after

    def _fields(self, values: dict[str, str]) -> dict[str, str]:
        return {self.mapping[name]: value for name, value in values.items()}

    def add(self, *, at: datetime | None = None, **values: str) -> str:
        return str(self.stand_in.add(at=at, **self._fields(values)))

    def edit(self, remote_id: str, *, at: datetime | None = None, **values: str) -> None:
        self.stand_in.edit(remote_id, at=at, **self._fields(values))

    def delete(self, remote_id: str) -> None:
        self.stand_in.delete(remote_id)

    def value(self, remote_id: str, name: str) -> str:
        """A Leadflow field's value on the CRM's record, read back through the client."""
        return self.client.get([str(remote_id)])[str(remote_id)].fields.get(self.mapping[name], "")

    def find(self, email: str) -> str | None:
        record = self.client.find_by_emails([email]).get(email.lower())
        return record.remote_id if record else None

    def count(self) -> int:
        return sum(1 for _ in self.client.changed_since(None))

    def writes(self) -> int:
        return self.stand_in.writes()

    def rate_limits(self, *, times: int = 1, retry_after: int = 1) -> None:
        self.stand_in.rate_limits(times=times, retry_after=retry_after)

    def server_error(self, *, times: int = 1) -> None:
        self.stand_in.server_error(times=times)

    def clear_failures(self) -> None:
        self.stand_in.clear_failures()

    def stop(self) -> None:
        self.stand_in.stop()


@pytest.fixture(params=sorted(REMOTES))
def remote(request, local_stand_ins, settings):
    """Each CRM's stand-in in turn, with its settings pointing at it."""
    settings.PIPEDRIVE_REQUESTS_PER_SECOND = 0
    settings.HTTP_RETRY_AFTER_MAX = 5
    stand_in = Remote(request.param, settings)
    yield stand_in
    stand_in.stop()
