from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "enrichment"

    def ready(self) -> None:
        from enrichment import demo, privacy, signals  # noqa: F401 (connect the demo, merge and privacy receivers)
