"""The sequence builder's form: its fields read into a SequenceSpec, and its buttons (add, remove, move a step)."""

from __future__ import annotations

import datetime

from django.http import QueryDict

from crm.models import Task
from leadflow.params import count_or, id_or_none
from outreach.models import WEEKDAYS, Mailbox, SequenceStep
from outreach.sequences import SequenceSpec, StepSpec, VariantSpec

MAX_STEPS = 30
# The builder offers two variants per step (an A/B test); a file may hold more.
BUILDER_VARIANTS = ("a", "b")


def _clock(value: str | None, default: datetime.time) -> datetime.time:
    try:
        return datetime.time.fromisoformat(value or "")
    except ValueError:
        return default


def _step_from(data: QueryDict, index: int) -> StepSpec:
    prefix = f"steps-{index}-"
    kind = data.get(prefix + "kind", SequenceStep.Kind.EMAIL)
    variants = []
    for label in BUILDER_VARIANTS:
        subject, body = data.get(f"{prefix}{label}_subject", ""), data.get(f"{prefix}{label}_body", "")
        draft = data.get(f"{prefix}{label}_draft") == "on"
        # B is optional: an empty B is no B. A always stands, so that an empty A is reported (a WhatsApp step may
        # have its template alone).
        stands = label == "a" and kind != SequenceStep.Kind.WHATSAPP
        if stands or subject.strip() or body.strip() or draft:
            variants.append(VariantSpec(subject=subject, body=body, use_approved_draft=draft))
    return StepSpec(
        kind=kind,
        delay_days=count_or(data.get(prefix + "delay_days"), 0),
        business_days=data.get(prefix + "business_days") == "on",
        task_title=data.get(prefix + "task_title", ""),
        task_kind=data.get(prefix + "task_kind", Task.Kind.CALL),
        phantom_agent_id=data.get(prefix + "phantom_agent_id", ""),
        whatsapp_template=data.get(prefix + "whatsapp_template", ""),
        variants=variants,
        pk=id_or_none(data.get(prefix + "pk")),
    )


def builder_spec(data: QueryDict) -> SequenceSpec:
    """The sequence as the builder's fields describe it (odd values read as their defaults; the service checks)."""
    mailbox_id = id_or_none(data.get("mailbox"))
    count = min(count_or(data.get("step_count"), 0), MAX_STEPS)
    return SequenceSpec(
        name=data.get("name", ""),
        description=data.get("description", ""),
        mailbox=Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id else None,
        window_days=[day for day in data.getlist("window_days") if day in WEEKDAYS],
        window_start=_clock(data.get("window_start"), datetime.time(9, 0)),
        window_end=_clock(data.get("window_end"), datetime.time(17, 0)),
        daily_cap=count_or(data.get("daily_cap"), 200),
        pause_company_on_reply=data.get("pause_company_on_reply") == "on",
        require_lawful_basis=data.get("require_lawful_basis", ""),
        steps=[_step_from(data, index) for index in range(count)],
    )


def blank_step() -> StepSpec:
    return StepSpec(variants=[VariantSpec()], delay_days=2, business_days=True)


def builder_apply(spec: SequenceSpec, action: str) -> bool:
    """Carry out an editing button ("add", "remove-2", "up-1", "down-0") on the spec; False for "save"."""
    verb, _, number = action.partition("-")
    index = count_or(number, -1) if number else -1
    steps = spec.steps
    if verb == "add" and len(steps) < MAX_STEPS:
        steps.append(blank_step())
    elif verb == "remove" and 0 <= index < len(steps):
        del steps[index]
    elif verb == "up" and 0 < index < len(steps):
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
    elif verb == "down" and 0 <= index < len(steps) - 1:
        steps[index], steps[index + 1] = steps[index + 1], steps[index]
    else:
        return verb != "save"
    return True
