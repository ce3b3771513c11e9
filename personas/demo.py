"""Demo personas for the demo wholesaler (customers/generator.py): installers, industry,
construction and the public sector, recognised by rules over the generated data."""

from __future__ import annotations

from datetime import date, timedelta

from kpis.periods import add_months
from personas.models import Persona, PersonaSnapshot
from personas.rules import Condition
from personas.services import persona_save, personas_assign
from portal.models import Membership, Tenant

# name, icon, priority, owner username, days since last review, summary, description, needs,
# pains, buying motives, preferred channels, {journey moment: note}, rules
DEMO_PERSONAS = [
    (
        "Online key account",
        "KA",
        10,
        "admin",
        40,
        "Large, loyal installer that already orders most of its volume online.",
        "A multi-site installation company with its own purchasing desk. Orders daily through "
        "the web shop or EDI; the account manager visits for projects and the year deal.",
        "Net prices and stock per branch online; reorder lists per project; invoices in their ERP.",
        "Back orders found out late; a web shop that is slower than calling the branch.",
        "Reliability and delivery the next morning; a partner that thinks along on projects.",
        "Web shop, EDI, account manager for projects",
        {
            "account_creation": "Needs many web users per account, with budgets per branch.",
            "ordering": "Reorders from lists and history; EDI for the large volumes.",
            "aftersales": "Expects returns and invoices self-service, not by phone.",
        },
        [(1, "rfm_segment", "in", "champions;loyal"), (1, "online_share_12m", "gte", "60")],
    ),
    (
        "Industrial EDI buyer",
        "EDI",
        20,
        "head2",
        200,
        "Industrial or facility customer buying MRO through systems, on contract.",
        "Maintenance departments of factories and facility managers of large buildings. "
        "Purchasing works from a contract assortment and wants the order in their own system.",
        "Punch-out or EDI into their procurement system; contract prices; certified products.",
        "Manual re-keying of orders; deliveries that do not match the purchase order lines.",
        "Reliability and total cost of ownership over price per item.",
        "EDI, punch-out catalogue, e-mail for exceptions",
        {
            "sample_request": "Technical datasheets and certificates before a product is listed.",
            "ordering": "System to system; a phone call only when production stands still.",
        },
        [(1, "business_line", "in", "Industrie;Utiliteit")],
    ),
    (
        "Growing installer",
        "GI",
        30,
        "head",
        90,
        "Small installer or electrician that has started to order online.",
        "Five to fifty people, the owner still does the purchasing in the evening. Started "
        "with the web shop for standard items; calls the counter for anything urgent.",
        "A fast app on the building site; clear stock; order before 22:00, delivered tomorrow.",
        "Too little time for administration; searching for the right article number.",
        "Convenience and speed; a fair price without negotiating.",
        "App, web shop, counter",
        {
            "account_creation": "Creates the account after a tip from the account manager.",
            "ordering": "Evening orders in the app; scans the barcode of the empty box.",
        },
        [
            (1, "business_line", "in", "Installatie;Elektrotechniek"),
            (1, "employees", "lt", "60"),
            (1, "online_share_12m", "gte", "20"),
        ],
    ),
    (
        "Counter regular",
        "CR",
        40,
        "head",
        260,
        "Price-driven account that orders by phone and at the counter.",
        "A small contractor that drops by the branch in the morning and calls when something "
        "is missing. Compares prices and knows the counter staff by name.",
        "Personal contact; the right product picked for them; credit terms.",
        "Web shop feels complicated; no time to create an account.",
        "Price and the relationship with the counter staff.",
        "Counter, phone",
        {
            "account_creation": "The moment to win: set up the account together at the counter.",
            "ordering": "Phone or counter; the first online order needs a nudge.",
        },
        [
            (1, "online_share_12m", "lt", "20"),
            (1, "price_sensitivity", "gte", "4"),
            (2, "online_share_12m", "lt", "10"),
            (2, "orders_12m", "gte", "12"),
        ],
    ),
    (
        "Project builder",
        "PB",
        50,
        "admin",
        30,
        "Contractor buying per project, in large orders with long lead times.",
        "Construction companies and project developers. Orders are tied to a building project "
        "and planned weeks ahead; delivery to the site at a fixed time.",
        "Project prices and quotations; delivery to the site in time slots; call-off orders.",
        "Deliveries at the wrong time; quotations that take days.",
        "Delivery reliability and a clear quotation.",
        "E-mail, phone, account manager",
        {
            "sample_request": "Samples and quotations decide the project.",
            "ordering": "Call-off per phase of the project.",
        },
        [
            (1, "business_line", "eq", "Bouw"),
            (2, "product_family", "eq", "Isolatie"),
            (2, "employees", "gte", "20"),
        ],
    ),
    (
        "Public-sector buyer",
        "PS",
        60,
        "head2",
        100,
        "Hospitals, schools and municipalities buying within a tender.",
        "Technical services of public organisations. They buy from a tendered assortment and "
        "must show that purchases follow the contract and sustainability goals.",
        "Tender assortment online; sustainability information; reports of what was bought.",
        "Products outside the contract; paperwork for every order.",
        "Compliance with the tender and sustainability.",
        "Web shop with contract assortment, e-mail",
        {
            "account_creation": "Accounts per location, set up from the tender.",
            "aftersales": "Spend reports per quarter for the contract manager.",
        },
        [(1, "business_line", "eq", "Overheid & Zorg")],
    ),
]

HISTORY_MONTHS = 6


def personas_demo_create(*, tenant: Tenant, today: date) -> int:
    """Create the demo personas when the tenant has none (returns how many were created)."""
    if Persona.objects.filter(tenant=tenant).exists():
        return 0
    members = {
        m.user.username: m for m in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    admin = members.get("admin")
    for (
        name,
        icon,
        priority,
        owner,
        reviewed_days_ago,
        summary,
        description,
        needs,
        pains,
        motives,
        channels,
        journey,
        rules,
    ) in DEMO_PERSONAS:
        persona_save(
            tenant=tenant,
            persona=None,
            data={
                "name": name,
                "icon": icon,
                "priority": priority,
                "owner": members.get(owner),
                "summary": summary,
                "description": description,
                "needs": needs,
                "pains": pains,
                "buying_motives": motives,
                "preferred_channels": channels,
                "journey_notes": journey,
                "review_interval_days": 180,
                "last_reviewed_on": today - timedelta(days=reviewed_days_ago),
            },
            conditions=[Condition(*rule) for rule in rules],
            user=admin.user if admin else None,
        )
    return len(DEMO_PERSONAS)


def personas_demo_history(*, tenant: Tenant, today: date) -> int:
    """Assign personas at the end of each of the last months (scores as of that day too), so
    that the trend and "moved since last month" have history; the nightly recompute then
    writes today's. Runs only when no earlier snapshot exists; returns the months written."""
    from customers.analytics.scoring import customer_analytics_refresh

    first = add_months(today.replace(day=1), -HISTORY_MONTHS)
    if PersonaSnapshot.objects.filter(tenant=tenant, month__lt=today.replace(day=1)).exists():
        return 0
    for n in range(HISTORY_MONTHS):
        month_end = add_months(first, n + 1) - timedelta(days=1)
        customer_analytics_refresh(tenant=tenant, as_of=month_end)
        personas_assign(tenant=tenant, as_of=month_end)
    return HISTORY_MONTHS
