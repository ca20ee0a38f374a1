"""Who may call the API at all: signed-in team members with a role; read-only tokens only read. What each role may
do with each record is answered by the services and selectors the pages use (leadflow.roles)."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.request import Request

from leadflow.models import ApiToken
from leadflow.roles import role_of


class ApiAccess(permissions.BasePermission):
    message = "This token is read-only: it cannot change anything."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF answers 401
        if role_of(user) is None:
            self.message = "Your account has no role: ask an admin for one."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return not (isinstance(request.auth, ApiToken) and request.auth.read_only)
