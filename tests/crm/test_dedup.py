"""The duplicate scan: which pairs of leads it flags, why, and that it stays idempotent and linear."""

from collections import Counter, defaultdict
from itertools import combinations

import pytest

from crm import dedup
from crm.dedup import SWITCHBOARD_SIZE, duplicates_scan, duplicates_scan_queue
from crm.matching import NAME_MATCH, first_names_conflict, lead_keys_refresh, names_conflict, names_similarity
from crm.models import Company, DuplicateCandidate, Lead
from crm.normalize import name_split
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db

ACME = "Acme"
GLOBEX = "Globex"


def lead_with(companies: dict[str, Company], **facts) -> Lead:
    """A lead with only the facts given (no factory email, phone or company to confuse the match)."""
    company = facts.pop("company", None)
    if company:
        if company not in companies:
            companies[company] = Company.objects.create(name=company)
        facts["company"] = companies[company]
    defaults = {"first_name": "", "last_name": "", "email": "", "phone": "", "linkedin_url": "", "company": None}
    return LeadFactory(**{**defaults, **facts})


def pairs() -> dict[tuple[int, int], tuple[int, str, str]]:
    return {(c.lead_a_id, c.lead_b_id): (c.score, c.reason, c.status) for c in DuplicateCandidate.objects.all()}


# (lead A facts, lead B facts, flagged as duplicates?, expected reason or None)
LABELLED_PAIRS = [
    # --- one person, written twice ---
    pytest.param(
        {"first_name": "Jane", "last_name": "Doe", "email": "Jane.Doe@Acme.com"},
        {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@acme.com"},
        True, "Same email", id="same email, different case",
    ),
    pytest.param(
        {"first_name": "Jane", "last_name": "Doe", "email": "jane+crm@acme.com"},
        {"first_name": "J.", "last_name": "Doe", "email": "jane@acme.com"},
        True, "Same email", id="same email with a plus tag",
    ),
    pytest.param(
        {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@gmail.com"},
        {"first_name": "", "last_name": "", "email": "janedoe@googlemail.com"},
        True, "Same email", id="gmail dots and googlemail",
    ),
    pytest.param(
        {"first_name": "Jane", "last_name": "Doe", "linkedin_url": "https://www.linkedin.com/in/jane-doe-123/"},
        {"first_name": "Jane", "last_name": "D", "linkedin_url": "uk.linkedin.com/in/Jane-Doe-123/en"},
        True, "Same LinkedIn profile", id="same LinkedIn via different URL forms",
    ),
    pytest.param(
        {"first_name": "Jon", "last_name": "Smith", "company": ACME},
        {"first_name": "John", "last_name": "Smith", "company": ACME},
        True, f"Similar name at {ACME}", id="Jon Smith and John Smith at Acme",
    ),
    pytest.param(
        {"first_name": "John", "last_name": "Smith", "company": ACME, "email": "john.smith@acme.com"},
        {"first_name": "John", "last_name": "Smith", "company": ACME},
        True, f"Similar name at {ACME}", id="same name at one company, one email known",
    ),
    pytest.param(
        {"first_name": "Ann", "last_name": "Lee", "company": ACME},
        {"first_name": "Anne", "last_name": "Lee", "company": ACME},
        True, f"Similar name at {ACME}", id="Ann Lee and Anne Lee at Acme (93)",
    ),
    pytest.param(
        {"first_name": "Priya", "last_name": "Patel", "phone": "+442079460958", "company": ACME},
        {"first_name": "Priya", "last_name": "Patel", "phone": "+442079460958", "company": GLOBEX},
        True, "Same phone", id="same phone and name, new employer",
    ),
    pytest.param(
        {"first_name": "Priya", "last_name": "Patel", "phone": "+442079460958"},
        {"first_name": "", "last_name": "", "email": "", "phone": "+442079460958"},
        True, "Same phone", id="same phone, one name unknown",
    ),
    # --- near misses: two people ---
    pytest.param(
        {"first_name": "John", "last_name": "Smith", "company": ACME},
        {"first_name": "Jane", "last_name": "Smith", "company": ACME},
        False, None, id="John Smith and Jane Smith at Acme (80)",
    ),
    # Chris Lee / Chris Leigh scores 80 (token_sort_ratio), below NAME_MATCH (88): not flagged. Likely two
    # people; if not, a search for "Chris" at Acme still shows both.
    pytest.param(
        {"first_name": "Chris", "last_name": "Lee", "company": ACME},
        {"first_name": "Chris", "last_name": "Leigh", "company": ACME},
        False, None, id="Chris Lee and Chris Leigh at Acme (80)",
    ),
    pytest.param(
        {"first_name": "Priya", "last_name": "Patel", "email": "info@acme.com"},
        {"first_name": "Tom", "last_name": "Baker", "email": "info@acme.com"},
        False, None, id="shared info@ mailbox, different names",
    ),
    pytest.param(
        {"first_name": "Priya", "last_name": "Patel", "email": "Sales@Acme.com", "company": ACME},
        {"first_name": "Tom", "last_name": "Baker", "email": "sales@acme.com", "company": ACME},
        False, None, id="shared sales@ mailbox at one company",
    ),
    pytest.param(
        {"first_name": "Priya", "last_name": "Patel", "phone": "+442079460000", "company": ACME},
        {"first_name": "Tom", "last_name": "Baker", "phone": "+442079460000", "company": ACME},
        False, None, id="shared switchboard phone, different names",
    ),
    pytest.param(
        {"first_name": "John", "last_name": "Smith", "company": ACME},
        {"first_name": "John", "last_name": "Smith", "company": GLOBEX},
        False, None, id="same name at different companies",
    ),
    pytest.param(
        {"first_name": "John", "last_name": "Smith"},
        {"first_name": "John", "last_name": "Smith"},
        False, None, id="same name, no company",
    ),
    pytest.param(
        {"first_name": "John", "last_name": "Smith", "company": ACME, "email": "john.smith@acme.com"},
        {"first_name": "John", "last_name": "Smith", "company": ACME, "email": "jsmith@acme.com"},
        False, None, id="same name at one company, different personal emails",
    ),
    pytest.param(
        {"first_name": "John", "last_name": "Smith", "company": ACME, "linkedin_url": "linkedin.com/in/jsmith1"},
        {"first_name": "John", "last_name": "Smith", "company": ACME, "linkedin_url": "linkedin.com/in/jsmith2"},
        False, None, id="same name at one company, different LinkedIn profiles",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("facts_a", "facts_b", "duplicate", "reason"), LABELLED_PAIRS)
def test_labelled_pairs(facts_a, facts_b, duplicate, reason):
    companies: dict[str, Company] = {}
    first, second = lead_with(companies, **facts_a), lead_with(companies, **facts_b)
    new = duplicates_scan()
    found = pairs()
    if duplicate:
        assert new == 1
        assert list(found) == [(first.pk, second.pk)]
        assert found[first.pk, second.pk][1] == reason
    else:
        assert new == 0 and found == {}


def test_a_smith_comma_john_input_matches_john_smith_once_normalised():
    companies: dict[str, Company] = {}
    first_name, last_name = name_split("Smith, John")
    typed = lead_with(companies, first_name=first_name, last_name=last_name, company=ACME)
    known = lead_with(companies, first_name="John", last_name="Smith", company=ACME)
    duplicates_scan()
    assert pairs() == {(typed.pk, known.pk): (100, f"Similar name at {ACME}", "open")}


def test_the_score_of_a_similar_name_is_its_similarity():
    companies: dict[str, Company] = {}
    jon = lead_with(companies, first_name="Jon", last_name="Smith", company=ACME)
    john = lead_with(companies, first_name="John", last_name="Smith", company=ACME)
    duplicates_scan()
    assert pairs()[jon.pk, john.pk][0] == names_similarity("jon smith", "john smith") == 95


def test_a_shared_phone_only_needs_names_that_do_not_conflict():
    # The rule from crm.matching: below NAME_CONFLICT (60) the names are two people. John and Jane Smith
    # score 80, so on a shared switchboard they are flagged "Same phone" for a person to decide.
    companies: dict[str, Company] = {}
    john = lead_with(companies, first_name="John", last_name="Smith", phone="+442079460000", company=ACME)
    jane = lead_with(companies, first_name="Jane", last_name="Smith", phone="+442079460000", company=ACME)
    duplicates_scan()
    assert pairs() == {(john.pk, jane.pk): (90, "Same phone", "open")}


def test_a_switchboard_needs_matching_names():
    # More than SWITCHBOARD_SIZE people on one number: merely "not conflicting" names would flag dozens.
    companies: dict[str, Company] = {}
    switchboard = "+442079460000"
    for n in range(SWITCHBOARD_SIZE):
        lead_with(companies, first_name=FIRST[n], last_name=LAST[n], phone=switchboard)
    john = lead_with(companies, first_name="John", last_name="Smith", phone=switchboard)
    lead_with(companies, first_name="Jane", last_name="Smith", phone=switchboard)  # 80 with John: not enough
    jon = lead_with(companies, first_name="Jon", last_name="Smith", phone=switchboard)
    lead_with(companies, phone=switchboard)  # no name: nothing to go by on a switchboard
    duplicates_scan()
    assert pairs() == {(john.pk, jon.pk): (90, "Same phone", "open")}


def test_the_strongest_reason_wins_and_the_lower_id_comes_first():
    companies: dict[str, Company] = {}
    first = lead_with(companies, first_name="Jane", last_name="Doe", email="jane@acme.com", company=ACME)
    second = lead_with(companies, first_name="Jane", last_name="Doe", email="JANE@acme.com", company=ACME)
    # Same email, same phone and the same name at the same company: reported once, as the email.
    Lead.objects.filter(pk__in=[first.pk, second.pk]).update(phone="+442079460958")
    duplicates_scan()
    assert pairs() == {(first.pk, second.pk): (100, "Same email", "open")}


def test_running_it_again_adds_nothing_and_keeps_decisions():
    companies: dict[str, Company] = {}
    a = lead_with(companies, first_name="Jane", last_name="Doe", email="jane@acme.com")
    b = lead_with(companies, first_name="Jane", last_name="Doe", email="jane@acme.com")
    c = lead_with(companies, first_name="Jon", last_name="Smith", company=ACME)
    d = lead_with(companies, first_name="John", last_name="Smith", company=ACME)
    assert duplicates_scan() == 2
    assert duplicates_scan() == 0
    assert DuplicateCandidate.objects.count() == 2
    DuplicateCandidate.objects.filter(lead_a=a, lead_b=b).update(status="dismissed", score=1)
    assert duplicates_scan() == 0
    found = pairs()
    assert found[a.pk, b.pk] == (1, "Same email", "dismissed")  # never reopened nor rescored
    assert found[c.pk, d.pk] == (95, f"Similar name at {ACME}", "open")


def test_an_open_pair_gets_the_current_reason_and_goes_when_the_leads_no_longer_match():
    companies: dict[str, Company] = {}
    jon = lead_with(companies, first_name="Jon", last_name="Smith", email="js@acme.com", company=ACME)
    john = lead_with(companies, first_name="John", last_name="Smith", email="js@acme.com", company=ACME)
    duplicates_scan()
    assert pairs()[jon.pk, john.pk][:2] == (100, "Same email")
    john.email = ""
    john.save()
    assert duplicates_scan() == 0
    assert pairs()[jon.pk, john.pk][:2] == (95, f"Similar name at {ACME}")
    john.first_name, john.last_name = "Mary", "Jones"
    john.save()
    duplicates_scan()
    assert pairs() == {}


def test_a_key_shared_by_many_leads_pairs_each_with_the_oldest_only():
    companies: dict[str, Company] = {}
    leads = [lead_with(companies, first_name=f"Person{n}", email="same@acme.com") for n in range(30)]
    assert duplicates_scan() == 29
    oldest = leads[0].pk
    assert set(pairs()) == {(oldest, lead.pk) for lead in leads[1:]}


def test_a_small_group_pairs_everyone():
    companies: dict[str, Company] = {}
    leads = [lead_with(companies, first_name="Jane", last_name="Doe", email="jane@acme.com") for _ in range(4)]
    duplicates_scan()
    assert set(pairs()) == set(combinations([lead.pk for lead in leads], 2))


def test_a_company_larger_than_a_block_is_compared_by_letter_and_window(monkeypatch):
    monkeypatch.setattr(dedup, "BLOCK_LIMIT", 4)
    companies: dict[str, Company] = {}
    names = ["Aaron Abbot", "Adam Ames", "Alan Arnold", "Alice Avery", "Amy Atkins", "Anna Ashby", "Ann Ashby"]
    names += ["Bella Brook", "Ben Brown", "Zoe Zimmer"]
    leads = {
        name: lead_with(companies, first_name=name.split()[0], last_name=name.split()[1], company=ACME)
        for name in names
    }
    duplicates_scan()
    assert set(pairs()) == {(leads["Anna Ashby"].pk, leads["Ann Ashby"].pk)}


def test_queueing_runs_the_scan_after_commit(django_capture_on_commit_callbacks):
    companies: dict[str, Company] = {}
    lead_with(companies, first_name="Jane", email="jane@acme.com")
    lead_with(companies, first_name="Jane", email="jane@acme.com")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        duplicates_scan_queue()
        assert not DuplicateCandidate.objects.exists()
    assert len(callbacks) == 1
    assert DuplicateCandidate.objects.count() == 1


# --- at scale: the blocked scan finds exactly what comparing every pair would ----------------------

FIRST = [
    "James", "Mary", "Robert", "Patricia", "Michael", "Linda", "David", "Susan", "Richard", "Karen",
    "Joseph", "Nancy", "Thomas", "Lisa", "Charles", "Sandra", "Daniel", "Ashley", "Matthew", "Emily",
]  # fmt: skip
LAST = [
    "Okafor", "Nguyen", "Kowalski", "Haddad", "Fernandes", "Ivanova", "Tanaka", "Mensah", "Larsen", "Rossi",
    "Schmidt", "Dubois", "Yilmaz", "Gupta", "Silva", "Novak", "Murphy", "Cohen", "Moreau", "Kim",
]  # fmt: skip


def brute_force(leads: list[Lead]) -> dict[tuple[int, int], int]:
    """The definition of a suspected pair, checked over every pair of leads (quadratic, for the test only)."""
    found: dict[tuple[int, int], int] = {}
    sharing_phone = Counter(lead.phone for lead in leads if lead.phone)
    for a, b in combinations(sorted(leads, key=lambda lead: lead.pk), 2):
        scores = []
        similarity = names_similarity(a.name_key, b.name_key)
        if a.email_key and a.email_key == b.email_key:
            # Unless their first names or LinkedIn profiles say they are two people: then listed lower.
            two_people = first_names_conflict(a.first_name, b.first_name) or (
                a.linkedin_slug and b.linkedin_slug and a.linkedin_slug != b.linkedin_slug
            )
            scores.append(60 if two_people else 100)
        if a.linkedin_slug and a.linkedin_slug == b.linkedin_slug:
            scores.append(100)
        if a.phone and a.phone == b.phone:
            switchboard = sharing_phone[a.phone] > SWITCHBOARD_SIZE
            if similarity >= NAME_MATCH if switchboard else not names_conflict(a.name_key, b.name_key):
                scores.append(90)
        personal_differ = (a.email_key and b.email_key and a.email_key != b.email_key) or (
            a.linkedin_slug and b.linkedin_slug and a.linkedin_slug != b.linkedin_slug
        )
        if a.company_id and a.company_id == b.company_id and similarity >= NAME_MATCH and not personal_differ:
            scores.append(similarity)
        if scores:
            found[a.pk, b.pk] = max(scores)
    return found


def test_two_thousand_leads_in_two_hundred_companies():
    stage = default_stage()
    companies = Company.objects.bulk_create(Company(name=f"Company {n}") for n in range(200))
    leads = []
    for c, company in enumerate(companies):
        for n in range(10):
            first, last = FIRST[(c + n) % 20], LAST[(c * 7 + n * 3) % 20]
            leads.append(
                Lead(
                    first_name=first,
                    last_name=last,
                    company=company,
                    email=f"{first}.{last}.{c}.{n}@company{c}.example".lower(),
                    phone=f"+4420794{c:03d}{n:02d}",
                )
            )
    # Planted duplicates: a "Jon"-style spelling with no email at the same company (20), the same
    # address typed differently at another company (20), the same LinkedIn profile (10), the same phone (10).
    planted = []
    for c in range(0, 200, 10):
        original = leads[c * 10]
        leads.append(Lead(first_name=original.first_name[:-1], last_name=original.last_name, company=original.company))
        planted.append((original, leads[-1]))
    for c in range(5, 200, 10):
        original = leads[c * 10 + 1]
        elsewhere = companies[(c + 1) % 200]
        leads.append(Lead(first_name="Someone", last_name="Else", company=elsewhere, email=original.email.upper()))
        planted.append((original, leads[-1]))
    for c in range(3, 200, 20):
        original, twin = leads[c * 10 + 2], leads[c * 10 + 5]
        original.linkedin_url = twin.linkedin_url = f"https://www.linkedin.com/in/person-{c}"
        planted.append((original, twin))
    for c in range(7, 200, 20):
        original = leads[c * 10 + 3]
        leads.append(Lead(first_name=original.first_name, last_name=original.last_name, phone=original.phone))
        planted.append((original, leads[-1]))
    for lead in leads:
        lead.stage = stage
        lead_keys_refresh(lead)
    Lead.objects.bulk_create(leads, batch_size=500)
    assert Lead.objects.count() == 2050

    new = duplicates_scan()

    expected = brute_force(list(Lead.objects.all()))
    found = pairs()
    assert {pair: score for pair, (score, _reason, _status) in found.items()} == expected
    assert new == len(expected)
    for original, twin in planted:
        assert tuple(sorted([original.pk, twin.pk])) in found
    by_reason = defaultdict(int)
    for _score, reason, _status in found.values():
        by_reason[reason.split(" at ")[0]] += 1
    # "Someone Else" at another company shares each planted address: listed, as two people.
    assert by_reason["Same email, different first names"] == 20 and by_reason["Same LinkedIn profile"] == 10
    assert by_reason["Same phone"] == 10 and by_reason["Similar name"] >= 20
    assert duplicates_scan() == 0


def test_a_lead_removed_while_the_scan_reads_is_left_out(monkeypatch):
    companies: dict[str, Company] = {}
    first = lead_with(companies, first_name="Jane", email="jane@acme.com")
    second = lead_with(companies, first_name="Jane", email="jane@acme.com")
    third = lead_with(companies, first_name="Jane", email="jane@acme.com")
    reading = dedup._same_company_pairs

    def merged_meanwhile(found):
        Lead.objects.filter(pk=third.pk).delete()
        reading(found)

    monkeypatch.setattr(dedup, "_same_company_pairs", merged_meanwhile)
    assert duplicates_scan() == 1
    assert set(pairs()) == {(first.pk, second.pk)}


def test_the_same_email_with_another_first_name_is_listed_lower_with_why():
    # One rule with imports (crm.matching.identities_conflict): a shared inbox is not one person.
    john = LeadFactory(first_name="John", last_name="Smith", email="jsmith@acme.example")
    jane = LeadFactory(first_name="Jane", last_name="Smith", email="jsmith@acme.example")
    johnny = LeadFactory(first_name="Johnny", last_name="Smith", email="JSmith@acme.example")
    duplicates_scan()
    found = pairs()
    assert found[john.pk, jane.pk][:2] == (60, "Same email, different first names")
    assert found[john.pk, johnny.pk][:2] == (100, "Same email")
