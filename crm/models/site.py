"""The site's own settings: one record, edited by admins on Settings, General tab."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SiteSettings(models.Model):
    """How this Leadflow shows money and time, and how it guards sign-ins; until an admin saves it, the defaults come
    from the environment."""

    SINGLETON_PK = 1

    currency = models.CharField(max_length=3, help_text="ISO 4217 code of the currency deal values are in, e.g. EUR.")
    time_zone = models.CharField(max_length=64, help_text="Times show in this zone for people who chose none.")
    require_admin_two_factor = models.BooleanField(
        "require two-factor for Admins",
        default=False,
        help_text="Admins without two-factor are sent to set it up before any other page.",
    )
    session_idle_minutes = models.PositiveIntegerField(
        "sign out after idle minutes",
        default=0,
        help_text="A session unused this long is signed out; 0: never.",
    )
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
