"""API clients that authenticate as the personas with personal tokens, as programs do."""

import pytest
from rest_framework.test import APIClient

from leadflow.api.tokens import api_token_create


@pytest.fixture
def api_as(db):
    """api_as(user, read_only=False): a client sending `Authorization: Bearer <a new token of the user>`."""

    def client_for(user, *, read_only: bool = False) -> APIClient:
        issued = api_token_create(user=user, name="tests", read_only=read_only)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        return client

    return client_for
