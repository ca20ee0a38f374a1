"""Making a connection to a stand-in and running a sync the way the job cluster does."""

from __future__ import annotations

from crm.models import CrmConnection, SyncRun, User
from crm.sync.connections import connection_save
from crm.sync.jobs import sync_run_execute, sync_run_start


def connect(remote, actor: User, **fields) -> CrmConnection:
    """A connection to the stand-in with the mapping its account allows (Remote.mapping), acting as `actor`."""
    connection = CrmConnection(name=f"{remote.kind}-test", kind=remote.kind, acting_user=actor, **fields)
    manager = actor if _may_connect(actor) else _manager()
    return connection_save(connection=connection, actor=manager, mapping=remote.mapping)


def _may_connect(user: User) -> bool:
    from leadflow.roles import can_reassign

    return can_reassign(user)


def _manager() -> User:
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(email="connector@leadflow.test")
    user.groups.add(Group.objects.get(name="Manager"))
    return user


def sync(connection: CrmConnection, direction: str | None = None, **kwargs) -> SyncRun:
    """Start a run and execute it in this process, as the queued task would; the run as it ended."""
    run = sync_run_start(connection=connection, actor=None, direction=direction, enqueue=False, **kwargs)
    sync_run_execute(run.pk)
    run.refresh_from_db()
    connection.refresh_from_db()
    return run
