"""Numbers and charts, read-only over every other app (its own issue)."""

from importlib import import_module

from django.apps import AppConfig

# Modules whose @report functions make the pages under /analytics/ (imported once the apps are ready).
REPORT_MODULES = [
    "analytics.headline",
    "analytics.funnel",
    "analytics.sources",
    "analytics.outreach",
    "analytics.enrichment",
    "analytics.reps",
]


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        for module in REPORT_MODULES:
            import_module(module)
        from analytics import demo, grains  # noqa: F401 (connects the demo receiver, registers the rollups)
