"""Ad-form deliveries (Meta, Google Ads, IndiaMART push) into leads: claimed, imported together through the import's
pipeline as leads, each delivery linked to the lead it became (or was found to be), the owner told at once. A claim
that dies with its worker goes back to be saved again; nothing is marked saved before it is."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm.matching import identity_email_key
from crm.models import ImportJob, ImportRejection, Lead, ListMembership, Task
from crm.normalize import NormalizeError, email_normalize, name_split, phone_e164
from crm.privacy.suppression import SUPPRESSED, Identity, people_suppressed
from crm.services.leads import lead_create, lead_promote
from crm.services.pipelines import pipeline_default
from crm.services.work import task_create
from leadflow.queue_once import queue_once, queued_run_started
from scraping.ads import CONSENT_COLUMN, CONSENT_SOURCES, ad_consent_given, is_consent_question
from scraping.capture import Destination, table_capture
from scraping.models import AdDelivery, Source
from scraping.signals import ad_leads_saved

# The column that carries a delivery's platform lead id through the import, so that each delivery finds its row.
PLATFORM_ID_COLUMN = "Platform lead id"
BATCH = 2000
# A claim older than this lost its worker: its deliveries go back to be saved.
CLAIM_SECONDS = 600


def deliveries_save(source_id: int, *, columns: dict[str, str] | None = None) -> int:
    """The task: turn a source's received deliveries (their fields known) into leads in one import, entering as
    leads in the source's stage, owner and list; link each delivery to its lead. Returns how many were saved. Queued
    once for a burst of webhooks (scraping.queueing), so a full batch queues the rest as a run of its own."""
    queued_run_started(f"{__name__}.deliveries_save", source_id)
    source = Source.objects.select_related("owner", "stage", "lead_list").get(pk=source_id)
    with transaction.atomic():
        pending = list(
            AdDelivery.objects.select_for_update(skip_locked=True)
            .filter(source=source, status=AdDelivery.Status.RECEIVED)
            .exclude(fields={})
            .order_by("pk")[:BATCH]
        )
        if not pending:
            return 0
        # Claimed (a second task finds them no longer received), and when: a claim that outlives its worker is
        # handed back by deliveries_save_due.
        claimed = AdDelivery.objects.filter(pk__in=[d.pk for d in pending])
        claimed.update(status=AdDelivery.Status.SAVING, saved_at=timezone.now())
    try:
        saved = _save(source, pending, columns or _delivery_columns(source.kind))
    except Exception:
        claimed.filter(status=AdDelivery.Status.SAVING).update(status=AdDelivery.Status.RECEIVED, saved_at=None)
        raise
    owners_notify(source, Lead.objects.filter(pk__in={d.lead_id for d in saved}).select_related("owner"))
    ad_leads_saved.send(sender=Source, source=source, deliveries=saved)
    if len(pending) == BATCH:
        queue_once(f"{__name__}.deliveries_save", source_id, work=source_id)
    return len(saved)


def _delivery_identity(delivery: AdDelivery, columns: dict[str, str]) -> Identity:
    identity = Identity()
    for header, value in delivery.fields.items():
        target, text = columns.get(header, ""), str(value)
        if target in ("email", "other_email") or "@" in text:
            identity.emails.append(text)
        elif target in ("phone", "other_phone"):
            identity.phones.append(text)
    return identity


def _suppressed_apart(pending: list[AdDelivery], columns: dict[str, str]) -> list[AdDelivery]:
    """The deliveries of people erased at their request (crm.privacy) are refused and forgotten, the reason kept;
    the others are returned to be saved."""
    found = people_suppressed([_delivery_identity(delivery, columns) for delivery in pending])
    for position in found:
        delivery = pending[position]
        delivery.status, delivery.error, delivery.saved_at = AdDelivery.Status.FAILED, SUPPRESSED, timezone.now()
        delivery.payload, delivery.fields = {}, {}
        delivery.save(update_fields=["status", "error", "saved_at", "payload", "fields"])
    return [delivery for position, delivery in enumerate(pending) if position not in found]


def _save(source: Source, pending: list[AdDelivery], columns: dict[str, str]) -> list[AdDelivery]:
    pending = _suppressed_apart(pending, columns)
    if not pending:
        return []
    headers = list(dict.fromkeys(name for delivery in pending for name in delivery.fields))
    # One column says whether each person consented, however many consent questions their form asked.
    table = [
        [str(d.fields.get(name, "")) for name in headers]
        + [Lead.LawfulBasis.CONSENT if ad_consent_given(d.fields) else "", d.platform_lead_id]
        for d in pending
    ]
    to = Destination(
        name=f"{source.name} deliveries",
        source_tag=source.kind,
        owner=source.owner,
        lead_list=source.lead_list,
        stage=source.stage or pipeline_default().stages.first(),
        lifecycle=Lead.Lifecycle.LEAD,
        basis_source=CONSENT_SOURCES.get(source.kind, f"{source.get_kind_display()} form"),
    )
    # The consent questions themselves stay custom fields, as the person answered them (never a second basis column).
    columns = {
        **{header: "" for header in headers if is_consent_question(header) and header not in columns},
        **columns,
        CONSENT_COLUMN: "lawful_basis",
        PLATFORM_ID_COLUMN: "",
    }
    jobs = table_capture([*headers, CONSENT_COLUMN, PLATFORM_ID_COLUMN], table, columns=columns, to=to)
    found: dict[int, int] = {}
    refused: dict[int, str] = {}
    for job in jobs:
        found_here, refused_here = _delivery_leads(job, pending, columns)
        found |= found_here
        refused |= refused_here
    now = timezone.now()
    for delivery in pending:
        delivery.lead_id, delivery.saved_at = found.get(delivery.pk), now
        delivery.status, delivery.error = AdDelivery.Status.SAVED, ""
        if delivery.lead_id is None:
            delivery.lead_id, delivery.error = _lead_kept_as_given(delivery, to, refused.get(delivery.pk, ""))
            if delivery.lead_id is None:
                delivery.status = AdDelivery.Status.FAILED
    AdDelivery.objects.bulk_update(pending, ["lead", "saved_at", "status", "error"])
    return [delivery for delivery in pending if delivery.lead_id]


def _delivery_leads(
    job: ImportJob, deliveries: list[AdDelivery], columns: dict[str, str]
) -> tuple[dict[int, int], dict[int, str]]:
    """Each delivery's lead, by its own row, never by line numbers (an answer may span lines): the lead carrying its
    platform id (created or filled in); the lead its row was a duplicate of; else the lead its email or phone now
    finds (a row that filled in an earlier lead). Also why the import refused the rows it refused."""
    ids = {delivery.platform_lead_id: delivery.pk for delivery in deliveries}
    found: dict[int, int] = {}
    carrying = Lead.objects.filter(custom_fields__has_key=PLATFORM_ID_COLUMN, import_job=job)
    for lead_id, custom in carrying.values_list("pk", "custom_fields"):
        delivery_id = ids.get(str(custom.get(PLATFORM_ID_COLUMN, "")))
        if delivery_id is not None:
            found.setdefault(delivery_id, lead_id)
    refused: dict[int, str] = {}
    rows = ImportRejection.objects.filter(job=job).values_list("lead_id", "kind", "reason", "values")
    for lead_id, kind, reason, values in rows:
        delivery_id = ids.get(str(values[-1])) if values else None
        if delivery_id is None:
            continue
        if lead_id:
            found.setdefault(delivery_id, lead_id)
        elif kind == ImportRejection.Kind.REJECTED:
            refused[delivery_id] = reason
    for delivery in deliveries:
        if delivery.pk not in found and delivery.pk not in refused:
            lead_id = _lead_by_identity(delivery, columns)
            if lead_id:
                found[delivery.pk] = lead_id
    return found, refused


def _lead_by_identity(delivery: AdDelivery, columns: dict[str, str]) -> int | None:
    """The lead a delivery's email, else its phone, now finds: the import matched the row to it on these keys."""
    for header, target in columns.items():
        value = str(delivery.fields.get(header, "")).strip()
        if not value:
            continue
        try:
            if target in ("email", "other_email"):
                key = identity_email_key(email_normalize(value))
                lead_id = Lead.objects.filter(email_key=key).values_list("pk", flat=True).first() if key else None
            elif target in ("phone", "other_phone"):
                lead_id = Lead.objects.filter(phone=phone_e164(value)).values_list("pk", flat=True).first()
            else:
                continue
        except NormalizeError:
            continue
        if lead_id:
            return lead_id
    return None


def _lead_kept_as_given(delivery: AdDelivery, to: Destination, refusal: str) -> tuple[int | None, str]:
    """A person who filled in an ad form asked to be contacted: when the import refuses their row (a placeholder
    phone, a name and nothing else), the lead is kept all the same with what they gave as custom fields, and the
    refusal on the delivery, so that a rep sees it and nobody is lost. (None, why) when even that is impossible."""
    name = next((str(value) for key, value in delivery.fields.items() if "name" in key.lower() and value), "")
    first, last = name_split(name) if name else ("", "")
    try:
        lead = lead_create(
            actor=None,
            stage=to.stage or pipeline_default().stages.first(),
            first_name=first,
            last_name=last,
            owner=to.owner,
            source=to.source_tag,
            lifecycle=to.lifecycle,
            custom_fields={f"{key} (as given)": str(value) for key, value in delivery.fields.items()},
        )
    except ValidationError as exc:
        return None, f"not saved: {'; '.join(exc.messages)}"
    if to.lead_list is not None:
        ListMembership.objects.get_or_create(lead_list=to.lead_list, lead=lead)
    return lead.pk, f"kept as given; the import said: {refusal or 'it could not tell who this is'}"


def owners_notify(source: Source, leads) -> None:
    """An ad-form lead must reach a rep within minutes: it becomes a lead if it was a contact, and its owner gets a
    task due within the hour (their My tasks page), and an email when CAPTURE_NOTIFY_BY_EMAIL is on."""
    due = timezone.now() + timedelta(hours=1)
    for lead in leads:
        lead_promote(lead=lead, actor=None, reason="ad_form")
        if lead.owner is None:
            continue
        title = f"New lead from {source.name}: get in touch"
        task_create(lead=lead, actor=lead.owner, title=title, kind=Task.Kind.CALL, due_at=due)
        if settings.CAPTURE_NOTIFY_BY_EMAIL and lead.owner.email:
            send_mail(
                subject=f"New lead: {lead.full_name} ({source.name})",
                message=f"{lead.full_name} just came in from {source.name}. Get in touch within the hour.",
                from_email=None,
                recipient_list=[lead.owner.email],
                fail_silently=True,
            )


def deliveries_save_due() -> int:
    """The periodic job: hand back claims whose worker died, and save what every webhook source has waiting (a lost
    task, a Google or IndiaMART delivery whose save failed). Returns how many were saved."""
    stale = timezone.now() - timedelta(seconds=CLAIM_SECONDS)
    AdDelivery.objects.filter(status=AdDelivery.Status.SAVING, saved_at__lt=stale).update(
        status=AdDelivery.Status.RECEIVED, saved_at=None
    )
    waiting = AdDelivery.objects.filter(status=AdDelivery.Status.RECEIVED, source__paused=False).exclude(fields={})
    return sum(deliveries_save(source_id) for source_id in set(waiting.values_list("source_id", flat=True)))


def _delivery_columns(kind: str) -> dict[str, str]:
    """Each platform's own field names mapped to lead fields (known headers first, the import's guesses after)."""
    if kind == Source.Kind.META:
        from scraping.ads import META_FIELD_MAPPING

        return META_FIELD_MAPPING
    if kind == Source.Kind.GOOGLE_ADS:
        from scraping.ads import GOOGLE_FIELD_MAPPING

        return GOOGLE_FIELD_MAPPING
    if kind == Source.Kind.INDIAMART:
        from scraping.sources.indiamart import INDIAMART_DELIVERY_MAPPING

        return INDIAMART_DELIVERY_MAPPING
    return {}
