"""The message writer's part of the demo: a real draft job over a demo list with the built-in writer (offline), one
draft approved and one edited into a spam phrase, so the lead page shows a check holding approval back."""

from __future__ import annotations

import random

from django.dispatch import receiver

from crm.models import Lead, LeadList, User
from crm.signals import demo_seeding
from outreach.drafts import draft_approve, draft_edit, draft_generate
from outreach.jobs import draft_job_create, draft_job_run

DEMO_LEADS = 12


@receiver(demo_seeding, dispatch_uid="outreach.demo")
def outreach_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    lead_list = LeadList.objects.filter(archived=False).order_by("pk").first()
    leads = (Lead.objects.filter(memberships__lead_list=lead_list) if lead_list else Lead.objects.order_by("pk"))[
        :DEMO_LEADS
    ]
    job = draft_job_create(
        actor=manager, leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads]), channel="email",
        tone=rng.choice(["friendly", "consultative"]), description=f"Demo: {lead_list.name if lead_list else 'leads'}",
    )  # fmt: skip
    draft_job_run(job.pk)
    first = Lead.objects.order_by("pk").first()
    approved = draft_generate(lead=first, actor=manager, channel="linkedin", tone="direct", length="short")
    draft_approve(draft=approved, actor=manager, version=approved.version)
    held = draft_generate(lead=first, actor=manager, channel="whatsapp", tone="friendly", length="short")
    draft_edit(draft=held, actor=manager, subject="", body=held.body + " Act now!", version=held.version)
    job.refresh_from_db()
    return [
        f"outreach: {job.progress_done} email drafts written by the built-in writer (job #{job.pk}); on "
        f"{first.full_name}'s page one LinkedIn note approved and one WhatsApp draft held back by the spam check"
    ]
