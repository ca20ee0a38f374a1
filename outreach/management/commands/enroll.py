"""`manage.py enroll --sequence NAME --list NAME [--user EMAIL]`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from crm.models import Lead, LeadList
from outreach.enrollments import enroll
from outreach.models import Sequence


class Command(BaseCommand):
    help = "Enroll the leads of a list in a sequence; prints how many were enrolled and how many skipped, and why."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sequence", required=True, help="the sequence's name")
        parser.add_argument("--list", dest="list_name", required=True, help="the list's name")
        parser.add_argument("--user", help="email of the person enrolling (default: the first admin)")

    def handle(self, *args, **options) -> None:
        actor = command_actor(options["user"])
        sequence = Sequence.objects.filter(name__iexact=options["sequence"]).first()
        if sequence is None:
            raise CommandError(f"There is no sequence named {options['sequence']!r}.")
        lead_list = LeadList.objects.filter(name__iexact=options["list_name"]).first()
        if lead_list is None:
            raise CommandError(f"There is no list named {options['list_name']!r}.")
        try:
            result = enroll(sequence, Lead.objects.filter(memberships__lead_list=lead_list), actor=actor)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Enrolled {result.enrolled} lead(s) of list {lead_list.name} in {sequence.name}.")
        skipped = sum(result.skipped.values())
        self.stdout.write(f"Skipped {skipped}" + (":" if skipped else "."))
        for line in result.skipped_lines:
            self.stdout.write(f"  {line}")
