"""KPIs (tenant data), targets, stored measurements, check-ins and board conclusions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class Grain(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Scope(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    REP = "rep", _("Sales rep")
    COUNTRY = "country", _("Country")
    CHANNEL = "channel", _("Channel")


class Kpi(TenantOwned):
    class Layer(models.TextChoices):
        GOAL = "goal", _("Business goal")
        OBJECTIVE = "objective", _("Objective")
        INTERACTION = "interaction", _("Customer interaction")

    class Phase(models.TextChoices):
        ORIENTATION = "orientation", _("Orientation")
        PURCHASE = "purchase", _("Purchase")
        USE = "use", _("Use & service")
        LOYALTY = "loyalty", _("Loyalty")

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    class Kind(models.TextChoices):
        LEADING = "leading", _("Leading")
        LAGGING = "lagging", _("Lagging")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    metric_key = models.CharField(
        _("metric"), max_length=60, blank=True, help_text=_("Empty for a manual KPI.")
    )
    owner = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_kpis",
    )
    department = models.ForeignKey(
        "portal.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpis",
        help_text=_("Empty for a company KPI."),
    )
    layer = models.CharField(
        _("layer"), max_length=12, choices=Layer.choices, default=Layer.OBJECTIVE
    )
    journey_phase = models.CharField(
        _("journey phase"), max_length=12, choices=Phase.choices, blank=True
    )
    unit = models.CharField(_("unit"), max_length=12, default="count")
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    kind = models.CharField(
        _("leading or lagging"), max_length=8, choices=Kind.choices, default=Kind.LAGGING
    )
    grain = models.CharField(
        _("target period"), max_length=8, choices=Grain.choices, default=Grain.MONTH
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent KPI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    is_super = models.BooleanField(_("super-KPI"), default=False)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(
        _("review every (months)"),
        default=3,
        help_text=_("Review the KPI and its measurement plan after this many months."),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="kpi_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_super=True),
                name="kpi_one_super_per_tenant",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="kpi_tenant_dept")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_manual(self) -> bool:
        return not self.metric_key

    def is_review_due(self, today) -> bool:
        return self.review_date is None or self.review_date <= today


class Target(TenantOwned):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    scope = models.CharField(
        _("scope"), max_length=12, choices=Scope.choices, default=Scope.COMPANY
    )
    member = models.CharField(_("scope member"), max_length=64, blank=True)
    grain = models.CharField(_("period"), max_length=8, choices=Grain.choices)
    period_start = models.DateField(_("period start"))
    minimum = models.DecimalField(_("minimum"), max_digits=16, decimal_places=4)
    stretch = models.DecimalField(_("stretch"), max_digits=16, decimal_places=4)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kpi", "scope", "member", "grain", "period_start"],
                name="target_unique_period",
            ),
        ]


class Measurement(TenantOwned):
    """A KPI's value for one scope member and period, stored by the recompute (or entered
    by hand for a manual KPI). Pages read these; they never scan orders."""

    # A recompute writes tens of thousands of rows, and a foreign-key check costs each row
    # about as much as its insert: the tenant and the KPI are references without a database
    # constraint. measurements_upsert checks and key-share-locks the batch's KPI rows once
    # (the locks each row's check would take), so a KPI deleted meanwhile fails the run as
    # the constraint would; Django deletes the measurements with their KPI or tenant.
    tenant = models.ForeignKey(
        "portal.Tenant",
        on_delete=models.CASCADE,
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    kpi = models.ForeignKey(
        Kpi, on_delete=models.CASCADE, related_name="measurements", db_constraint=False
    )
    scope = models.CharField(max_length=12, choices=Scope.choices)
    member = models.CharField(max_length=64, blank=True)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period_start = models.DateField()
    value = models.FloatField(null=True)
    previous_value = models.FloatField(null=True)
    last_year_value = models.FloatField(null=True)
    # Bookkeeping: the run that computed the value, the member who entered a manual one. A
    # recompute writes tens of thousands of rows, and each foreign key or index costs every
    # row: the run is a plain reference without a database constraint or index (Django sets
    # it to NULL when a run is deleted, which nothing does but an admin), and only the
    # (few) entered values are indexed by member.
    job = models.ForeignKey(
        "portal.JobRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    computed_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kpi", "scope", "member", "grain", "period_start"],
                name="measurement_unique_period",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "grain", "period_start", "scope"],
                name="measurement_tenant_period",
            ),
            models.Index(
                fields=["tenant", "entered_by"],
                condition=models.Q(entered_by__isnull=False),
                name="measurement_entered_by",
            ),
        ]


class CheckIn(TenantOwned):
    class Action(models.TextChoices):
        START = "start", _("Start")
        STOP = "stop", _("Stop")
        CONTINUE = "continue", _("Continue")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    comment = models.TextField(_("comment"))

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "kpi", "-created_at"], name="checkin_tenant_kpi")]


class BoardConclusion(TenantOwned):
    """The month's key conclusions for the board page. Every save is a new row: history."""

    month = models.DateField(_("month"))
    text = models.TextField(_("conclusions"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "-created_at"]
        indexes = [
            models.Index(fields=["tenant", "month", "-created_at"], name="conclusion_tenant_month")
        ]


class DigestLog(TenantOwned):
    """One weekly digest sent to a member, with the statuses it reported: the next digest
    tells what changed since."""

    membership = models.ForeignKey(
        "portal.Membership", on_delete=models.CASCADE, related_name="digests"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    statuses = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["tenant", "membership", "-sent_at"], name="digest_tenant_member")
        ]


class FactsSnapshot(TenantOwned):
    """The recompute's facts of a tenant's closed months, stored by a full load so that the
    nightly run reads only the orders and web activity from `boundary_at` on
    (kpis/metrics/snapshot.py, docs/architecture.md "The facts snapshot").

    Database triggers on the orders and the web activity set `stale` when a statement writes,
    changes or deletes a row dated before `boundary_at`: the next run then loads everything
    and stores a new snapshot."""

    boundary_at = models.DateTimeField()  # local midnight of the first month not covered
    month0 = models.IntegerField()  # month index of the first month covered
    generation = models.BigIntegerField(default=0)
    stale = models.BooleanField(default=True)
    fingerprint = models.CharField(max_length=200, blank=True)
    data = models.BinaryField(null=True)
    size = models.IntegerField(default=0)  # bytes of data
    stored_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="facts_snapshot_unique_tenant")
        ]
