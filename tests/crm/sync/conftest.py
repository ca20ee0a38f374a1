"""Each CRM's stand-in behind one face, in Leadflow's terms, so every engine test runs against every CRM: adding a
CRM to the sync tests is one line in REMOTES."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm.models import CrmConnection
from crm.sync.clients import client_class
from tests.fakes import hubspot_server, pipedrive_server


class Remote:
    """A stand-in CRM seen through the client's default mapping: people added, edited, deleted and read by
    Leadflow field names."""

    kind: str
    module = None

    def __init__(self, settings):
        self.stand_in = self.module.__dict__[self.stand_in_class].started()
        prefix = self.kind.upper()
        setattr(settings, f"{prefix}_BASE_URL", self.stand_in.base_url)
        setattr(settings, f"{prefix}_TOKEN", self.module.TOKEN)
        self.mapping = dict(client_class(self.kind).default_mapping)

    def _fields(self, values: dict[str, str]) -> dict[str, str]:
        return {self.mapping[name]: value for name, value in values.items()}

    def add(self, *, at: datetime | None = None, **values: str) -> str:
        return str(self.stand_in.add(at=at, **self._fields(values)))

    def edit(self, remote_id: str, *, at: datetime | None = None, **values: str) -> None:
        self.stand_in.edit(self._id(remote_id), at=at, **self._fields(values))

    def delete(self, remote_id: str) -> None:
        self.stand_in.delete(self._id(remote_id))

    def find(self, email: str) -> str | None:
        record = self.stand_in.by_email(email)
        return str(record["id"]) if record else None

    def rate_limits(self, *, times: int = 1, retry_after: int = 1) -> None:
        self.stand_in.rate_limits(times=times, retry_after=retry_after)

    def server_error(self, *, times: int = 1) -> None:
        self.stand_in.server_error(times=times)

    def stop(self) -> None:
        self.stand_in.stop()


class HubSpotRemote(Remote):
    kind = CrmConnection.Kind.HUBSPOT
    module = hubspot_server
    stand_in_class = "HubSpotStandIn"

    def _id(self, remote_id: str) -> str:
        return str(remote_id)

    def value(self, remote_id: str, name: str) -> str:
        return self.stand_in.contacts[str(remote_id)]["properties"].get(self.mapping[name], "")

    def count(self) -> int:
        return len(self.stand_in._live())

    def writes(self) -> int:
        return len(self.stand_in.requests_to("batch/create")) + len(self.stand_in.requests_to("batch/update"))


class PipedriveRemote(Remote):
    kind = CrmConnection.Kind.PIPEDRIVE
    module = pipedrive_server
    stand_in_class = "PipedriveStandIn"

    def _id(self, remote_id: str) -> int:
        return int(remote_id)

    def _fields(self, values: dict[str, str]) -> dict[str, str]:
        fields = super()._fields(values)
        if "org_id" in fields:  # an organisation is made first, as a person in Pipedrive points at one
            name = fields.pop("org_id")
            found = [o for o in self.stand_in.organisations.values() if o["name"] == name]
            fields["org_id"] = found[0]["id"] if found else self.stand_in.add_organisation(name)
        return fields

    def value(self, remote_id: str, name: str) -> str:
        return str(self.stand_in.field(int(remote_id), self.mapping[name]) or "")

    def count(self) -> int:
        return sum(1 for person in self.stand_in.persons.values() if person["active_flag"])

    def writes(self) -> int:
        return len(self.stand_in.requests(method="POST")) + len(self.stand_in.requests(method="PUT"))


# One line per CRM: the engine tests run against each.
REMOTES = {
    CrmConnection.Kind.HUBSPOT: HubSpotRemote,
    CrmConnection.Kind.PIPEDRIVE: PipedriveRemote,
}


@pytest.fixture(params=sorted(REMOTES))
def remote(request, local_stand_ins, settings):
    """Each CRM's stand-in in turn, with its settings pointing at it."""
    settings.PIPEDRIVE_REQUESTS_PER_SECOND = 0
    settings.HTTP_RETRY_AFTER_MAX = 5
    stand_in = REMOTES[request.param](settings)
    yield stand_in
    stand_in.stop()
