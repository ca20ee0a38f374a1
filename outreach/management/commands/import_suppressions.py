"""`manage.py import_suppressions FILE`: the suppression list page's CSV import, from the command line."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.models import User
from outreach.suppression import suppressions_import


class Command(BaseCommand):
    help = "Add the addresses (or @domains) of a CSV file to the suppression list; lines holding none are reported."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="email of the manager or admin the import is made as (default: an admin)")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        users = User.objects.filter(is_active=True)
        email = options["user"]
        actor = users.filter(email__iexact=email).first() if email else users.filter(is_superuser=True).first()
        if actor is None:
            raise CommandError("No such active user; pass --user with a manager's or admin's email.")
        try:
            with path.open("rb") as file:
                report = suppressions_import(actor=actor, file=file, name=path.name)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{path.name}: {report.added} added, {report.already_listed} listed already.")
        for line, cell, why in report.problems:
            self.stdout.write(f"  line {line}: {cell!r} {why}")
        if report.problem_count > len(report.problems):
            self.stdout.write(f"  … and {report.problem_count - len(report.problems)} more lines not imported.")
