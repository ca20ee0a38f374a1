"""My tasks: overdue, due today and upcoming, completed in place."""

from urllib.parse import urlparse

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crm.models import Lead, Task
from crm.selectors import lead_page, leads_visible_to, task_buckets
from crm.services.work import task_complete as task_complete_service


def _from_lead_page(request: HttpRequest, lead: Lead) -> bool:
    return urlparse(request.htmx.current_url or "").path == reverse("crm:lead", args=[lead.pk])


def my_tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/tasks.html", {"buckets": task_buckets(request.user)})


@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete a task; htmx gets the task row back as done, other requests go back where they came from."""
    try:
        task = Task.objects.select_related("lead").get(pk=pk, lead__in=leads_visible_to(request.user))
    except Task.DoesNotExist as exc:
        raise Http404("No such task.") from exc
    try:
        task = task_complete_service(task=task, actor=request.user)
    except PermissionDenied as exc:
        if not request.htmx:
            raise
        # In place of the row, as its form's hx-target (the row itself) expects, with why it stays open.
        row = render_to_string("crm/_task_row.html", {"task": task, "error": str(exc)}, request)
        return HttpResponse(row, status=422)
    if request.htmx:
        row = render_to_string("crm/_task_row.html", {"task": task}, request)
        if _from_lead_page(request, task.lead):
            # The lead page's timeline gains the completion too, swapped in beside the row.
            context = {"page": lead_page(task.lead), "oob": True}
            row += render_to_string("crm/lead_detail.html#timeline", context, request)
        return HttpResponse(row)
    messages.success(request, f"Completed: {task.title}")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("crm:tasks")
