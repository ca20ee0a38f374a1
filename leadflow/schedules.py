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
    "resume stalled imports": {
        "func": "crm.importing.jobs.imports_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    "resume stalled enrichment jobs": {
        "func": "enrichment.jobs.enrichment_jobs_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    "resume stalled draft jobs": {
        "func": "outreach.jobs.draft_jobs_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    "resume stalled analysis jobs": {
        "func": "enrichment.analysis_jobs.analysis_jobs_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
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
    "resume stalled capture runs": {
        "func": "scraping.runs.runs_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    "rescore every lead": {
        "func": "crm.rescoring.leads_rescore_all",
        "schedule_type": Schedule.DAILY,
    },
    "rescore leads a lost task left stale": {
        "func": "crm.rescoring.leads_stale_reconcile",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
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
    "resume stalled CRM syncs": {
        "func": "crm.sync.jobs.sync_runs_requeue_stalled",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
}
