"""A burst of triggers queues one run of a task until that run starts: leads marked for rescoring by webhook after
webhook each used to queue a task of their own (Meta notifications: tests/scraping/test_meta_hooks.py). Queued here
on django-q2's real ORM broker."""

from __future__ import annotations

import pytest

from crm.models import Lead
from crm.rescoring import leads_rescore, leads_rescore_stale
from crm.services.stale import RESCORE_TASK, leads_mark_stale
from leadflow.queue_once import queue_once, queued_run_started
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SAVE = "scraping.deliveries.deliveries_save"


def test_triggers_queue_one_run_until_it_starts_then_a_new_one(broker_queued):
    queued = [queue_once(RESCORE_TASK, group="scoring") for _ in range(5)]
    assert queued == [True, False, False, False, False]
    assert broker_queued() == [RESCORE_TASK]
    queued_run_started(RESCORE_TASK)
    assert queue_once(RESCORE_TASK, group="scoring") is True
    assert broker_queued() == [RESCORE_TASK, RESCORE_TASK]


def test_the_work_named_keeps_runs_for_other_work_apart(broker_queued):
    assert queue_once(SAVE, 1, work=1)
    assert queue_once(SAVE, 2, work=2)
    assert not queue_once(SAVE, 1, work=1)
    assert broker_queued() == [SAVE, SAVE]


@pytest.mark.django_db(transaction=True)
def test_leads_marked_one_by_one_queue_one_rescore_which_scores_them_all(broker_queued):
    leads = LeadFactory.create_batch(10)
    leads_rescore()
    for lead in leads:  # ten webhooks, each marking its lead in a transaction of its own
        leads_mark_stale([lead.pk])
    assert broker_queued() == [RESCORE_TASK]
    # The worker takes the one run: it scores every lead marked before it started.
    assert leads_rescore_stale().startswith("10 scored")
    assert not Lead.objects.filter(score_stale=True).exists()
    leads_mark_stale([leads[0].pk])
    assert broker_queued() == [RESCORE_TASK, RESCORE_TASK]
