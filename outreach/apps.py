"""Talking to leads: the message writer and its drafts (sequences, sending and the inbox come later)."""

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"

    def ready(self) -> None:
        from outreach import demo  # noqa: F401 (connect the demo receiver)
