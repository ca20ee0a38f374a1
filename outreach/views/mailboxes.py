"""The mailboxes pages: the list with today's count and cap, the add and edit form, and the "send test" button."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from outreach.mail_forms import MailboxForm, MailboxTestForm
from outreach.mailboxes import can_manage_mailboxes, mailbox_rows, mailbox_save, mailbox_send_test
from outreach.models import Mailbox


def _require_manage(request: HttpRequest) -> None:
    if not can_manage_mailboxes(request.user):
        raise PermissionDenied("Only managers and admins change mailboxes.")


def mailbox_list(request: HttpRequest) -> HttpResponse:
    context = {"rows": mailbox_rows(), "can_manage": can_manage_mailboxes(request.user)}
    return render(request, "outreach/mailboxes.html", context)


def _form_page(request: HttpRequest, mailbox: Mailbox | None) -> HttpResponse:
    _require_manage(request)
    form = MailboxForm(request.POST if request.method == "POST" else None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            saved = mailbox_save(mailbox=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {saved}.")
            return redirect("outreach:mailbox_edit", pk=saved.pk)
    context = {"form": form, "mailbox": mailbox, "test_form": MailboxTestForm(initial={"to": request.user.email})}
    status = 422 if request.method == "POST" else 200
    return render(request, "outreach/mailbox_form.html", context, status=status)


def mailbox_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(Mailbox, pk=pk))


@require_POST
def mailbox_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one test message through the saved mailbox and show what the server said."""
    _require_manage(request)
    mailbox = get_object_or_404(Mailbox, pk=pk)
    form = MailboxTestForm(request.POST)
    if form.is_valid():
        result = mailbox_send_test(mailbox, to=form.cleaned_data["to"])
        ok, detail = result.ok, result.detail
    else:
        ok, detail = False, "Give an email address to send the test to."
    if request.htmx:
        return render(request, "outreach/_mailbox_test.html", {"ok": ok, "detail": detail})
    (messages.success if ok else messages.error)(request, detail)
    return redirect("outreach:mailbox_edit", pk=mailbox.pk)
