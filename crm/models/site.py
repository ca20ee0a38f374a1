"""The site's own settings: one record, edited by admins on Settings, General tab."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SiteSettings(models.Model):
    """How this Leadflow shows money and time; until an admin saves it, the defaults come from the environment."""

    SINGLETON_PK = 1

    currency = models.CharField(max_length=3, help_text="ISO 4217 code of the currency deal values are in, e.g. EUR.")
    time_zone = models.CharField(max_length=64, help_text="Times show in this zone for people who chose none.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return f"{self.currency}, {self.time_zone}"

    @classmethod
    def defaults(cls) -> SiteSettings:
        """The record as it stands before any admin saved it (not saved: reading settings writes nothing)."""
        return cls(pk=cls.SINGLETON_PK, currency=settings.CURRENCY, time_zone=settings.TIME_ZONE)
