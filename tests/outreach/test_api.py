"""/api/v1/ sequences (enroll), enrollments (pause, resume), messages and conversations (read), with the one
visibility rule."""

from outreach.conversations import conversation_open
from outreach.models import Enrollment
from tests.factories import EnrollmentFactory, LeadFactory, MessageFactory, SequenceFactory, SequenceStepFactory


def test_enroll_takes_the_leads_the_caller_may_change(api_as, rep_alice, rep_bob):
    sequence = SequenceFactory()
    SequenceStepFactory(sequence=sequence)
    mine, bobs, no_email = (
        LeadFactory(owner=rep_alice),
        LeadFactory(owner=rep_bob),
        LeadFactory(owner=rep_alice, email=""),
    )
    body = {"lead_ids": [mine.pk, bobs.pk, no_email.pk]}
    answer = api_as(rep_alice).post(f"/api/v1/sequences/{sequence.pk}/enroll/", body, format="json").json()
    assert answer == {"enrolled": 1, "skipped": {"no_email": 1}}  # Bob's lead is not even counted
    assert list(Enrollment.objects.values_list("lead_id", flat=True)) == [mine.pk]


def test_an_enrollment_is_paused_and_resumed_by_who_may_change_the_lead(api_as, rep_alice, rep_bob):
    enrollment = EnrollmentFactory(lead=LeadFactory(owner=rep_alice))
    assert api_as(rep_bob).post(f"/api/v1/enrollments/{enrollment.pk}/pause/").status_code == 404
    assert api_as(rep_alice).post(f"/api/v1/enrollments/{enrollment.pk}/pause/").json()["status"] == "paused"
    assert api_as(rep_alice).post(f"/api/v1/enrollments/{enrollment.pk}/resume/").json()["status"] == "active"


def test_messages_and_conversations_are_read_on_visible_leads_only(api_as, rep_alice, rep_bob, manager_mia):
    mine, bobs = LeadFactory(owner=rep_alice), LeadFactory(owner=rep_bob)
    message = MessageFactory(enrollment=EnrollmentFactory(lead=mine))
    MessageFactory(enrollment=EnrollmentFactory(lead=bobs))
    conversation = conversation_open(mine, "email", peer=mine.email, subject="Hello")
    hidden = conversation_open(bobs, "email", peer=bobs.email, subject="Hi")
    client = api_as(rep_alice)
    assert [row["id"] for row in client.get("/api/v1/messages/").json()["results"]] == [message.pk]
    assert [row["id"] for row in client.get("/api/v1/conversations/").json()["results"]] == [conversation.pk]
    assert client.get(f"/api/v1/conversations/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/v1/conversations/{conversation.pk}/").json()["messages"] == []
    assert len(api_as(manager_mia).get("/api/v1/messages/").json()["results"]) == 2
    assert client.get("/api/v1/sequences/").status_code == 200
