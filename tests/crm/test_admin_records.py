"""Import and merge records in the back office: listed for admins, written only by their services."""

import pytest
from django.urls import reverse

from crm.models import DuplicateCandidate, ImportJob, MergeRecord, SavedMapping
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

READ_ONLY = ["importjob", "importrejection", "importchange", "duplicatecandidate", "mergerecord"]


@pytest.mark.parametrize("model", [*READ_ONLY, "savedmapping"])
def test_it_lists_every_record_for_an_admin(client, admin_ada, model):
    job = ImportJob.objects.create(original_name="fair.csv", created_by=admin_ada)
    job.rejections.create(line=3, reason="No email, phone, LinkedIn URL, or name with company", values=["x"])
    first, second = LeadFactory(), LeadFactory()
    job.changes.create(lead=first, before={"title": ""}, after={"title": "CTO"})
    DuplicateCandidate.objects.create(lead_a=first, lead_b=second, score=100, reason="Same email")
    MergeRecord.objects.create(survivor=first, merged_lead_id=999, actor=admin_ada)
    SavedMapping.objects.create(name="Apollo", columns={"Email": "email"}, created_by=admin_ada)
    client.force_login(admin_ada)
    response = client.get(reverse(f"admin:crm_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("model", READ_ONLY)
def test_records_cannot_be_added_by_hand(client, admin_ada, model):
    client.force_login(admin_ada)
    assert client.get(reverse(f"admin:crm_{model}_add")).status_code == 403
