"""The message writer: for a lead, a channel, a tone and a length, a subject and body grounded in what Leadflow knows
(outreach.grounding). With an AI configured it asks the model; without one, or when the AI is unavailable, the
built-in writer fills phrases from the same facts, so every feature works offline."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from string import Formatter

from outreach import phrasebook
from outreach.draft_checks import BODY_LIMITS
from outreach.grounding import Grounding

LENGTHS = ("short", "medium", "long")


@dataclass(frozen=True)
class Written:
    subject: str
    body: str
    source: str  # "ai" or "template"
    note: str = ""


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(text) if name]


def _fill(phrase: phrasebook.Phrase, values: dict[str, str]) -> str:
    """The first alternative whose facts are all known, filled in; "" when none is."""
    for alternative in phrase:
        if all(values.get(name) for name in _fields(alternative)):
            return alternative.format(**values)
    return ""


def _pick(options: list[phrasebook.Phrase], seed: int, part: str) -> phrasebook.Phrase:
    """One of the ways to say a part, the same for the same lead every time, and different across a list."""
    return options[zlib.crc32(f"{seed}:{part}".encode()) % len(options)]


def builtin_write(grounding: Grounding, *, channel: str, tone: str, length: str, seed: int) -> Written:
    """A message from the phrasebook: a greeting, an opener, then (longer messages) the lead's pain point and our
    pitch, proof and offer, an ask, and for email a sign-off. Parts the lead has no facts for are left out."""
    values = grounding.values()
    level = LENGTHS.index(length)

    def say(table: dict[str, list[phrasebook.Phrase]], part: str) -> str:
        return _fill(_pick(table[tone], seed, part), values)

    greeting, opener, ask = (
        say(phrasebook.GREETINGS, "greeting"),
        say(phrasebook.OPENERS, "opener"),
        say(phrasebook.ASKS, "ask"),
    )
    middle = [say(phrasebook.PAINS, "pain"), say(phrasebook.PITCHES, "pitch")] if level >= 1 else []
    extra = [say(phrasebook.PROOFS, "proof"), say(phrasebook.OFFERS, "offer")] if level >= 2 else []
    if channel == "email":
        paragraphs = [opener, " ".join(part for part in middle if part), " ".join(part for part in extra if part), ask]
        closing = say(phrasebook.SIGNOFFS, "signoff")
        body = "\n\n".join(part for part in [greeting, *paragraphs, closing] if part)
        subject = say(phrasebook.SUBJECTS, "subject")
        return Written(subject=subject, body=body, source="template")
    # LinkedIn notes and WhatsApp messages read as one short paragraph; optional parts go first if it runs long.
    optional = [*extra, *middle]
    limit = BODY_LIMITS[channel]
    while True:
        text = " ".join(part for part in [opener, *middle, *extra, ask] if part)
        body = f"{greeting}\n{text}" if greeting else text
        if len(body) <= limit or not optional:
            return Written(subject="", body=body, source="template")
        dropped = optional.pop(0)
        middle = [part for part in middle if part != dropped]
        extra = [part for part in extra if part != dropped]


def message_write(grounding: Grounding, *, channel: str, tone: str, length: str, seed: int) -> Written:
    """The message for this lead: the built-in writer until the AI path is wired in."""
    return builtin_write(grounding, channel=channel, tone=tone, length=length, seed=seed)
