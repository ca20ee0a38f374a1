"""Webhook addresses the platforms post to (no login: each checks its own signature or key)."""

app_name = "hooks"

urlpatterns: list = []
