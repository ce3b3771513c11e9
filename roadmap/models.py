"""The digital roadmap: what is planned per quarter, what it should move, what is done."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_label(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


class RoadmapItem(TenantOwned):
    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    theme = models.CharField(_("theme"), max_length=80, blank=True)
    department = models.ForeignKey(
        "portal.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roadmap_items",
    )
    owner = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roadmap_items",
    )
    start_quarter = models.DateField(_("planned start (quarter)"))
    end_quarter = models.DateField(_("planned end (quarter)"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="idea")
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    kpis = models.ManyToManyField(
        "kpis.Kpi",
        verbose_name=_("linked KPIs"),
        through="roadmap.RoadmapKpiLink",
        blank=True,
        related_name="roadmap_items",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start_quarter", "end_quarter", "title"]
        verbose_name = _("roadmap item")
        verbose_name_plural = _("roadmap items")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "title"], name="roadmapitem_unique_title"),
            models.CheckConstraint(
                condition=models.Q(end_quarter__gte=models.F("start_quarter")),
                name="roadmapitem_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "start_quarter"], name="roadmapitem_tenant_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quarters(self) -> str:
        start, end = quarter_label(self.start_quarter), quarter_label(self.end_quarter)
        return start if start == end else f"{start} – {end}"


class RoadmapKpiLink(TenantOwned):
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="kpi_links")
    kpi = models.ForeignKey("kpis.Kpi", on_delete=models.CASCADE, related_name="+")
    expected_effect = models.CharField(_("expected effect"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "item", "kpi"], name="roadmapkpi_unique"),
        ]


class RoadmapChange(TenantOwned):
    """Who changed what, when: {field: [before, after]}."""

    item = models.ForeignKey(
        RoadmapItem, null=True, on_delete=models.SET_NULL, related_name="changes"
    )
    item_title = models.CharField(max_length=160)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "item", "-changed_at"], name="roadmapchange_tenant_item"
            ),
        ]
