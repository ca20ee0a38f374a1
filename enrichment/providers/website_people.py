"""The people a company page names: schema.org Person objects first, else the cards of a team page (a name-like
heading followed by a job title, repeated). Pure functions over one parsed page."""

from __future__ import annotations

import re
from collections import defaultdict

from bs4 import BeautifulSoup, Tag

from crm.normalize import NormalizeError, email_normalize, linkedin_canonical, name_split, person_key, phone_e164

# Words of job titles (English, German, French, Spanish, Italian): a title holds one, a name never does.
_JOB_WORDS_TEXT = """
    ceo cto cfo coo cmo cio cpo cro vp svp evp founder co-founder cofounder director manager head lead engineer
    developer designer sales marketing officer president vice chief owner partner consultant specialist coordinator
    assistant analyst accountant advisor adviser architect executive representative associate administrator editor
    recruiter counsel attorney lawyer principal chair chairman chairwoman board product operations support success
    finance engineering technology people hr talent account business development strategy research scientist
    geschäftsführer geschäftsführerin inhaber inhaberin leiter leiterin vorstand prokurist gerente directora socio
    socia fundador fundadora fondateur fondatrice directeur directrice responsable direttore direttrice titolare
"""
JOB_WORDS = frozenset(_JOB_WORDS_TEXT.split())
# Headings on team pages that are name-shaped but are not people.
_NOT_NAME_WORDS_TEXT = """
    our the team meet about contact us we you company people leadership management staff services service
    products solutions careers jobs news blog home welcome get in touch inc ltd llc gmbh ag sa bv plc corp group
    board advisors investors partners customers clients office offices location locations follow read more
"""
NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS_TEXT.split())
_NAME_PUNCTUATION = frozenset("'’.-")
_HEADINGS = ["h2", "h3", "h4", "h5", "h6", "strong", "b"]
_NAME_CLASS = re.compile(r"(?:^|[-_ ])(?:name|member-name|person-name|team-name)(?:$|[-_ ])", re.IGNORECASE)
# A card holding more than this many strings is a section, not one person's card.
_CARD_MAX_STRINGS = 12


def is_name_like(text: str) -> bool:
    """Two to four capitalised words of letters, none of them a job or section word: "Jane Doe", "Jean-Luc Picard"."""
    words = text.split()
    if not 2 <= len(words) <= 4 or len(text) > 50:
        return False
    for word in words:
        letters = word.strip(",")
        if not letters[:1].isupper() or not all(ch.isalpha() or ch in _NAME_PUNCTUATION for ch in letters):
            return False
        if letters.lower().strip(".") in JOB_WORDS or letters.lower() in NOT_NAME_WORDS:
            return False
    return True


def is_title_like(text: str) -> bool:
    """A short line that could be a job title (not an address, a number or a paragraph)."""
    return 2 <= len(text) <= 80 and len(text.split()) <= 10 and "@" not in text and "http" not in text.lower()


def has_job_word(text: str) -> bool:
    return any(word in JOB_WORDS for word in re.findall(r"[\w-]+", text.lower()))


def _linkedin_or_blank(url: str) -> str:
    try:
        return linkedin_canonical(url)
    except NormalizeError:
        return ""


def _email_or_blank(text: str) -> str:
    try:
        return email_normalize(text)
    except NormalizeError:
        return ""


def _phone_or_blank(text: str, region: str) -> str:
    try:
        return phone_e164(text, region or None)
    except (NormalizeError, ValueError):
        return ""


def _person(full_name: str, *, title: str, email: str, phone: str, linkedin_url: str, page_url: str, how: str) -> dict:
    first_name, last_name = name_split(full_name)
    return {
        "full_name": " ".join(part for part in (first_name, last_name) if part),
        "first_name": first_name,
        "last_name": last_name,
        "title": title,
        "email": email,
        "phone": phone,
        "linkedin_url": linkedin_url,
        "page_url": page_url,
        "how": how,
    }


def _schema_person(person: dict, page_url: str, region: str) -> dict:
    linkedin = next((_linkedin_or_blank(url) for url in person.get("same_as", []) if _linkedin_or_blank(url)), "")
    return _person(
        person["name"],
        title=person.get("title", "")[:200],
        email=_email_or_blank(person.get("email", "")),
        phone=_phone_or_blank(person.get("phone", ""), region),
        linkedin_url=linkedin,
        page_url=page_url,
        how="schema",
    )


def _card_contacts(card: Tag, region: str) -> tuple[str, str, str]:
    """The email, phone and LinkedIn profile a person's own card links to."""
    email = phone = linkedin = ""
    for anchor in card.find_all("a", href=True):
        href = anchor["href"].strip()
        scheme = href.partition(":")[0].lower()
        if scheme == "mailto" and not email:
            email = _email_or_blank(href)
        elif scheme in ("tel", "callto") and not phone:
            phone = _phone_or_blank(href, region)
        elif "linkedin.com/in/" in href.lower() and not linkedin:
            linkedin = _linkedin_or_blank(href)
    return email, phone, linkedin


def _name_headings(soup: BeautifulSoup) -> list[Tag]:
    headings = soup.find_all(_HEADINGS) + soup.find_all(class_=_NAME_CLASS)
    return [tag for tag in dict.fromkeys(headings) if is_name_like(" ".join(tag.get_text(" ").split()))]


def _card_people(soup: BeautifulSoup, page_url: str, region: str) -> list[dict]:
    """Cards with a name-like heading and, after it, a title-like line; kept when the title has a job word or the
    card's shape repeats on the page (a grid of team members)."""
    candidates: list[tuple[tuple, str, str, Tag | None]] = []
    for heading in _name_headings(soup):
        name = " ".join(heading.get_text(" ").split())
        card = heading.parent
        if card is None:
            continue
        strings = [" ".join(text.split()) for text in card.stripped_strings]
        after = strings[strings.index(name) + 1 :] if name in strings else []
        title = next((text for text in after if is_title_like(text) and not is_name_like(text)), "")
        if not title:
            continue
        # A parent holding several people's names is a section: its links cannot be told apart.
        own_card = len(strings) <= _CARD_MAX_STRINGS and len(_name_headings(card)) == 1
        shape = (card.name, tuple(card.get("class") or ()), heading.name)
        candidates.append((shape, name, title, card if own_card else None))
    shapes: dict[tuple, int] = defaultdict(int)
    for shape, *_ in candidates:
        shapes[shape] += 1
    people = []
    for shape, name, title, card in candidates:
        if not (has_job_word(title) or shapes[shape] >= 2):
            continue
        email, phone, linkedin = _card_contacts(card, region) if card is not None else ("", "", "")
        people.append(
            _person(name, title=title, email=email, phone=phone, linkedin_url=linkedin, page_url=page_url, how="card")
        )
    return people


def team_people(
    soup: BeautifulSoup, page_url: str, schema_people: list[dict], *, region: str, team_page: bool
) -> list[dict]:
    """The people a page names, each once. schema.org people count on any page that gives their job title (an
    article's author is not staff); heuristic cards only on team, about and contact pages, where they are people."""
    if schema_people:
        chosen = [
            _schema_person(person, page_url, region) for person in schema_people if team_page or person.get("title")
        ]
    elif team_page:
        chosen = _card_people(soup, page_url, region)
    else:
        chosen = []
    unique: dict[str, dict] = {}
    for person in chosen:
        key = person_key(person["first_name"], person["last_name"])
        if person["last_name"] and key not in unique:
            unique[key] = person
    return list(unique.values())
