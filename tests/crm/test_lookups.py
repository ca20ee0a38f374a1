"""OneOf: a list of keys looked up in one parameter, and a few keys looked up with what the planner knows of them."""

import pytest
from django.db import connection
from django.db.models import F

from crm.lookups import FEW_VALUES, OneOf
from crm.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_leads_with_any_of_the_keys_few_or_many():
    ada = LeadFactory(phone="+442079460958")
    LeadFactory(phone="+442079460959")
    few = ["+442079460958", "+15550000000"]
    many = few + [f"+1555{number:07d}" for number in range(FEW_VALUES)]
    assert list(Lead.objects.filter(OneOf(F("phone"), few))) == [ada]
    assert list(Lead.objects.filter(OneOf(F("phone"), many))) == [ada]
    assert list(Lead.objects.filter(OneOf(F("phone"), []))) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_one_phone_among_leads_that_have_none_is_looked_up_in_the_index_not_the_whole_table():
    """A webhook's lead matched by phone in a CRM whose leads nearly all lack one (as LinkedIn exports are)."""
    LeadFactory(phone="+442079460958")
    Lead.objects.bulk_create(Lead(first_name=f"Lead {n}", stage_id=Lead.objects.get().stage_id) for n in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_lead")
    plan = Lead.objects.filter(OneOf(F("phone"), ["+442079460958"])).explain()
    assert "Index" in plan and "Seq Scan on crm_lead" not in plan, plan
