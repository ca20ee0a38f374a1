"""The email sequences' part of the demo (issue 13), offline: a console mailbox, the ready sequences installed and
"Cold intro" cloned (A/B first step, an all-week window) and started, the first demo list enrolled, one tick sent to
the console (its output kept off the screen), then engagement recorded through the real services: a person's open
and click, a machine open, a reply, an unsubscribe, a hard bounce, and one message left 'uncertain' for review."""

from __future__ import annotations

import contextlib
import datetime
import io
import random

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, LeadList, User
from crm.signals import demo_seeding
from outreach.claims import TickContext, batch_claim
from outreach.enrollments import enroll
from outreach.events import event_record
from outreach.mailboxes import mailbox_address, mailbox_save
from outreach.models import Mailbox, Message, MessageEvent, Sequence
from outreach.models.mail import WEEKDAYS
from outreach.scheduler import tick
from outreach.sequence_files import ready_sequences_install
from outreach.sequences import VariantSpec, sequence_clone, sequence_resume, sequence_save, sequence_spec_of
from outreach.stop_conditions import lead_replied
from outreach.windows import team_zone

READY_NAME = "Cold intro (3 steps)"
DEMO_NAME = "Demo: Cold intro"
MAILBOX_ADDRESS = "sales@leadflow.example"
DEMO_LINK = "https://leadflow.example/demo"
ALL_DAY = (datetime.time(0, 0), datetime.time(23, 59))
VARIANT_B = VariantSpec(
    subject="{{ company|default:'Your team' }} and prospecting, {{ first_name|default:'there' }}",
    body=(
        'Hi {{ first_name|default:"there" }},\n\n'
        "Teams like {{ company|default:'yours' }} tell us prospecting eats a day a week. We give that day back.\n"
        "Open to a 15-minute call next week?\n"
    ),
)
Kind = MessageEvent.Kind


def _mailbox(manager: User) -> Mailbox:
    mailbox = Mailbox.objects.filter(address=mailbox_address(MAILBOX_ADDRESS)).first() or Mailbox(
        address=MAILBOX_ADDRESS
    )
    mailbox.name = "Demo sales"
    mailbox.transport = Mailbox.Transport.CONSOLE
    mailbox.postal_address = "Leadflow Demo Ltd, 1 Example Street, London EC1A 1AA, United Kingdom"
    mailbox.signature = f"The Leadflow demo sales team\nSee it in two minutes: {DEMO_LINK}"
    mailbox.window_days = list(WEEKDAYS)
    mailbox.window_start, mailbox.window_end = ALL_DAY
    return mailbox_save(mailbox=mailbox, actor=manager)


def _sequence(manager: User, mailbox: Mailbox) -> Sequence:
    """The demo's clone of the ready cold intro: its mailbox, an all-week window, an A/B first step, started."""
    ready_sequences_install()
    sequence = Sequence.objects.filter(name__iexact=DEMO_NAME).first()
    if sequence is None:
        ready = Sequence.objects.get(name=READY_NAME, is_template=True)
        sequence = sequence_clone(sequence=ready, actor=manager, name=DEMO_NAME)
    spec = sequence_spec_of(sequence)
    spec.mailbox = mailbox
    spec.window_days = list(WEEKDAYS)
    spec.window_start, spec.window_end = ALL_DAY
    if len(spec.steps[0].variants) < 2:
        spec.steps[0].variants.append(VARIANT_B)
    sequence = sequence_save(spec=spec, actor=manager, sequence=sequence)
    return sequence_resume(sequence=sequence, actor=manager)


def _engagement(sent: list[Message]) -> dict[str, int]:
    """Engagement on the sent messages, each through the service its page or webhook calls."""
    done = {"opened": 0, "replied": 0, "unsubscribed": 0, "bounced": 0}
    if len(sent) < 5:
        return done
    person, machine, reply, unsubscribe, bounce = sent[:5]
    minutes = datetime.timedelta(minutes=1)
    # A person opens (the pixel) and clicks the link (the redirect).
    event_record(person, Kind.OPENED, occurred_at=person.sent_at + 4 * minutes, via="pixel")
    event_record(person, Kind.CLICKED, occurred_at=person.sent_at + 6 * minutes, via="redirect", url=DEMO_LINK)
    # Apple's proxy fetches every pixel the moment the mail arrives: kept, but not taken for a person.
    event_record(
        machine, Kind.OPENED, occurred_at=machine.sent_at + minutes, via="pixel", machine=True,
        machine_reason="Apple Mail Privacy Protection",
    )  # fmt: skip
    event_record(reply, Kind.OPENED, occurred_at=reply.sent_at + 3 * minutes, via="pixel")
    lead_replied(reply.lead, message=reply, at=reply.sent_at + 20 * minutes)
    # As the /u/ page's button does: the address is suppressed and the lead's sequences stop.
    event_record(unsubscribe, Kind.UNSUBSCRIBED, occurred_at=unsubscribe.sent_at + 8 * minutes, via="unsubscribe page")
    event_record(
        bounce, Kind.BOUNCED, occurred_at=bounce.sent_at + 2 * minutes, via="webhook",
        data={"code": 550, "reply": "550 5.1.1 The email account that you tried to reach does not exist"},
    )  # fmt: skip
    return {"opened": 2, "replied": 1, "unsubscribed": 1, "bounced": 1}


@receiver(demo_seeding, dispatch_uid="outreach.demo_sequences")
def sequences_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    # rng is left alone: the parts seeded after this one draw the same numbers with or without it.
    mailbox = _mailbox(manager)
    sequence = _sequence(manager, mailbox)
    lead_list = LeadList.objects.filter(archived=False).order_by("pk").first()
    leads = Lead.objects.filter(memberships__lead_list=lead_list) if lead_list else Lead.objects.order_by("pk")[:12]
    result = enroll(sequence, leads, actor=manager)

    now = timezone.now()
    zone = team_zone()
    with contextlib.redirect_stdout(io.StringIO()):  # the console mailbox prints every email it "sends"
        # A worker claims one message and dies before sending it (the claim commits before any mail server call)...
        batch_claim(TickContext(worker="demo-worker (stopped mid-send)", team_zone=zone, fixed_now=now), size=1)
        # ...the tick sends the rest...
        report = tick(now=now)
        if report.deferred:  # the clock stood at 23:59 somewhere: a minute later every window is open again
            tick(now=now + datetime.timedelta(minutes=2))
        # ...and a later tick finds the dead worker's claim stale: 'uncertain', for a person to review.
        tick(now=now + datetime.timedelta(seconds=settings.OUTREACH_CLAIM_SECONDS + 60))
    messages = Message.objects.filter(enrollment__sequence=sequence)
    sent = list(messages.filter(status=Message.Status.SENT).select_related("lead").order_by("pk"))
    done = _engagement(sent)
    uncertain = messages.filter(status=Message.Status.UNCERTAIN).count()
    skipped = f" ({'; '.join(result.skipped_lines)})" if result.skipped else ""
    return [
        f"outreach: mailbox {mailbox.name} <{mailbox.address}> (console: printed, never sent); sequence "
        f"{sequence.name!r} (A/B first step) — {result.enrolled} enrolled from "
        f"{lead_list.name if lead_list else 'the first leads'}, {sum(result.skipped.values())} skipped{skipped}",
        f"outreach: {len(sent)} sent to the console mailbox; {done['opened']} opened by people (1 click), 1 machine "
        f"open, {done['replied']} reply, {done['unsubscribed']} unsubscribe, {done['bounced']} bounce, "
        f"{uncertain} uncertain for review at {reverse('outreach:messages_uncertain')}",
    ]
