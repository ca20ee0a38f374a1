"""Sequences as YAML files: loading one (created or updated by its name, in one transaction, a mistake refused with
its line), writing one out so that it loads back the same, and installing the ready sequences shipped with Leadflow.

```yaml
name: Intro
mailbox: sales@acme.example
window: {days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}   # in the lead's time zone
daily_cap: 200
pause_company_on_reply: true
require_lawful_basis: consent   # none (the default) | any | consent: leads without it are skipped and not sent to
steps:
  - delay_days: 0
    subject: "Quick question, {{ first_name|default:'there' }}"
    body: "Hi ..."
  - delay_days: 2
    business_days: true
    variants:
      - {subject: "Re: quick question", body: "..."}
      - {subject: "One more idea for {{ company }}", body: "..."}
  - {kind: task, delay_days: 1, title: "Call {{ first_name }}", task_kind: call}
  - {kind: linkedin_connect, delay_days: 1, note: "Hi {{ first_name }}...", phantom_agent_id: "123"}
  # A template while the lead's 24-hour WhatsApp window is closed, the body (free text) while it is open.
  - {kind: whatsapp, delay_days: 1, template: intro, body: "Hi {{ first_name }}, ..."}
```
"""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path

import yaml
from django.db import IntegrityError, transaction
from django.db.models import Q

from crm.models import Task, User
from outreach.models import Mailbox, Sequence, SequenceStep
from outreach.sequences import (
    LINKEDIN_KINDS,
    SequenceProblem,
    SequenceSpec,
    StepSpec,
    VariantSpec,
    sequence_save,
    sequence_spec_of,
)

READY_SEQUENCES = Path(__file__).resolve().parent / "ready_sequences"
SEQUENCE_KEYS = {
    "name", "description", "mailbox", "window", "daily_cap", "pause_company_on_reply", "require_lawful_basis", "steps",
}  # fmt: skip
STEP_KEYS = {
    "kind", "delay_days", "business_days", "subject", "body", "variants", "use_approved_draft", "title",
    "task_kind", "note", "phantom_agent_id", "template",
}  # fmt: skip
VARIANT_KEYS = {"subject", "body", "note", "use_approved_draft"}


class SequenceFileError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.reason = message


class _Mapping(dict):
    """A YAML mapping that remembers its own line and each key's (1-based)."""

    line: int = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping(loader.construct_pairs(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _mapping(value: object, line: int, what: str) -> _Mapping:
    if not isinstance(value, _Mapping):
        raise SequenceFileError(f"{what} must be a mapping (key: value lines).", line)
    return value


def _no_unknown_keys(mapping: _Mapping, allowed: set[str], what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise SequenceFileError(
                f"unknown key {key!r} in {what} (known: {', '.join(sorted(allowed))}).", mapping.key_lines.get(key)
            )


def _text(mapping: _Mapping, key: str, default: str = "") -> str:
    value = mapping.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise SequenceFileError(f"{key} must be text.", mapping.key_lines.get(key))
    return str(value)


def _whole(mapping: _Mapping, key: str, default: int) -> int:
    value = mapping.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SequenceFileError(f"{key} must be a whole number, 0 or more.", mapping.key_lines.get(key))
    return value


def _flag(mapping: _Mapping, key: str) -> bool:
    value = mapping.get(key, False)
    if not isinstance(value, bool):
        raise SequenceFileError(f"{key} must be true or false.", mapping.key_lines.get(key))
    return value


def _clock(value: object, line: int, key: str) -> datetime.time:
    # Unquoted 09:00 is a YAML 1.1 base-60 number (540): read it as minutes after midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return datetime.time(value // 60, value % 60)
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        raise SequenceFileError(f'window {key} must be a time such as "09:00" (got {value!r}).', line) from None


def _variant(mapping: _Mapping) -> VariantSpec:
    return VariantSpec(
        subject=_text(mapping, "subject"), body=_text(mapping, "note") or _text(mapping, "body"),
        use_approved_draft=_flag(mapping, "use_approved_draft"), line=mapping.line,
    )  # fmt: skip


def _step(value: object, line: int) -> StepSpec:
    mapping = _mapping(value, line, "A step")
    _no_unknown_keys(mapping, STEP_KEYS, "a step")
    step = StepSpec(
        kind=_text(mapping, "kind", SequenceStep.Kind.EMAIL), delay_days=_whole(mapping, "delay_days", 0),
        business_days=_flag(mapping, "business_days"), task_title=_text(mapping, "title"),
        task_kind=_text(mapping, "task_kind", Task.Kind.CALL), phantom_agent_id=_text(mapping, "phantom_agent_id"),
        whatsapp_template=_text(mapping, "template"), line=mapping.line,
    )  # fmt: skip
    if step.kind == SequenceStep.Kind.TASK:
        return step
    if step.kind == SequenceStep.Kind.WHATSAPP and not ({"body", "variants"} & mapping.keys()):
        return step  # a template alone
    if "variants" in mapping:
        variants = mapping["variants"]
        if not isinstance(variants, list):
            raise SequenceFileError("variants must be a list.", mapping.key_lines["variants"])
        for value in variants:
            variant = _mapping(value, mapping.key_lines["variants"], "A variant")
            _no_unknown_keys(variant, VARIANT_KEYS, "a variant")
            step.variants.append(_variant(variant))
    else:
        step.variants.append(_variant(mapping))
    return step


def sequence_spec_parse(text: str) -> SequenceSpec:
    """The spec a YAML text describes; SequenceFileError with the line of the first mistake."""
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SequenceFileError(f"not valid YAML: {exc.problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise SequenceFileError(f"not valid YAML: {exc}") from None
    document = _mapping(document, 1, "The file")
    _no_unknown_keys(document, SEQUENCE_KEYS, "the sequence")
    lines = document.key_lines
    spec = SequenceSpec(name=_text(document, "name"), steps=[], description=_text(document, "description"), lines=lines)
    if address := _text(document, "mailbox"):
        spec.mailbox = Mailbox.objects.filter(address__iexact=address).first()
        if spec.mailbox is None:
            raise SequenceFileError(f"no mailbox {address!r}: add it first (manage.py mailbox add).", lines["mailbox"])
    if "window" in document:
        window = _mapping(document["window"], lines["window"], "window")
        _no_unknown_keys(window, {"days", "from", "to"}, "window")
        days = window.get("days", spec.window_days)
        if not isinstance(days, list):
            raise SequenceFileError("window days must be a list such as [mon, tue].", window.key_lines.get("days"))
        spec.window_days = [str(day).lower()[:3] for day in days]
        spec.window_start = _clock(window.get("from", "09:00"), window.key_lines.get("from", window.line), "from")
        spec.window_end = _clock(window.get("to", "17:00"), window.key_lines.get("to", window.line), "to")
    spec.daily_cap = _whole(document, "daily_cap", spec.daily_cap)
    spec.pause_company_on_reply = _flag(document, "pause_company_on_reply")
    # none | any | consent (checked with the rest of the spec); absent: none.
    required = document.get("require_lawful_basis") or ""
    spec.require_lawful_basis = "" if required == "none" else str(required)
    steps = document.get("steps") or []
    if not isinstance(steps, list):
        raise SequenceFileError("steps must be a list.", lines.get("steps"))
    spec.steps = [_step(step, lines.get("steps", 1)) for step in steps]
    return spec


@transaction.atomic
def sequence_load(text: str, *, actor: User | None, as_template: bool = False) -> tuple[Sequence, bool]:
    """Create the sequence the YAML describes, or update the one of that name; (sequence, created). Nothing is
    written when anything in it is wrong."""
    spec = sequence_spec_parse(text)
    existing = Sequence.objects.filter(name__iexact=spec.name.strip()).first() if spec.name.strip() else None
    try:
        sequence = sequence_save(spec=spec, actor=actor, sequence=existing, is_template=as_template)
    except SequenceProblem as exc:
        raise SequenceFileError(" ".join(exc.messages), exc.line) from None
    return sequence, existing is None


def _step_document(step: StepSpec) -> dict:
    document: dict = {"delay_days": step.delay_days}
    if step.kind != SequenceStep.Kind.EMAIL:
        document = {"kind": step.kind, **document}
    if step.business_days:
        document["business_days"] = True
    if step.kind == SequenceStep.Kind.TASK:
        return document | {"title": step.task_title, "task_kind": step.task_kind}
    if step.phantom_agent_id:
        document["phantom_agent_id"] = step.phantom_agent_id
    if step.whatsapp_template:
        document["template"] = step.whatsapp_template
    text_key = "note" if step.kind in LINKEDIN_KINDS else "body"
    variants = []
    for variant in step.variants:
        content: dict = {"subject": variant.subject} if step.kind == SequenceStep.Kind.EMAIL else {}
        content[text_key] = variant.body
        if variant.use_approved_draft:
            content["use_approved_draft"] = True
        variants.append(content)
    if len(variants) == 1:
        return document | variants[0]
    return document | {"variants": variants}


def sequence_spec_document(spec: SequenceSpec) -> dict:
    document: dict = {"name": spec.name}
    if spec.description:
        document["description"] = spec.description
    if spec.mailbox is not None:
        document["mailbox"] = spec.mailbox.address
    document["window"] = {
        "days": list(spec.window_days), "from": spec.window_start.strftime("%H:%M"),
        "to": spec.window_end.strftime("%H:%M"),
    }  # fmt: skip
    document["daily_cap"] = spec.daily_cap
    document["pause_company_on_reply"] = spec.pause_company_on_reply
    if spec.require_lawful_basis:
        document["require_lawful_basis"] = spec.require_lawful_basis
    document["steps"] = [_step_document(step) for step in spec.steps]
    return document


class _Dumper(yaml.SafeDumper):
    pass


def _text_representer(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # Bodies of several lines are written as blocks (|), as a person would write them.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_representer)


def sequence_dump(sequence: Sequence) -> str:
    """The sequence as YAML that sequence_load reads back into the same sequence."""
    document = sequence_spec_document(sequence_spec_of(sequence))
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def ready_sequences_install() -> list[Sequence]:
    """The ready sequences shipped in outreach/ready_sequences/, as templates to clone: each created once, never
    overwritten (a manager may have edited it, or named one of theirs the same); the ones created now."""
    ready = _ready_sequences()
    same_name = Q()
    for name in ready:
        same_name |= Q(name__iexact=name)
    present = {name.lower() for name in Sequence.objects.filter(same_name).values_list("name", flat=True)}
    created = []
    for name, text in ready.items():
        if name.lower() in present:
            continue
        try:
            created.append(sequence_load(text, actor=None, as_template=True)[0])
        except IntegrityError:  # another request installed it a moment ago
            continue
    return created


@cache
def _ready_sequences() -> dict[str, str]:
    """Each shipped file's text by the sequence's name (read once per process: the sequences page asks each time)."""
    texts = [path.read_text() for path in sorted(READY_SEQUENCES.glob("*.yaml"))]
    return {yaml.safe_load(text)["name"]: text for text in texts}
