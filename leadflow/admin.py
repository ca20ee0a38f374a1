from django.contrib import admin

from leadflow.models import AiCall


@admin.register(AiCall)
class AiCallAdmin(admin.ModelAdmin):
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
    readonly_fields = [field.name for field in AiCall._meta.fields]
