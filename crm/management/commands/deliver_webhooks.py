"""`manage.py deliver_webhooks [--seconds N]`: send the webhook deliveries that are due and print what happened."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from crm.webhooks.deliver import SWEEP_SECONDS, deliveries_send_due


class Command(BaseCommand):
    help = (
        "Send due webhook deliveries (new ones, retries, and any a dead worker left claimed) and print how many were "
        "delivered, will be retried, were given up, or were skipped because another worker holds them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seconds", type=float, default=SWEEP_SECONDS, help="stop picking new deliveries after this long"
        )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Webhook deliveries: {deliveries_send_due(options['seconds'])}")
