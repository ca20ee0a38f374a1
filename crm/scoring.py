"""Scoring one lead from plain values: four components of 0-100, each with one sentence of why, weighted into a
score and a grade. Pure functions over dicts (rows from `.values()`), so a rescore of 100,000 leads stays in Python
without model instances; crm.services.scores reads the rows and writes the results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crm.models import Activity, IdealCustomerProfile, ScoringSettings

COMPONENTS = ("fit", "completeness", "engagement", "recency")

# Completeness: points for each contact field present, and more for a verified email and phone (sum 100).
FIELD_POINTS = {
    "email": ("email", 20),
    "phone": ("phone", 10),
    "title": ("title", 10),
    "company_id": ("company", 10),
    "linkedin_url": ("LinkedIn", 10),
    "website": ("website", 10),
    "location": ("location", 10),
}
VERIFIED_POINTS = {"email_verified": ("email", 10), "phone_verified": ("phone", 10)}

# Engagement: points per event and the most each kind can give (sum of the caps 100).
ENGAGEMENT_POINTS = {
    Activity.Kind.EMAIL_OPENED: ("open", 5, 15),
    Activity.Kind.EMAIL_CLICKED: ("click", 10, 20),
    Activity.Kind.REPLIED: ("reply", 25, 25),
    Activity.Kind.MEETING_BOOKED: ("meeting", 40, 40),
}
# Kinds of timeline line that count as touching the lead, for recency (engagement and people's own work).
TOUCH_KINDS = (*ENGAGEMENT_POINTS, Activity.Kind.NOTE, Activity.Kind.TASK_DONE, Activity.Kind.STAGE)

# Recency: data this fresh scores 100, falling to 0 at the stale age; touches the same (days).
DATA_FRESH_DAYS, DATA_STALE_DAYS = 30, 365
TOUCH_FRESH_DAYS, TOUCH_STALE_DAYS = 7, 180
NEUTRAL = 50


@dataclass(frozen=True)
class Engagement:
    counts: dict[str, int]  # kind -> events that count (machine opens left out)
    last_touch: datetime | None


NO_ENGAGEMENT = Engagement(counts={}, last_touch=None)


def _pattern(values: list[str]) -> re.Pattern | None:
    """One regular expression finding any of the keywords as whole words ("cto" is not in "director"), or None for
    no keywords; compiled once per profile, so each lead's test is one search."""
    words = sorted({value.strip().lower() for value in values if value and value.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)")


def _found(text: str, pattern: re.Pattern | None) -> str | None:
    """The keyword found in `text` (lower-cased), or None."""
    found = pattern.search(text) if pattern is not None and text else None
    return found.group(0) if found else None


def size_range(text: str) -> tuple[int, int] | None:
    """A company's employee count as (low, high): "11-50", "250", "1,001-5,000 employees", "10k+"."""
    numbers = [int(n.replace(",", "")) * (1000 if k else 1) for n, k in re.findall(r"(\d[\d,]*)\s*(k)?", text.lower())]
    if not numbers:
        return None
    high = max(numbers) if len(numbers) > 1 or "+" not in text else 10**9
    return min(numbers), high


@dataclass(frozen=True)
class CompiledProfile:
    """A profile with its keyword lists compiled once, so each lead's fit is a few searches."""

    industries: re.Pattern | None
    titles: re.Pattern | None
    seniorities: re.Pattern | None
    locations: re.Pattern | None
    technologies: re.Pattern | None
    exclusions: re.Pattern | None
    size_min: int | None
    size_max: int | None

    @classmethod
    def of(cls, profile: IdealCustomerProfile) -> CompiledProfile:
        return cls(
            industries=_pattern(profile.industries),
            titles=_pattern(profile.title_keywords),
            seniorities=_pattern(profile.seniority_keywords),
            locations=_pattern(profile.locations),
            technologies=_pattern(profile.technologies),
            exclusions=_pattern(profile.exclusion_keywords),
            size_min=profile.company_size_min,
            size_max=profile.company_size_max,
        )

    @property
    def is_empty(self) -> bool:
        patterns = (self.industries, self.titles, self.seniorities, self.locations, self.technologies)
        return all(pattern is None for pattern in patterns) and self.size_min is None and self.size_max is None


def _size_check(profile: CompiledProfile, size_text: str) -> bool | None:
    found = size_range(size_text or "")
    if found is None:
        return None
    low, high = found
    return (profile.size_min is None or high >= profile.size_min) and (
        profile.size_max is None or low <= profile.size_max
    )


def _fit_checks(profile: CompiledProfile, row: dict) -> list[tuple[str, bool | None]]:
    """(criterion, matched) for each criterion the profile sets; None: the lead has no value to judge."""
    title = (row.get("title") or "").lower()
    industry = (row.get("company__industry") or "").lower()
    place = " ".join(filter(None, (row.get("location"), row.get("company__location")))).lower()
    technologies = " | ".join(row.get("company__technologies") or []).lower()
    checks: list[tuple[str, bool | None]] = []
    for name, pattern, text in (
        ("industry", profile.industries, industry),
        ("title", profile.titles, title),
        ("seniority", profile.seniorities, title),
    ):
        if pattern is not None:
            checks.append((name, _found(text, pattern) is not None if text else None))
    if profile.size_min is not None or profile.size_max is not None:
        checks.append(("company size", _size_check(profile, row.get("company__size") or "")))
    for name, pattern, text in (
        ("location", profile.locations, place),
        ("technologies", profile.technologies, technologies),
    ):
        if pattern is not None:
            checks.append((name, _found(text, pattern) is not None if text else None))
    return checks


def _listed(names: list[str]) -> str:
    return ", ".join(names)


def fit_rules(profile: CompiledProfile, row: dict) -> tuple[int, str]:
    """The fit by the profile's rules alone: an excluded word makes it 0; unknown values count half."""
    searched = " | ".join(str(row.get(name) or "") for name in ("title", "company__name", "company__industry")).lower()
    excluded = _found(searched, profile.exclusions)
    if excluded is not None:
        return 0, f"Excluded: mentions “{excluded}”."
    if profile.is_empty:
        return NEUTRAL, "The profile names nothing to match yet, so the fit is neutral."
    checks = _fit_checks(profile, row)
    points = [100 if matched else (NEUTRAL if matched is None else 0) for _name, matched in checks]
    value = round(sum(points) / len(points))
    parts = []
    for label, want in (("matches", True), ("misses", False), ("does not know", None)):
        names = [name for name, matched in checks if matched is want]
        if names:
            parts.append(f"{label} {_listed(names)}")
    return value, ("; ".join(parts) + ".").capitalize()


def fit(profile: CompiledProfile, row: dict, ai_weight: int) -> tuple[int, str]:
    """The rules' fit, blended with the AI's opinion (when it gave one) at its weight, saying so."""
    value, reason = fit_rules(profile, row)
    ai_fit = row.get("ai_fit")
    if ai_fit is None or ai_weight <= 0 or (value == 0 and reason.startswith("Excluded")):
        return value, reason
    blended = round(value * (100 - ai_weight) / 100 + ai_fit * ai_weight / 100)
    ai_reason = (row.get("ai_fit_reason") or "").strip()
    return blended, f"{reason} AI opinion {ai_fit}/100 (weight {ai_weight}%){': ' + ai_reason if ai_reason else ''}"


def completeness(row: dict) -> tuple[int, str]:
    present = [(label, points) for name, (label, points) in FIELD_POINTS.items() if row.get(name)]
    verified = [
        (label, points)
        for name, (label, points) in VERIFIED_POINTS.items()
        if row.get(name) and row.get(name.removesuffix("_verified"))
    ]
    value = sum(points for _label, points in present) + sum(points for _label, points in verified)
    verified_labels = {label for label, _points in verified}
    shown = [f"{label} (verified)" if label in verified_labels else label for label, _points in present]
    missing = [label for name, (label, _points) in FIELD_POINTS.items() if not row.get(name)]
    reason = f"Has {_listed(shown)}" if shown else "Has no contact details"
    return value, reason + (f"; missing {_listed(missing)}." if missing else ".")


def engagement(events: Engagement) -> tuple[int, str]:
    value, seen = 0, []
    for kind, (label, points, cap) in ENGAGEMENT_POINTS.items():
        count = events.counts.get(kind, 0)
        if count:
            value += min(count * points, cap)
            seen.append(f"{count} {label}{'s' if count != 1 else ''}")
    if not seen:
        return 0, "No opens, clicks, replies or meetings yet."
    return min(value, 100), f"{_listed(seen)}."


def _freshness(age_days: float, fresh: int, stale: int) -> float:
    if age_days <= fresh:
        return 100.0
    return max(0.0, 100.0 * (stale - age_days) / (stale - fresh))


def _ago(days: int) -> str:
    return "today" if days < 1 else f"{days} day{'s' if days != 1 else ''} ago"


def recency(updated_at: datetime, last_touch: datetime | None, now: datetime) -> tuple[int, str]:
    """Half how fresh the data is, half how recently anyone or anything touched the lead."""
    data_days = max(0, (now - updated_at).days)
    data = _freshness(data_days, DATA_FRESH_DAYS, DATA_STALE_DAYS)
    if last_touch is None:
        return round(data / 2), f"Data updated {_ago(data_days)}; never touched."
    touch_days = max(0, (now - last_touch).days)
    touch = _freshness(touch_days, TOUCH_FRESH_DAYS, TOUCH_STALE_DAYS)
    return round((data + touch) / 2), f"Data updated {_ago(data_days)}; last touched {_ago(touch_days)}."


def grade_for(score: int, config: ScoringSettings) -> str:
    if score >= config.sql_threshold:
        return "hot"
    return "warm" if score >= config.mql_threshold else "cold"


@dataclass(frozen=True)
class Scored:
    score: int
    grade: str
    parts: dict[str, dict]  # component -> {"value", "reason", "weight"}

    def value(self, component: str) -> int:
        return self.parts[component]["value"]


def score_row(
    row: dict, profile: CompiledProfile, config: ScoringSettings, events: Engagement, now: datetime
) -> Scored:
    """One lead's score: the weighted mean of its four components (weights need not sum to 100)."""
    results = {
        "fit": fit(profile, row, config.weight_ai),
        "completeness": completeness(row),
        "engagement": engagement(events),
        "recency": recency(row["updated_at"], events.last_touch, now),
    }
    weights = {name: getattr(config, f"weight_{name}") for name in COMPONENTS}
    total = sum(weights.values())
    score = round(sum(results[name][0] * weights[name] for name in COMPONENTS) / total) if total else 0
    parts = {
        name: {"value": results[name][0], "reason": results[name][1], "weight": weights[name]} for name in COMPONENTS
    }
    return Scored(score=score, grade=grade_for(score, config), parts=parts)
