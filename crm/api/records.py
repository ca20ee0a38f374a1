"""/api/v1/ companies, lists and their members, notes, tasks and stages: reads through crm.selectors' visibility,
writes through crm.services."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.imports import ImportJobSerializer, ImportUploadSerializer, import_upload
from crm.api.leads import LeadCursorPagination
from crm.api.serializers import (
    CompanySerializer,
    CountSerializer,
    LeadIdsSerializer,
    LeadListSerializer,
    LeadSerializer,
    NoteSerializer,
    StageSerializer,
    TaskSerializer,
)
from crm.models import Company, Lead, LeadList, Note, Stage, Task, User
from crm.selectors import lead_table_rows, leads_visible_to, lists_with_counts
from crm.services.lists import list_add_leads, list_create, list_remove_leads, list_set_archived, list_update
from crm.services.work import note_create, task_complete, task_create
from leadflow.api.views import VisibleObjectMixin
from leadflow.params import id_or_none
from leadflow.roles import sees_all_leads


def id_param(request: Request, name: str) -> int | None:
    """An id filter from the query: absent is None, anything but a valid id is a 400 naming the parameter."""
    value = request.query_params.get(name)
    if value is None:
        return None
    number = id_or_none(value)
    if number is None:
        raise ValidationError({name: ["Not a valid id."]})
    return number


def visible_lead(user: User, pk: int, field: str = "lead") -> Lead:
    """A lead named in a body among those the user may see; any other id reads as missing (reveals nothing)."""
    lead = leads_visible_to(user).select_related("owner").filter(pk=pk).first()
    if lead is None:
        raise ValidationError({field: ["No such lead."]})
    return lead


def visible_leads(user: User, ids: list[int]) -> list[Lead]:
    """The leads among these ids that the user may see (the others are left out silently, as pages do)."""
    return list(leads_visible_to(user).filter(pk__in=ids))


def _on_visible_leads(rows: QuerySet, user: User) -> QuerySet:
    """Rows hanging off a lead, limited to the leads the user may see (EXISTS: checks only the rows asked for)."""
    if sees_all_leads(user):
        return rows.filter(lead__isnull=False)
    return rows.filter(Exists(leads_visible_to(user).filter(pk=OuterRef("lead_id"))))


def bool_param(request: Request, name: str) -> bool | None:
    """A true/false filter from the query: absent is None, anything but true or false is a 400."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in {"true", "false"}:
        raise ValidationError({name: ["Either true or false."]})
    return value == "true"


LEAD_PARAMETER = OpenApiParameter("lead", int, description="Only those of this lead.")


class CompanyViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    """Companies (shared by the whole team)."""

    serializer_class = CompanySerializer
    not_found = "No such company."

    def get_queryset(self):
        return Company.objects.all()

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Part of the name or domain.")])
    def list(self, request: Request) -> Response:
        companies = self.get_queryset()
        if query := request.query_params.get("q", "").strip()[:200]:
            companies = companies.filter(Q(name__icontains=query) | Q(domain__icontains=query))
        page = self.paginate_queryset(companies)
        return self.get_paginated_response(CompanySerializer(page, many=True).data)


class LeadListViewSet(
    VisibleObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Lead lists: everyone may use any list; their creator, managers and admins change them."""

    serializer_class = LeadListSerializer
    not_found = "No such list."

    def get_queryset(self):
        archived = self.action != "list" or bool(bool_param(self.request, "archived"))
        return lists_with_counts(include_archived=archived)

    def _answer(self, lead_list: LeadList, code: int = status.HTTP_200_OK) -> Response:
        return Response(LeadListSerializer(lists_with_counts(True).get(pk=lead_list.pk)).data, status=code)

    @extend_schema(parameters=[OpenApiParameter("archived", bool, description="Include archived lists.")])
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(responses={201: LeadListSerializer})
    def create(self, request: Request) -> Response:
        body = LeadListSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead_list = list_create(
            actor=request.user, name=data["name"], description=data.get("description", ""),
            folder=data.get("folder", ""), tags=", ".join(data.get("tags", [])),
        )  # fmt: skip
        return self._answer(lead_list, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        lead_list = self.get_object()
        body = LeadListSerializer(lead_list, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        current_tags = [tag.name for tag in lead_list.tags.all()]
        list_update(
            lead_list=lead_list, actor=request.user, name=data.get("name", lead_list.name),
            description=data.get("description", lead_list.description), folder=data.get("folder", lead_list.folder),
            tags=", ".join(data.get("tags", current_tags)),
        )  # fmt: skip
        return self._answer(lead_list)

    @extend_schema(request=None, responses={200: LeadListSerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str) -> Response:
        return self._answer(list_set_archived(lead_list=self.get_object(), actor=request.user, archived=True))

    @extend_schema(request=None, responses={200: LeadListSerializer})
    @action(detail=True, methods=["post"])
    def unarchive(self, request: Request, pk: str) -> Response:
        return self._answer(list_set_archived(lead_list=self.get_object(), actor=request.user, archived=False))

    @extend_schema(responses={200: LeadSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=LeadCursorPagination)
    def members(self, request: Request, pk: str) -> Response:
        """The list's leads that you may see."""
        lead_list = self.get_object()
        leads = lead_table_rows(leads_visible_to(request.user).filter(memberships__lead_list=lead_list))
        page = self.paginate_queryset(leads)
        return self.get_paginated_response(LeadSerializer(page, many=True).data)

    @extend_schema(request=LeadIdsSerializer, responses={200: CountSerializer})
    @action(detail=True, methods=["post"], url_path="members/add")
    def members_add(self, request: Request, pk: str) -> Response:
        """Add leads you may change (others are left out); answers how many were added."""
        lead_list = self.get_object()
        body = LeadIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leads = visible_leads(request.user, body.validated_data["lead_ids"])
        return Response({"count": list_add_leads(lead_list=lead_list, leads=leads, actor=request.user)})

    @extend_schema(request=LeadIdsSerializer, responses={200: CountSerializer})
    @action(detail=True, methods=["post"], url_path="members/remove")
    def members_remove(self, request: Request, pk: str) -> Response:
        """Take leads you may change out of the list; answers how many were removed."""
        lead_list = self.get_object()
        body = LeadIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leads = visible_leads(request.user, body.validated_data["lead_ids"])
        return Response({"count": list_remove_leads(lead_list=lead_list, leads=leads, actor=request.user)})

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request, pk: str) -> Response:
        """Import a file into this list (as POST /api/v1/imports/, every lead also added to the list)."""
        lead_list = self.get_object()
        return Response(ImportJobSerializer(import_upload(request, lead_list)).data, status=status.HTTP_202_ACCEPTED)


class NoteViewSet(VisibleObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Notes on the leads you may see; you write them on the leads you may change."""

    serializer_class = NoteSerializer
    not_found = "No such note."

    def get_queryset(self):
        notes = _on_visible_leads(Note.objects.select_related("author").prefetch_related("tags"), self.request.user)
        lead_id = id_param(self.request, "lead") if self.action == "list" else None
        return notes.filter(lead_id=lead_id) if lead_id else notes

    @extend_schema(parameters=[LEAD_PARAMETER])
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(responses={201: NoteSerializer})
    def create(self, request: Request) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = visible_lead(request.user, data["lead_id"])
        note = note_create(lead=lead, actor=request.user, body=data["body"], tags=", ".join(data.get("tags", [])))
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class TaskViewSet(VisibleObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks on the leads you may see."""

    serializer_class = TaskSerializer
    not_found = "No such task."

    def get_queryset(self):
        tasks = _on_visible_leads(Task.objects.all(), self.request.user)
        if self.action != "list":
            return tasks
        if lead_id := id_param(self.request, "lead"):
            tasks = tasks.filter(lead_id=lead_id)
        if bool_param(self.request, "mine"):
            tasks = tasks.filter(assignee=self.request.user)
        done = bool_param(self.request, "done")
        if done is not None:
            tasks = tasks.filter(done=done)
        return tasks

    @extend_schema(
        parameters=[
            LEAD_PARAMETER,
            OpenApiParameter("mine", bool, description="Only tasks given to you."),
            OpenApiParameter("done", bool, description="Only done (true) or open (false) tasks."),
        ]
    )
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        body = TaskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = task_create(
            lead=visible_lead(request.user, data["lead_id"]), actor=request.user, title=data["title"],
            kind=data.get("kind", Task.Kind.FOLLOW_UP), due_at=data.get("due_at"), assignee=data.get("assignee"),
        )  # fmt: skip
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Mark the task done (its assignee, or whoever may change the lead)."""
        return Response(TaskSerializer(task_complete(task=self.get_object(), actor=request.user)).data)


class StageViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    """Every pipeline's stages, in order (admins edit them on the Settings page)."""

    serializer_class = StageSerializer
    pagination_class = None
    not_found = "No such stage."

    def get_queryset(self):
        return Stage.objects.select_related("pipeline")

    def list(self, request: Request) -> Response:
        stages = self.get_queryset().order_by("pipeline_id", "position", "id")
        return Response(StageSerializer(stages, many=True).data)
