"""Guessing work addresses from a name: every common pattern in ASCII, and the pattern a domain's verified
addresses already prove tried first."""

from __future__ import annotations

import pytest

from enrichment.models import FieldSource
from enrichment.providers.email_patterns import domain_patterns, email_candidates
from tests.factories import LeadFactory


def _locals(addresses: list[str]) -> list[str]:
    return [address.partition("@")[0] for address in addresses]


def test_a_plain_name_gives_the_common_patterns_most_common_first():
    candidates = email_candidates("John", "Smith", "acme.test", proven=[])

    assert _locals(candidates)[:6] == ["john.smith", "john", "jsmith", "johnsmith", "j.smith", "john_smith"]
    assert {"johns", "john.s", "smithj", "smith.john", "smith", "john-smith", "js", "smithjohn"} <= set(
        _locals(candidates)
    )
    assert all(address.endswith("@acme.test") for address in candidates)
    assert len(candidates) == len(set(candidates))


def test_accents_are_folded_to_plain_letters():
    candidates = email_candidates("José", "Ñúñez", "Acme.TEST", proven=[])

    assert candidates[:3] == ["jose.nunez@acme.test", "jose@acme.test", "jnunez@acme.test"]
    assert all(address.isascii() for address in candidates)


def test_apostrophes_vanish_and_compound_names_are_tried_in_their_other_spellings():
    assert email_candidates("Sean", "O'Brien", "acme.test", proven=[])[0] == "sean.obrien@acme.test"

    compound = _locals(email_candidates("Mary Ann", "García-López", "acme.test", proven=[]))
    assert compound[:2] == ["mary.garcialopez", "mary"]
    assert {"mary.garcia-lopez", "mary.garcia", "mary.lopez"} <= set(compound[:8])
    assert "maryann.garcialopez" in compound

    particles = _locals(email_candidates("Anna", "van der Berg", "acme.test", proven=[]))
    assert {"anna.vanderberg", "anna.berg"} <= set(particles[:8])


def test_a_name_in_another_script_gives_no_candidates():
    assert email_candidates("王", "伟", "acme.test", proven=[]) == []


@pytest.mark.django_db
def test_the_pattern_verified_addresses_prove_for_a_domain_comes_first():
    john = LeadFactory(first_name="John", last_name="Smith")
    FieldSource.objects.create(
        lead=john, field="email", value="j.smith@acme.test", source="finder", confidence=95, status="valid"
    )

    assert domain_patterns("acme.test") == ["f.last"]
    assert email_candidates("Ada", "Lovelace", "acme.test")[0] == "a.lovelace@acme.test"
    assert email_candidates("Ada", "Lovelace", "other.test")[0] == "ada.lovelace@other.test"


@pytest.mark.django_db
def test_only_verified_addresses_prove_a_pattern_and_the_commonest_proof_wins():
    for first, last, address, status in [
        ("John", "Smith", "jsmith@acme.test", "valid"),
        ("Kate", "Jones", "kjones@acme.test", "valid"),
        ("Ann", "Lee", "ann.lee@acme.test", "valid"),
        ("Bob", "Ray", "ray.bob@acme.test", "catch-all"),
    ]:
        lead = LeadFactory(first_name=first, last_name=last)
        FieldSource.objects.create(
            lead=lead, field="email", value=address, source="hunter", confidence=90, status=status
        )

    assert domain_patterns("acme.test") == ["flast", "first.last"]
    assert _locals(email_candidates("Ada", "Lovelace", "acme.test"))[:2] == ["alovelace", "ada.lovelace"]


def test_a_first_name_alone_gives_only_the_patterns_that_need_no_more():
    assert email_candidates("John", "", "acme.test", proven=[]) == ["john@acme.test"]
    assert email_candidates("", "Smith", "acme.test", proven=[]) == ["smith@acme.test"]


def test_a_first_name_alone_gives_nothing_where_the_domain_proves_a_pattern_needing_both():
    # john@ at a first.last company would be some other John's mailbox, or no one's.
    assert email_candidates("John", "", "acme.test", proven=["first.last"]) == []
    assert email_candidates("John", "", "acme.test", proven=["first.last", "first"]) == ["john@acme.test"]
