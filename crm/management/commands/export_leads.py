"""`manage.py export_leads --format csv|xlsx --output FILE`: the leads table's export from the command line (cron)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from django.http import QueryDict

from crm.exporting import FORMATS, export_write, leads_export_record
from crm.filters import leads_matching
from crm.models import Lead, LeadList, Stage, User
from crm.selectors import leads_visible_to
from leadflow.params import id_or_none


class Command(BaseCommand):
    help = (
        "Export leads as the leads table filters them (same columns, same rules) to a CSV or XLSX file. With --user, "
        "only the leads that person may see; without it, every lead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", dest="export_format", choices=sorted(FORMATS), required=True)
        parser.add_argument("--output", type=Path, required=True, help="file to write (replaced if it exists)")
        parser.add_argument("--user", help="email of the person whose view of the leads is exported")
        parser.add_argument("--search", default="", help="words to search for, as in the table's search box")
        parser.add_argument("--stage", help="stage name (the default pipeline's first) or id")
        parser.add_argument("--owner", help='owner\'s email, or "none" for unassigned leads')
        parser.add_argument("--list", dest="list_name", help="list name or id")

    def handle(self, *args, **options) -> None:
        leads = self._leads(options)
        path: Path = options["output"]
        if not path.parent.is_dir():
            raise CommandError(f"No such folder: {path.parent}")
        filters = {"q": options["search"], **{name: options[name] for name in ("user", "stage", "owner", "list_name")}}
        leads_export_record(leads, export_format=options["export_format"], filters=filters, channel="command")
        if options["export_format"] == "xlsx":
            with path.open("wb") as file:
                count = export_write(leads, "xlsx", file)
        else:
            with path.open("w", encoding="utf-8", newline="") as file:
                count = export_write(leads, "csv", file)
        self.stdout.write(f"Wrote {count} lead{'s' if count != 1 else ''} to {path}.")

    def _leads(self, options: dict) -> QuerySet[Lead]:
        """The leads the options select, by the same filters as the table (crm.filters.leads_matching)."""
        visible = Lead.objects.all()
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"There is no active user with the email address {options['user']!r}.")
            visible = leads_visible_to(user)
        params = QueryDict(mutable=True)
        params["q"] = options["search"]
        if options["stage"]:
            params["stage"] = str(self._found(Stage, options["stage"], "stage", "-pipeline__is_default").pk)
        if options["owner"]:
            params["owner"] = "none" if options["owner"] == "none" else str(self._owner(options["owner"]).pk)
        if options["list_name"]:
            params["list"] = str(self._found(LeadList, options["list_name"], "list", "archived").pk)
        try:
            return leads_matching(visible, params)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _found(self, model: type[Stage] | type[LeadList], name_or_id: str, what: str, prefer: str):
        found = model.objects.filter(pk=id_or_none(name_or_id)).first() or (
            model.objects.filter(name__iexact=name_or_id).order_by(prefer, "pk").first()
        )
        if found is None:
            raise CommandError(f"There is no {what} called {name_or_id!r}.")
        return found

    def _owner(self, email: str) -> User:
        owner = User.objects.filter(email__iexact=email).first()
        if owner is None:
            raise CommandError(f"There is no user with the email address {email!r}.")
        return owner
