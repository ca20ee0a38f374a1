"""Enrichment's part of the demo: a real job of the offline phone source over the demo's leads, and, for the sources
that need the internet (the finder's DNS and SMTP checks, company websites), values as they would have found them,
marked as demo values, so every page shows what enrichment looks like without a network."""

from __future__ import annotations

import random

from django.dispatch import receiver
from django.utils import timezone

from crm.models import DoNotCallNumber, Lead, User
from crm.signals import demo_seeding
from enrichment.analysis_jobs import analysis_job_create, analysis_job_run
from enrichment.jobs import enrichment_job_create, enrichment_job_run
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource
from leadflow.ai import ai_configured

# Demo leads whose values get attributions from the online sources.
ATTRIBUTED_LEADS = 24
# Demo leads analysed by a real analysis job (the built-in analysis unless an AI model is configured).
ANALYSED_LEADS = 12
DEMO_DETAIL = {"demo": True, "note": "demo value: what this source finds when it can reach the internet"}


def _attributions(lead: Lead, job: EnrichmentJob, rng: random.Random) -> list[FieldSource]:
    """What the finder and the company website would have said of one demo lead."""
    found = []
    if lead.email:
        domain = lead.email.partition("@")[2]
        verdict = rng.choice(["valid", "valid", "valid", "catch-all"])
        confidence = 95 if verdict == "valid" else 40
        found.append(
            FieldSource(lead=lead, field="email", value=lead.email, source="finder", confidence=confidence,
                        status=verdict, applied=True, detail={**DEMO_DETAIL, "mx_host": f"mx.{domain}"}, job=job)
        )  # fmt: skip
        if lead.first_name and lead.last_name:
            guess = f"{lead.first_name[0]}{lead.last_name}".lower() + f"@{domain}"
            if guess != lead.email:
                found.append(
                    FieldSource(lead=lead, field="email", value=guess, source="finder", confidence=20,
                                status="invalid", detail={**DEMO_DETAIL, "smtp": "550 5.1.1 no such user"}, job=job)
                )  # fmt: skip
    company = lead.company
    if company is not None:
        if company.description:
            found.append(
                FieldSource(lead=lead, field="company.description", value=company.description[:500], source="website",
                            confidence=85, applied=True, detail={**DEMO_DETAIL, "from": "schema.org Organization"},
                            job=job)
            )  # fmt: skip
        technologies = rng.sample(["WordPress", "HubSpot", "Google Analytics", "Cloudflare", "Shopify", "Intercom"], 2)
        found.append(
            FieldSource(lead=lead, field="company.technologies", value=", ".join(technologies), source="website",
                        confidence=75, detail={**DEMO_DETAIL, "technologies": technologies}, job=job)
        )  # fmt: skip
    if lead.linkedin_url:
        found.append(
            FieldSource(lead=lead, field="linkedin_url", value=lead.linkedin_url, source="website", confidence=80,
                        applied=True, detail={**DEMO_DETAIL, "from": "team page"}, job=job)
        )  # fmt: skip
    return found


@receiver(demo_seeding, dispatch_uid="enrichment.demo")
def enrichment_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    with_phone = Lead.objects.exclude(phone="").order_by("pk")
    DoNotCallNumber.objects.get_or_create(number=with_phone.first().phone, defaults={"origin": "demo list"})
    # The phone source is offline: this job is real (line types, regions, time zones, the do-not-call flag).
    job = enrichment_job_create(
        actor=manager, leads=with_phone, fields=["phone"], sources=["phone"], description="Demo: phone facts"
    )
    enrichment_job_run(job.pk)
    job.refresh_from_db()
    leads = list(Lead.objects.select_related("company").exclude(email="").order_by("pk")[:ATTRIBUTED_LEADS])
    online = EnrichmentJob.objects.create(
        created_by=manager,
        description="Demo: emails and company websites (demo values)",
        fields=["email", "linkedin", "company"],
        sources=["website", "finder"],
        status=EnrichmentJob.Status.DONE,
        progress_total=len(leads),
        progress_done=len(leads),
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    rows = [row for lead in leads for row in _attributions(lead, online, rng)]
    FieldSource.objects.bulk_create(rows)
    outcome = "email checked, company facts and LinkedIn from the website (demo values)"
    EnrichmentItem.objects.bulk_create(
        EnrichmentItem(
            job=online, lead=lead, status=EnrichmentItem.Status.DONE, outcome=outcome, finished_at=timezone.now()
        )
        for lead in leads
    )
    online.breakdown = {
        "emails_found": len(leads),
        "emails_verified": len({row.lead_id for row in rows if row.field == "email" and row.status == "valid"}),
        "linkedin_found": len({row.lead_id for row in rows if row.field == "linkedin_url"}),
        "companies_enriched": len({row.lead.company_id for row in rows if row.field.startswith("company.")}),
    }
    online.save(update_fields=["breakdown"])
    return [
        f"enrichment: phone facts for {job.progress_done} leads ({job.breakdown.get('phones_mobile', 0)} mobile), "
        f"{len(rows)} attributed demo values on {len(leads)} leads, 1 number on the do-not-call list (see Enrichment)"
    ]


@receiver(demo_seeding, dispatch_uid="enrichment.analysis_demo")
def analysis_demo(sender, *, manager: User, **kwargs) -> list[str]:
    """A real analysis job over a few demo leads: the lead pages show the panel filled, the job page its outcomes."""
    leads = Lead.objects.exclude(company=None).exclude(title="").order_by("pk")[:ANALYSED_LEADS]
    job = analysis_job_create(
        actor=manager, leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads]), description="Demo: analysis"
    )
    analysis_job_run(job.pk)
    job.refresh_from_db()
    how = "AI model" if ai_configured() else "built-in analysis (no AI model configured)"
    return [f"analysis: {job.progress_done} leads analysed by the {how}, {job.failed_count} failed (see AI analysis)"]
