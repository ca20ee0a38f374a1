"""lead_merge: one lead folded into another, with nothing lost and the pair resolved."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.models import (
    Activity,
    DuplicateCandidate,
    ImportChange,
    ImportJob,
    Lead,
    ListMembership,
    MergeRecord,
    Note,
    StageChange,
    Task,
)
from crm.services.lists import list_add_leads
from crm.services.merge import MERGE_FIELDS, duplicate_dismiss, lead_merge
from crm.services.timeline import tags_from_text
from tests.factories import CompanyFactory, LeadFactory, LeadListFactory, NoteFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db


def candidate_for(first: Lead, second: Lead, **extra) -> DuplicateCandidate:
    low, high = sorted([first.pk, second.pk])
    return DuplicateCandidate.objects.create(lead_a_id=low, lead_b_id=high, score=95, reason="Similar name", **extra)


@pytest.fixture
def pair(manager_mia):
    """John Smith (the older record) and Jon Smith, each with a history of their own."""
    acme, globex = CompanyFactory(name="Acme"), CompanyFactory(name="Globex")
    john = LeadFactory(
        first_name="John", last_name="Smith", title="CTO", email="", phone="+442079460958", company=acme,
        custom_fields={"region": "EMEA", "size": "50"}, score=10,
    )  # fmt: skip
    jon = LeadFactory(
        first_name="Jon", last_name="Smith", title="VP Engineering", email="jon@globex.example", phone="",
        company=globex, owner=manager_mia, stage=default_stage(2), deal_value=Decimal("1200.00"),
        custom_fields={"region": "US", "budget": "yes"}, do_not_contact=True, score=70,
    )  # fmt: skip
    john.tags.set(tags_from_text("cto, fintech"))
    jon.tags.set(tags_from_text("fintech, webinar"))
    return john, jon


def test_everything_of_the_removed_lead_moves_to_the_survivor(pair, manager_mia):
    john, jon = pair
    NoteFactory.create_batch(2, lead=jon)
    TaskFactory(lead=jon)
    Activity.objects.create(lead=jon, kind="created", summary="Created in Contacted")
    StageChange.objects.create(lead=jon, to_stage=jon.stage)
    job = ImportJob.objects.create(original_name="leads.csv", file="imports/leads.csv")
    ImportChange.objects.create(job=job, lead=jon, before={"title": ""}, after={"title": "VP Engineering"})
    both, only_jon = LeadListFactory(name="Webinar"), LeadListFactory(name="Q3 push")
    list_add_leads(lead_list=both, leads=[john, jon], actor=manager_mia)
    list_add_leads(lead_list=only_jon, leads=[jon], actor=manager_mia)
    activities_before = Activity.objects.filter(lead=jon).count()

    record = lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)

    assert not Lead.objects.filter(pk=jon.pk).exists()
    assert Note.objects.filter(lead=john).count() == 2
    assert Task.objects.filter(lead=john).count() == 1
    assert StageChange.objects.filter(lead=john).count() == 1
    assert ImportChange.objects.get().lead == john
    assert set(ListMembership.objects.filter(lead=john).values_list("lead_list__name", flat=True)) == {
        "Webinar",
        "Q3 push",
    }
    assert sorted(john.tags.values_list("name", flat=True)) == ["cto", "fintech", "webinar"]
    assert record.moved == {
        "notes": 2,
        "tasks": 1,
        "activities": activities_before,
        "stage_changes": 1,
        "import_changes": 1,
        "merges": 0,
        "lists": 1,
        "tags": 1,
        "duplicate_candidates": 0,
    }


def test_chosen_values_are_applied_and_missing_ones_keep_the_survivors(pair, manager_mia):
    john, jon = pair
    chosen = {"first_name": "other", "email": "other", "company": "other", "owner": "other", "stage": "other"}
    lead_merge(survivor=john, other=jon, chosen=chosen, actor=manager_mia)
    john.refresh_from_db()
    assert (john.first_name, john.email, john.company.name, john.owner, john.stage) == (
        "Jon",
        "jon@globex.example",
        "Globex",
        manager_mia,
        default_stage(2),
    )
    assert (john.title, john.phone, john.deal_value, john.score) == ("CTO", "+442079460958", None, 10)
    # The matching keys follow the new facts.
    assert (john.email_key, john.name_key) == ("jon@globex.example", "jon smith")
    # A stage taken from the other lead is a move on the board like any other.
    assert StageChange.objects.filter(lead=john, from_stage=default_stage(0), to_stage=default_stage(2)).exists()


def test_the_verified_mark_goes_with_the_email_or_phone_chosen(pair, manager_mia):
    john, jon = pair
    Lead.objects.filter(pk=john.pk).update(phone_verified=True)
    Lead.objects.filter(pk=jon.pk).update(email_verified=True, phone="+442079460959")
    lead_merge(survivor=john, other=jon, chosen={"email": "other", "phone": "other"}, actor=manager_mia)
    john.refresh_from_db()
    assert (john.email, john.email_verified) == ("jon@globex.example", True)
    assert (john.phone, john.phone_verified) == ("+442079460959", False)


def test_do_not_contact_on_either_lead_wins(pair, manager_mia):
    john, jon = pair
    lead_merge(survivor=john, other=jon, chosen={"do_not_contact": "survivor"}, actor=manager_mia)
    john.refresh_from_db()
    assert john.do_not_contact is True


def test_custom_fields_are_merged_with_the_survivors_values_winning_unless_told(pair, manager_mia):
    john, jon = pair
    lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)
    john.refresh_from_db()
    assert john.custom_fields == {"region": "EMEA", "size": "50", "budget": "yes"}


def test_custom_fields_can_take_the_other_leads_values(pair, manager_mia):
    john, jon = pair
    lead_merge(survivor=john, other=jon, chosen={"custom_fields": "other"}, actor=manager_mia)
    john.refresh_from_db()
    assert john.custom_fields == {"region": "US", "size": "50", "budget": "yes"}


def test_the_record_keeps_every_value_of_the_removed_lead(pair, manager_mia):
    john, jon = pair
    webinar = LeadListFactory(name="Webinar")
    list_add_leads(lead_list=webinar, leads=[jon], actor=manager_mia)
    jon_pk = jon.pk
    record = lead_merge(survivor=john, other=jon, chosen={"title": "other"}, actor=manager_mia)
    record.refresh_from_db()
    snapshot = record.merged_snapshot
    assert {field.name for field in Lead._meta.concrete_fields} <= set(snapshot)
    assert snapshot["id"] == jon_pk == record.merged_lead_id
    assert (snapshot["first_name"], snapshot["email"], snapshot["phone"]) == ("Jon", "jon@globex.example", "")
    assert (snapshot["deal_value"], snapshot["do_not_contact"], snapshot["owner"]) == ("1200.00", True, manager_mia.pk)
    assert snapshot["custom_fields"] == {"region": "US", "budget": "yes"}
    assert snapshot["lists"] == [webinar.pk]
    assert snapshot["labels"]["tags"] == ["fintech", "webinar"] and len(snapshot["tags"]) == 2
    assert snapshot["labels"]["company"] == "Globex"
    assert record.survivor_before["title"] == "CTO" and record.survivor_before["labels"]["company"] == "Acme"
    assert record.chosen["title"] == "other" and record.chosen["email"] == "survivor"
    assert set(record.chosen) == {*MERGE_FIELDS, "custom_fields"}
    assert (record.survivor, record.actor) == (john, manager_mia)


def test_the_survivor_timeline_says_what_happened(pair, manager_mia):
    john, jon = pair
    jon_pk = jon.pk
    record = lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)
    activity = john.activities.order_by("-id").first()
    assert activity.summary == f"Merged with Jon Smith (#{jon_pk})"
    assert activity.data == {"merge": record.pk} and activity.actor == manager_mia


def test_the_pair_is_resolved_and_other_pairs_follow_the_survivor(pair, manager_mia):
    john, jon = pair
    jane, joan, jonny = LeadFactory(), LeadFactory(), LeadFactory()
    candidate_for(john, jon)
    moved_pair = candidate_for(jon, jane)  # becomes john ~ jane
    repeated = candidate_for(jon, joan)  # john ~ joan exists already: dropped
    candidate_for(john, joan, status="dismissed")
    candidate_for(jon, jonny, status="dismissed")  # a decision about the removed lead only: goes with it
    record = lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)
    pairs = {(c.lead_a_id, c.lead_b_id): c.status for c in DuplicateCandidate.objects.all()}
    assert pairs == {tuple(sorted([john.pk, jane.pk])): "open", tuple(sorted([john.pk, joan.pk])): "dismissed"}
    assert DuplicateCandidate.objects.get(pk=moved_pair.pk).lead_a_id == min(john.pk, jane.pk)
    assert not DuplicateCandidate.objects.filter(pk=repeated.pk).exists()
    assert record.moved["duplicate_candidates"] == 1


def test_earlier_merges_follow_the_person(pair, manager_mia):
    john, jon = pair
    earlier = lead_merge(survivor=jon, other=LeadFactory(first_name="J."), chosen={}, actor=manager_mia)
    record = lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)
    earlier.refresh_from_db()
    assert earlier.survivor == john and record.moved["merges"] == 1


def test_a_rep_merges_two_of_their_own_leads(rep_alice):
    first, second = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_alice)
    lead_merge(survivor=first, other=second, chosen={}, actor=rep_alice)
    assert list(Lead.objects.all()) == [first]


def test_a_rep_cannot_merge_another_reps_lead(rep_alice, rep_bob):
    mine, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob)
    with pytest.raises(PermissionDenied):
        lead_merge(survivor=mine, other=bobs, chosen={}, actor=rep_alice)
    with pytest.raises(PermissionDenied):
        lead_merge(survivor=bobs, other=mine, chosen={}, actor=rep_alice)
    assert Lead.objects.count() == 2 and not MergeRecord.objects.exists()


def test_a_viewer_cannot_merge_or_dismiss(pair, viewer_vic):
    john, jon = pair
    candidate = candidate_for(john, jon)
    with pytest.raises(PermissionDenied):
        lead_merge(survivor=john, other=jon, chosen={}, actor=viewer_vic)
    with pytest.raises(PermissionDenied):
        duplicate_dismiss(candidate=candidate, actor=viewer_vic)
    assert Lead.objects.count() == 2


def test_nonsense_choices_and_self_merges_are_refused(pair, manager_mia):
    john, jon = pair
    with pytest.raises(ValidationError):
        lead_merge(survivor=john, other=jon, chosen={"password": "other"}, actor=manager_mia)
    with pytest.raises(ValidationError):
        lead_merge(survivor=john, other=jon, chosen={"email": "both"}, actor=manager_mia)
    with pytest.raises(ValidationError):
        lead_merge(survivor=john, other=john, chosen={}, actor=manager_mia)
    assert Lead.objects.count() == 2


def test_a_lead_deleted_meanwhile_stops_the_merge(pair, manager_mia):
    john, jon = pair
    Lead.objects.filter(pk=jon.pk).delete()
    with pytest.raises(ValidationError, match="deleted or merged meanwhile"):
        lead_merge(survivor=john, other=jon, chosen={}, actor=manager_mia)


def test_dismissing_a_pair_records_who_and_is_done_once(pair, manager_mia):
    john, jon = pair
    candidate = candidate_for(john, jon)
    duplicate_dismiss(candidate=candidate, actor=manager_mia)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.resolved_by) == ("dismissed", manager_mia)
    with pytest.raises(ValidationError):
        duplicate_dismiss(candidate=candidate, actor=manager_mia)


def test_every_email_and_phone_of_both_leads_stays_on_the_survivor(manager_mia):
    survivor = LeadFactory(email="ada@engines.example", phone="+442079460958", other_emails=["ada@home.example"])
    other = LeadFactory(email="countess@lovelace.example", phone="", other_phones=["+442079460959"])
    lead_merge(survivor=survivor, other=other, chosen={"email": "other"}, actor=manager_mia)
    survivor.refresh_from_db()
    assert survivor.email == "countess@lovelace.example"
    assert survivor.other_emails == ["ada@engines.example", "ada@home.example"]
    assert (survivor.phone, survivor.other_phones) == ("+442079460958", ["+442079460959"])
