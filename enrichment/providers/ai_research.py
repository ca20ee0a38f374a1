"""Lead analysis: what is asked of the model (the prompt and the answer's schema) and the built-in analysis used when
no model is configured or the facts are too few to ask about. Knows nothing of the ORM: it is given the inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

import pydantic

from leadflow.ai import AiAnswer, ai_ask, ai_quote

PURPOSE = "lead analysis"
# Each quoted text is cut to this many characters: enough to judge a company, not a whole site.
QUOTE_CHARS = 4000
# The facts that say something about a lead's need and fit; fewer than this many and it is not analysed.
THIN_BELOW = 2
DECISION_WORDS = (
    "owner", "founder", "co-founder", "ceo", "cto", "cfo", "coo", "cmo", "chief", "president", "director", "head of",
    "vp", "vice president", "partner", "managing", "principal", "proprietor", "proprietor", "md",
)  # fmt: skip
INFLUENCER_WORDS = ("manager", "lead", "senior", "supervisor", "specialist", "consultant", "architect", "buyer")

SYSTEM = """You are a sales analyst for a B2B company. From what is known of one lead (a person and their company),
judge their likely pain points, how urgent their need is, whether they can decide a purchase, and how well they fit
as a customer, and write a one-paragraph summary for the salesperson.
Base every statement on the facts given. When the facts do not say, answer "unknown" and say that the facts do not
show it; never invent names, numbers, needs or events. If the facts are too few to judge, set enough_facts to false.
Write plainly, in English, without marketing language."""

ShortText = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, max_length=400)]


class AnalysisAnswer(pydantic.BaseModel):
    """What the model must answer, checked before anything is kept."""

    pain_points: list[ShortText] = pydantic.Field(max_length=6, description="Likely problems, one short line each.")
    urgency: Literal["low", "medium", "high", "unknown"]
    urgency_reason: ShortText
    authority: Literal["decision maker", "influencer", "user", "unknown"]
    authority_reason: ShortText
    fit: int = pydantic.Field(ge=0, le=100, description="How well the lead fits as a customer, 0 to 100.")
    fit_reasoning: Annotated[str, pydantic.StringConstraints(strip_whitespace=True, max_length=800)]
    summary: Annotated[str, pydantic.StringConstraints(strip_whitespace=True, min_length=1, max_length=1200)]
    enough_facts: bool = True


@dataclass(frozen=True)
class AnalysisInputs:
    """What is known of a lead: its own facts (label -> value), its company's website text, and what it sent us."""

    facts: dict[str, str]
    website: str = ""
    captured: list[tuple[str, str]] = field(default_factory=list)

    @property
    def telling(self) -> int:
        """How many inputs say something about need or fit (a name or an email alone says nothing)."""
        keys = ("Job title", "Company", "Industry", "Employees", "Company description")
        return sum(1 for key in keys if self.facts.get(key)) + bool(self.website) + bool(self.captured)

    @property
    def thin(self) -> bool:
        return self.telling < THIN_BELOW


def research_prompt(inputs: AnalysisInputs) -> str:
    """The user message: every text that came from outside (even names and titles) is quoted data."""
    facts = "\n".join(f"{label}: {value}" for label, value in inputs.facts.items() if value)
    parts = ["Analyse this lead.", ai_quote("lead facts", facts or "(none)")]
    if inputs.website:
        parts.append(ai_quote("company website text", inputs.website[:QUOTE_CHARS]))
    for label, text in inputs.captured:
        parts.append(ai_quote(label, text[:QUOTE_CHARS]))
    return "\n\n".join(parts)


def research_ask(inputs: AnalysisInputs, *, subject: str) -> AiAnswer:
    """Ask the model; raises AiUnavailable or AiFailed as leadflow.ai does."""
    return ai_ask(purpose=PURPOSE, system=SYSTEM, user=research_prompt(inputs), schema=AnalysisAnswer, subject=subject)


def _authority(title: str) -> tuple[str, str]:
    lowered = f" {title.lower()} "
    if not title:
        return "unknown", "No job title is known."
    if any(f" {word}" in lowered for word in DECISION_WORDS):
        return "decision maker", f"The job title ({title}) usually decides purchases."
    if any(f" {word}" in lowered for word in INFLUENCER_WORDS):
        return "influencer", f"The job title ({title}) usually shapes purchases without deciding them."
    return "user", f"The job title ({title}) does not usually decide purchases."


def builtin_analysis(inputs: AnalysisInputs) -> AnalysisAnswer:
    """A deterministic analysis from the facts alone, plainly worded: no model involved, nothing guessed."""
    facts = inputs.facts
    name = facts.get("Name") or "This lead"
    if inputs.thin:
        return AnalysisAnswer(
            pain_points=[],
            urgency="unknown",
            urgency_reason="Too few facts to judge.",
            authority=_authority(facts.get("Job title", ""))[0],
            authority_reason=_authority(facts.get("Job title", ""))[1],
            fit=0,
            fit_reasoning="Too few facts to judge fit: add a job title, a company, or its website, then analyse again.",
            summary=f"{name}: too little is known to analyse (no job title, company or website text).",
            enough_facts=False,
        )
    authority, authority_reason = _authority(facts.get("Job title", ""))
    reasons, fit = [], 20
    for label, points in (("Company", 15), ("Industry", 10), ("Employees", 10), ("Email", 5), ("Phone", 5)):
        if facts.get(label):
            fit += points
            reasons.append(f"{label.lower()} known (+{points})")
    if inputs.website:
        fit += 10
        reasons.append("company website read (+10)")
    fit += {"decision maker": 20, "influencer": 10}.get(authority, 0)
    if authority in ("decision maker", "influencer"):
        reasons.append(f"{authority} (+{20 if authority == 'decision maker' else 10})")
    if inputs.captured:
        fit += 10
        reasons.append("sent us an enquiry or form (+10)")
    urgency, urgency_reason = (
        ("high", "They contacted us themselves (an enquiry or an ad form).")
        if inputs.captured
        else ("low", "Nothing shows they are looking to buy now.")
    )
    pain_points = [f"{label}: {text[:150]}" for label, text in inputs.captured[:3]]
    company = facts.get("Company")
    described = ", ".join(
        value
        for value in (facts.get("Industry"), facts.get("Employees") and f"{facts['Employees']} employees")
        if value
    )
    summary = " ".join(
        part
        for part in (
            f"{name}{', ' + facts['Job title'] if facts.get('Job title') else ''}"
            f"{' at ' + company if company else ''}{' (' + described + ')' if described else ''}"
            f"{' in ' + facts['Location'] if facts.get('Location') else ''}.",
            f"Came from {facts['Source']}." if facts.get("Source") else "",
            "They contacted us themselves." if inputs.captured else "",
            "Built-in analysis from the facts alone; no AI model was asked.",
        )
        if part
    )
    return AnalysisAnswer(
        pain_points=pain_points,
        urgency=urgency,
        urgency_reason=urgency_reason,
        authority=authority,
        authority_reason=authority_reason,
        fit=min(fit, 100),
        fit_reasoning="Counted: " + ", ".join(reasons) + ".",
        summary=summary[:1200],
    )
