"""Fixtures of the production tests: a fresh PostgreSQL database of their own on the test server, and its Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("LEADFLOW_TEST_REDIS_URL", "")
needs_postgresql_and_redis = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgres") and REDIS_URL),
    reason="production runs on PostgreSQL and Redis: set DATABASE_URL=postgres://… and LEADFLOW_TEST_REDIS_URL",
)


@pytest.fixture(scope="module")
def fresh_postgresql_database(request) -> Iterator[str]:
    """The URL of a new, empty database beside the test run's (dropped afterwards)."""
    server = urlsplit(DATABASE_URL)
    name = f"{server.path.lstrip('/')}_{request.module.__name__.rsplit('.', 1)[-1]}"[:63]
    admin = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
