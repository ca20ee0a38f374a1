"""What every Leadflow database needs after `migrate`: the role groups and the default pipeline."""

from django.contrib.auth.models import Group, Permission

from leadflow.roles import Role

# Managers run the back office for CRM data; viewers may only look. Admins are superusers.
MANAGER_APPS = ["crm"]


def roles_ensure(**kwargs) -> None:
    """Create the four role groups and give managers the CRM admin permissions (idempotent)."""
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    crm_perms = Permission.objects.filter(content_type__app_label__in=MANAGER_APPS)
    groups[Role.MANAGER].permissions.set(crm_perms.exclude(content_type__model="user"))
    groups[Role.ADMIN].permissions.set(Permission.objects.all())


def pipeline_ensure(**kwargs) -> None:
    from crm.services.pipelines import pipeline_default

    pipeline_default()
