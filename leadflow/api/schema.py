"""The OpenAPI description of what every endpoint may answer besides success: problem details for each error
status, and the Bearer token scheme, so clients and schemathesis can check answers against it."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from leadflow.api.problems import PROBLEM_CONTENT_TYPE


class FieldProblemSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON pointer to the value (`/items/2/email`); empty: the whole body.")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = FieldProblemSerializer(many=True, required=False, help_text="Each invalid value (400 only).")


# Answers any endpoint may give: the request's own fault, no or a bad token, a role or scope that may not, no such
# record (or one the caller may not see), an Accept it cannot meet, too many requests.
COMMON_PROBLEMS = {
    "400": "Invalid parameters or body (problem details with `errors`).",
    "401": "No token, or one that is invalid, expired or revoked.",
    "403": "The role or the token's scope does not allow this.",
    "404": "No such record, or one the caller may not see.",
    "406": "The Accept header asks for something other than JSON.",
    "429": "Too many requests for this token; see Retry-After.",
}
BODY_PROBLEMS = {
    "409": "The record changed since the `version` sent.",
    "413": "The body is larger than the configured limit.",
    "415": "The body is not in a supported media type.",
}


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ref = self.resolve_serializer(ProblemSerializer, "response").ref
        problems = dict(COMMON_PROBLEMS)
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            problems |= BODY_PROBLEMS
        for code, description in problems.items():
            responses.setdefault(code, {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}}})
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "leadflow.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (Settings > My settings > API tokens, or `manage.py api_token`).",
        }
