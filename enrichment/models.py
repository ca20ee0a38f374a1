"""What enrichment keeps: the accounts of paid providers, their API keys encrypted at rest."""

from __future__ import annotations

from django.db import models

from leadflow.secrets import EncryptedTextField, secret_masked


class ProviderAccount(models.Model):
    """One paid enrichment provider as this site uses it: its API key (encrypted) and whether the waterfall may call
    it."""

    class Provider(models.TextChoices):
        HUNTER = "hunter", "Hunter.io"

    provider = models.CharField(max_length=32, choices=Provider.choices, unique=True)
    api_key = EncryptedTextField(blank=True, help_text="Stored encrypted; shown masked.")
    enabled = models.BooleanField(default=True, help_text="Off: the waterfall skips this provider.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return self.get_provider_display()

    @property
    def api_key_masked(self) -> str:
        return secret_masked(self.api_key)
