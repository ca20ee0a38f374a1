"""`manage.py run_sequences [--once] [--every SECONDS] [--worker NAME]`: send what sequences have due."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from outreach.scheduler import tick, worker_name


class Command(BaseCommand):
    help = (
        "Send due sequence messages and print what was sent, skipped (and why), deferred, failed and left uncertain; "
        "with --once one tick (for cron), else a tick every --every seconds until stopped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--every", type=float, default=60, help="seconds between ticks (default 60)")
        parser.add_argument("--worker", default="", help="this worker's name on its claims (default host:pid)")

    def handle(self, *args, **options) -> None:
        worker = options["worker"] or worker_name()
        while True:
            report = tick(worker=worker)
            self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} tick by {worker}:")
            for line in report.lines():
                self.stdout.write(f"  {line}")
            self.stdout.flush()
            if options["once"]:
                return
            time.sleep(options["every"])
