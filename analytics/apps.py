from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        # Reports register themselves with @report when their module is imported.
        from analytics import enrichment, outreach, reps  # noqa: F401
