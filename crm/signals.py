"""Signals crm sends for apps it does not import (DESIGN.md: dependencies point one way)."""

from django.dispatch import Signal

# Sent by `manage.py seed_demo` inside its transaction, once the demo's leads exist, with manager= (the demo
# manager, a User) and rng= (the demo's random.Random): apps add their part of the demo and return lines to print.
demo_seeding = Signal()

# Sent once a move to another stage is saved (single or bulk), with lead_ids= (list[int]) and stage= (the new Stage):
# outreach stops sequences when a deal is won or lost.
lead_stage_changed = Signal()

# Sent for each timeline entry recorded through crm.services.timeline, with activity= (the Activity): outreach stops
# sequences when a meeting is booked.
lead_activity_recorded = Signal()

# Sent once a lead's withdrawal of consent is saved, with lead= (the Lead), actor= (the User or None), via= (where it
# was said: "lead page", "API") and at= (when): outreach unsubscribes the lead, exactly as an unsubscribe link does.
lead_consent_withdrawn = Signal()

# Sent once when an import asked to enrich what it brought is done, inside the transaction that records the request,
# with job= (the ImportJob) and leads= (a QuerySet of the leads it created or changed): enrichment queues a job.
import_enrichment_requested = Signal()
