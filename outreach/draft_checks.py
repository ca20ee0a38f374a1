"""The checks every draft passes before it may be approved, whoever wrote it: the channel's length, placeholders left
unfilled, common spam-trigger phrases, and facts (names, numbers, company names) that appear in none of the inputs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

# Characters each channel takes. LinkedIn cuts connection notes at 300; Twilio refuses WhatsApp bodies over 1,600.
BODY_LIMITS = {"email": 5000, "linkedin": 300, "whatsapp": 1600}
SUBJECT_LIMIT = 120

PLACEHOLDERS = re.compile(
    r"\{\{.*?\}\}"  # {{ first_name }}
    r"|\{%.*?%\}"  # {% if %}
    r"|\{[A-Za-z_][\w .]*\}"  # {first_name}
    r"|\[[A-Z][A-Za-z _/-]{1,40}\]"  # [Name], [Company Name]
    r"|<[A-Z][A-Z _]{1,40}>"  # <FIRST NAME>
    r"|%\(?\w*\)?s\b"  # %s, %(name)s
    r"|\b(?:FIRST_NAME|LAST_NAME|COMPANY_NAME|XXX+|TODO|TBD|lorem ipsum)\b",
    re.IGNORECASE,
)
# Phrases that mail filters and people both read as spam; kept short and literal so a finding names what to change.
SPAM_PHRASES = (
    "100% free", "act now", "amazing deal", "apply now", "as seen on", "buy now", "cash bonus", "click here",
    "click below", "congratulations", "dear friend", "double your", "earn money", "exclusive deal", "free gift",
    "free trial", "get paid", "guaranteed", "increase sales", "limited time", "no catch", "no obligation",
    "no strings attached", "once in a lifetime", "order now", "risk-free", "risk free", "special promotion",
    "this is not spam", "urgent", "winner", "you have been selected", "100% satisfied", "best price", "cheap",
    "make money", "miracle",
)  # fmt: skip
SPAM = re.compile(r"\b(?:" + "|".join(re.escape(phrase) for phrase in SPAM_PHRASES) + r")\b", re.IGNORECASE)

# Capitalised words a message may use without any input naming them: greetings, sign-offs, days, the channels.
COMMON_CAPITALISED = frozenset((
    "I", "I'd", "I'll", "I'm", "I've", "Hi", "Hello", "Hey", "Dear", "Best", "Thanks", "Thank", "Regards",
    "Kind", "Warm", "Cheers", "Sincerely", "Yours", "Many", "Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December", "LinkedIn", "WhatsApp", "Email", "PS", "P.S.", "OK", "AI",
    "Mr", "Mrs", "Ms", "Dr",
))  # fmt: skip
WORD = re.compile(r"[A-Za-z][\w'’&.-]*[\w]|[A-Za-z]")
NUMBER = re.compile(r"[$€£₹]?\d[\d,.:/]*%?[kKmMbB]?\+?")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"“(—-]\s*)$")


@dataclass(frozen=True)
class Finding:
    """One thing a check found; each blocks approval until the text no longer has it."""

    check: str
    message: str


def _number_key(text: str) -> str:
    return re.sub(r"[^\d.%]", "", text).rstrip(".")


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def _unknown_name(word: str, known_words: set[str]) -> bool:
    return len(word) > 1 and word[0].isupper() and word not in COMMON_CAPITALISED and word.lower() not in known_words


def _unsupported(text: str, inputs: str) -> tuple[list[str], list[str]]:
    """Names and company names (capitalised words within a sentence) and numbers that the inputs do not contain."""
    known_words = _words(inputs)
    known_numbers = {_number_key(number) for number in NUMBER.findall(inputs)}
    known_numbers.discard("")
    names: list[str] = []
    words = list(WORD.finditer(text))
    for index, match in enumerate(words):
        word = match.group()
        if not _unknown_name(word, known_words):
            continue
        # The first word of a sentence is capitalised whatever it is: it counts as a name only when it looks like
        # one (HubSpot), or starts a run of capitalised words (Globex Corporation).
        following = words[index + 1] if index + 1 < len(words) else None
        in_run = (
            following is not None
            and not text[match.end() : following.start()].strip()
            and _unknown_name(following.group(), known_words)
        )
        looks_like_name = any(letter.isupper() for letter in word[1:]) or in_run
        if SENTENCE_START.search(text[: match.start()]) and not looks_like_name:
            continue
        if word not in names:
            names.append(word)
    numbers = []
    for match in NUMBER.finditer(text):
        key = _number_key(match.group())
        if key and key not in known_numbers and match.group() not in numbers:
            numbers.append(match.group())
    return names, numbers


def draft_findings(*, channel: str, subject: str, body: str, inputs: Iterable[str]) -> list[Finding]:
    """Everything that should stop this text from being approved; `inputs` are all the texts it was written from."""
    found: list[Finding] = []
    limit = BODY_LIMITS[channel]
    if not body.strip():
        found.append(Finding("length", "The message is empty."))
    elif len(body) > limit:
        found.append(Finding("length", f"The message has {len(body)} characters; {channel} takes at most {limit}."))
    if channel == "email" and not subject.strip():
        found.append(Finding("length", "An email needs a subject."))
    if len(subject) > SUBJECT_LIMIT:
        found.append(Finding("length", f"The subject has {len(subject)} characters; keep it to {SUBJECT_LIMIT}."))
    text = f"{subject}\n{body}"
    for placeholder in dict.fromkeys(match.group() for match in PLACEHOLDERS.finditer(text)):
        found.append(Finding("placeholder", f"Unfilled placeholder {placeholder!r}."))
    for phrase in dict.fromkeys(match.group().lower() for match in SPAM.finditer(text)):
        found.append(Finding("spam", f"Spam-trigger phrase {phrase!r}: say it another way."))
    names, numbers = _unsupported(text, "\n".join(inputs))
    if names:
        found.append(Finding("facts", "Names not in the lead's facts or your profile: " + ", ".join(names) + "."))
    if numbers:
        found.append(Finding("facts", "Numbers not in the lead's facts or your profile: " + ", ".join(numbers) + "."))
    return found


def findings_stored(findings: list[Finding]) -> list[dict]:
    return [asdict(finding) for finding in findings]
