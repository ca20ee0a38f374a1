"""Every periodic job, as code; `manage.py sync_schedules` makes django-q2's Schedule rows match this."""

from django_q.models import Schedule

# name -> Schedule fields. Schedules that fell behind run once, not once per missed period (catch_up=False).
SCHEDULES: dict[str, dict] = {
    "clear expired sessions": {
        "func": "django.core.management.call_command",
        "args": ("clearsessions",),
        "schedule_type": Schedule.DAILY,
    },
    "find duplicate leads": {
        "func": "crm.dedup.duplicates_scan",
        "schedule_type": Schedule.DAILY,
    },
    "fold the board's stage totals": {
        "func": "crm.stage_totals.stage_totals_compact",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
    },
    "forget old enrichment answers": {
        "func": "enrichment.answers.answers_prune",
        "schedule_type": Schedule.DAILY,
    },
    "fetch email replies": {
        "func": "outreach.imap_poll.replies_fetch",
        "schedule_type": Schedule.MINUTES,
        "minutes": 2,
    },
    "run due capture campaigns": {
        "func": "scraping.runs.campaigns_run_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    "fetch and save ad-form leads": {
        "func": "scraping.ad_tasks.meta_sources_fetch_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    "erase contacts never engaged": {
        "func": "crm.privacy.retention.retention_scheduled",
        "schedule_type": Schedule.DAILY,
    },
    "forget old raw capture answers": {
        "func": "scraping.runs.runs_raw_forget",
        "schedule_type": Schedule.DAILY,
    },
    "save received ad-form leads": {
        "func": "scraping.deliveries.deliveries_save_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    "rescore every lead": {
        "func": "crm.rescoring.leads_rescore_all",
        "schedule_type": Schedule.DAILY,
    },
    # Overlapping ticks are harmless: each batch is claimed in its own transaction (outreach/scheduler.py).
    "send due sequence messages": {
        "func": "outreach.scheduler.sequences_send_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    # Overlapping ticks are harmless: each delivery is claimed with a conditional update (crm/webhooks/deliver.py).
    "send due webhook deliveries": {
        "func": "crm.webhooks.deliver.deliveries_send_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    # Daily, though the summary is weekly: each person gets each week's once, and a missed day is caught up.
    "send the weekly analytics summary": {
        "func": "analytics.summary.weekly_summaries_send",
        "schedule_type": Schedule.DAILY,
    },
    "expire old audit events": {
        "func": "leadflow.audit.audit_events_expire",
        "schedule_type": Schedule.DAILY,
    },
    # Past days' analytics figures into the rollup tables the reports read (analytics/rollup_job.py).
    "roll up analytics figures": {
        "func": "analytics.rollup_job.analytics_rollup_nightly",
        "schedule_type": Schedule.DAILY,
    },
    "forget old task results": {
        "func": "leadflow.maintenance.task_results_prune",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
    },
    "refresh database statistics": {
        "func": "leadflow.maintenance.database_optimize",
        "schedule_type": Schedule.DAILY,
    },
    # Off (it says so and does nothing) while BACKUP_DIR is empty.
    "back up the database and uploaded files": {
        "func": "leadflow.backups.services.backup_scheduled",
        "schedule_type": Schedule.DAILY,
    },
    "start due CRM syncs": {
        "func": "crm.sync.jobs.connections_sync_due",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
}

# Each kind of job's reconciler, every few minutes: it queues again the jobs whose worker died or whose task the
# Redis broker lost (a cluster killed with tasks taken, a Redis restarted without its data). Each task claims its
# job's lease first, so a job queued twice still runs once. `manage.py requeue_stalled_jobs` runs them all at once.
# The other kinds need none of their own: each of their schedules above picks up what is due, lost work included
# (sends and their stale claims, webhook deliveries, ad-form deliveries, due campaigns and CRM syncs, and the
# nightly rescore, rollup and duplicate scan, whose next run redoes a lost one whole).
RECONCILERS: dict[str, dict] = {
    "resume stalled imports": {"func": "crm.importing.jobs.imports_requeue_stalled", "minutes": 5},
    "resume stalled enrichment jobs": {"func": "enrichment.jobs.enrichment_jobs_requeue_stalled", "minutes": 5},
    "resume stalled draft jobs": {"func": "outreach.jobs.draft_jobs_requeue_stalled", "minutes": 5},
    "resume stalled analysis jobs": {"func": "enrichment.analysis_jobs.analysis_jobs_requeue_stalled", "minutes": 5},
    "resume analyses asked from a lead's page": {"func": "enrichment.analysis.analyses_requeue_stalled", "minutes": 5},
    "resume stalled capture runs": {"func": "scraping.runs.runs_requeue_stalled", "minutes": 5},
    "resume stalled CRM syncs": {"func": "crm.sync.jobs.sync_runs_requeue_stalled", "minutes": 5},
    "rescore leads a lost task left stale": {"func": "crm.rescoring.leads_stale_reconcile", "minutes": 10},
}
SCHEDULES |= {
    name: {"func": spec["func"], "schedule_type": Schedule.MINUTES, "minutes": spec["minutes"]}
    for name, spec in RECONCILERS.items()
}
