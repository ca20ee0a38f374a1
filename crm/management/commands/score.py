"""`manage.py score [--all | --list NAME]`: rescore leads now, as the queued task and the nightly run do."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.models import LeadList
from crm.rescoring import leads_rescore, stale_lead_ids
from leadflow.params import id_or_none


class Command(BaseCommand):
    help = "Score leads: those marked stale (the default), every lead (--all), or one list's (--list NAME or id)."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="every lead")
        which.add_argument("--list", dest="list_name", help="the leads of this list (name or id)")

    def handle(self, *args, **options) -> None:
        if options["all"]:
            result = str(leads_rescore())
        elif options["list_name"]:
            lead_list = self._list(options["list_name"])
            result = str(leads_rescore(list(lead_list.members.order_by("pk").values_list("pk", flat=True))))
        else:
            result = str(leads_rescore(stale_lead_ids()))  # all of them now, in this process
        self.stdout.write(f"Leads: {result}.")

    def _list(self, name: str) -> LeadList:
        found = LeadList.objects.filter(name=name).order_by("pk").first()
        found = found or LeadList.objects.filter(pk=id_or_none(name)).first()
        if found is None:
            raise CommandError(f"There is no list named {name!r}.")
        return found
