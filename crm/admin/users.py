"""Users in the back office: creating accounts by email, and setting roles in bulk through the users service."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from crm.admin.base import ServiceErrorsAsMessages, bulk_form_action, counted
from crm.models import User
from crm.services.users import (
    user_password_set_in_back_office,
    user_role_stored,
    user_saved_in_back_office,
    user_set_role,
    users_delete,
)
from leadflow.audit import audit_stored
from leadflow.roles import ROLE_ORDER, Role, role_from_groups


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("Someone with this email already has an account.")
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        )


class PasswordSetForm(AdminPasswordChangeForm):
    """The admin's password form: Django's view saves it directly (no save_model), so the change is recorded here."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        user_password_set_in_back_office(user=user)
        return user


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(role.value, role.value) for role in ROLE_ORDER])


@admin.register(User)
class UserAdmin(ServiceErrorsAsMessages, BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    change_password_form = PasswordSetForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    actions = ["set_role"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # Groups are prefetched so the role column reads them without a query per row (role_of would query).
        return super().get_queryset(request).prefetch_related("groups")

    # The form saves the user, then its groups: what it was is read first, the event written once both are saved.

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        form.audit_before = (audit_stored(obj), user_role_stored(obj) if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before, role_before = form.audit_before
        user_saved_in_back_office(user=form.instance, before=before, role_before=role_before, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        users_delete(users=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users_delete(users=list(queryset), actor=request.user)

    @admin.display(description="role")
    def role(self, obj: User) -> str:
        role = role_from_groups(obj, {group.name for group in obj.groups.all()})
        return role.value if role else "—"

    @admin.action(description="Set role of selected users…", permissions=["change"])
    def set_role(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        def apply(users: list[User], data: dict) -> str:
            role = Role(data["role"])
            for user in users:
                user_set_role(user=user, role=role, actor=request.user)
            return f"{counted(len(users), 'user is', 'users are')} now {role.value}."

        return bulk_form_action(
            self, request, queryset, form_class=RoleForm, title="Set role", submit_label="Set role", apply=apply
        )
