"""People and companies: staff users, tags, companies and leads."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("Every user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A member of the sales team; the email address is the login."""

    username = None
    email = models.EmailField("email address", unique=True)
    # An IANA name such as Europe/Paris; empty: the site's time zone (SiteSettings.time_zone).
    time_zone = models.CharField(max_length=64, blank=True)
    # Besides the in-app notification: an email for each reply from a lead they own.
    notify_by_email = models.BooleanField("email me when a lead replies", default=False)
    # Raised by "Sign out everywhere": it is part of the hash every session keeps, so all sessions end at once.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["first_name", "last_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django checks this hash, kept in each session, on every request (with SECRET_KEY_FALLBACKS too): mixing in
        the session generation ends every session of the user whatever backend keeps them (database, cache,
        cookies). Generation 0 keeps Django's own hash, so sessions made before this field existed stay valid."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "crm.models.User.session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def initials(self) -> str:
        parts = [self.first_name[:1], self.last_name[:1]]
        return ("".join(parts) or self.email[:2]).upper()


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, db_index=True)
    # The name cleaned for matching (legal suffixes and punctuation gone): see crm.normalize.company_key.
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    website = models.URLField(max_length=500, blank=True)
    industry = models.CharField(max_length=120, blank=True)
    size = models.CharField("employees", max_length=40, blank=True)
    location = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    linkedin_url = models.URLField("LinkedIn URL", max_length=500, blank=True)
    description = models.TextField(blank=True)
    # Names of the technologies its website or a provider showed it uses (filled by enrichment).
    technologies = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The matching key, kept in step with the name on every save (the import's bulk writer sets it itself).
        from crm.normalize import company_key

        self.name_key = company_key(self.name) if self.name else ""
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class Lead(models.Model):
    """A person we may sell to: a `contact` until they answer, then a `lead`."""

    class Lifecycle(models.TextChoices):
        CONTACT = "contact", "Contact"
        LEAD = "lead", "Lead"

    class Grade(models.TextChoices):
        HOT = "hot", "Hot"
        WARM = "warm", "Warm"
        COLD = "cold", "Cold"

    class LawfulBasis(models.TextChoices):
        CONSENT = "consent", "Consent"
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
        CONTRACT = "contract", "Contract"

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField("job title", max_length=200, blank=True)
    # Searched through its trigram index (PostgreSQL) and matched by email_key: a plain index would only slow writes.
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    linkedin_url = models.URLField("LinkedIn URL", max_length=500, blank=True)
    website = models.URLField(max_length=500, blank=True)
    # The foreign keys below are indexed as the first column of Meta.indexes; one index less each for every write.
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", db_index=False
    )
    location = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=60, blank=True)
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.CONTACT)
    stage = models.ForeignKey("crm.Stage", on_delete=models.PROTECT, related_name="leads", db_index=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", db_index=False
    )
    deal_value = models.DecimalField("expected deal value", max_digits=12, decimal_places=2, null=True, blank=True)
    # Kept by crm.scoring: None until first scored; the explanation is {component: {"value", "reason"}, ...}.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    grade = models.CharField(max_length=10, choices=Grade.choices, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    score_parts = models.JSONField(default=dict, blank=True)
    # Set in the same write as any change the score reads (new rows start stale); the queued rescore clears it.
    score_stale = models.BooleanField(default=True)
    # An AI's opinion of the fit, set only through crm.services.scores.lead_ai_fit_set.
    ai_fit = models.PositiveSmallIntegerField("AI fit opinion", null=True, blank=True)
    ai_fit_reason = models.TextField("AI fit reason", blank=True)
    # Whether the current email and phone were verified (set by enrichment through crm.services.scores).
    email_verified = models.BooleanField(default=False)
    phone_verified = models.BooleanField(default=False)
    do_not_contact = models.BooleanField(default=False)
    # Why we may process the person's data, where that came from and when it was recorded (empty: unknown); set
    # only through crm.services.consent, which writes the timeline.
    lawful_basis = models.CharField(max_length=20, choices=LawfulBasis.choices, blank=True)
    lawful_basis_source = models.CharField("source of the lawful basis", max_length=100, blank=True)
    lawful_basis_at = models.DateTimeField("lawful basis recorded at", null=True, blank=True)
    # When the person last withdrew consent (which unsubscribes them everywhere: outreach's lead_unsubscribe).
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="leads")
    custom_fields = models.JSONField(default=dict, blank=True)
    # Every further address and number a source gave beyond the main ones, kept rather than dropped (searched too).
    other_emails = models.JSONField(default=list, blank=True)
    other_phones = models.JSONField(default=list, blank=True)
    # Matching keys kept by the services whenever the facts change (crm.dedup.lead_keys_refresh).
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    linkedin_slug = models.CharField(max_length=200, blank=True, editable=False)
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    import_job = models.ForeignKey(
        "crm.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="created_leads"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "-updated_at"], name="lead_stage_recent"),
            # Covers the board's count and value per stage (and a rep's share of it) without reading the table.
            models.Index(fields=["stage", "owner", "deal_value"], name="lead_stage_owner_value"),
            models.Index(fields=["owner", "-updated_at"], name="lead_owner_recent"),
            # With the id: analytics joins a source's leads to other tables from the index alone.
            models.Index(fields=["source"], include=["id"], name="lead_source_id"),
            models.Index(fields=["grade"], name="lead_grade"),
            models.Index(fields=["lifecycle"], name="lead_lifecycle"),
            models.Index(fields=["lawful_basis"], name="lead_lawful_basis"),
            # The table sorted by name (ties: newest first) reads its page from here, not a sort of every Smith.
            models.Index(fields=["last_name", "-id"], name="lead_name"),
            # A name as a one-word search matches it (any letter case), in the table's order: the first page of
            # "Smith" reads fifty index entries, not every Smith (crm.filters.LeadFilter.first_page_ids).
            models.Index(Upper("last_name"), F("updated_at").desc(), F("id").desc(), name="lead_last_name_recent"),
            models.Index(Upper("first_name"), F("updated_at").desc(), F("id").desc(), name="lead_first_name_recent"),
            # Read backwards, the table sorted by score from the lowest (empty ones last, ties newest first). From the
            # highest, PostgreSQL reads lead_score_first (crm migration 0035): empty scores last is no portable index.
            models.Index(fields=["-score", "id"], name="lead_score"),
            # Only the few stale leads are indexed (PostgreSQL, SQLite): the queued rescore finds them at once.
            models.Index(fields=["id"], condition=models.Q(score_stale=True), name="lead_score_stale"),
            models.Index(fields=["email_key"], name="lead_email_key"),
            models.Index(fields=["linkedin_slug"], name="lead_linkedin_slug"),
            models.Index(fields=["phone"], name="lead_phone"),
            # Colleagues at a company, with the keys an import matches them on (SQLite reads them from the index alone).
            # The keys a colleague lacks come before the name: PostgreSQL then reads only the colleagues lacking
            # them, not every colleague at a big company in every batch of a big import.
            models.Index(
                fields=["company", "email_key", "linkedin_slug", "name_key", "phone"], name="lead_company_colleagues"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        # Derived matching keys, kept in step with the facts on every save (bulk writers set them themselves).
        from crm.matching import lead_keys_refresh

        lead_keys_refresh(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "email_key", "linkedin_slug", "name_key"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"Lead #{self.pk}"
