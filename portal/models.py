from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned

LOCALE_CHOICES = [("en", _("English")), ("nl", _("Dutch")), ("da", _("Danish"))]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Tenant(models.Model):
    """A customer company of Koers. Global: not tenant-owned itself."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Lower-case letters, digits, -."))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    locale = models.CharField(_("locale"), max_length=5, choices=LOCALE_CHOICES, default="nl")
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Amsterdam", validators=[validate_timezone]
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    period_close_day = models.PositiveSmallIntegerField(
        _("period close day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the next month after which a period's measurements are frozen."),
    )
    churn_k = models.DecimalField(
        _("churn factor k"),
        max_digits=4,
        decimal_places=2,
        default=2.5,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A customer has churned after k times their own median time between orders "
            "without ordering (365 days for customers with fewer than 3 orders)."
        ),
    )
    web_influence_days = models.PositiveSmallIntegerField(
        _("web influence window (days)"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
        help_text=_(
            "An offline order this many days after a web session counts as web-influenced."
        ),
    )
    clv_discount_rate = models.DecimalField(
        _("CLV discount rate (per year)"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Annual rate used to discount expected future purchases in the 12-month CLV."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped after every write to the tenant's data; part of every cached page's key
    # (portal.pagecache). Only ever changed by `data_version = data_version + 1`.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            # Never write back a data version read earlier: it only moves forward.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if f.name not in ("id", "data_version")
            ]
        super().save(*args, **kwargs)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    HEAD = "head", _("Department head")
    REP = "rep", _("Sales rep")
    BOARD = "board", _("Board")


class Department(TenantOwned):
    name = models.CharField(_("name"), max_length=120)
    head = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    data_ambassador = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("data ambassador"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ambassador_of",
        help_text=_("Keeps the department's data and definitions in shape."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantOwned):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        blank=True,
        related_name="members",
        through="portal.DepartmentMember",
    )
    weekly_digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_("Receive a weekly e-mail with status changes and alerts."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["tenant", "role"], name="membership_tenant_role")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class DepartmentMember(TenantOwned):
    """Membership x department, with its own tenant so the schema stays distributable."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE)
    department = models.ForeignKey(Department, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "membership", "department"], name="department_member_unique"
            ),
        ]


class JobRun(TenantOwned):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    kind = models.CharField(_("kind"), max_length=50)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [
            models.Index(fields=["tenant", "kind", "-created_at"], name="jobrun_tenant_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.get_status_display()}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class GlossaryTerm(TenantOwned):
    """A shared definition, e.g. "when is someone a customer" (seed 003)."""

    term = models.CharField(_("term"), max_length=120)
    definition = models.TextField(_("definition"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "term"], name="glossary_unique_term"),
        ]

    def __str__(self) -> str:
        return self.term


class ApiToken(TenantOwned):
    """A key that lets a machine use the tenant's API. Only the key's SHA-256 hash is stored:
    the key itself is shown once, when the token is created (`portal.api_auth`)."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("key prefix"), max_length=8, help_text=_("The key's first characters, to recognise it.")
    )
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            # Also the index the key lookup uses: the URL names the tenant before the key is read.
            models.UniqueConstraint(fields=["tenant", "key_hash"], name="apitoken_unique_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(TenantOwned):
    """One change to an audited row: who, when, and each changed field's before and after
    (portal.audit). Written by signal receivers, read by admins on the audit page."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(
        _("who (as recorded)"),
        max_length=150,
        help_text=_("The username, an API token or the task or command that made the change."),
    )
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    model = models.CharField(_("kind"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["tenant", "-at"], name="audit_tenant_at"),
            models.Index(fields=["tenant", "model", "object_id"], name="audit_tenant_object"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.model} {self.object_repr}"
