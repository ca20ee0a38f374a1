"""factory_boy factories for CRM data."""

import factory
from factory.django import DjangoModelFactory

from crm.models import Company, Lead, LeadList, Note, Task, User
from crm.services.pipelines import pipeline_default


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
