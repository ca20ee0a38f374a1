"""What the back office's ModelAdmins share: service errors shown as messages, bulk actions with a small form,
read-only and admins-only permissions, and a few text helpers."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from import_export.forms import ImportForm

from crm.importing.reading import FileRefused
from crm.importing.reading.reader import size_text
from leadflow.roles import is_admin

BULK_ACTION_TEMPLATE = "admin/crm/bulk_action.html"


def error_text(error: PermissionDenied | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


def counted(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def tag_text(tags) -> str:
    return ", ".join(tag.name for tag in tags or [])


def adopt(obj, saved) -> None:
    """Give the admin's unsaved form instance the identity of the row a service created."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceErrorsAsMessages:
    """Turn a service's PermissionDenied or ValidationError on save into an error message, not a 403 or 500.

    The admin's change form runs in one transaction, so nothing the failed save started is kept.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (PermissionDenied, ValidationError) as error:
            if request.method != "POST":
                raise
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (PermissionDenied, ValidationError) as error:
            if request.method != "POST":
                raise
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class SizedImportForm(ImportForm):
    """The admin's import form, refusing a file over ADMIN_IMPORT_MAX_BYTES before django-import-export reads it
    into memory (chunk by chunk into one bytes object)."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.ADMIN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {size_text(upload.size, up=True)}; the limit is {size_text(limit, up=False)}."
            )
        return upload


class ImportWithinLimits:
    """The admin's import within the limits of leadflow/settings.py: a file over them (too large, too many rows or
    columns, a zip bomb, not a workbook) is refused with a message saying why, where django-import-export would
    only name the exception."""

    import_form_class = SizedImportForm

    def add_data_read_fail_error_to_form(self, form, e: Exception) -> None:
        if isinstance(e, FileRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)


class ServiceSavedRelated:
    """The services save a new row's tags themselves, so the form's many-to-many save is skipped on add."""

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        return None


class AdminsWriteOnly:
    """Pipelines and stages shape everyone's board, so only admins change them (as in crm.services.pipelines)."""

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user) and super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services (history, settings changed on their own page): these pages only read
    them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def bulk_form_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    submit_label: str,
    apply: Callable[[list, dict], str],
) -> HttpResponse | None:
    """An admin action with a small form: show it for the selected rows, then apply it on `apply`.

    Django's intermediate-page pattern: the page re-posts `action`, `select_across` and every
    `_selected_action` to the changelist, which calls the action again with the same queryset.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            try:
                # All or nothing, when an action calls a service once per row.
                with transaction.atomic():
                    message = apply(list(queryset), form.cleaned_data)
            except (PermissionDenied, ValidationError) as error:
                model_admin.message_user(request, error_text(error), messages.ERROR)
            else:
                model_admin.message_user(request, message, messages.SUCCESS)
            return None
    else:
        form = form_class()
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "form": form,
        "submit_label": submit_label,
        "count": queryset.count(),
        "preview": list(queryset[:10]),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, BULK_ACTION_TEMPLATE, context)
