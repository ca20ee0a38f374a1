"""The message writer: for a lead, a channel, a tone and a length, a subject and body grounded in what Leadflow knows
(outreach.grounding). With an AI configured it asks the model; without one, or when the AI is unavailable, the
built-in writer fills phrases from the same facts, so every feature works offline."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from string import Formatter

import pydantic

from leadflow.ai import AiFailed, AiUnavailable, ai_ask, ai_configured, ai_quote
from outreach import phrasebook
from outreach.draft_checks import BODY_LIMITS, SPAM_PHRASES
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


class DraftAnswer(pydantic.BaseModel):
    """What the model must answer: the message, nothing else."""

    subject: str = pydantic.Field(default="", description="Email subject line; empty for LinkedIn and WhatsApp.")
    body: str = pydantic.Field(description="The message text, ready to send, with no placeholders.")


class WriterFailed(Exception):
    """The AI was asked and gave no usable answer; the message says why, in words (the call is recorded)."""


# Words each length aims at, per channel; LinkedIn's limit is in characters and said separately.
WORDS = {"email": (70, 130, 200), "whatsapp": (30, 60, 100), "linkedin": (30, 45, 50)}
CHANNEL_RULES = {
    "email": "an email: a subject line and a body with a greeting and a sign-off",
    "linkedin": "a LinkedIn connection request note: at most 300 characters in all, no subject",
    "whatsapp": "a WhatsApp message: conversational, no subject, no formatting",
}
SYSTEM = """You write one first outreach message from a salesperson to a prospect.
Use only the facts given below: the prospect's facts, the analysis of the prospect, and what we sell.
Never state a fact you were not given: no invented names, companies, customers, numbers, results, dates or events.
If a fact is missing, write around it; never leave a placeholder such as [Name] or {{first_name}}.
Do not use spam-trigger phrases such as: {spam}.
Write {channel}. Tone: {tone}. Length: about {words} words{limit}."""


def _prompt(grounding: Grounding, *, channel: str, tone: str, length: str) -> tuple[str, str]:
    words = WORDS[channel][LENGTHS.index(length)]
    limit = f"; never more than {BODY_LIMITS[channel]} characters"
    system = SYSTEM.format(
        spam=", ".join(SPAM_PHRASES[:12]), channel=CHANNEL_RULES[channel], tone=tone, words=words, limit=limit
    )
    prospect = {
        "Prospect first name": grounding.first_name,
        "Prospect last name": grounding.last_name,
        "Job title": grounding.title,
        "Company": grounding.company,
        "Industry": grounding.industry,
        "Location": grounding.location,
    }
    ours = {
        "What we sell (value proposition)": grounding.pitch.value_proposition,
        "Our offer": grounding.pitch.offer,
        "Our proof points": grounding.pitch.proof_points,
        "Sender name (sign with it)": grounding.sender_name,
    }
    # The prospect's facts may have been scraped (a title or company name from a profile), and scraped and
    # model-written texts go in as quoted data: whatever they say is read, never obeyed. Our own pitch is not quoted.
    quoted = [
        ("prospect facts", "\n".join(f"{label}: {value}" for label, value in prospect.items() if value)),
        ("company description from its website", grounding.company_description),
        ("analysis: pain points", "\n".join(grounding.analysis.pain_points)),
        ("analysis: summary", grounding.analysis.summary),
    ]
    lines = [f"{label}: {value}" for label, value in ours.items() if value]
    shown = [ai_quote(label, text) for label, text in quoted if text]
    if not quoted[0][1]:
        shown.insert(0, "(Almost no facts about the prospect: write a short, honest introduction.)")
    if lines:
        shown.append("\n".join(lines))
    return system, "Facts:\n" + "\n\n".join(shown)


def message_write(
    grounding: Grounding, *, channel: str, tone: str, length: str, seed: int, interactive: bool = False
) -> Written:
    """The message for this lead: the AI's when one is configured, else (or when it is unavailable, such as over
    budget) the built-in writer's. Raises WriterFailed when the AI was asked and gave no usable answer.
    `interactive`: a page waits for it (see ai_ask)."""
    if not ai_configured():
        return builtin_write(grounding, channel=channel, tone=tone, length=length, seed=seed)
    system, user = _prompt(grounding, channel=channel, tone=tone, length=length)
    try:
        answer = ai_ask(
            purpose="draft",
            system=system,
            user=user,
            schema=DraftAnswer,
            subject=f"lead:{seed}",
            interactive=interactive,
        )
    except AiUnavailable as exc:
        written = builtin_write(grounding, channel=channel, tone=tone, length=length, seed=seed)
        return Written(subject=written.subject, body=written.body, source="template", note=f"{exc} Written by the "
                       "built-in writer.")  # fmt: skip
    except AiFailed as exc:
        raise WriterFailed(f"The AI gave no usable answer: {exc}") from exc
    data: DraftAnswer = answer.data
    subject = data.subject.strip() if channel == "email" else ""
    return Written(subject=subject, body=data.body.strip(), source="ai", note="cached answer" if answer.cached else "")
