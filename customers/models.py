"""Customer and commerce data (DESIGN.md "Data"). Everything here is tenant-owned."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned

ONLINE_CHANNEL_CODES = ("web", "app", "edi", "s2s")
DEFAULT_CHANNELS = [
    # code, label, is_online
    ("web", _("Web shop"), True),
    ("app", _("App"), True),
    ("edi", _("EDI"), True),
    ("s2s", _("System to system"), True),
    ("email", _("E-mail"), False),
    ("phone", _("Phone"), False),
    ("fax", _("Fax"), False),
    ("offline", _("Counter / offline"), False),
]

SENSITIVITY = [MinValueValidator(1), MaxValueValidator(5)]


class Channel(TenantOwned):
    code = models.SlugField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=80)
    is_online = models.BooleanField(_("online"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="channel_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label


class Customer(TenantOwned):
    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    business_line = models.CharField(_("business line"), max_length=80, blank=True)
    account_manager = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    department = models.ForeignKey(
        "portal.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    # Hard characteristics (seed 003).
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    locations = models.PositiveIntegerField(_("locations / DCs"), null=True, blank=True)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    has_webshop = models.BooleanField(_("has own web shop"), null=True, blank=True)
    serves = models.CharField(_("serves which customers"), max_length=200, blank=True)
    product_families = models.PositiveIntegerField(
        _("product families bought"), null=True, blank=True
    )
    estimated_wallet = models.DecimalField(
        _("estimated annual wallet"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Soft characteristics, 1 (not at all) to 5 (very).
    price_sensitivity = models.PositiveSmallIntegerField(
        _("price sensitivity"), null=True, blank=True, validators=SENSITIVITY
    )
    brand_sensitivity = models.PositiveSmallIntegerField(
        _("brand sensitivity"), null=True, blank=True, validators=SENSITIVITY
    )
    sustainability_sensitivity = models.PositiveSmallIntegerField(
        _("sustainability sensitivity"), null=True, blank=True, validators=SENSITIVITY
    )
    reliability_sensitivity = models.PositiveSmallIntegerField(
        _("reliability sensitivity"), null=True, blank=True, validators=SENSITIVITY
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="customer_unique_ext"),
        ]
        indexes = [
            models.Index(fields=["tenant", "account_manager"], name="customer_tenant_am"),
            models.Index(fields=["tenant", "department"], name="customer_tenant_dept"),
            models.Index(fields=["tenant", "name"], name="customer_tenant_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TenantOwned):
    external_id = models.CharField(_("external id"), max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    has_web_account = models.BooleanField(_("has web account"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="contact_unique_ext"),
        ]
        indexes = [models.Index(fields=["tenant", "customer"], name="contact_tenant_customer")]

    def __str__(self) -> str:
        return self.name


class Order(TenantOwned):
    """An order or a return. Returns carry a negative amount, so net revenue is a plain sum."""

    external_id = models.CharField(_("external id"), max_length=64)
    # The fact table is written in bulk, so it has few indexes: the composite ones in Meta and
    # this one, without which PostgreSQL scans all orders to check each deleted customer.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    placed_at = models.DateTimeField(_("placed at"))
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=2)
    is_return = models.BooleanField(_("return"), default=False)
    return_reason = models.CharField(_("return reason"), max_length=200, blank=True)
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="order_unique_ext"),
        ]
        indexes = [
            models.Index(fields=["tenant", "placed_at"], name="order_tenant_placed"),
            models.Index(fields=["tenant", "customer", "placed_at"], name="order_tenant_cust"),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(TenantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField(_("line"))
    sku = models.CharField(_("SKU"), max_length=64)
    product_family = models.CharField(_("product family"), max_length=80, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "order", "line_number"], name="orderline_unique_line"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "product_family"], name="orderline_tenant_family"),
        ]


class WebActivity(TenantOwned):
    class Kind(models.TextChoices):
        LOGIN = "login", _("Login")
        SESSION = "session", _("Session")
        DOWNLOAD = "download", _("Download")
        CATALOGUE_REQUEST = "catalogue_request", _("Catalogue request")
        SAMPLE_REQUEST = "sample_request", _("Sample request")
        ACCOUNT_CREATED = "account_created", _("Account created")

    external_id = models.CharField(_("external id"), max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="web_activity")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="web_activity"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], name="webactivity_unique_ext"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "occurred_at"], name="webact_tenant_kind"),
            models.Index(fields=["tenant", "customer", "occurred_at"], name="webact_tenant_cust"),
        ]


class FunnelEvent(TenantOwned):
    class Stage(models.TextChoices):
        FIRST_IDENTIFIER = "first_identifier", _("First identifier")
        SECOND_IDENTIFIER = "second_identifier", _("Second identifier")
        MQL = "mql", _("Marketing-qualified lead")
        SQL = "sql", _("Sales-qualified lead")
        WON = "won", _("Won")

    external_id = models.CharField(_("external id"), max_length=64)
    lead_ref = models.CharField(_("lead reference"), max_length=64)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="funnel_events"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="funnel_unique_ext"),
        ]
        indexes = [
            models.Index(fields=["tenant", "stage", "occurred_at"], name="funnel_tenant_stage"),
        ]


class SurveyResponse(TenantOwned):
    class Kind(models.TextChoices):
        NPS = "nps", "NPS"
        CES = "ces", "CES"

    external_id = models.CharField(_("external id"), max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    answered_on = models.DateField(_("answered on"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="survey_unique_ext"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="nps", score__lte=10)
                    | models.Q(kind="ces", score__gte=1, score__lte=7)
                ),
                name="survey_score_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "answered_on"], name="survey_tenant_kind"),
        ]


class PlatformSample(TenantOwned):
    date = models.DateField(_("date"))
    uptime_pct = models.DecimalField(_("uptime %"), max_digits=6, decimal_places=3, null=True)
    median_page_load_ms = models.PositiveIntegerField(_("median page load (ms)"), null=True)
    error_rate = models.DecimalField(_("error rate %"), max_digits=6, decimal_places=3, null=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date"], name="platform_unique_date"),
        ]


def _import_upload_path(instance: ImportBatch, filename: str) -> str:
    return f"imports/{instance.tenant_id}/{filename}"


class ImportBatch(TenantOwned):
    """One uploaded file: validated (preview + every error), then applied on confirmation."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking")
        VALID = "valid", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to=_import_upload_path, max_length=300)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALIDATING
    )
    report = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    job = models.ForeignKey(
        "portal.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="importbatch_tenant_created")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.filename}"

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.VALIDATING, self.Status.IMPORTING}
