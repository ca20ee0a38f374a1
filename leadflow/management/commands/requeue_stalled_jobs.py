"""`manage.py requeue_stalled_jobs [--every SECONDS]`: every kind of job's reconciler (leadflow/schedules.py)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from leadflow.schedules import RECONCILERS


class Command(BaseCommand):
    help = (
        "Queue again the jobs of every kind whose worker died or whose task the broker lost, as the schedules do "
        "every few minutes; once, or every --every seconds until stopped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="seconds between sweeps (default: one sweep)")

    def handle(self, *args, **options) -> None:
        reconcilers = {name: import_string(spec["func"]) for name, spec in RECONCILERS.items()}
        while True:
            for name, reconcile in reconcilers.items():
                try:
                    outcome = reconcile()
                except Exception as exc:
                    if not options["every"]:
                        raise
                    # The broker or the database restarting: the next sweep tries again, as the next schedule would.
                    self.stderr.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {name} failed: {exc}")
                    continue
                if outcome:
                    self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {name}: {outcome}")
            self.stdout.flush()
            if not options["every"]:
                return
            close_old_connections()
            time.sleep(options["every"])
