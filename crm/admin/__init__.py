"""The back office: every CRM model in the Django admin, with writes to leads, lists, notes and tasks going
through the services so the admin leaves the same timeline as the app.

One module per subject; importing them here registers every ModelAdmin when Django autodiscovers `crm.admin`.
"""

from crm.admin import leads, lists, pipelines, records, scoring, site, sync, users, webhooks, work

__all__ = ["leads", "lists", "pipelines", "records", "scoring", "site", "sync", "users", "webhooks", "work"]
