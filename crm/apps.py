from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from crm.setup import pipeline_ensure, roles_ensure

        post_migrate.connect(roles_ensure, sender=self)
        post_migrate.connect(pipeline_ensure, sender=self)
        from crm import login_history  # noqa: F401 (connects the receivers writing sign-ins to the audit log)
        from crm.webhooks import demo  # noqa: F401 (connects the demo's webhook receiver)
