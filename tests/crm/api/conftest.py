from tests.leadflow.api.conftest import api_as  # noqa: F401 (the same token clients)
