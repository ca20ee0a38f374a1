"""Talking to leads: the message writer and its drafts (sequences, sending and the inbox come later)."""

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        # The receivers of the demo, the stop conditions, the ad-form acknowledgements and privacy requests.
        from outreach import acknowledgements, demo, demo_inbox, demo_sequences, privacy, stop_conditions  # noqa: F401
        from outreach.channels import tasks  # noqa: F401 (a task done advances its sequence)
        from outreach.provider_events import inbound_received, tracking_received

        tracking.connect(tracking_received, dispatch_uid="outreach.tracking_received")
        inbound.connect(inbound_received, dispatch_uid="outreach.inbound_received")
