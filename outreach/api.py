"""/api/v1/ sequences (enroll leads), enrollments (pause, resume), sequence messages and conversations (read):
through outreach.enrollments and the inbox's visibility (outreach.inbox.conversations_visible_to)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.records import LEAD_PARAMETER, id_param, visible_leads
from crm.api.serializers import LeadIdsSerializer, ReadSerializer
from crm.models import Lead
from crm.selectors import leads_visible_to
from leadflow.api.views import VisibleObjectMixin
from leadflow.roles import sees_all_leads
from outreach.enrollments import SKIP_REASONS, enroll, enrollment_pause, enrollment_resume
from outreach.inbox import conversations_visible_to
from outreach.models import Conversation, ConversationMessage, Enrollment, Message, Sequence


class SequenceSerializer(ReadSerializer):
    class Meta:
        model = Sequence
        fields = [
            "id", "name", "description", "status", "owner", "daily_cap", "require_lawful_basis", "is_template",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class EnrollAnswerSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    skipped = serializers.DictField(
        child=serializers.IntegerField(), help_text="Leads left out, by reason: " + ", ".join(SKIP_REASONS)
    )


class EnrollmentSerializer(ReadSerializer):
    class Meta:
        model = Enrollment
        fields = [
            "id", "sequence", "lead", "status", "next_position", "due_at", "stop_reason", "enrolled_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class MessageSerializer(ReadSerializer):
    class Meta:
        model = Message
        fields = [
            "id", "lead", "enrollment", "step", "to_email", "subject", "body", "status", "sent_at", "delivered_at",
            "opened_at", "clicked_at", "replied_at", "bounced_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ConversationMessageSerializer(ReadSerializer):
    class Meta:
        model = ConversationMessage
        fields = ["id", "direction", "kind", "status", "sender", "recipient", "subject", "text", "occurred_at"]
        read_only_fields = fields


class ConversationSerializer(ReadSerializer):
    class Meta:
        model = Conversation
        fields = [
            "id", "lead", "channel", "assigned_to", "subject", "peer", "preview", "unread", "last_message_at",
            "snoozed_until", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ConversationThreadSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    @extend_schema_field(ConversationMessageSerializer(many=True))
    def get_messages(self, conversation: Conversation) -> list[dict]:
        lines = conversation.messages.order_by("occurred_at", "id")[:500]
        return ConversationMessageSerializer(lines, many=True).data


def _on_visible_leads(rows, user):
    """Rows of the leads the user may see (the one rule: crm.selectors.leads_visible_to)."""
    return rows if sees_all_leads(user) else rows.filter(lead__in=leads_visible_to(user))


class SequenceViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SequenceSerializer
    not_found = "No such sequence."

    def get_queryset(self):
        return Sequence.objects.all()

    @extend_schema(request=LeadIdsSerializer, responses={200: EnrollAnswerSerializer})
    @action(detail=True, methods=["post"])
    def enroll(self, request: Request, pk: str) -> Response:
        """Enroll the leads among `lead_ids` that you may change; the others are counted by why they were left out."""
        sequence = self.get_object()
        body = LeadIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leads = Lead.objects.filter(
            pk__in=[lead.pk for lead in visible_leads(request.user, body.validated_data["lead_ids"])]
        )
        result = enroll(sequence, leads, actor=request.user)
        return Response({"enrolled": result.enrolled, "skipped": result.skipped})


class EnrollmentViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EnrollmentSerializer
    not_found = "No such enrollment."

    def get_queryset(self):
        enrollments = _on_visible_leads(Enrollment.objects.select_related("lead", "sequence"), self.request.user)
        if self.action == "list" and (lead_id := id_param(self.request, "lead")):
            enrollments = enrollments.filter(lead_id=lead_id)
        return enrollments

    @extend_schema(parameters=[LEAD_PARAMETER])
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=None, responses={200: EnrollmentSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        """Pause an active enrollment (nothing more is sent until it resumes)."""
        enrollment = self.get_object()
        enrollment_pause(enrollment=enrollment, actor=request.user)
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(request=None, responses={200: EnrollmentSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        enrollment = self.get_object()
        enrollment_resume(enrollment=enrollment, actor=request.user)
        return Response(EnrollmentSerializer(enrollment).data)


class MessageViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    """Messages sequences sent (or will send) to the leads you may see."""

    serializer_class = MessageSerializer
    not_found = "No such message."

    def get_queryset(self):
        messages = _on_visible_leads(Message.objects.all(), self.request.user)
        if self.action == "list" and (lead_id := id_param(self.request, "lead")):
            messages = messages.filter(lead_id=lead_id)
        return messages

    @extend_schema(parameters=[LEAD_PARAMETER])
    def list(self, request: Request) -> Response:
        return super().list(request)


class ConversationViewSet(VisibleObjectMixin, viewsets.ReadOnlyModelViewSet):
    """Conversations with the leads you may see (the inbox); one conversation with its messages."""

    not_found = "No such conversation."

    def get_serializer_class(self):
        return ConversationThreadSerializer if self.action == "retrieve" else ConversationSerializer

    def get_queryset(self):
        conversations = conversations_visible_to(self.request.user)
        if self.action == "list" and (lead_id := id_param(self.request, "lead")):
            conversations = conversations.filter(lead_id=lead_id)
        return conversations

    @extend_schema(parameters=[LEAD_PARAMETER])
    def list(self, request: Request) -> Response:
        return super().list(request)
