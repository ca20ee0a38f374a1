"""Every API error as RFC 9457 problem details (application/problem+json): type, title, status, detail, instance,
and for invalid input an `errors` list of {"pointer", "detail"} (RFC 6901 JSON pointers into the request body or
the query's parameter names)."""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from crm.services.versions import StaleEdit

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Types are relative URIs under the API: stable names clients may branch on (RFC 9457 §3.1.1).
TYPE_BASE = "/api/problems/"


def problem(status_code: int, detail: str, *, instance: str, kind: str = "", errors: list | None = None) -> dict:
    """The problem document for a status: `kind` names the type ("validation"), else the status's own phrase."""
    title = HTTPStatus(status_code).phrase
    document = {
        "type": TYPE_BASE + (kind or title.lower().replace(" ", "-").replace("'", "")),
        "title": title,
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        document["errors"] = errors
    return document


def problem_response(request: HttpRequest, status_code: int, detail: str, **extra) -> JsonResponse:
    """A problem outside DRF (middleware): the same document as the exception handler writes."""
    return JsonResponse(
        problem(status_code, detail, instance=request.path, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def field_errors(detail: object, pointer: str = "") -> list[dict]:
    """DRF's nested error detail ({field: [..]}, [..] per item) as a flat list of {"pointer", "detail"}."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in field_errors(
                value, pointer if key in {"non_field_errors", "__all__"} else f"{pointer}/{_escape(key)}"
            )
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"pointer": pointer, "detail": str(item)} for item in detail]
        return [error for index, item in enumerate(detail) for error in field_errors(item, f"{pointer}/{index}")]
    return [{"pointer": pointer, "detail": str(detail)}]


def _django_validation_detail(exc: DjangoValidationError) -> object:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering problem details; services' Django errors become their HTTP statuses."""
    request = context["request"]
    if isinstance(exc, StaleEdit):
        # Someone changed the lead after the client read it: the client should read it again.
        exc = exceptions.APIException(" ".join(exc.messages))
        exc.status_code = status.HTTP_409_CONFLICT
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real fault: Django's 500 (logged)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        detail = "The request has invalid values: see errors." if errors else "The request is not valid."
        document = problem(exc.status_code, detail, instance=request.path, kind="validation", errors=errors)
    elif exc.status_code == status.HTTP_400_BAD_REQUEST:  # unreadable JSON or form data
        errors = field_errors(exc.detail)
        document = problem(400, str(exc.detail), instance=request.path, kind="malformed", errors=errors)
    else:
        parts = [exc.detail] if isinstance(exc.detail, str) else [e["detail"] for e in field_errors(exc.detail)]
        document = problem(exc.status_code, " ".join(str(part) for part in parts), instance=request.path)
    set_rollback()
    return Response(document, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
