"""The message templates pages: the list, the form (with the merge fields it may use) and a preview for a lead."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from crm.selectors import leads_visible_to
from leadflow.params import id_or_404
from leadflow.roles import can_write, require_write
from outreach.mail_forms import TemplateForm
from outreach.merge import MERGE_FIELDS, render_for_lead
from outreach.message_templates import can_edit_template, template_save
from outreach.models import Template

LEADS_OFFERED = 20


def template_list(request: HttpRequest) -> HttpResponse:
    context = {"templates": Template.objects.select_related("created_by"), "can_add": can_write(request.user)}
    return render(request, "outreach/message_templates.html", context)


def _form_page(request: HttpRequest, template: Template | None) -> HttpResponse:
    form = TemplateForm(request.POST if request.method == "POST" else None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            saved = template_save(template=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved the template {saved}.")
            return redirect("outreach:message_template_edit", pk=saved.pk)
    context = {"form": form, "template": template, "merge_fields": MERGE_FIELDS.items()}
    status = 422 if request.method == "POST" else 200
    return render(request, "outreach/message_template_form.html", context, status=status)


def template_new(request: HttpRequest) -> HttpResponse:
    require_write(request.user)
    return _form_page(request, None)


def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk)
    if not can_edit_template(request.user, template):
        if request.method == "POST":
            raise PermissionDenied("Only the template's author, managers and admins change it.")
        return redirect("outreach:message_template_preview", pk=template.pk)
    return _form_page(request, template)


def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The template filled in for one lead the user may see (?lead=<id>), its unresolved fields named."""
    template = get_object_or_404(Template, pk=pk)
    visible = leads_visible_to(request.user)
    lead = rendered = None
    error = ""
    if request.GET.get("lead"):
        lead = visible.select_related("company").filter(pk=id_or_404(request.GET["lead"])).first()
        if lead is None:
            raise Http404("No such lead.")
        try:
            rendered = render_for_lead(template.subject, template.body, lead)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    context = {
        "template": template, "lead": lead, "rendered": rendered, "error": error,
        "leads": visible.exclude(email="").order_by("-updated_at")[:LEADS_OFFERED],
        "can_edit": can_edit_template(request.user, template),
    }  # fmt: skip
    return render(request, "outreach/message_template_preview.html", context)
