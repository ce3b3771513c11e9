"""The demo tenant: a fictitious Dutch installation-technology wholesaler with one user per role.

Later issues add generated customers, orders and KPIs on top (see `make demo`).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.models import GlossaryTerm
from portal.services import member_add, tenant_create
from portal.tenancy import tenant_context

DEMO_SLUG = "acme"
DEMO_PASSWORD = "koers-demo"  # noqa: S105 - printed on purpose: local demo users only

DEMO_USERS = [
    # username, role, departments, first, last
    ("admin", "admin", [], "Anouk", "de Vries"),
    ("board", "board", [], "Bram", "Jansen"),
    ("head", "head", ["Installateurs"], "Hanna", "Bakker"),
    ("rep", "rep", ["Installateurs"], "Ruben", "Visser"),
    ("rep2", "rep", ["Installateurs"], "Sanne", "Smit"),
    ("head2", "head", ["Industrie & Utiliteit"], "Daan", "Meijer"),
    ("rep3", "rep", ["Industrie & Utiliteit"], "Lotte", "de Boer"),
]

GLOSSARY = [
    (
        "Customer",
        "An account with at least one non-return order in the trailing 12 months "
        "(an active customer).",
    ),
    (
        "Online order",
        "An order placed through web shop, app, EDI or a system-to-system link.",
    ),
    (
        "Koesterklant",
        "A customer in the top 10% by online revenue over the last 12 months: they order online "
        "and still deserve a visit.",
    ),
]


DEMO_SIZE = {"customers": 800, "orders": 60_000, "months": 30, "seed": 42}


class Command(BaseCommand):
    help = (
        "Create the demo tenant, its users, generated data, the starter KPIs and their "
        "measurements (idempotent: existing data is kept) and print the logins."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-data", action="store_true", help="tenant and users only")

    def handle(self, *args, **options):
        tenant, _ = tenant_create(
            slug=DEMO_SLUG, name="Acme Installatietechniek", currency="EUR", locale="nl"
        )
        for username, role, departments, first, last in DEMO_USERS:
            member_add(
                tenant=tenant,
                username=username,
                role=role,
                department_names=departments,
                email=f"{username}@acme.example",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
            )
        with tenant_context(tenant):
            for term, definition in GLOSSARY:
                GlossaryTerm.objects.get_or_create(
                    tenant=tenant, term=term, defaults={"definition": definition}
                )
            if not options["no_data"]:
                self._data(tenant)
        self.stdout.write(self.style.SUCCESS(f"Demo tenant: {tenant.name} at /t/{tenant.slug}/"))
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for username, role, departments, *_ in DEMO_USERS:
            where = f" ({', '.join(departments)})" if departments else ""
            self.stdout.write(f"  login: {username:<6} role: {role}{where}")

    def _data(self, tenant) -> None:
        # Entry point code: the demo wires the apps together (generator, starter KPIs, recompute).
        from customers.generator import generate
        from customers.models import Order
        from kpis.demo import demo_pages_create
        from kpis.models import Kpi
        from kpis.services import recompute_run
        from kpis.starter import starter_kpis_create
        from personas.demo import personas_demo_create, personas_demo_history
        from portal.models import JobRun
        from roadmap.demo import roadmap_demo_create

        today = timezone.localdate(timezone=tenant.tzinfo)
        if not Order.objects.filter(tenant=tenant).exists():
            self.stdout.write(f"Generating demo data ({DEMO_SIZE['orders']:,} orders)...")
            counts = generate(tenant=tenant, end=today, **DEMO_SIZE)
            self.stdout.write("  " + ", ".join(f"{k}: {v:,}" for k, v in counts.items()))
        if not Kpi.objects.filter(tenant=tenant).exists():
            starter_kpis_create(tenant=tenant, as_of=today)
        demo_pages_create(tenant=tenant, as_of=today)
        # Personas before the recompute, which assigns them; their history needs the orders.
        created = personas_demo_create(tenant=tenant, today=today)
        months = personas_demo_history(tenant=tenant, today=today)
        items = roadmap_demo_create(tenant=tenant, today=today)
        if created or items:
            self.stdout.write(
                f"Demo personas: {created} ({months} months of history); roadmap items: {items}."
            )
        job = JobRun.objects.create(tenant=tenant, kind="recompute")
        result = recompute_run(tenant=tenant, job=job, as_of=today, lock_wait=30)
        if result is not None:
            self.stdout.write(
                f"Recomputed {result.measurements:,} measurements for {result.kpis} KPIs."
            )
