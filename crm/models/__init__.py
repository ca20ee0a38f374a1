"""The CRM's data, one module per subject; import models from here."""

from crm.models.activity import Activity, Note, Task
from crm.models.compliance import DoNotCallNumber, RetentionReport, SuppressedPerson
from crm.models.dedup import DuplicateCandidate, MergeRecord
from crm.models.importing import ImportChange, ImportJob, ImportRejection, SavedMapping
from crm.models.lists import LeadList, ListMembership
from crm.models.notifications import Notification
from crm.models.people import Company, Lead, Tag, User, UserManager
from crm.models.pipeline import Pipeline, Stage, StageChange, StageTotal
from crm.models.scoring import IdealCustomerProfile, ScoreSnapshot, ScoringSettings
from crm.models.site import SiteSettings
from crm.models.sync import CrmConnection, CrmLink, SyncChange, SyncRun
from crm.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "Activity",
    "Company",
    "CrmConnection",
    "CrmLink",
    "DoNotCallNumber",
    "DuplicateCandidate",
    "IdealCustomerProfile",
    "ImportChange",
    "ImportJob",
    "ImportRejection",
    "Lead",
    "LeadList",
    "ListMembership",
    "MergeRecord",
    "Note",
    "Notification",
    "Pipeline",
    "RetentionReport",
    "SavedMapping",
    "ScoreSnapshot",
    "ScoringSettings",
    "SiteSettings",
    "Stage",
    "StageChange",
    "StageTotal",
    "SuppressedPerson",
    "SyncChange",
    "SyncRun",
    "Tag",
    "Task",
    "User",
    "UserManager",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
