import pytest

from leadflow.audit import AuditEvent


@pytest.fixture
def only_event(db):
    """only_event(action): the one event of this action, failing when there are none or several."""

    def find(action: str) -> AuditEvent:
        events = list(AuditEvent.objects.filter(action=action))
        assert len(events) == 1, f"{len(events)} {action} events: {[event.details for event in events]}"
        return events[0]

    return find
