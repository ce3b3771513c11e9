"""Customer and commerce data (DESIGN.md "Data"). Everything here is tenant-owned."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone, translation
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


def channel_label(code: str, label: str) -> str:
    """A channel's name in the active language: a standard channel whose stored label is
    still the default (stored in English) is shown translated; a label the company gave it
    itself is shown as stored."""
    for default_code, default_label, _online in DEFAULT_CHANNELS:
        if default_code == code:
            with translation.override("en"):
                untouched = label == str(default_label)
            return str(default_label) if untouched else label
    return label


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
        return self.display

    @property
    def display(self) -> str:
        return channel_label(self.code, self.label)


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


class ContactMoment(TenantOwned):
    """A visit, call or meeting of the sales team with a customer (for the koesterklant
    signal: heavy online buyers who still deserve offline attention)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contact_moments", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VISIT)
    occurred_on = models.DateField(_("date"))
    member = models.ForeignKey(
        "portal.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-occurred_on"]
        indexes = [
            models.Index(
                fields=["tenant", "customer", "occurred_on"], name="contactmoment_tenant_cust"
            ),
        ]


class ClvFit(TenantOwned):
    """One nightly customer analytics run (customers/analytics/scoring.py): the fit of the
    BG/NBD and Gamma-Gamma models (customers/analytics/clv.py) or why there is none, and the
    new / existing / churning customers of the current month, quarter and year with their
    12-month CLV."""

    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)
    as_of = models.DateField(_("data up to"))
    customers = models.PositiveIntegerField(_("customers"))
    params = models.JSONField(_("parameters"), default=dict)
    ll = models.FloatField(_("log-likelihood"), null=True)
    error = models.TextField(_("error"), blank=True)
    discount_rate = models.FloatField(_("discount rate (per year)"), null=True)
    # {"month"|"quarter"|"year": {"start": "YYYY-MM-DD", "groups": {"new"|"existing"|
    #  "churning": {"customers": n, "clv_12m": sum or null, "mean_clv_12m": mean or null}}}}
    groups = models.JSONField(_("lifecycle groups"), default=dict, blank=True)

    class Meta:
        ordering = ["-fitted_at"]
        indexes = [models.Index(fields=["tenant", "-fitted_at"], name="clvfit_tenant_fitted")]


class CustomerScore(TenantOwned):
    """Analytics per customer, refreshed nightly (customers/analytics/scoring.py)."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
        NEW = "new", _("New")
        PROMISING = "promising", _("Promising")
        NEED_ATTENTION = "need_attention", _("Need attention")
        ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
        AT_RISK = "at_risk", _("At risk")
        CANT_LOSE = "cant_lose", _("Can't lose them")
        HIBERNATING = "hibernating", _("Hibernating")

    class Lifecycle(models.TextChoices):
        NEW = "new", _("New")
        EXISTING = "existing", _("Existing")
        CHURNING = "churning", _("Churning")
        LAPSED = "lapsed", _("Lapsed")

    # One row per customer: unique on (tenant, customer), so no OneToOneField.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    fit = models.ForeignKey(
        ClvFit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    p_alive = models.FloatField(_("P(alive)"), null=True)
    expected_purchases_12m = models.FloatField(_("expected purchases (12 months)"), null=True)
    expected_aov = models.FloatField(_("expected average order value"), null=True)
    clv_12m = models.FloatField(_("CLV (12 months)"), null=True)
    churn_risk = models.FloatField(_("churn risk"), null=True)
    # The same model's churn risk on the customer's history as it was RISING_DAYS earlier
    # (customers/analytics/scoring.py): "churn risk rising" compares the two.
    churn_risk_before = models.FloatField(_("churn risk 90 days earlier"), null=True)
    churned = models.BooleanField(_("churned"), default=False)
    lifecycle = models.CharField(
        _("lifecycle"), max_length=10, choices=Lifecycle.choices, blank=True
    )
    rfm_r = models.PositiveSmallIntegerField(null=True)
    rfm_f = models.PositiveSmallIntegerField(null=True)
    rfm_m = models.PositiveSmallIntegerField(null=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=Segment.choices, blank=True
    )
    share_of_wallet = models.FloatField(_("share of wallet %"), null=True)
    is_koesterklant = models.BooleanField(_("koesterklant"), default=False)
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)
    as_of = models.DateField(_("data up to"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer"], name="customerscore_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "rfm_segment"], name="customerscore_tenant_seg"),
            models.Index(fields=["tenant", "-clv_12m"], name="customerscore_tenant_clv"),
        ]


class Signal(TenantOwned):
    """A customer that needs a look, found by the nightly analytics (analytics/signals.py)."""

    class Kind(models.TextChoices):
        TOP_RISER = "top_riser", _("Top-10 online: riser")
        TOP_FALLER = "top_faller", _("Top-10 online: faller")
        TOP_NEW = "top_new", _("Top-10 online: new entry")
        TOP_DROPOUT = "top_dropout", _("Top-10 online: drop-out")
        RETURNS_ONLY = "returns_only", _("Only returns lately")
        KOESTER_UNVISITED = "koester_unvisited", _("Koesterklant not visited lately")
        ONLINE_DROP = "online_drop", _("Online ordering fell sharply")
        WEB_INFLUENCED = "web_influenced", _("Web-influenced offline orders")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="signals", db_index=False
    )
    as_of = models.DateField(_("as of"))
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        indexes = [
            models.Index(fields=["tenant", "kind"], name="signal_tenant_kind"),
            models.Index(fields=["tenant", "customer"], name="signal_tenant_customer"),
        ]
