"""`manage.py mailbox add ADDRESS --name NAME --url URL [--imap URL] [--cap N] [--postal-address TEXT]`,
`mailbox list`, `mailbox test ADDRESS --to EMAIL`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outreach.mailboxes import (
    IMAP_URL_FORM,
    URL_FORMS,
    imap_from_url,
    mailbox_from_url,
    mailbox_imap_summary,
    mailbox_rows,
    mailbox_send_test,
    mailbox_transport_summary,
)
from outreach.models import Mailbox


def _replies(mailbox: Mailbox) -> str:
    return f"; {mailbox_imap_summary(mailbox)}" if mailbox.imap_host else ""


class Command(BaseCommand):
    help = "Add or update a mailbox from a mail URL, list the mailboxes, or send a test message through one."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a mailbox, or update the one with this address")
        add.add_argument("address")
        add.add_argument("--name", required=True, help="the sender name recipients see")
        add.add_argument("--url", required=True, help=f"how it sends: {URL_FORMS}")
        add.add_argument("--imap", help=f"where replies are read: {IMAP_URL_FORM}")
        add.add_argument("--cap", type=int, help="messages a day at most (default 200)")
        add.add_argument("--postal-address", help="the postal address every sequence email ends with")
        add.add_argument("--signature", help="the signature ({{ signature }} in templates)")
        add.add_argument("--warmup-start", type=int, help="warm up: messages on the first day")
        add.add_argument("--warmup-step", type=int, help="warm up: messages added each day")
        actions.add_parser("list", help="list the mailboxes with today's count and cap")
        test = actions.add_parser("test", help="send one test message through a mailbox")
        test.add_argument("address")
        test.add_argument("--to", required=True, help="who gets the test message")

    def handle(self, *args, **options) -> None:
        {"add": self._add, "list": self._list, "test": self._test}[options["action"]](options)

    def _add(self, options: dict) -> None:
        optional = {
            "daily_cap": options["cap"],
            "postal_address": options["postal_address"],
            "signature": options["signature"],
            "warmup_start": options["warmup_start"],
            "warmup_step": options["warmup_step"],
        }
        known = Mailbox.objects.filter(address__iexact=options["address"].strip()).exists()
        try:
            if options["imap"]:
                optional |= imap_from_url(options["imap"])
            mailbox = mailbox_from_url(
                options["url"], address=options["address"], name=options["name"], channel="command",
                **{name: value for name, value in optional.items() if value is not None},
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{'Updated' if known else 'Added'} mailbox {mailbox}: {mailbox_transport_summary(mailbox)}, "
            f"cap {mailbox.daily_cap} a day{_replies(mailbox)}."
        )
        if not mailbox.postal_address:
            self.stdout.write("  No postal address yet: sequences need one (--postal-address) before they send.")

    def _list(self, options: dict) -> None:
        rows = mailbox_rows(now=timezone.now())
        if not rows:
            self.stdout.write("No mailboxes yet: add one with `manage.py mailbox add`.")
        for row in rows:
            state = "" if row.mailbox.active else " (inactive)"
            self.stdout.write(
                f"{row.mailbox}{state}: {mailbox_transport_summary(row.mailbox)}; sent today {row.sent_today} of "
                f"{row.cap_today}; {row.warmup}{_replies(row.mailbox)}."
            )

    def _test(self, options: dict) -> None:
        mailbox = Mailbox.objects.filter(address__iexact=options["address"].strip()).first()
        if mailbox is None:
            raise CommandError(f"There is no mailbox {options['address']!r}.")
        result = mailbox_send_test(mailbox, to=options["to"])
        if not result.ok:
            raise CommandError(f"Test from {mailbox.address} failed: {result.detail}")
        self.stdout.write(result.detail)
