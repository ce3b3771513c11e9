"""Personas (seed 003): segments enriched with needs, matched to customers by rules."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class JourneyMoment(models.TextChoices):
    SAMPLE_REQUEST = "sample_request", _("Catalogue / sample request")
    ACCOUNT_CREATION = "account_creation", _("Account creation")
    ORDERING = "ordering", _("Ordering")
    AFTERSALES = "aftersales", _("Aftersales")


class Persona(TenantOwned):
    name = models.CharField(_("name"), max_length=120)
    summary = models.CharField(_("one-line summary"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    pains = models.TextField(_("pains"), blank=True)
    buying_motives = models.TextField(_("buying motives"), blank=True)
    preferred_channels = models.CharField(_("preferred channels"), max_length=200, blank=True)
    # {JourneyMoment value: note}; a moment without a note does not matter for this persona.
    journey_notes = models.JSONField(_("journey moments that matter"), default=dict, blank=True)
    icon = models.CharField(
        _("icon"), max_length=8, blank=True, help_text=_("An emoji or a few letters.")
    )
    owner = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_personas",
    )
    priority = models.PositiveIntegerField(
        _("priority"),
        default=100,
        help_text=_("Lower goes first; a customer gets the first match."),
    )
    review_interval_days = models.PositiveIntegerField(_("review every (days)"), default=180)
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="persona_unique_name"),
        ]
        indexes = [models.Index(fields=["tenant", "priority"], name="persona_tenant_priority")]

    def __str__(self) -> str:
        return self.name

    @property
    def next_review_on(self) -> date:
        since = self.last_reviewed_on or self.created_at.date()
        return since + timedelta(days=self.review_interval_days)

    def is_review_due(self, today: date) -> bool:
        return self.next_review_on <= today

    def journey_items(self) -> list[tuple[str, str]]:
        """(moment label, note) for the moments with a note, in journey order."""
        return [
            (label, self.journey_notes[value])
            for value, label in JourneyMoment.choices
            if self.journey_notes.get(value)
        ]


class PersonaRule(TenantOwned):
    """One condition. Rules of the same group AND together; groups OR together."""

    class Operator(models.TextChoices):
        EQ = "eq", "="
        NE = "ne", "≠"
        LT = "lt", "<"
        LTE = "lte", "≤"
        GT = "gt", ">"
        GTE = "gte", "≥"
        IN = "in", _("is one of")
        CONTAINS = "contains", _("contains")
        IS_TRUE = "is_true", _("is yes")
        IS_FALSE = "is_false", _("is no")

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="rules")
    group = models.PositiveSmallIntegerField(_("group"), default=1)
    field = models.CharField(_("characteristic"), max_length=40)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        ordering = ["group", "id"]
        indexes = [models.Index(fields=["tenant", "persona"], name="personarule_tenant_persona")]

    def __str__(self) -> str:
        return f"{self.field} {self.operator} {self.value}".strip()


class PersonaAssignment(TenantOwned):
    """The persona a customer has now (none when no persona's rules match), with the
    customer's behaviour over the trailing 12 months that the rules read, so that neither
    the rules nor the persona pages scan orders."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="persona_assignments",  # joined by the customer table (one per tenant)
        db_index=False,
    )
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    # Behaviour over the trailing 12 months up to `behaviour_as_of` (behaviour_refresh).
    behaviour_as_of = models.DateField(null=True)
    revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)  # net
    online_revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    gross_revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    orders_12m = models.PositiveIntegerField(default=0)  # non-return orders
    returns_12m = models.PositiveIntegerField(default=0)  # return orders
    product_families_12m = models.TextField(default="", blank=True)  # "|Sanitair|Elektra|"
    # The last non-return order up to `behaviour_as_of` (any age), for "nudge online".
    last_order_at = models.DateTimeField(null=True, blank=True)
    last_order_channel = models.ForeignKey(
        "customers.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a channel with orders is protected; read through the assignment
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer"], name="personaassignment_unique_customer"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "persona"], name="personaassign_tenant_persona"),
        ]


class PersonaSnapshot(TenantOwned):
    """A customer's persona at the end of a month: trend and "moved since last month"."""

    month = models.DateField(_("month"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    online_revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "month", "customer"], name="personasnapshot_unique_month"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "persona", "month"], name="personasnap_tenant_persona"),
        ]


class PersonaVersion(TenantOwned):
    """Who changed what, when: {field: [before, after]} written by the services."""

    persona = models.ForeignKey(
        Persona, null=True, on_delete=models.SET_NULL, related_name="versions"
    )
    persona_name = models.CharField(max_length=120)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "persona", "-changed_at"], name="personaversion_tenant_pers"
            ),
        ]
