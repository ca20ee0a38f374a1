"""/api/v1/leads/: the leads table's filters and search with cursor pages, one lead, create, update, delete, bulk
create-or-update by email, and stage moves; every write through crm.services.leads."""

from __future__ import annotations

import copy

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import (
    BulkAnswerSerializer,
    BulkLeadsSerializer,
    LeadMoveSerializer,
    LeadSerializer,
    LeadWriteSerializer,
    StageChangeSerializer,
)
from crm.filters import LeadFilter
from crm.models import Lead, User
from crm.normalize import NormalizeError, email_normalize
from crm.selectors import lead_table_rows, leads_visible_to, leads_with_email
from crm.services.consent import lead_consent_withdraw, lead_lawful_basis_set
from crm.services.leads import lead_assign_owner, lead_create, lead_move_stage, lead_update, leads_delete
from crm.services.pipelines import pipeline_default
from crm.services.versions import StaleEdit
from leadflow.api.pagination import SortedCursorPagination
from leadflow.api.views import VisibleObjectMixin
from leadflow.roles import can_edit_lead, can_reassign


class ApiLeadFilter(LeadFilter):
    """The leads table's filters and search; the order is the paginator's (`sort`), as a cursor needs."""

    sort = None
    # The table offers the sources leads have as choices, read with a DISTINCT over every lead on each request;
    # a program names one: an unknown source simply matches nothing.
    source = django_filters.CharFilter(field_name="source", max_length=60)


class _ShallowFilterCopies(dict):
    """django-filter deep-copies every filter for each request (querysets, choices and all): 40 ms of a 100 ms
    budget for the lead list. Each request gets its own copy of each filter and of the options it changes
    (`extra`), which is all a filter changes on itself."""

    def __deepcopy__(self, memo: dict) -> dict:
        copies = {}
        for name, base in self.items():
            copies[name] = copy.copy(base)
            copies[name].extra = dict(base.extra)
            if base.method is not None:
                copies[name].method = base.method  # binds the method filter to the copy, not to the base
        return copies


ApiLeadFilter.base_filters = _ShallowFilterCopies(ApiLeadFilter.base_filters)


class LeadCursorPagination(SortedCursorPagination):
    sort_orders = {"updated": "updated_at", "created": "created_at", "name": "last_name"}
    default_sort = "-updated"


SORT_PARAMETER = OpenApiParameter(
    "sort",
    str,
    enum=[f"{sign}{name}" for name in LeadCursorPagination.sort_orders for sign in ("", "-")],
    description="Order of the pages (default -updated: most recently changed first).",
)


# The table's "Score from" takes any number, not only whole ones.
MIN_SCORE_PARAMETER = OpenApiParameter("min_score", float, description="Leads scored at least this.")


# Written through crm.services.consent, after the facts.
CONSENT_KEYS = frozenset({"lawful_basis", "lawful_basis_source", "consent_withdrawn"})


def _service_fields(data: dict) -> dict:
    """A validated write body as the lead services take it: tags as text; the stage, version and consent apart."""
    fields = {key: value for key, value in data.items() if key not in {"stage", "version", "tags", *CONSENT_KEYS}}
    if "tags" in data:
        fields["tags"] = ", ".join(data["tags"])
    return fields


def _lead_create(actor: User, data: dict) -> Lead:
    stage = data.get("stage") or pipeline_default().stages.first()
    fields = _service_fields(data)
    if "owner" in fields and not can_reassign(actor) and fields["owner"] not in (None, actor):
        raise PermissionDenied("Only managers and admins can give a new lead to someone else.")
    return _consent_apply(lead_create(actor=actor, stage=stage, **fields), actor, data)


def _consent_apply(lead: Lead, actor: User, data: dict) -> Lead:
    """The lawful basis (from "API" unless the body names its source) and a withdrawal of consent."""
    if "lawful_basis" in data:
        source = data.get("lawful_basis_source") or "API"
        lead = lead_lawful_basis_set(lead=lead, basis=data["lawful_basis"], source=source, actor=actor, channel="api")
    if data.get("consent_withdrawn"):
        lead = lead_consent_withdraw(lead=lead, actor=actor, via="API", channel="api")
    return lead


def _lead_update(lead: Lead, actor: User, data: dict) -> Lead:
    """Facts and tags, then the owner (managers), in one transaction; refused whole if `version` is stale."""
    fields = _service_fields(data)
    owner_given = "owner" in fields
    owner = fields.pop("owner", None)
    fields.pop("custom_fields", None)  # kept by imports and enrichment, not typed over the API
    lead = lead_update(lead=lead, actor=actor, seen_version=data.get("version"), **fields)
    if owner_given and owner != lead.owner:
        lead = lead_assign_owner(lead=lead, owner=owner, actor=actor)
    return _consent_apply(lead, actor, data)


class LeadViewSet(VisibleObjectMixin, viewsets.GenericViewSet):
    queryset = Lead.objects.none()  # for the schema; get_queryset says what the caller sees
    serializer_class = LeadSerializer
    pagination_class = LeadCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiLeadFilter
    not_found = "No such lead."

    def get_queryset(self):
        return lead_table_rows(leads_visible_to(self.request.user))

    def _answer(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        return Response(LeadSerializer(lead_table_rows(Lead.objects.filter(pk=lead.pk)).get()).data, status=code)

    @extend_schema(parameters=[SORT_PARAMETER, MIN_SCORE_PARAMETER])
    def list(self, request: Request) -> Response:
        """The leads you may see, filtered and searched as the leads table does."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(LeadSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(LeadSerializer(self.get_object()).data)

    @extend_schema(request=LeadWriteSerializer, responses={201: LeadSerializer})
    def create(self, request: Request) -> Response:
        """A new lead (a rep's is theirs); stage: the default pipeline's first unless given."""
        body = LeadWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            lead = _lead_create(request.user, body.validated_data)
        return self._answer(lead, status.HTTP_201_CREATED)

    @extend_schema(request=LeadWriteSerializer, responses={200: LeadSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change facts, tags or the owner; send `version` (from the lead you read) to refuse the change (409) if
        someone changed it since. Stages move through /move/."""
        lead = self.get_object()
        body = LeadWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "stage" in body.validated_data:
            raise PermissionDenied("Move a lead between stages with POST /api/v1/leads/{id}/move/.")
        with transaction.atomic():
            lead = _lead_update(lead, request.user, body.validated_data)
        return self._answer(lead)

    def destroy(self, request: Request, pk: str) -> Response:
        lead = self.get_object()
        if not leads_delete(leads=[lead], actor=request.user):
            raise PermissionDenied("You can only delete leads you own.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=BulkLeadsSerializer, responses={200: BulkAnswerSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Create leads, or update the lead you may see that has the same email (first by creation), all or none.
        A lead you cannot see is never matched, changed or mentioned: the row becomes a lead of your own."""
        body = BulkLeadsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results = []
        with transaction.atomic():
            for index, item in enumerate(body.validated_data["leads"]):
                results.append({"index": index, **_bulk_item(request.user, index, item, body.validated_data)})
        counts = {
            state: sum(1 for result in results if result["status"] == state)
            for state in ("created", "updated", "skipped")
        }
        return Response({**counts, "results": results})

    @extend_schema(request=LeadMoveSerializer, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        """Move the lead to another stage of its pipeline (a lost stage needs `lost_reason`)."""
        lead = self.get_object()
        body = LeadMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead_move_stage(
            lead=lead, stage=data["stage"], actor=request.user, seen_version=data.get("version"),
            lost_reason=data["lost_reason"],
        )  # fmt: skip
        return self._answer(lead)

    @extend_schema(responses={200: StageChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def moves(self, request: Request, pk: str) -> Response:
        """The lead's stage moves, newest first."""
        lead = self.get_object()
        moves = lead.stage_changes.select_related("actor")[:500]
        return Response(StageChangeSerializer(moves, many=True).data)


def _bulk_item(actor: User, index: int, item: dict, options: dict) -> dict:
    """Create or update one item of a bulk request; its problems point at the item (`/leads/3/email`)."""
    try:
        existing = None
        if item.get("email"):
            matches = leads_with_email(actor, email_normalize(item["email"]))
            existing = matches[0] if matches else None
        if existing is None:
            return {"status": "created", "id": _lead_create(actor, item).pk}
        if options["on_existing"] == "skip":
            return {"status": "skipped", "id": existing.pk}
        if not can_edit_lead(actor, existing):
            raise PermissionDenied(f"Item {index}: lead {existing.pk} has this email and is not yours to change.")
        item = {key: value for key, value in item.items() if key != "stage"}
        return {"status": "updated", "id": _lead_update(existing, actor, item).pk}
    except StaleEdit:
        raise
    except NormalizeError as exc:
        raise ValidationError({"leads": {index: {"email": [str(exc)]}}}) from exc
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError({"leads": {index: detail}}) from exc
    except ValidationError as exc:
        raise ValidationError({"leads": {index: exc.detail}}) from exc
