"""Provider accounts in the back office: admins only, the key never shown again once saved."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from enrichment.models import ProviderAccount
from leadflow.roles import is_admin


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
