"""What bench/load.py's simulated people need in a bench database (run inside Django): passwords for the seeded
manager and reps, a Meta lead-ads source signed with this run's secret, and the sequence emails and WhatsApp texts that
the tracking and status webhooks report on; afterwards, what became of the webhooks' leads and the staff's notes.
Made once and found again on a reused database; each run only renews the secrets and the stand-in's address."""

from __future__ import annotations

import json
import random

# The seeded personas who work the CRM during the load (the admin stays out: the site may ask admins for two-factor).
STAFF_PERSONAS = ("manager", "rep", "rep2", "rep3")


def load_setup_make(plan: dict, world: dict, *, source_name: str, sequence_name: str) -> dict:
    """Make or renew what the load needs; what the locust process must know of it."""
    from crm.demo_data import LAST_NAMES
    from crm.models import Lead, User
    from scraping.models import Source

    staff = User.objects.filter(pk__in=[world["users"][persona] for persona in STAFF_PERSONAS]).order_by("pk")
    for user in staff:
        user.set_password(plan["password"])
        user.save(update_fields=["password"])
    manager = User.objects.get(pk=world["users"]["manager"])
    credentials = {"app_secret": plan["meta_app_secret"], "verify_token": "load-bench", "page_access_token": "EAAload"}
    Source.objects.update_or_create(
        name=source_name,
        kind=Source.Kind.META,
        defaults={"credentials": json.dumps(credentials), "base_url": plan["graph_base_url"], "owner": manager},
    )
    mailgun_ids, twilio_sids = _reported_messages(sequence_name, manager)
    words = sorted({name for names in LAST_NAMES.values() for name in names})
    return {
        "staff": [{"email": user.email} for user in staff],
        "search_words": random.Random(7).sample(words, min(40, len(words))),
        "mailgun_message_ids": mailgun_ids,
        "twilio_message_sids": twilio_sids,
        "count_now": Lead.objects.count(),
    }


def _reported_messages(sequence_name: str, manager) -> tuple[list[str], list[str]]:
    """Mailgun's ids of the sent sequence emails and Twilio's ids of the sent WhatsApp texts, made on first use."""
    from django.db import transaction

    from crm.models import Lead
    from outreach.models import Conversation, ConversationChannel, ConversationMessage, Enrollment, Message, Sequence
    from tests.factories import MessageFactory, SequenceFactory, SequenceStepFactory

    sequence = Sequence.objects.filter(name=sequence_name).first()
    if sequence is None:
        with transaction.atomic():
            # Paused, and every enrollment finished: the send tick never writes to these people.
            sequence = SequenceFactory(name=sequence_name, status=Sequence.Status.PAUSED)
            step = SequenceStepFactory(sequence=sequence, position=1)
            leads = Lead.objects.exclude(email="").order_by("pk")[:200]
            for number, lead in enumerate(leads):
                enrollment = Enrollment.objects.create(sequence=sequence, lead=lead, status=Enrollment.Status.FINISHED)
                MessageFactory(
                    enrollment=enrollment,
                    step=step,
                    provider_message_id=f"<load-{number}@mg.bench.example>",
                    message_id=f"<load-{number}.sequence@bench.example>",
                )
                conversation, _ = Conversation.objects.get_or_create(
                    lead=lead,
                    channel=ConversationChannel.WHATSAPP,
                    defaults={"peer": "whatsapp:+447700900123", "assigned_to": manager},
                )
                ConversationMessage.objects.create(
                    conversation=conversation,
                    direction=ConversationMessage.Direction.OUT,
                    status=ConversationMessage.Status.SENT,
                    text="Thanks for your interest: when suits you for a call?",
                    provider_id=f"SMload{number:026d}",
                )
    messages = Message.objects.filter(enrollment__sequence=sequence).order_by("pk")
    mailgun_ids = [message_id.strip("<>") for message_id in messages.values_list("provider_message_id", flat=True)]
    sids = ConversationMessage.objects.filter(
        conversation__lead__enrollments__sequence=sequence, direction=ConversationMessage.Direction.OUT
    ).values_list("provider_id", flat=True)
    return mailgun_ids, list(sids)


def load_outcome(plan: dict, *, source_name: str) -> str:
    """A line on the webhooks' leads (notified, saved, still waiting) and the leads now in the database."""
    from django.db.models import Count

    from crm.models import Lead
    from scraping.models import AdDelivery

    deliveries = dict(
        AdDelivery.objects.filter(source__name=source_name, platform_lead_id__gte=str(plan["first_leadgen_id"]))
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    made = Lead.objects.count() - plan["count_before"]
    states = ", ".join(f"{count:,} {status}" for status, count in sorted(deliveries.items())) or "none"
    return f"Meta leads notified this run: {states}; leads in the database: {made:+,}"
