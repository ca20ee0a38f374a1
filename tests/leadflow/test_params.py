"""Odd ids and numbers in a request give 400 or 404, never a 500 (the probe's twelve cases, and the helper)."""

import pytest
from django.urls import reverse

from crm.models import LeadList
from leadflow.params import count_or, id_or_none, ids
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db

ODD = ["²", "abc", "99999999999999999999999", "-1", "0", "1.5", " 7"]


def test_only_plain_digits_within_range_are_ids():
    assert [id_or_none(value) for value in ODD] == [None] * len(ODD)
    assert id_or_none("42") == 42 and id_or_none(None) is None
    assert ids(["1", "²", "x", "3"]) == [1, 3]
    assert (count_or("0"), count_or("50"), count_or("²"), count_or("9" * 30, 5)) == (0, 50, 0, 5)


@pytest.mark.parametrize("value", ODD)
def test_odd_query_parameters_never_answer_500(client, admin_ada, value):
    client.force_login(admin_ada)
    stage = default_stage()
    for url in (
        f"{reverse('crm:leads')}?list={value}",
        f"{reverse('crm:board')}?pipeline={value}",
        f"{reverse('crm:board')}?owner={value}",
        f"{reverse('crm:board_cards', args=[stage.pk])}?offset={value}",
        f"{reverse('crm:settings_pipeline')}?pipeline={value}",
    ):
        assert client.get(url).status_code in {200, 400, 404}, url


@pytest.mark.parametrize("value", ODD)
def test_odd_posted_ids_never_answer_500(client, admin_ada, value):
    client.force_login(admin_ada)
    lead = LeadFactory()
    lead_list = LeadList.objects.create(name="Fair")
    posts = [
        (reverse("crm:lead_stage", args=[lead.pk]), {"stage": value}),
        (reverse("crm:lead_owner", args=[lead.pk]), {"owner": value}),
        (reverse("crm:list_remove_members", args=[lead_list.pk]), {"leads": value}),
        (reverse("crm:board_move"), {"lead": value, "stage": value, "from_stage": value}),
        (reverse("crm:board_move"), {"lead": lead.pk, "stage": lead.stage_id, "from_stage": value}),
        (reverse("crm:stages_reorder"), {"stage": value}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in {302, 400, 404, 409}, (url, data)
