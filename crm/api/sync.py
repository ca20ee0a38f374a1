"""/api/v1/sync-runs/: CRM sync runs, read and started by admins and managers (as Settings → CRM sync allows)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import ReadSerializer
from crm.models import CrmConnection, SyncRun
from crm.sync.jobs import sync_run_start
from leadflow.api.views import VisibleObjectMixin
from leadflow.roles import can_reassign


class ManagesCrmSync(permissions.BasePermission):
    message = "Only admins and managers can see and start CRM syncs."

    def has_permission(self, request: Request, view) -> bool:
        return can_reassign(request.user)


class SyncRunSerializer(ReadSerializer):
    connection_name = serializers.CharField(source="connection.name", read_only=True)
    crm = serializers.CharField(source="connection.kind", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id", "connection", "connection_name", "crm", "direction", "trigger", "status", "created", "updated",
            "pulled", "skipped", "conflicts", "errors", "error", "progress_done", "progress_total", "created_at",
            "started_at", "finished_at",
        ]  # fmt: skip


class SyncRunStartSerializer(serializers.Serializer):
    connection = serializers.PrimaryKeyRelatedField(queryset=CrmConnection.objects.all())
    direction = serializers.ChoiceField(
        choices=CrmConnection.Direction.choices, required=False, help_text="Empty: the connection's own direction."
    )


class SyncRunViewSet(VisibleObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of every CRM connection, newest first, with their counts; POST starts one (or answers the run already
    queued or running for that connection)."""

    queryset = SyncRun.objects.none()  # for the schema; get_queryset says what the caller sees
    serializer_class = SyncRunSerializer
    not_found = "No such sync run."

    def get_permissions(self):
        return [*super().get_permissions(), ManagesCrmSync()]

    def get_queryset(self):
        return SyncRun.objects.select_related("connection")

    @extend_schema(request=SyncRunStartSerializer, responses={202: SyncRunSerializer})
    def create(self, request: Request) -> Response:
        asked = SyncRunStartSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        run = sync_run_start(
            connection=asked.validated_data["connection"],
            actor=request.user,
            direction=asked.validated_data.get("direction"),
        )
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
