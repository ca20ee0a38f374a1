"""Fixed personas: an admin, a manager, two reps and a viewer (see STYLE.md §7)."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django_q.conf import Conf
from django_q.models import OrmQ

from leadflow.roles import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _cache_emptied_after_committing_tests(request, django_db_blocker):
    """The cache is a database table (or Redis) that a test's rollback or flush does not empty: what a test that
    commits left there (a stopped cluster's heartbeat, a count cached for 30 s) must not reach the next test."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transaction = marker and marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
    commits = bool(transaction) or "transactional_db" in request.fixturenames
    if commits:
        with django_db_blocker.unblock():
            cache.clear()


@pytest.fixture
def broker_queued(monkeypatch):
    """Tasks go to django-q2's ORM broker instead of running in the test (its sync mode off); call it for the
    functions queued there, in order (the cluster is not started: the rows it would take are read)."""
    monkeypatch.setattr(Conf, "SYNC", False)
    return lambda: [queued.func() for queued in OrmQ.objects.order_by("pk")]


def _persona(email: str, first_name: str, role: Role, **extra):
    user = UserFactory(email=email, first_name=first_name, last_name="Example", **extra)
    user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def admin_ada(db):
    return _persona("ada@leadflow.test", "Ada", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def manager_mia(db):
    return _persona("mia@leadflow.test", "Mia", Role.MANAGER, is_staff=True)


@pytest.fixture
def rep_alice(db):
    return _persona("alice@leadflow.test", "Alice", Role.REP)


@pytest.fixture
def rep_bob(db):
    return _persona("bob@leadflow.test", "Bob", Role.REP)


@pytest.fixture
def viewer_vic(db):
    return _persona("vic@leadflow.test", "Vic", Role.VIEWER)


@pytest.fixture
def local_stand_ins(settings):
    """Outbound requests may reach stand-in servers on this machine, as "localhost" only (127.0.0.1 stays refused),
    with no waiting between requests and a short timeout."""
    settings.HTTP_ALLOW_PRIVATE_HOSTS = ["localhost"]
    settings.HTTP_RATE_PER_HOST = 0
    settings.HTTP_TIMEOUT = 5
    return settings


@pytest.fixture
def slept(monkeypatch):
    """Waits (retry backoff, Retry-After, rate limits) are recorded instead of slept."""
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    return waits


@pytest.fixture
def api_as(db):
    """api_as(user, read_only=False): a REST API client sending `Authorization: Bearer <a new token of the user>`."""
    from rest_framework.test import APIClient

    from leadflow.api.tokens import api_token_create

    def client_for(user, *, read_only: bool = False) -> APIClient:
        issued = api_token_create(user=user, name="tests", read_only=read_only)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        return client

    return client_for
