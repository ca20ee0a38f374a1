from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "enrichment"

    def ready(self) -> None:
        from enrichment import signals  # noqa: F401 (connects the merge receiver)
