"""Provider accounts in the back office: admins only, the key never shown again once saved, and a button that asks
the provider whether the saved key works."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from crm.admin.base import ReadOnlyAdmin
from enrichment.config import provider_account_save, provider_accounts_delete
from enrichment.models import AnalysisJob, EnrichmentJob, FieldSource, LeadAnalysis, ProviderAccount
from enrichment.providers.base import ProviderFailed
from enrichment.providers.hunter import hunter_test_connection
from leadflow.roles import is_admin

# Each provider's "test connection": a function of the key that returns a sentence or raises ProviderFailed.
CONNECTION_TESTS = {ProviderAccount.Provider.HUNTER: hunter_test_connection}
# The setting whose key, when set, is used instead of the saved one.
ENVIRONMENT_KEYS = {ProviderAccount.Provider.HUNTER: "HUNTER_API_KEY"}


class ProviderAccountForm(forms.ModelForm):
    """The key is typed, never shown back: left empty, the saved key stays."""

    api_key = forms.CharField(
        label="API key", required=False, strip=True, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    class Meta:
        model = ProviderAccount
        fields = ("provider", "api_key", "enabled")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.api_key_masked
        self.fields["api_key"].help_text = (
            f"Saved: {saved}. Leave empty to keep it." if saved else "Stored encrypted; shown masked once saved."
        )

    def clean_api_key(self) -> str:
        return self.cleaned_data["api_key"] or self.instance.api_key


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ("provider", "api_key_masked", "enabled", "updated_at")
    change_form_template = "admin/enrichment/provideraccount/change_form.html"

    def get_urls(self):
        test_connection = self.admin_site.admin_view(require_POST(self.test_connection_view))
        return [
            path("<int:object_id>/test-connection/", test_connection, name="enrichment_provideraccount_test"),
            *super().get_urls(),
        ]

    def test_connection_view(self, request: HttpRequest, object_id: int) -> HttpResponseRedirect:
        """Ask the provider with the saved key and say what it answered, as a message on the change page."""
        account = get_object_or_404(ProviderAccount, pk=object_id)
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        connection_test = CONNECTION_TESTS.get(account.provider)
        if connection_test is None:
            raise Http404("This provider has no connection test.")
        try:
            sentence = connection_test(account.api_key)
        except ProviderFailed as exc:
            messages.error(request, f"{account}: {exc}")
        else:
            messages.success(request, f"{account}: {sentence}")
        if getattr(settings, ENVIRONMENT_KEYS.get(account.provider, ""), ""):
            messages.warning(
                request,
                f"{ENVIRONMENT_KEYS[account.provider]} is set in the environment: jobs use that key, not this one.",
            )
        return HttpResponseRedirect(reverse("admin:enrichment_provideraccount_change", args=[account.pk]))

    def save_model(self, request: HttpRequest, obj: ProviderAccount, form, change: bool) -> None:
        provider_account_save(account=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: ProviderAccount) -> None:
        provider_accounts_delete(accounts=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        provider_accounts_delete(accounts=list(queryset), actor=request.user)

    # API keys spend the company's money: only admins see or change them.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user)


@admin.register(EnrichmentJob)
class EnrichmentJobAdmin(ReadOnlyAdmin):
    """Job history; jobs are started, watched and cancelled on the Enrichment pages."""

    list_display = ("pk", "description", "created_by", "status", "progress_done", "progress_total", "credits_used")
    list_filter = ("status",)
    search_fields = ("description",)
    date_hierarchy = "created_at"


@admin.register(FieldSource)
class FieldSourceAdmin(ReadOnlyAdmin):
    """Where each value of each lead came from."""

    list_display = ("lead", "field", "value", "source", "confidence", "status", "applied", "found_at")
    list_filter = ("source", "field", "status", "applied")
    search_fields = ("value", "lead__email", "lead__last_name")
    list_select_related = ("lead",)
    raw_id_fields = ("lead", "answer", "job")


@admin.register(AnalysisJob)
class AnalysisJobAdmin(ReadOnlyAdmin):
    """AI analysis jobs; started, watched and cancelled on the analysis pages."""

    list_display = ("pk", "description", "created_by", "status", "progress_done", "progress_total", "failed_count")
    list_filter = ("status",)
    search_fields = ("description",)
    date_hierarchy = "created_at"


@admin.register(LeadAnalysis)
class LeadAnalysisAdmin(ReadOnlyAdmin):
    list_display = ("pk", "lead", "status", "source", "fit", "urgency", "authority", "model", "cost_usd", "created_at")
    list_filter = ("status", "source", "urgency", "authority")
    search_fields = ("summary", "failure")
    raw_id_fields = ("lead", "job", "ai_call")
    date_hierarchy = "created_at"
