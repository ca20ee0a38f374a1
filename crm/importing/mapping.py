"""Suggesting which lead field each column of an imported table holds, from its header and its first values."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from crm.importing.cell_kinds import VALUE_FIELDS, VALUE_ONLY, value_kinds
from crm.normalize import is_placeholder

FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "email": "Email",
    "phone": "Phone",
    "linkedin_url": "LinkedIn URL",
    "website": "Website",
    "company": "Company",
    "title": "Job title",
    "location": "Location",
    "city": "City",
    "country": "Country",
    "time_zone": "Time zone",
    "source": "Source",
    "tags": "Tags",
    "deal_value": "Deal value",
    "notes": "Notes",
    "lawful_basis": "Lawful basis",
}
# Targets any number of columns may take: a person's further addresses and numbers, kept on the lead (other_emails,
# other_phones) beside the main one, which each row takes from the first of them when its main column is empty.
REPEATABLE: dict[str, str] = {"other_email": "Other email", "other_phone": "Other phone"}
CUSTOM = ""  # kept in the lead's custom fields: the default for a column we don't recognise
IGNORE = "ignore"  # the user chose to drop this column

# Header spellings per field, by how sure each makes us, compared without case, spaces, punctuation or accents
# ("E-mail Address" is "emailaddress"). When two columns claim a field the surer one gets it: "Mobile Phone" beats
# "Work Direct Phone" (WhatsApp needs a mobile) and both beat the company switchboard.
SYNONYMS: dict[str, dict[float, str]] = {
    "first_name": {
        1.0: "first name, given name, forename, contact first name, lead first name, vorname, prenom",
        0.9: "first, nombre",
    },
    "last_name": {
        1.0: "last name, surname, family name, contact last name, lead last name, nachname, nom de famille, apellido, "
        "apellidos",
        0.9: "last, nom",
    },
    "full_name": {
        1.0: "name, full name, contact name, person name, lead name, prospect name, contact full name, nom complet, "
        "nombre completo",
        0.9: "display name",
        0.85: "contact, person",
        0.7: "lead",
    },
    "email": {
        1.0: "email, email address, courriel, correo, correo electronico",
        0.95: "mail, email 1, primary email, work email, business email, work email address, professional email, "
        "contact email, email 1 value",
        0.9: "emails",
        0.8: "personal email",
        0.7: "email 2, secondary email",
    },
    "phone": {
        1.0: "phone, phone number, telephone, telephone number, tel, telefon, telefono",
        0.97: "mobile, mobile phone, mobile number, mobile phone number, cell phone",
        0.96: "first phone",  # Apollo's best number for the person, whichever of their phones it is
        0.95: "phone 1, primary phone, contact phone, cell, whatsapp, work direct phone, direct phone, direct dial",
        0.9: "work phone, business phone, handy",
        0.85: "office phone, corporate phone",
        0.8: "company phone, home phone",
        0.7: "phone 2, other phone",
    },
    "linkedin_url": {
        1.0: "linkedin, linkedin url, linkedin profile, linkedin profile url, person linkedin url, linkedin link",
        0.95: "profile url",  # PhantomBuster's input link, when linkedinProfileUrl is there too
        0.9: "li url, profile link, default profile url",
        0.8: "profile",
    },
    "website": {
        1.0: "website, website url, company website, company domain, domain, domain name, homepage, "
        "webseite, sitio web, site web",
        0.9: "web, url, site, www, web page",
    },
    "company": {
        1.0: "company, company name, organization, organisation, organization name, organisation name, "
        "company account, firma, unternehmen, societe, entreprise, empresa",
        0.95: "account name, employer, business name, current company",
        0.9: "account, firm",
    },
    "title": {
        1.0: "job title, position, job position",
        0.98: "title",  # Outlook's "Title" is Mr or Dr, beside its "Job Title"
        0.95: "role, job role, designation, current title, current position, organization title, organisation title",
        0.9: "occupation, funktion, poste, cargo, puesto",
        0.85: "job",
        0.8: "headline",  # LinkedIn's headline, when there is no job title
    },
    "location": {
        1.0: "location, person location, contact location",
        0.9: "locality",
        0.8: "address, geo",
        0.6: "region",
    },
    "city": {1.0: "city, town, person city, contact city, stadt, ville, ciudad", 0.9: "ort"},
    "country": {
        1.0: "country, country region, country name, person country, contact country, pays, pais",
        0.9: "land",
    },
    "time_zone": {1.0: "time zone, contact time zone, local time zone", 0.9: "tz"},
    "source": {
        1.0: "source, lead source",
        0.95: "lead origin",
        0.9: "original source, quelle",
        0.8: "origin, utm source",
        0.7: "channel",
    },
    "tags": {1.0: "tags, tag", 0.9: "labels, label", 0.8: "categories", 0.7: "lists, list, segment"},
    "deal_value": {
        1.0: "deal value, deal amount, deal size",
        0.95: "amount, expected value, opportunity amount, opportunity value",
        0.9: "potential value",
        0.85: "value",
        0.7: "budget",
    },
    "lawful_basis": {
        1.0: "lawful basis, legal basis, gdpr basis, lawful basis for processing, legal basis for processing",
        0.9: "consent, gdpr consent, marketing consent, email consent, opt in, marketing opt in, rechtsgrundlage",
    },
    "notes": {
        1.0: "notes, note, comments, comment, remarks, lead notes, notizen, bemerkungen, notas",
        0.9: "memo",
        0.7: "description",
    },
}


def _compact(text: str) -> str:
    """Lower case letters and digits only, accents dropped: "E-mail Address" and "emailAddress" both "emailaddress"."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text.lower() if char.isascii() and char.isalnum())


def _words(text: str) -> list[str]:
    """The words of a header, camelCase split: "linkedinProfileUrl" -> ["linkedin", "profile", "url"]."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return re.findall(r"[a-z0-9]+", text.lower())


# Synonyms in compact form, for exact and fuzzy matching.
_EXACT: dict[str, tuple[str, float]] = {
    _compact(synonym): (field, weight)
    for field, by_weight in SYNONYMS.items()
    for weight, synonyms in by_weight.items()
    for synonym in synonyms.split(",")
}
# Headers that are near a synonym in spelling but mean something else ("County" is not "Country").
_NOT_FUZZY = {
    "county", "state", "states", "stage", "status", "notice", "sites", "title2", "counter", "cities", "persona",
    "personas", "formname", "adname", "content", "contents", "contract",
}  # fmt: skip
# A typo costs this much of a synonym's weight, and must leave at least this much of the spelling right.
_FUZZY_WEIGHT = 0.85
_FUZZY_CUTOFF = 0.8


@dataclass(frozen=True)
class _Keyword:
    """A header word that suggests a field anywhere in the header ("Personal Email"), unless the header also holds
    a word saying it's about something else ("Email Status", "Company Linkedin Url")."""

    field: str
    words: frozenset[str]
    unless: frozenset[str]
    weight: float = 0.75


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_KEYWORDS = (
    _Keyword(
        "email",
        frozenset({"email", "emails", "mail", "courriel"}),
        _word_set(
            "status score confidence verified verification valid validity type domain format pattern catch source "
            "consent opt optout unsubscribed bounce bounced sent open opened click clicked replied count date last "
            "company owner label assistant manager spouse"
        ),
    ),
    _Keyword(
        "phone",
        frozenset({"phone", "phones", "mobile", "tel", "telephone", "cell", "whatsapp", "telefon"}),
        _word_set(
            "type status verified valid country code extension ext carrier label assistant manager spouse date fax"
        ),
    ),
    _Keyword(
        "linkedin_url",
        frozenset({"linkedin"}),
        frozenset({"company", "school", "organization", "organisation", "account", "connections", "followers", "id"}),
    ),
    _Keyword(
        "website",
        frozenset({"website", "domain", "homepage"}),
        _word_set("email linkedin facebook twitter instagram youtube image logo status label personal"),
        0.7,
    ),
    _Keyword(
        "title",
        frozenset({"title", "position", "designation"}),
        frozenset({"company", "page", "seo", "description", "2", "3"}),
        0.7,
    ),
    # Outlook's "Business Country/Region", Google's "Address 1 - Country"; not Apollo's "Company Country".
    _Keyword("country", frozenset({"country"}), frozenset({"company", "code", "account", "organization"}), 0.7),
    _Keyword("city", frozenset({"city", "town"}), frozenset({"company", "account", "organization"}), 0.7),
)
# Words that rank one of several email or phone columns above another of the same kind ("Person - Email - Work"
# above "- Home", "E-mail 1" above "E-mail 2", a mobile above a landline), for headers no synonym knows.
_RANKING_WORDS = {
    "email": {"work": 0.02, "business": 0.02, "primary": 0.02, "home": -0.02, "personal": -0.02, "private": -0.02},
    "phone": {"mobile": 0.04, "cell": 0.04, "whatsapp": 0.04, "direct": 0.03, "work": 0.02, "business": 0.02},
}
_LESSER_WORDS = frozenset({"other", "secondary", "additional", "alternate", "alternative", "alt", "tertiary", "backup"})
# Header words for columns whose values are not the lead's name ("form_name", "Persona", "Ad Name").
_NOT_A_NAME = frozenset(
    {
        "form", "ad", "adset", "campaign", "page", "file", "list", "product", "event", "persona", "utm", "template",
        "sequence", "stage", "pipeline", "deal", "group", "school", "manager", "assistant", "spouse", "owner",
        "company", "organization", "organisation", "account",
    }
)  # fmt: skip
# Header words for phone columns that are not the person's own line: repeated, they would give every colleague
# at the company the same number.
_NOT_THEIR_LINE = frozenset(
    {"company", "account", "organization", "organisation", "main", "hq", "headquarters", "switchboard"}
)
# A header made only of these words, with at least one company word, is the company ("Company / Account").
_COMPANY_WORDS = frozenset({"company", "organization", "organisation", "account", "employer", "business", "firm"})
_CLEANED = frozenset({"cleaned", "clean", "normalized"})
# "Person - Organization" (Pipedrive), "Company Name - Cleaned" (Clay, Apollo).
_COMPANY_FILLER = frozenset(
    {"name", "current", "legal", "the", "s", "person", "contact", "lead", "cleaned", "clean", "normalized"}
)


# A column whose values decide its field needs this share of its non-empty sample values to match.
_VALUES_DECIDE = 0.6
# Below this share of matching values, a header's claim to email, phone, LinkedIn or website is doubted.
_VALUES_CONTRADICT = 0.3
_DOUBTED = 0.3  # a claim the values contradict keeps this share of its score
_SUGGEST_AT = 0.5  # the least score that maps a column


# A column holding values in less than this share of the rows its fullest rival for a field fills is "nearly empty":
# it takes the field only when no fuller column claims it (Apollo's Mobile Phone beside a full First Phone).
_FULL_ENOUGH = 0.5


def mapping_suggest(headers: list[str], samples: list[list[str]]) -> list[str]:
    """One target per column (a FIELDS key, a REPEATABLE one, or CUSTOM): each field goes to the best-scoring of the
    columns that claim it among the fullest, and the other email and phone columns to other_email and other_phone."""
    claims: list[dict[str, float]] = []
    fills: list[float] = []
    for index, header in enumerate(headers):
        values = [
            value for row in samples if index < len(row) and (value := row[index].strip()) and not is_placeholder(value)
        ]
        filled = len(values) / len(samples) if samples else 0.0
        scores = _column_scores(header, values, filled)
        claims.append({field: score for field, score in scores.items() if score >= _SUGGEST_AT})
        fills.append(filled)
    fullest: dict[str, float] = {}
    for scores, filled in zip(claims, fills, strict=True):
        for field in scores:
            fullest[field] = max(fullest.get(field, 0.0), filled)
    # Columns full enough first, then the highest score; on a tie the column further left wins.
    candidates = [
        (filled < fullest[field] * _FULL_ENOUGH, -score, index, field)
        for index, (scores, filled) in enumerate(zip(claims, fills, strict=True))
        for field, score in scores.items()
    ]
    candidates.sort()
    targets = [CUSTOM] * len(headers)
    taken: set[str] = set()
    for _sparse, _score, index, field in candidates:
        if field in taken or targets[index] != CUSTOM:
            continue
        targets[index] = field
        taken.add(field)
    for index, scores in enumerate(claims):
        if targets[index] == CUSTOM and scores:
            best = max(scores, key=scores.__getitem__)
            if best in _REPEATS and _may_repeat(headers[index], best):
                targets[index] = _REPEATS[best]
    return targets


# The repeatable target a further column of a kind takes.
_REPEATS = {"email": "other_email", "phone": "other_phone"}


def _may_repeat(header: str, field: str) -> bool:
    """Whether a further column of this kind is the person's own: not a company's switchboard."""
    return field != "phone" or not set(_words(header)) & _NOT_THEIR_LINE


@lru_cache(maxsize=1024)
def header_contact_kind(header: str) -> str:
    """ "email" or "phone" when a column's header names one of the person's own addresses or numbers ("Secondary
    Email", "Mobile"), so that a row may fall back on it when its mapped ones are empty; "" otherwise."""
    scores = _header_scores(header)
    if set(_words(header)) & _NOT_THE_LEAD:
        return ""
    for field in ("email", "phone"):
        if scores.get(field, 0.0) >= _SUGGEST_AT and _may_repeat(header, field):
            return field
    return ""


def _column_scores(header: str, values: list[str], filled: float) -> dict[str, float]:
    """How well the column fits each field, from its header and then from its sample values (`filled`: the share
    of sample rows with a value, so of two equal headers the column that holds something wins)."""
    scores = _header_scores(header)
    named_other = _header_means_other(header, scores)
    kinds = value_kinds(values)
    for field in FIELDS:
        score = scores.get(field, 0.0)
        share = kinds.get(field)
        if field in VALUE_FIELDS:
            if share is None:
                continue  # no values to judge by
            if score and share < _VALUES_CONTRADICT:
                score *= _DOUBTED  # "Email Status" full of "Verified"
            elif score:
                score += 0.05 * share  # values agree: beats a header-only twin
            else:
                # Without a phone header, only numbers written like phone numbers count (not IDs or amounts).
                share = kinds["phone_strict"] if field == "phone" else share
                if share >= _VALUES_DECIDE and not named_other:
                    score = VALUE_ONLY[field] + 0.3 * share  # "Contact" full of email addresses
            if field == "linkedin_url" and score and kinds["linkedin_id"] >= _VALUES_DECIDE:
                score -= 0.2  # Sales Navigator's id links, when its vanity /in/jane-doe column is there too
        elif score and kinds.get("other_kind", 0.0) >= _VALUES_DECIDE:
            score *= _DOUBTED  # a "Contact" or "Sources" column of emails or links is not a name or a source
        elif field == "title" and score and kinds.get("honorific", 0.0) >= _VALUES_DECIDE:
            score *= _DOUBTED  # Outlook's "Title": Mr, Ms, Dr
        if score:
            scores[field] = score + 0.03 * filled
    return scores


def _header_scores(header: str) -> dict[str, float]:
    compact = _compact(header)
    if not compact:
        return {}
    scores: dict[str, float] = {}
    exact = _EXACT.get(compact)
    if exact:
        scores[exact[0]] = exact[1]
    elif len(compact) >= 5 and compact not in _NOT_FUZZY:
        # A typo is one slip (two in a long header); "Company Page" is not a misspelt "Company Name".
        slips = 1 if len(compact) < 12 else 2
        match = process.extractOne(compact, _EXACT.keys(), scorer=DamerauLevenshtein.distance, score_cutoff=slips)
        if match is not None:
            synonym, distance, _index = match
            similarity = 1 - distance / max(len(compact), len(synonym))
            if similarity >= _FUZZY_CUTOFF:
                field, weight = _EXACT[synonym]
                scores[field] = _FUZZY_WEIGHT * similarity * weight
    words = set(_words(header))
    # "LinkedIn" splits into "linked in" and "e-mail" into "e mail": look for the glued words too.
    words |= {glued for glued in ("linkedin", "email") if glued in compact}
    for keyword in _KEYWORDS:
        if words & keyword.words and not words & keyword.unless:
            weight = keyword.weight
            if keyword.field in _RANKING_WORDS:
                weight += _ranking(keyword.field, words)
            scores[keyword.field] = max(scores.get(keyword.field, 0.0), weight)
    if words & _COMPANY_WORDS and words <= _COMPANY_WORDS | _COMPANY_FILLER:
        # A name someone cleaned (Clay's "Company Name - Cleaned") is the one they want beside the raw one.
        scores["company"] = max(scores.get("company", 0.0), 1.02 if words & _CLEANED else 0.8)
    for glued, field, weight in (
        ("firstname", "first_name", 0.8),
        ("lastname", "last_name", 0.8),
        ("fullname", "full_name", 0.8),
    ):
        if glued in compact and not words & {"company", "owner", "account"}:
            scores[field] = max(scores.get(field, 0.0), weight)
    if words & _NOT_A_NAME:
        for field in ("first_name", "last_name", "full_name"):
            scores.pop(field, None)  # Meta's "form_name", HubSpot's "Persona"
    return scores


def _ranking(field: str, words: set[str]) -> float:
    """How much a header's words raise or lower its claim among columns of one kind: "work" above "home", a
    mobile above a landline, "E-mail 1" above "E-mail 2" above "Other"."""
    ranking = sum(_RANKING_WORDS[field].get(word, 0.0) for word in words)
    numbers = [int(word) for word in words if word.isdigit() and len(word) < 3]
    if numbers:
        ranking -= 0.01 * min(max(numbers) - 1, 5)
    if words & _LESSER_WORDS:
        ranking -= 0.05
    return ranking


# Header words for columns about someone or something other than the lead ("Contact Owner", "Created By").
_NOT_THE_LEAD = frozenset(
    {
        "owner", "assignee", "assigned", "rep", "user", "created", "modified", "updated", "by", "sender",
        "assistant", "manager", "spouse",
    }
)  # fmt: skip
_NOT_A_PHONE = frozenset(
    {
        "id", "ids", "count", "zip", "postal", "postcode", "fax", "vat", "tax", "iban", "date", "dates", "year",
        "years", "duration", "time", "timestamp",
    }
)  # fmt: skip


def _header_means_other(header: str, scores: dict[str, float]) -> bool:
    """Whether the header names another field, or a person or number that isn't the lead's, so values alone must
    not claim the column."""
    if any(score >= 0.9 for score in scores.values()):
        return True
    return bool(set(_words(header)) & (_NOT_THE_LEAD | _NOT_A_PHONE))
