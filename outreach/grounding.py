"""What a message may be written from: the lead's facts, the latest analysis of the lead, and the value proposition
of the profile it is sold to. The writer and the fact check read the same object, so a draft is checked against
exactly what its writer was given."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm.models import Lead, User
from crm.selectors import profile_for
from enrichment.models import LeadAnalysis


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
    # "ai": the pain points are short lines a sentence can hold; the built-in analysis quotes what the lead sent us.
    source: str = "ai"


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
            "pain_point": _in_sentence(self.analysis.pain_points[0])
            if self.analysis.pain_points and self.analysis.source == "ai"
            else "",
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


def _in_sentence(text: str) -> str:
    """A short line as the middle of a sentence: "Manual invoice checks." -> "manual invoice checks"."""
    text = " ".join(text.split()).rstrip(".!")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def lead_pitch(lead: Lead) -> Pitch:
    """The value proposition, offer and proof points of the profile the lead is sold to (its pipeline's, else the
    default one); empty parts mean nothing is claimed about what we sell."""
    profile = profile_for(lead)
    return Pitch(
        value_proposition=profile.value_proposition.strip(),
        offer=profile.offer.strip(),
        proof_points=profile.proof_points.strip(),
    )


def lead_analysis(lead: Lead) -> Analysis:
    """The latest finished analysis of the lead (a queued or failed one says nothing yet)."""
    latest = LeadAnalysis.objects.filter(lead=lead, status=LeadAnalysis.Status.OK).first()
    if latest is None:
        return Analysis()
    points = tuple(str(point).strip() for point in latest.pain_points if str(point).strip())
    return Analysis(pain_points=points, summary=latest.summary.strip(), source=latest.source)


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
