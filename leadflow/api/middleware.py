"""What the API answers before (and around) DRF: bodies over the limit are refused before anything reads them,
and Django's own 404 and 405 pages under /api/ become problem details like every other API error."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from leadflow.api.problems import PROBLEM_CONTENT_TYPE, problem_response

API_PREFIX = "/api/"


def body_limit(request: HttpRequest) -> int:
    """The largest body this request may send: file uploads (imports) go by the import limit, the rest by the API's."""
    if request.content_type == "multipart/form-data":
        return max(settings.API_MAX_BODY_BYTES, settings.IMPORT_MAX_BYTES)
    return settings.API_MAX_BODY_BYTES


class ApiEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(request, 400, "The Content-Length header is not a number.")
        limit = body_limit(request)
        if length > limit:
            return problem_response(
                request, 413, f"The request body is {length} bytes; the limit is {limit} bytes.", kind="too-large"
            )
        response = self.get_response(request)
        if response.status_code in {404, 405} and not response.get("Content-Type", "").startswith(
            (PROBLEM_CONTENT_TYPE, "application/json")
        ):
            detail = "No such endpoint." if response.status_code == 404 else f"{request.method} is not allowed here."
            replaced = problem_response(request, response.status_code, detail)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response
