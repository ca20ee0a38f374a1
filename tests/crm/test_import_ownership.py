"""An import changes only what its importer may change, reports every row it skips, keeps two people apart when
something says they differ, and its undo takes back every note and tag it added."""

import pytest
from django.urls import reverse

from crm.importing.undo import import_job_undo
from crm.models import Activity, DuplicateCandidate, ImportJob, ImportRejection, Lead, LeadList
from tests.crm.test_import_jobs import _csv, _import
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Job Title", "Tags", "Notes"]


def _bobs_lead() -> Lead:
    return LeadFactory(first_name="Bea", last_name="Kept", email="bea@kept.example", title="CFO", company=None)


@pytest.mark.parametrize("choice", ["skip", "fill", "overwrite"])
def test_a_reps_import_never_touches_another_reps_lead_nor_says_whose_it_is(tmp_path, rep_alice, rep_bob, choice):
    bobs = _bobs_lead()
    bobs.owner = rep_bob
    bobs.save()
    lead_list = LeadList.objects.create(name="Fair")
    rows = [["Bea", "Kept", "BEA@kept.example", "Impostor", "hijacked", "Call me"]]
    job = _import(rep_alice, _csv(tmp_path, rows, header=HEADER), on_duplicate=choice, lead_list=lead_list)

    bobs.refresh_from_db()
    assert (bobs.title, bobs.first_name, bobs.owner) == ("CFO", "Bea", rep_bob)
    assert not bobs.tags.exists() and not bobs.notes.exists() and not bobs.lists.exists()
    assert not bobs.activities.exists()
    assert (job.rows_imported, job.rows_updated, job.rows_skipped) == (0, 0, 1)
    skipped = job.rejections.get()
    assert skipped.kind == ImportRejection.Kind.SKIPPED and skipped.line == 2
    assert "belongs to someone else" in skipped.reason and "Bob" not in skipped.reason
    assert skipped.lead is None  # a lead Alice may not see is not linked
    assert Lead.objects.count() == 1


def test_a_rep_may_fill_their_own_lead_but_not_an_unassigned_one(tmp_path, rep_alice):
    own = LeadFactory(first_name="Ann", last_name="Own", email="ann@own.example", title="", owner=rep_alice)
    unassigned = LeadFactory(first_name="Una", last_name="Free", email="una@free.example", title="", owner=None)
    rows = [["Ann", "Own", "ann@own.example", "CEO", "", ""], ["Una", "Free", "una@free.example", "CTO", "", ""]]
    job = _import(rep_alice, _csv(tmp_path, rows, header=HEADER), on_duplicate="fill")
    own.refresh_from_db()
    unassigned.refresh_from_db()
    assert own.title == "CEO" and unassigned.title == ""
    skipped = job.rejections.get(kind=ImportRejection.Kind.SKIPPED)
    # Alice may see an unassigned lead, so it is linked; she may not change it.
    assert skipped.lead == unassigned and "belongs to someone else" in skipped.reason


def test_skipped_rows_are_listed_with_the_lead_they_matched_and_why(tmp_path, manager_mia, client):
    existing = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@engines.example", company=None)
    rows = [
        ["Ada", "Lovelace", "ada@engines.example", "", "", ""],
        ["Grace", "Hopper", "grace@navy.example", "", "", ""],
        ["Grace", "Hopper", "GRACE@navy.example", "", "", ""],
    ]
    job = _import(manager_mia, _csv(tmp_path, rows, header=HEADER), on_duplicate="skip")
    assert (job.rows_imported, job.rows_skipped) == (1, 2)
    skipped = {r.line: r for r in job.rejections.filter(kind=ImportRejection.Kind.SKIPPED)}
    assert skipped[2].lead == existing and "Already in the CRM (same email)" in skipped[2].reason
    grace = Lead.objects.get(first_name="Grace")
    assert skipped[4].lead == grace and "Same person as line 3" in skipped[4].reason
    client.force_login(manager_mia)
    page = client.get(reverse("crm:import", args=[job.pk])).content.decode()
    assert reverse("crm:lead", args=[existing.pk]) in page and "Already in the CRM" in page


def test_the_same_email_with_another_first_name_is_another_person_listed_as_a_possible_duplicate(tmp_path, manager_mia):
    john = LeadFactory(first_name="John", last_name="Smith", email="jsmith@acme.example", title="", company=None)
    rows = [
        ["Jane", "Smith", "jsmith@acme.example", "CFO", "", ""],
        ["Johnny", "Smith", "jsmith@acme.example", "CEO", "", ""],  # a nickname of John: the same man
    ]
    job = _import(manager_mia, _csv(tmp_path, rows, header=HEADER), on_duplicate="fill")
    assert (job.rows_imported, job.rows_updated) == (1, 1)
    jane = Lead.objects.get(first_name="Jane")
    john.refresh_from_db()
    assert john.title == "CEO" and jane.title == "CFO" and jane.email == "jsmith@acme.example"
    pair = DuplicateCandidate.objects.get()
    assert {pair.lead_a, pair.lead_b} == {john, jane} and "different first names" in pair.reason


def test_the_same_email_with_another_linkedin_profile_is_another_person(tmp_path, manager_mia):
    header = ["Name", "Email", "LinkedIn"]
    first = LeadFactory(
        first_name="Sam", last_name="Lee", email="sam@lee.example", linkedin_url="https://www.linkedin.com/in/sam-lee"
    )
    rows = [["Sam Lee", "sam@lee.example", "https://www.linkedin.com/in/sam-lee-42"]]
    _import(manager_mia, _csv(tmp_path, rows, header=header), on_duplicate="overwrite")
    assert Lead.objects.filter(email="sam@lee.example").count() == 2
    first.refresh_from_db()
    assert first.linkedin_url == "https://www.linkedin.com/in/sam-lee"
    assert "different LinkedIn profiles" in DuplicateCandidate.objects.get().reason


def test_imported_notes_are_on_the_timeline_and_undo_takes_back_notes_and_tags(tmp_path, manager_mia, client):
    existing = LeadFactory(first_name="Ada", last_name="Lovelace", email="ada@engines.example", company=None)
    existing.tags.create(name="vip")
    lead_list = LeadList.objects.create(name="Fair")
    rows = [
        ["Ada", "Lovelace", "ada@engines.example", "", "fair, vip", "Met at the fair"],
        ["Alan", "Turing", "alan@bletchley.example", "", "fair", "Wants a demo"],
    ]
    job = _import(manager_mia, _csv(tmp_path, rows, header=HEADER), on_duplicate="fill", lead_list=lead_list)
    assert sorted(existing.tags.values_list("name", flat=True)) == ["fair", "vip"]
    assert existing.notes.get().body == "Met at the fair" and existing.lists.get() == lead_list
    client.force_login(manager_mia)
    timeline = client.get(reverse("crm:lead", args=[existing.pk])).context["page"].activities
    assert any(line.kind == Activity.Kind.NOTE and line.note.body == "Met at the fair" for line in timeline)
    alan = Lead.objects.get(last_name="Turing")
    assert [n.body for n in alan.notes.all()] == ["Wants a demo"]

    report = import_job_undo(job=job, actor=manager_mia)
    assert report["removed"] == 1 and not Lead.objects.filter(pk=alan.pk).exists()
    existing.refresh_from_db()
    assert list(existing.tags.values_list("name", flat=True)) == ["vip"]  # the one it had before stays
    assert not existing.notes.exists() and not existing.lists.exists()
    assert not existing.activities.filter(kind=Activity.Kind.NOTE).exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE


def test_an_email_that_does_not_become_the_main_one_is_kept_among_the_leads_others(tmp_path, manager_mia, client):
    header = ["Name", "Email", "LinkedIn", "Phone"]
    existing = LeadFactory(
        first_name="Ada", last_name="Lovelace", email="ada@engines.example", phone="+442079460958",
        linkedin_url="https://www.linkedin.com/in/ada", company=None,
    )  # fmt: skip
    rows = [["Ada Lovelace", "countess@lovelace.example", "linkedin.com/in/ada", "+44 20 7946 0959"]]
    _import(manager_mia, _csv(tmp_path, rows, header=header), on_duplicate="fill")
    existing.refresh_from_db()
    assert existing.email == "ada@engines.example" and existing.other_emails == ["countess@lovelace.example"]
    assert existing.phone == "+442079460958" and existing.other_phones == ["+442079460959"]
    client.force_login(manager_mia)
    assert "countess@lovelace.example" in client.get(reverse("crm:lead", args=[existing.pk])).content.decode()
    found = client.get(reverse("crm:leads"), {"q": "countess@lovelace"}).context["page"].object_list
    assert [lead.pk for lead in found] == [existing.pk]
