"""Message templates: who may change one, and saving one only once its merge fields check out."""

from __future__ import annotations

from django.db import transaction

from crm.models import User
from leadflow.roles import can_reassign, can_write
from outreach.merge import template_check
from outreach.models import Template


def can_edit_template(user: User, template: Template) -> bool:
    """Its author, managers and admins change a template; every writer may make new ones."""
    return can_reassign(user) or (can_write(user) and template.created_by_id == user.pk)


@transaction.atomic
def template_save(*, template: Template, actor: User | None) -> Template:
    """Check the subject and body (unknown fields, tags and syntax errors refused, named) and save the template."""
    template_check(template.subject, template.body)
    template.full_clean(exclude=["created_by"])
    if template.pk is None:
        template.created_by = actor
    template.save()
    return template
