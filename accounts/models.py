import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """The project's user from day one, so that profile fields never need a painful migration."""

    organisation = models.CharField(max_length=200, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


# --- Partner tokens -------------------------------------------------------------------------------


class TokenScope(models.TextChoices):
    """What a partner token may read. A new API area adds one member here (e.g. scores:read)."""

    REGISTRY_READ = (
        "registry:read",
        "Read the public registry (stakeholders, outcomes, stakes, ties)",
    )
    SCORES_READ = "scores:read", "Read Smart Diplomacy Index scores"
    # The one scope that writes: a partner registers and removes its own webhook endpoints.
    WEBHOOKS_MANAGE = "webhooks:manage", "Register webhook endpoints for score changes"


DEFAULT_TOKEN_SCOPES = [TokenScope.REGISTRY_READ.value]
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)


def default_token_scopes() -> list[str]:
    return list(DEFAULT_TOKEN_SCOPES)


def default_token_expiry():
    return timezone.now() + DEFAULT_TOKEN_LIFETIME


class PartnerToken(models.Model):
    """An API token issued to a partner system. The secret itself is never stored.

    The partner sends ``Authorization: Token <prefix>.<secret>``. The prefix is stored in clear (it
    identifies the token on the administrators' page and finds its row); the secret only as its
    SHA-256 digest. A fast hash is right here, unlike for passwords: the secret is 240 random
    bits, so there is nothing to guess from a leaked digest, and a slow hash would only cost
    every request.
    """

    Scope = TokenScope

    partner = models.CharField(max_length=200, help_text="The partner system this token is for.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=default_token_scopes)
    expires_at = models.DateTimeField(default=default_token_expiry)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issued_partner_tokens",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revoked_partner_tokens",
    )
    # Issue and revoke are audited; a history row per API call (last_used_at) would only be noise.
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partner} ({self.prefix})"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, self.hash_secret(secret))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

    def has_scopes(self, scopes) -> bool:
        return set(scopes) <= set(self.scopes)

    def scope_labels(self) -> list[str]:
        labels = dict(TokenScope.choices)
        return [labels.get(scope, scope) for scope in self.scopes]


class RestrictedReadLog(models.Model):
    """One API response in which a cleared person read restricted or confidential stakeholders.

    DESIGN.md keeps every API read of restricted data by those cleared for it in an audit history;
    one row per response (not per actor) keeps that cheap while naming every actor that was read.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="restricted_reads"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    stakeholder_ids = models.JSONField(help_text="The restricted stakeholders in the response.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} read {len(self.stakeholder_ids)} restricted actor(s) at {self.path}"


# --- List preferences and saved views -------------------------------------------------------------


class ListPreference(models.Model):
    """How one person likes one list: its page size and the columns shown. Changed by using the
    list's tools (``?per_page=`` and the column chooser), read on every visit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_preferences"
    )
    list_key = models.CharField(max_length=60)
    per_page = models.PositiveSmallIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="list_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.list_key}"


class SavedView(models.Model):
    """A named set of filters, search and sort of one list, kept for the person who saved it.

    Private on purpose: a view saved by someone cleared may name a restricted actor in its
    filters, and its name is their own text."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list_key = models.CharField(max_length=60)
    name = models.CharField(max_length=80)
    query = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_key", "name"], name="saved_view_name_once_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.name
