"""Lead lists and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LeadList(models.Model):
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    folder = models.CharField(max_length=100, blank=True)
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="lists")
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    members = models.ManyToManyField("crm.Lead", through="ListMembership", related_name="lists", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["folder", "name"]
        verbose_name = "list"

    def __str__(self) -> str:
        return self.name


class ListMembership(models.Model):
    lead_list = models.ForeignKey("crm.LeadList", on_delete=models.CASCADE, related_name="memberships")
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="memberships")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead_list", "lead"], name="unique_list_member")]

    def __str__(self) -> str:
        return f"{self.lead} in {self.lead_list}"
