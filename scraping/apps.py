from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"

    def ready(self) -> None:
        from scraping import demo, privacy  # noqa: F401 (connects the demo and privacy receivers)
