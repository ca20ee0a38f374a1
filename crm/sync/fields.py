"""The Leadflow side of a sync: which lead fields a mapping may name, each lead's values as text, and writing pulled
values back through crm's services (so normalisation, versions and the timeline hold as for any edit)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from crm.models import Lead, Stage, User
from crm.selectors import leads_visible_to
from crm.services.leads import lead_assign_owner, lead_create, lead_move_stage, lead_update
from crm.services.pipelines import pipeline_default
from leadflow.roles import Role, can_edit_lead, can_reassign, role_of

# What a mapping may name on Leadflow's side, in the order pages show them.
SYNC_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "title",
    "company",
    "website",
    "linkedin_url",
    "owner",
    "stage",
    "score",
    "source",
)
# Written with lead_update; the rest (company, owner, stage) have services of their own, and the score is
# Leadflow's own reckoning: pushed, never pulled.
FACTS = ("email", "first_name", "last_name", "phone", "title", "website", "linkedin_url", "source")
PUSH_ONLY = frozenset({"score"})


def leads_changeable_by(user: User) -> QuerySet[Lead]:
    """The leads a sync acting as `user` may change: admins and managers all, a rep their own, a viewer none
    (the one visibility rule, leads_visible_to, narrowed to what the user may edit)."""
    leads = leads_visible_to(user)
    if can_reassign(user):
        return leads
    if role_of(user) == Role.REP:
        return leads.filter(owner=user)
    return leads.none()


def lead_values(lead: Lead) -> dict[str, str]:
    """The lead's syncable fields as text (owner by email, stage by name)."""
    return {
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "phone": lead.phone,
        "title": lead.title,
        "company": lead.company.name if lead.company_id else "",
        "website": lead.website,
        "linkedin_url": lead.linkedin_url,
        "owner": lead.owner.email if lead.owner_id else "",
        "stage": lead.stage.name,
        "score": "" if lead.score is None else str(lead.score),
        "source": lead.source,
    }


def _owner(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first() if email.strip() else None


def lead_apply(*, lead: Lead, values: dict[str, str], actor: User) -> Lead:
    """Write values pulled from a CRM onto a lead the actor may change. An owner who is no Leadflow user, or a stage
    name the lead's pipeline lacks, is refused (ValidationError) rather than guessed."""
    if not can_edit_lead(actor, lead):
        raise PermissionDenied("The connection's user may not change this lead.")
    facts = {name: values[name] for name in FACTS if name in values}
    if facts or "company" in values:
        extra = {"company_name": values["company"]} if "company" in values else {}
        lead = lead_update(lead=lead, actor=actor, **extra, **facts)
    if "stage" in values:
        stage = Stage.objects.filter(pipeline_id=lead.stage.pipeline_id, name__iexact=values["stage"].strip()).first()
        if stage is None:
            raise ValidationError(f"The pipeline has no stage named {values['stage']!r}.")
        lead_move_stage(lead=lead, stage=stage, actor=actor)
    if "owner" in values and can_reassign(actor):
        owner = _owner(values["owner"])
        if values["owner"].strip() and owner is None:
            raise ValidationError(f"No Leadflow user has the address {values['owner']!r}.")
        lead = lead_assign_owner(lead=lead, owner=owner, actor=actor)
    return Lead.objects.select_related("company", "owner", "stage").get(pk=lead.pk)


def lead_create_pulled(*, values: dict[str, str], actor: User, source: str) -> Lead:
    """A lead for a person first seen in the CRM, in the default pipeline's first stage, owned by the CRM's owner
    when they are a Leadflow user (else by the acting user)."""
    pipeline = pipeline_default()
    stage = pipeline.stages.order_by("position", "id").first()
    if "stage" in values:
        stage = pipeline.stages.filter(name__iexact=values["stage"].strip()).first() or stage
    facts = {name: values[name] for name in FACTS if values.get(name)}
    facts.setdefault("source", source)
    owner = _owner(values.get("owner", "")) or actor
    lead = lead_create(actor=actor, stage=stage, company_name=values.get("company") or None, owner=owner, **facts)
    return Lead.objects.select_related("company", "owner", "stage").get(pk=lead.pk)
