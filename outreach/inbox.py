"""What the inbox reads: the conversations a user may see, filtered and searched, one page of them, a thread with the
sequence emails sent to its lead, the header's unread count, and whether anything changed since a page was drawn."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm.models import Lead, User
from crm.selectors import leads_visible_to
from outreach.models import Conversation, ConversationChannel, ConversationMessage, Enrollment, Message

PAGE_SIZE = 50
# The newest lines a thread shows (a years-long WhatsApp thread stays one quick page).
THREAD_SHOWN = 200
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# The menu's unread count stops here ("99+").
COUNT_CAP = 100
# Sequence emails shown in a thread: those that went out.
SENT_STATUSES = [Message.Status.SENT, Message.Status.UNCERTAIN]


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    """Conversations of the leads the user may see (crm.selectors.leads_visible_to: the one rule).

    As EXISTS on the lead's primary key rather than `lead__in=`: a page of the newest conversations then checks its
    own rows only, where IN would read every visible lead first (SQLite builds it into a temporary index per query)."""
    return Conversation.objects.filter(Exists(leads_visible_to(user).filter(pk=OuterRef("lead_id"))))


def not_snoozed(now: datetime.datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


@dataclass(frozen=True)
class InboxQuery:
    """The list's filters as the page's form gives them (already checked): who, unread, snoozed, channel, stage,
    sequence and a search."""

    who: str = ""  # "mine", "unassigned" or "" (everyone's)
    unread: bool = False
    snoozed: bool = False
    channel: str = ""
    stage_id: int | None = None
    sequence_id: int | None = None
    search: str = ""


def inbox_conversations(user: User, query: InboxQuery, *, now: datetime.datetime | None = None):
    """The conversations the list shows, newest first: snoozed ones only with the snoozed filter (until their time)."""
    now = now or timezone.now()
    conversations = conversations_visible_to(user)
    conversations = (
        conversations.filter(snoozed_until__gt=now) if query.snoozed else conversations.filter(not_snoozed(now))
    )
    if query.who == "mine":
        conversations = conversations.filter(assigned_to=user)
    elif query.who == "unassigned":
        conversations = conversations.filter(assigned_to__isnull=True)
    if query.unread:
        conversations = conversations.filter(unread__gt=0)  # as conversation_unread_recent's condition reads
    if query.channel:
        conversations = conversations.filter(channel=query.channel)
    if query.stage_id:
        conversations = conversations.filter(lead__stage_id=query.stage_id)
    if query.sequence_id:
        enrolled = Enrollment.objects.filter(lead_id=OuterRef("lead_id"), sequence_id=query.sequence_id)
        conversations = conversations.filter(Exists(enrolled))
    if query.search:
        conversations = conversations.filter(_search(query.search))
    return conversations.select_related("lead__company", "lead__stage", "assigned_to").order_by(
        "-last_message_at", "-id"
    )


def _search(text: str) -> Q:
    """Every word must appear in the lead's name, email or company, or in the thread's subject or preview."""
    match = Q()
    for word in text.split()[:5]:
        match &= (
            Q(lead__first_name__icontains=word)
            | Q(lead__last_name__icontains=word)
            | Q(lead__email__icontains=word)
            | Q(lead__company__name__icontains=word)
            | Q(subject__icontains=word)
            | Q(preview__icontains=word)
        )
    return match


@dataclass(frozen=True)
class InboxPage:
    """One page of the list: its rows and whether there are more either side (no total: counting a large inbox
    would cost more than the page itself)."""

    conversations: list[Conversation]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def inbox_page(conversations: QuerySet[Conversation], number: int) -> InboxPage:
    start = (max(number, 1) - 1) * PAGE_SIZE
    rows = list(conversations[start : start + PAGE_SIZE + 1])
    return InboxPage(conversations=rows[:PAGE_SIZE], number=max(number, 1), has_next=len(rows) > PAGE_SIZE)


def conversation_for_page(user: User, pk: int) -> Conversation:
    """One conversation the user may see, with what its header shows; Conversation.DoesNotExist otherwise."""
    related = ["lead__company", "lead__stage__pipeline", "lead__owner", "assigned_to", "mailbox"]
    return conversations_visible_to(user).select_related(*related).get(pk=pk)


@dataclass(frozen=True)
class ThreadLine:
    """One line of a thread: a conversation message, or a sequence email sent to the lead that no message of ours in
    the thread stands for."""

    at: datetime.datetime
    message: ConversationMessage | None = None
    sequence_message: Message | None = None

    @property
    def outbound(self) -> bool:
        return self.sequence_message is not None or self.message.direction == ConversationMessage.Direction.OUT


def thread_lines(conversation: Conversation) -> list[ThreadLine]:
    """The thread in order, oldest first (its newest THREAD_SHOWN lines): what the lead wrote, what we answered, and
    for email the sequence emails the lead was sent, in their place by time."""
    newest = conversation.messages.select_related("author", "sequence_message").order_by("-occurred_at", "-id")
    lines = [ThreadLine(at=message.occurred_at, message=message) for message in newest[:THREAD_SHOWN]]
    if conversation.channel == ConversationChannel.EMAIL:
        # An email of ours that the thread holds already (a reply links the email it answers: that one stays).
        shown = {line.message.sequence_message_id for line in lines if line.outbound}
        sent = Message.objects.filter(lead_id=conversation.lead_id, status__in=SENT_STATUSES, sent_at__isnull=False)
        lines += [
            ThreadLine(at=message.sent_at, sequence_message=message)
            for message in sent.order_by("-created_at")[:THREAD_SHOWN]
            if message.pk not in shown
        ]
    lines.sort(key=lambda line: line.at)
    return lines[-THREAD_SHOWN:]


def lead_conversations(lead: Lead) -> list[Conversation]:
    """The lead's conversations, one per channel, the most recent first (the lead page shows each thread)."""
    return list(Conversation.objects.filter(lead=lead).select_related("assigned_to", "mailbox"))


def stamp_of(moment: datetime.datetime | None) -> int:
    """A moment as whole microseconds since 1970 (0 for none): exact, and plain digits in a URL."""
    return 0 if moment is None else (moment - EPOCH) // datetime.timedelta(microseconds=1)


def inbox_stamp(user: User) -> int:
    """When a conversation the user may see last changed, as a stamp: the newest updated_at, read from its index."""
    latest = conversations_visible_to(user).order_by("-updated_at").values_list("updated_at", flat=True).first()
    return stamp_of(latest)


def inbox_unread_count(user: User, *, now: datetime.datetime | None = None) -> int:
    """The menu's count: conversations assigned to the user with messages unread, snoozed ones aside, of leads the
    user may see; at most COUNT_CAP (beyond it PostgreSQL would join every lead a rep sees to count them all)."""
    unread = conversations_visible_to(user).filter(assigned_to=user, unread__gt=0).order_by()  # no sort to count
    return unread.filter(not_snoozed(now or timezone.now()))[:COUNT_CAP].count()


def inbox_unread_badge(user: User) -> str:
    """The count as the menu shows it: "" for none, "99+" from COUNT_CAP on."""
    count = inbox_unread_count(user)
    return "" if not count else f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count)
