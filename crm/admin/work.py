"""The work on a lead: its read-only activity timeline, and notes and tasks created through the work services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from crm.admin.base import (
    ReadOnlyAdmin,
    ServiceErrorsAsMessages,
    ServiceSavedRelated,
    adopt,
    counted,
    error_text,
    tag_text,
)
from crm.models import Activity, Note, Task
from crm.selectors import active_users
from crm.services.work import note_create, task_complete, task_create


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("summary", "kind", "lead", "actor", "created_at")
    list_select_related = ("lead", "actor")
    list_filter = ("kind", "actor")
    search_fields = ("summary", "lead__first_name", "lead__last_name", "lead__email")
    date_hierarchy = "created_at"


@admin.register(Note)
class NoteAdmin(ServiceErrorsAsMessages, ServiceSavedRelated, admin.ModelAdmin):
    list_display = ("__str__", "lead", "author", "created_at")
    list_select_related = ("lead", "author")
    list_filter = ("tags", "author")
    search_fields = ("body", "lead__first_name", "lead__last_name", "lead__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("lead", "tags")
    fields = ("lead", "body", "tags", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def save_model(self, request: HttpRequest, obj: Note, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        note = note_create(
            lead=obj.lead, actor=request.user, body=obj.body, tags=tag_text(form.cleaned_data.get("tags"))
        )
        adopt(obj, note)


@admin.register(Task)
class TaskAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ("title", "lead", "kind", "assignee", "due_at", "done", "overdue")
    list_select_related = ("lead", "assignee")
    list_filter = ("done", "kind", "assignee")
    search_fields = ("title", "lead__first_name", "lead__last_name", "lead__email")
    date_hierarchy = "due_at"
    autocomplete_fields = ("lead",)
    fields = ("lead", "kind", "title", "due_at", "assignee", "done", "done_at", "created_by", "created_at")
    # Completing a task is the "Mark done" action, so it lands on the lead's timeline.
    readonly_fields = ("done", "done_at", "created_by", "created_at")
    actions = ["mark_done"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description="overdue")
    def overdue(self, obj: Task) -> bool:
        return obj.is_overdue

    def save_model(self, request: HttpRequest, obj: Task, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        task = task_create(
            lead=obj.lead, actor=request.user, title=obj.title, kind=obj.kind, due_at=obj.due_at, assignee=obj.assignee
        )
        adopt(obj, task)

    @admin.action(description="Mark selected tasks done", permissions=["change"])
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        done = 0
        for task in queryset.filter(done=False):
            try:
                task_complete(task=task, actor=request.user)
            except PermissionDenied as error:
                self.message_user(request, f"{task}: {error_text(error)}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{counted(done, 'task', 'tasks')} marked done.", messages.SUCCESS)
