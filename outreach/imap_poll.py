"""Reading replies from mailboxes over IMAP (imapclient), every message through the reply service.

A mailbox's first poll reads only what arrived since the mailbox was added (a mailbox with 50,000 old messages is
not read); later polls go on from the last UID read; a new UIDVALIDITY (the folder was rebuilt) reads by date since
the last good poll again, and the Message-IDs already kept are skipped. Messages are fetched with BODY.PEEK in a
read-only folder, so nothing is marked read on the server. A server that fails is tried again later, waiting longer
each time, with the error on the mailbox; the other mailboxes are polled all the same."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from leadflow.secrets import SecretUnreadable
from outreach.mailboxes import mailbox_address
from outreach.models import ConversationMessage, Mailbox
from outreach.replies import email_received

logger = logging.getLogger(__name__)

# A poll holds its mailbox this long (longer than a django-q task may run), so two never read the same one at once.
LEASE = datetime.timedelta(minutes=15)
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=1)
FETCH_BATCH = 20
SERVER_ERRORS = (IMAPClientError, OSError, SecretUnreadable)


@dataclass
class PollResult:
    """What one poll of one mailbox did, as the command prints it."""

    mailbox: str
    kept: Counter = field(default_factory=Counter)  # by ConversationMessage.Kind
    left: int = 0  # read but not kept: already kept, our own, or from no lead (those wait as unmatched emails)
    skipped: str = ""
    error: str = ""

    @property
    def read(self) -> int:
        return sum(self.kept.values()) + self.left

    def line(self) -> str:
        if self.skipped:
            return f"{self.mailbox}: not polled ({self.skipped})."
        if self.error:
            return f"{self.mailbox}: failed, tried again later: {self.error}"
        labels = dict(ConversationMessage.Kind.choices)
        kinds = ", ".join(f"{count} {labels[kind].lower()}" for kind, count in sorted(self.kept.items()))
        line = f"{self.mailbox}: read {self.read} new message{'s' if self.read != 1 else ''}"
        if kinds:
            line += f"; kept {kinds}"
        if self.left:
            line += f"; {self.left} already kept, our own or from no lead"
        return line + "."


def _claim(mailbox: Mailbox, now: datetime.datetime, *, force: bool) -> bool:
    """Hold the mailbox for this poll, unless another poll holds it or it waits after a failure (a person asking
    for it by name need not wait for that)."""
    free = Q(imap_retry_at__isnull=True) | Q(imap_retry_at__lte=now)
    if force:
        free |= Q(imap_failures__gt=0)
    return Mailbox.objects.filter(free, pk=mailbox.pk).update(imap_retry_at=now + LEASE) == 1


def _failed(mailbox: Mailbox, now: datetime.datetime, error: str) -> None:
    failures = mailbox.imap_failures + 1
    wait = min(FIRST_RETRY * 2 ** (failures - 1), LONGEST_RETRY)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_error=f"{now:%Y-%m-%d %H:%M} UTC: {error}"[:1000], imap_failures=failures, imap_retry_at=now + wait
    )


def _new_uids(client: IMAPClient, mailbox: Mailbox, uidvalidity: int) -> list[int]:
    if uidvalidity == mailbox.imap_uidvalidity and mailbox.imap_last_uid is not None:
        # "N:*" always answers the newest message, even one below N: keep only those above.
        return sorted(uid for uid in client.search(["UID", f"{mailbox.imap_last_uid + 1}:*"])
                      if uid > mailbox.imap_last_uid)  # fmt: skip
    rebuilt = mailbox.imap_uidvalidity is not None and mailbox.imap_polled_at is not None
    since = mailbox.imap_polled_at if rebuilt else mailbox.created_at
    return sorted(client.search(["SINCE", since.date()]))


def _read(mailbox: Mailbox, result: PollResult) -> None:
    port = mailbox.imap_port or (993 if mailbox.imap_ssl else 143)
    with IMAPClient(mailbox.imap_host, port=port, ssl=mailbox.imap_ssl, timeout=settings.IMAP_TIMEOUT) as client:
        client.login(mailbox.imap_user or mailbox.address, mailbox.imap_password)
        folder = client.select_folder(mailbox.imap_folder or "INBOX", readonly=True)
        uidvalidity = folder[b"UIDVALIDITY"]
        uids = _new_uids(client, mailbox, uidvalidity)[: settings.IMAP_POLL_MAX_MESSAGES]
        if not uids and uidvalidity != mailbox.imap_uidvalidity:
            # Nothing new yet: later polls go on from the folder's next UID, not by date.
            last = folder[b"UIDNEXT"] - 1 if folder.get(b"UIDNEXT") else None
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=uidvalidity, imap_last_uid=last)
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                kept = email_received(raw, via="imap", mailbox=mailbox) if raw else None
                if kept is None:
                    result.left += 1
                else:
                    result.kept[kept.kind] += 1
            # Where it stands, after each batch: a poll cut short goes on from here.
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=uidvalidity, imap_last_uid=batch[-1])


def mailbox_poll(mailbox: Mailbox, *, now: datetime.datetime | None = None, force: bool = False) -> PollResult:
    """Read the mailbox's new messages once; a server error is recorded on the mailbox, not raised."""
    now = now or timezone.now()
    result = PollResult(mailbox.address)
    if not _claim(mailbox, now, force=force):
        waiting = mailbox.imap_failures and mailbox.imap_retry_at
        result.skipped = (
            f"waiting until {mailbox.imap_retry_at:%H:%M} UTC after: {mailbox.imap_error}"
            if waiting
            else "another poll is reading it"
        )
        return result
    try:
        _read(mailbox, result)
    except SERVER_ERRORS as exc:
        logger.warning("IMAP poll of mailbox %s failed: %s", mailbox.pk, exc)
        result.error = str(exc) or exc.__class__.__name__
        _failed(mailbox, now, result.error)
        return result
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_error="", imap_failures=0, imap_retry_at=None,
                                                 imap_polled_at=now)  # fmt: skip
    return result


def mailboxes_poll(*, address: str = "", now: datetime.datetime | None = None) -> list[PollResult]:
    """Poll every active mailbox with an IMAP host (or the one with this address, at once even after a failure);
    one mailbox failing in any way leaves the others polled."""
    mailboxes = Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("pk")
    if address:
        mailboxes = mailboxes.filter(address=mailbox_address(address))
    results = []
    for mailbox in mailboxes:
        try:
            results.append(mailbox_poll(mailbox, now=now, force=bool(address)))
        except Exception as exc:  # a message the reply service could not take: the mailbox waits, the rest go on
            logger.exception("IMAP poll of mailbox %s failed", mailbox.pk)
            _failed(mailbox, now or timezone.now(), f"{exc.__class__.__name__}: {exc}")
            results.append(PollResult(mailbox.address, error=f"{exc.__class__.__name__}: {exc}"))
    return results


def replies_fetch() -> str:
    """The schedule's task: every mailbox polled, what each read as one line."""
    return "\n".join(result.line() for result in mailboxes_poll())
