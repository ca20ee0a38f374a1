"""The CRM's REST endpoints (leads, companies, lists, notes, tasks, stages, imports, scoring), joined to the one
router in leadflow.api.urls."""
