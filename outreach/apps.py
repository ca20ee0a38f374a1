"""Talking to leads: the message writer and its drafts (sequences, sending and the inbox come later)."""

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"

    def ready(self) -> None:
        from outreach import demo, stop_conditions  # noqa: F401 (connect the demo's and the stop conditions' receivers)
        from outreach.channels import tasks  # noqa: F401 (a task done advances its sequence)
