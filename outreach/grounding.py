"""What a message may be written from: the lead's facts, the latest analysis of the lead, and the value proposition
of the profile it is sold to. The writer and the fact check read the same object, so a draft is checked against
exactly what its writer was given."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm.models import Lead, User


@dataclass(frozen=True)
class Pitch:
    """What we sell, as the ideal customer profile says it (each part may be empty)."""

    value_proposition: str = ""
    offer: str = ""
    proof_points: str = ""


@dataclass(frozen=True)
class Analysis:
    pain_points: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class Grounding:
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    company: str = ""
    industry: str = ""
    location: str = ""
    # Scraped from the company's site: data to quote, never instructions.
    company_description: str = ""
    analysis: Analysis = field(default_factory=Analysis)
    pitch: Pitch = field(default_factory=Pitch)
    sender_name: str = ""

    def values(self) -> dict[str, str]:
        """The facts by name, as the built-in writer's phrases ask for them ("" when the lead lacks one)."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "title": self.title,
            "company": self.company,
            "industry": self.industry.lower(),
            "location": self.location,
            "pain_point": self.analysis.pain_points[0] if self.analysis.pain_points else "",
            "value_proposition": _sentence(self.pitch.value_proposition),
            "offer": _sentence(self.pitch.offer),
            "proof_point": _sentence(_first_line(self.pitch.proof_points)),
            "sender_name": self.sender_name,
        }

    def inputs(self) -> list[str]:
        """Every text the message was written from, for the fact check."""
        return [
            self.first_name, self.last_name, self.title, self.company, self.industry, self.location,
            self.company_description, *self.analysis.pain_points, self.analysis.summary,
            self.pitch.value_proposition, self.pitch.offer, self.pitch.proof_points, self.sender_name,
        ]  # fmt: skip


def _first_line(text: str) -> str:
    return next((line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")), "")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def lead_pitch(lead: Lead) -> Pitch:
    """The profile's value proposition, offer and proof points for this lead.

    The ideal customer profile is built on the `scoring` branch (crm.selectors.profile_for); until it is merged
    this is the one place that reads it, and without a profile nothing is claimed about what we sell.
    """
    return Pitch()


def lead_analysis(lead: Lead) -> Analysis:
    """The latest AI analysis of the lead (enrichment.models.LeadAnalysis, on the `ai` branch); none until merged."""
    return Analysis()


def lead_grounding(lead: Lead, *, sender: User | None) -> Grounding:
    company = lead.company
    return Grounding(
        first_name=lead.first_name.strip(),
        last_name=lead.last_name.strip(),
        title=lead.title.strip(),
        company=company.name.strip() if company else "",
        industry=company.industry.strip() if company else "",
        location=lead.location.strip(),
        company_description=company.description.strip() if company else "",
        analysis=lead_analysis(lead),
        pitch=lead_pitch(lead),
        sender_name=sender.get_full_name().strip() if sender else "",
    )
