"""The outreach app's records: the writer's drafts, mailboxes and suppressions, sequences and their enrollments,
and the messages sent with what happened to them."""

from outreach.models.conversations import Conversation, ConversationChannel, ConversationMessage
from outreach.models.drafts import Channel, Draft, DraftItem, DraftJob, Length, Tone
from outreach.models.inbound import UnmatchedEmail
from outreach.models.mail import WEEKDAYS, Mailbox, SendCount, Suppression
from outreach.models.messages import Message, MessageEvent
from outreach.models.sequences import Enrollment, Sequence, SequenceStep, StepVariant, Template
from outreach.models.whatsapp import WhatsAppTemplate

__all__ = [
    "WEEKDAYS",
    "Channel",
    "Conversation",
    "ConversationChannel",
    "ConversationMessage",
    "Draft",
    "DraftItem",
    "DraftJob",
    "Enrollment",
    "Length",
    "Mailbox",
    "Message",
    "MessageEvent",
    "SendCount",
    "Sequence",
    "SequenceStep",
    "StepVariant",
    "Suppression",
    "Template",
    "Tone",
    "UnmatchedEmail",
    "WhatsAppTemplate",
]
