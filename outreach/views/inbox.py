"""The inbox: the list of conversations with its filters, one conversation's thread and composer beside it, the
actions on it (answer, read, snooze, assign, stage, task, note), the 5-second poll that redraws what changed, and
the lead page's panel showing the same threads."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.forms import NoteForm, TaskForm
from crm.models import Lead, Stage, User
from crm.selectors import lead_for_page
from crm.services.leads import lead_move_stage
from crm.services.work import note_create, task_create
from leadflow.audit import record
from leadflow.params import count_or, id_or_404, id_or_none
from leadflow.roles import can_edit_lead, can_reassign, can_write
from outreach.channels.whatsapp import templates_offered, window_open
from outreach.inbox import (
    conversation_for_page,
    inbox_conversations,
    inbox_page,
    inbox_stamp,
    inbox_unread_badge,
    lead_conversations,
    stamp_of,
    thread_lines,
)
from outreach.inbox_actions import (
    can_answer,
    can_assign,
    conversation_assign,
    conversation_mark_read,
    conversation_mark_unread,
    conversation_snooze,
)
from outreach.inbox_forms import WHO_CHOICES, AssignForm, InboxFilterForm, ReplyForm, SnoozeForm
from outreach.inbox_replies import (
    REPLY_SENDERS,
    approved_drafts_for,
    composed,
    conversation_reply,
    conversation_whatsapp_template,
)
from outreach.models import Conversation, ConversationChannel, WhatsAppTemplate
from outreach.models import Template as MessageTemplate

# The list's own parameters, kept in its links and its poll; the rest of a query string is ignored.
LIST_PARAMETERS = ["q", "who", "unread", "snoozed", "channel", "stage", "sequence", "page"]


def _visible_conversation(request: HttpRequest, pk: int) -> Conversation:
    try:
        return conversation_for_page(request.user, pk)
    except Conversation.DoesNotExist as exc:
        raise Http404("No such conversation.") from exc


def _list_query(request: HttpRequest) -> str:
    """The list's filters and page as the URL holds them, for links and the poll."""
    query = request.GET.copy()
    for key in list(query):
        if key not in LIST_PARAMETERS or not query.get(key):
            del query[key]
    return query.urlencode()


def _list_context(request: HttpRequest, open_pk: int | None = None) -> dict:
    form = InboxFilterForm(request.GET)
    # The stamp is read before the rows: a change between the two is seen again by the next poll, never missed.
    stamp = inbox_stamp(request.user)
    page = inbox_page(inbox_conversations(request.user, form.inbox_query()), count_or(request.GET.get("page"), 1))
    return {"filter_form": form, "page": page, "list_query": _list_query(request), "seen": stamp, "open_pk": open_pk}


def _conversation_context(request: HttpRequest, conversation: Conversation, **extra) -> dict:
    lead = conversation.lead
    answering = can_answer(request.user, conversation)
    context = {
        "conversation": conversation,
        "lead": lead,
        "lines": thread_lines(conversation),
        "can_answer": answering,
        "can_edit_lead": can_edit_lead(request.user, lead),
        "can_mark": can_write(request.user),
        "can_assign": can_assign(request.user, conversation),
        "composer_open": answering and conversation.channel in REPLY_SENDERS,
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "subject": composed(conversation).subject,
        "stages": lead.stage.pipeline.stages.all(),
        "list_query": _list_query(request),
    }
    if context["composer_open"]:
        context["drafts"] = approved_drafts_for(conversation)
        context["templates"] = MessageTemplate.objects.all() if conversation.channel == "email" else []
    if context["composer_open"] and conversation.channel == ConversationChannel.WHATSAPP:
        # Outside the 24-hour window only an approved template may go: the composer says so and offers them.
        context["window_closed"] = not window_open(conversation)
        context["whatsapp_templates"] = templates_offered() if context["window_closed"] else []
    if context["can_assign"] and can_reassign(request.user):
        context["assignees"] = User.objects.filter(is_active=True).order_by("first_name", "last_name", "pk")
    return context | extra


def _filter_choices() -> dict:
    """What the filter bar's selects offer."""
    return {
        "who_choices": WHO_CHOICES,
        "channel_choices": InboxFilterForm.base_fields["channel"].choices,
        "filter_stages": InboxFilterForm.base_fields["stage"].queryset.all(),  # .all(): a fresh query per page
        "filter_sequences": InboxFilterForm.base_fields["sequence"].queryset.all(),
    }


def inbox(request: HttpRequest) -> HttpResponse:
    """The list (htmx: the list alone, as the filters redraw it) with no conversation open."""
    if request.htmx:
        return render(request, "outreach/inbox.html#list", _list_context(request))
    return render(request, "outreach/inbox.html", _list_context(request) | _filter_choices())


def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One conversation beside the list (htmx: the conversation pane alone). Opening it reads it."""
    conversation = _visible_conversation(request, pk)
    if can_write(request.user):
        conversation_mark_read(conversation=conversation, actor=request.user)
    context = _conversation_context(request, conversation)
    if request.htmx:
        return render(request, "outreach/inbox.html#conversation", context)
    context |= _list_context(request, open_pk=conversation.pk) | _filter_choices()
    return render(request, "outreach/inbox.html", context)


def inbox_poll(request: HttpRequest) -> HttpResponse:
    """Asked every 5 seconds by an open inbox with the stamp it was drawn at: 204 while nothing it may see changed
    (one indexed query), else the list again, the header's counts and, when the open conversation changed, its
    thread lines."""
    seen = count_or(request.GET.get("seen"))
    if inbox_stamp(request.user) <= seen:
        return HttpResponse(status=204)
    open_pk = id_or_none(request.GET.get("open"))
    # The header's counts come along: a new reply changes them too.
    context = _list_context(request, open_pk=open_pk) | {"header_oob": True}
    conversation = None
    if open_pk is not None:
        conversation = Conversation.objects.filter(pk=open_pk).only("pk", "updated_at").first()
    if conversation is not None and stamp_of(conversation.updated_at) > seen:
        try:
            conversation = conversation_for_page(request.user, open_pk)
        except Conversation.DoesNotExist:
            conversation = None
        else:
            context |= {"conversation": conversation, "lines": thread_lines(conversation), "lines_oob": True}
    return render(request, "outreach/inbox.html#list", context)


def _pane(request: HttpRequest, conversation: Conversation, *, status: int = 200, **extra) -> HttpResponse:
    """The conversation pane after an action (htmx), or the conversation's page."""
    if not request.htmx:
        query = _list_query(request)
        return redirect(reverse("outreach:conversation", args=[conversation.pk]) + (f"?{query}" if query else ""))
    context = _conversation_context(request, _visible_conversation(request, conversation.pk), **extra)
    return render(request, "outreach/inbox.html#conversation", context, status=status)


def _said(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@require_POST
def conversation_reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _pane(request, conversation, status=422, reply_form=form)
    try:
        answer = conversation_reply(conversation=conversation, actor=request.user, body=form.cleaned_data["body"])
    except ValidationError as exc:
        _said(request, exc)
        return _pane(request, conversation, status=422, reply_form=form)
    if answer.status == answer.Status.SENT:
        messages.success(request, f"Sent to {answer.recipient}.")
    else:
        messages.error(request, f"Not sent ({answer.get_status_display().lower()}): {answer.error}")
    return _pane(request, conversation)


@require_POST
def conversation_whatsapp_template_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    template = get_object_or_404(WhatsAppTemplate, pk=id_or_404(request.POST.get("template")), active=True)
    try:
        conversation_whatsapp_template(conversation=conversation, actor=request.user, template=template)
    except ValidationError as exc:
        _said(request, exc)
        return _pane(request, conversation, status=422)
    messages.success(request, f"Template {template.name} sent.")
    return _pane(request, conversation)


def conversation_compose(request: HttpRequest, pk: int) -> HttpResponse:
    """The composer prefilled from an approved draft (?draft=) or a template (?template=) of the lead's."""
    conversation = _visible_conversation(request, pk)
    if not can_answer(request.user, conversation):
        raise PermissionDenied("You cannot answer this conversation.")
    draft_id, template_id = id_or_none(request.GET.get("draft")), id_or_none(request.GET.get("template"))
    draft = get_object_or_404(approved_drafts_for(conversation), pk=draft_id) if draft_id else None
    template = get_object_or_404(MessageTemplate, pk=template_id) if template_id else None
    prefill = composed(conversation, draft=draft, template=template)
    context = _conversation_context(request, conversation, reply_form=ReplyForm(initial={"body": prefill.body}))
    return render(request, "outreach/inbox.html#composer", context)


@require_POST
def conversation_read(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    if request.POST.get("unread"):
        conversation_mark_unread(conversation=conversation, actor=request.user)
    else:
        conversation_mark_read(conversation=conversation, actor=request.user)
    return _pane(request, conversation)


@require_POST
def conversation_snooze_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    if request.POST.get("wake"):
        conversation_snooze(conversation=conversation, actor=request.user, until=None)
        return _pane(request, conversation)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a date and time to snooze until.")
        return _pane(request, conversation, status=422)
    try:
        conversation_snooze(conversation=conversation, actor=request.user, until=form.cleaned_data["until"])
    except ValidationError as exc:
        _said(request, exc)
        return _pane(request, conversation, status=422)
    messages.success(request, "Snoozed: it comes back then, or sooner if they write.")
    return _pane(request, conversation)


@require_POST
def conversation_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        raise Http404("No such user.")
    try:
        conversation_assign(conversation=conversation, actor=request.user, assignee=form.cleaned_data["assignee"])
    except ValidationError as exc:
        _said(request, exc)
        return _pane(request, conversation, status=422)
    return _pane(request, conversation)


@require_POST
def conversation_stage(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    stage = get_object_or_404(Stage, pk=id_or_404(request.POST.get("stage")))
    try:
        lead_move_stage(
            lead=conversation.lead, stage=stage, actor=request.user, lost_reason=request.POST.get("lost_reason", "")
        )
    except ValidationError as exc:
        _said(request, exc)
        return _pane(request, conversation, status=422)
    messages.success(request, f"Moved to {stage.name}.")
    return _pane(request, conversation)


def conversation_work(request: HttpRequest, pk: int) -> HttpResponse:
    """The task and note forms, loaded when their section is opened."""
    conversation = _visible_conversation(request, pk)
    if not can_edit_lead(request.user, conversation.lead):
        raise PermissionDenied("You can only add tasks and notes to leads you may change.")
    forms = {"task_form": TaskForm(lead=conversation.lead, prefix="task"), "note_form": NoteForm(prefix="note")}
    return render(request, "outreach/inbox.html#work", {"conversation": conversation, **forms})


@require_POST
def conversation_task(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    form = TaskForm(request.POST, lead=conversation.lead, prefix="task")
    if form.is_valid():
        try:
            task_create(lead=conversation.lead, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _said(request, exc)
        else:
            messages.success(request, f"Task added: {form.cleaned_data['title']}.")
            return _pane(request, conversation)
    return _pane(request, conversation, status=422, task_form=form, note_form=NoteForm(prefix="note"))


@require_POST
def conversation_note(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _visible_conversation(request, pk)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            note_create(lead=conversation.lead, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _said(request, exc)
        else:
            messages.success(request, "Note added to the lead.")
            return _pane(request, conversation)
    task_form = TaskForm(lead=conversation.lead, prefix="task")
    return _pane(request, conversation, status=422, task_form=task_form, note_form=form)


def conversation_attachment(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """A file kept from a message of a conversation the user may see, always as a download (a lead's HTML file
    opened on our own site could run script)."""
    conversation = _visible_conversation(request, pk)
    message = get_object_or_404(conversation.messages, pk=id_or_404(request.GET.get("message")))
    attachments = message.attachments if isinstance(message.attachments, list) else []
    if index >= len(attachments) or not isinstance(attachments[index], dict) or not attachments[index].get("path"):
        raise Http404("No such attachment.")
    attachment = attachments[index]
    try:
        handle = default_storage.open(attachment["path"], "rb")
    except (OSError, ValueError) as exc:  # gone from storage, or a path outside it
        raise Http404("That file is no longer kept.") from exc
    name = str(attachment.get("name") or "attachment")
    # Named by ids only: the conversation's and the file's names may be the lead's.
    details = {"conversation": conversation.pk, "message": message.pk, "index": index}
    record("attachment.downloaded", request=request, details=details)
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/octet-stream")


def lead_conversations_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead page's panel: the lead's conversations, each thread in full, as the inbox shows it."""
    try:
        lead = lead_for_page(request.user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404("No such lead.") from exc
    threads = [(conversation, thread_lines(conversation)) for conversation in lead_conversations(lead)]
    return render(request, "outreach/_lead_conversations.html", {"lead": lead, "threads": threads})


def inbox_menu_context(request: HttpRequest) -> dict:
    """The menu's count of the user's unread conversations, counted only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": partial(inbox_unread_badge, user)}
