from tests.crm.webhooks.fixtures import fresh_listeners, on_commit, receiver, subscribe  # noqa: F401
