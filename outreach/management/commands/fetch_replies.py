"""`manage.py fetch_replies [--mailbox ADDRESS]`: read new replies from the mailboxes that have an IMAP server."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outreach.imap_poll import mailboxes_poll


class Command(BaseCommand):
    help = (
        "Read new messages from every active mailbox with an IMAP host (or the one named, at once even after a "
        "failure) and print per mailbox what was read: replies, automatic replies, bounces, unsubscribe requests."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mailbox", default="", help="only this mailbox's address")

    def handle(self, *args, **options) -> None:
        results = mailboxes_poll(address=options["mailbox"])
        if not results:
            if options["mailbox"]:
                raise CommandError(f"There is no active mailbox {options['mailbox']!r} with an IMAP host.")
            self.stdout.write("No active mailbox has an IMAP host: nothing to read.")
        for result in results:
            self.stdout.write(result.line())
