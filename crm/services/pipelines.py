"""Editing a pipeline's stages (admins only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from crm.models import Pipeline, Stage, User
from leadflow.roles import require_admin

DEFAULT_STAGES = [
    ("New", Stage.Kind.OPEN),
    ("Contacted", Stage.Kind.OPEN),
    ("Replied", Stage.Kind.OPEN),
    ("Meeting booked", Stage.Kind.OPEN),
    ("Proposal sent", Stage.Kind.OPEN),
    ("Negotiation", Stage.Kind.OPEN),
    ("Won", Stage.Kind.WON),
    ("Lost", Stage.Kind.LOST),
]


def pipeline_default() -> Pipeline:
    """The default pipeline, created with the standard stages the first time it is needed."""
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = _pipeline_create_default()
    return pipeline


@transaction.atomic
def _pipeline_create_default() -> Pipeline:
    pipeline, _ = Pipeline.objects.get_or_create(name="Sales", defaults={"is_default": True})
    for position, (name, kind) in enumerate(DEFAULT_STAGES):
        Stage.objects.get_or_create(pipeline=pipeline, name=name, defaults={"position": position, "kind": kind})
    return pipeline


@transaction.atomic
def stage_create(*, pipeline: Pipeline, actor: User, name: str, kind: str = Stage.Kind.OPEN) -> Stage:
    require_admin(actor)
    last = pipeline.stages.aggregate(last=Max("position"))["last"]
    stage = Stage(pipeline=pipeline, name=name.strip(), kind=kind, position=(last or 0) + 1)
    stage.full_clean()
    stage.save()
    return stage


def stage_update(*, stage: Stage, actor: User, name: str, kind: str) -> Stage:
    require_admin(actor)
    stage.name = name.strip()
    stage.kind = kind
    stage.full_clean()
    stage.save(update_fields=["name", "kind"])
    return stage


@transaction.atomic
def stages_reorder(*, pipeline: Pipeline, actor: User, stage_ids: list[int]) -> None:
    """Put a pipeline's stages in the given order; the list must name each stage once."""
    require_admin(actor)
    stages = {stage.pk: stage for stage in pipeline.stages.select_for_update()}
    if sorted(stage_ids) != sorted(stages):
        raise ValidationError("The stages changed meanwhile; reload the page and try again.")
    for position, stage_id in enumerate(stage_ids):
        stages[stage_id].position = position
    Stage.objects.bulk_update(stages.values(), ["position"])


@transaction.atomic
def stage_delete(*, stage: Stage, actor: User) -> None:
    """Remove a stage that holds no leads."""
    require_admin(actor)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.leads.exists():
        raise ValidationError(f"{stage.name} still holds leads; move them to another stage first.")
    if stage.pipeline.stages.count() == 1:
        raise ValidationError("A pipeline needs at least one stage.")
    stage.delete()
