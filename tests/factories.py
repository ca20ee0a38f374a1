"""factory_boy factories for CRM data."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from crm.models import Company, Lead, LeadList, Note, Task, User
from crm.services.pipelines import pipeline_default
from outreach.models import Enrollment, Mailbox, Message, Sequence, SequenceStep


def default_stage(position: int = 0):
    return pipeline_default().stages.all()[position]


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    industry = "Software"


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = factory.Faker("job")
    email = factory.Sequence(lambda n: f"lead{n}@prospect.example")
    company = factory.SubFactory(CompanyFactory)
    stage = factory.LazyFunction(default_stage)
    source = "manual"


class LeadListFactory(DjangoModelFactory):
    class Meta:
        model = LeadList

    name = factory.Sequence(lambda n: f"List {n}")


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    lead = factory.SubFactory(LeadFactory)
    body = factory.Faker("sentence")


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    lead = factory.SubFactory(LeadFactory)
    title = factory.Faker("sentence", nb_words=4)


class MailboxFactory(DjangoModelFactory):
    class Meta:
        model = Mailbox

    name = "Sam Seller"
    address = factory.Sequence(lambda n: f"sales{n}@acme.example")
    postal_address = "Acme Ltd, 1 Harbour Street, Leith EH6 6QT, UK"


class SequenceFactory(DjangoModelFactory):
    class Meta:
        model = Sequence

    name = factory.Sequence(lambda n: f"Sequence {n}")
    mailbox = factory.SubFactory(MailboxFactory)
    status = Sequence.Status.ACTIVE


class SequenceStepFactory(DjangoModelFactory):
    class Meta:
        model = SequenceStep

    sequence = factory.SubFactory(SequenceFactory)
    position = factory.Sequence(lambda n: n + 1)


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrollment

    sequence = factory.SubFactory(SequenceFactory)
    lead = factory.SubFactory(LeadFactory)


class MessageFactory(DjangoModelFactory):
    """A message sent a day ago to an enrolled lead, at its first step."""

    class Meta:
        model = Message

    enrollment = factory.SubFactory(EnrollmentFactory)
    step = factory.LazyAttribute(lambda message: SequenceStepFactory(sequence=message.enrollment.sequence))
    lead = factory.LazyAttribute(lambda message: message.enrollment.lead)
    mailbox = factory.LazyAttribute(lambda message: message.enrollment.sequence.mailbox)
    to_email = factory.LazyAttribute(lambda message: message.lead.email)
    subject = "Quick question"
    body = "Hi, a short note."
    status = Message.Status.SENT
    message_id = factory.Sequence(lambda n: f"<{n}.sequence@acme.example>")
    sent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
