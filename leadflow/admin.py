from django.contrib import admin
from django.http import HttpRequest

from leadflow.models import AiCall


@admin.register(AiCall)
class AiCallAdmin(admin.ModelAdmin):
    """Every question put to the model, with what it cost; written only by leadflow.ai, so only read here."""

    list_display = [
        "created_at",
        "purpose",
        "subject",
        "model",
        "status",
        "cached",
        "tokens_in",
        "tokens_out",
        "cost_usd",
    ]
    list_filter = ["status", "purpose", "cached", "model"]
    search_fields = ["subject", "failure"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AiCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
