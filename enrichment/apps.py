from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "enrichment"

    def ready(self) -> None:
        from enrichment import demo, signals  # noqa: F401 (connect the demo and merge receivers)
