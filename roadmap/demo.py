"""The demo wholesaler's digital roadmap: 16 items over six quarters around today (three
behind, the current one and two ahead), linked to the starter KPIs by metric."""

from __future__ import annotations

from datetime import date, timedelta

from kpis.models import Kpi
from kpis.periods import add_months
from portal.models import Department, Membership, Tenant
from roadmap.models import RoadmapItem, quarter_start
from roadmap.services import roadmap_item_save

# title, theme, department, owner, start and end (quarters from today's), status, progress,
# {metric key: expected effect}, description
DEMO_ITEMS = [
    (
        "Reorder lists in the web shop",
        "Web shop",
        "Installateurs",
        "head",
        -3,
        -3,
        "done",
        100,
        {"online_adoption": "+2 pt"},
        "Customers save lists per project and reorder them in two clicks.",
    ),
    (
        "EDI order response (ORDRSP)",
        "Integration",
        "Industrie & Utiliteit",
        "head2",
        -3,
        -2,
        "done",
        100,
        {"ecommerce_share": "+1 pt"},
        "Confirm EDI orders with delivery dates, so buyers stop calling to check.",
    ),
    (
        "Net prices per customer online",
        "Web shop",
        "",
        "admin",
        -3,
        -2,
        "done",
        100,
        {"aov": "+3 %"},
        "Show every logged-in customer their own net price and stock per branch.",
    ),
    (
        "Track & trace in My account",
        "Self-service",
        "",
        "admin",
        -2,
        -2,
        "done",
        100,
        {"ces": "−0.3"},
        "Delivery status and proof of delivery online instead of by phone.",
    ),
    (
        "Nudge list for sales reps",
        "Sales",
        "Installateurs",
        "head",
        -2,
        -1,
        "done",
        100,
        {"online_adoption": "+3 pt"},
        "Each rep sees which offline accounts to bring online this month.",
    ),
    (
        "Punch-out catalogue (OCI) for industry",
        "Integration",
        "Industrie & Utiliteit",
        "head2",
        -2,
        -1,
        "in_progress",
        70,
        {"online_revenue": "+4 %"},
        "Our assortment inside the customers' procurement systems (SAP Ariba, Coupa).",
    ),
    (
        "Ordering app with barcode scanning",
        "App",
        "Installateurs",
        "head",
        -1,
        0,
        "in_progress",
        55,
        {"active_web_users_share": "+5 pt", "online_adoption": "+2 pt"},
        "Scan the empty box on site and the order is ready for tomorrow.",
    ),
    (
        "Customer portal: invoices and returns",
        "Self-service",
        "",
        "admin",
        -1,
        0,
        "in_progress",
        40,
        {"returns_rate": "−0.5 pt", "ces": "−0.2"},
        "Download invoices and register returns with a reason, without calling.",
    ),
    (
        "Onboarding journey for new web accounts",
        "Marketing",
        "",
        "admin",
        0,
        0,
        "planned",
        10,
        {"active_web_users_share": "+4 pt"},
        "Three e-mails and a call in the first month after the account is created.",
    ),
    (
        "ETIM product data for all families",
        "Product data",
        "",
        "admin",
        0,
        1,
        "in_progress",
        30,
        {"ecommerce_share": "+1 pt"},
        "Complete technical attributes so customers can filter.",
    ),
    (
        "Order online, collect at the counter in 15 minutes",
        "Omnichannel",
        "Installateurs",
        "head",
        1,
        1,
        "planned",
        0,
        {"online_adoption": "+2 pt"},
        "Brings counter regulars online without taking the counter away.",
    ),
    (
        "Koesterklant programme",
        "Sales",
        "",
        "head",
        1,
        2,
        "planned",
        0,
        {"churn_rate": "−1 pt"},
        "A visit plan for the top online accounts, so that online does not mean forgotten.",
    ),
    (
        "Sustainability filter and CO₂ label",
        "Web shop",
        "Overheid & Zorg",
        "head2",
        2,
        2,
        "planned",
        0,
        {"nps": "+3"},
        "Filter on sustainable alternatives; label per product.",
    ),
    (
        "Tender portal for public-sector customers",
        "Self-service",
        "Overheid & Zorg",
        "head2",
        2,
        2,
        "idea",
        0,
        {},
        "The tendered assortment and spend reports per contract.",
    ),
    (
        "Live chat with inside sales",
        "Service",
        "",
        "admin",
        2,
        2,
        "idea",
        0,
        {"nps": "+2"},
        "Questions answered while ordering, by the people who know the products.",
    ),
    (
        "Fax order recognition",
        "Omnichannel",
        "",
        "admin",
        -2,
        -1,
        "dropped",
        0,
        {},
        "Dropped: fax orders fell faster than expected; we move those accounts online instead.",
    ),
]


def roadmap_demo_create(*, tenant: Tenant, today: date) -> int:
    """Create the demo roadmap when the tenant has none (returns how many items)."""
    if RoadmapItem.objects.filter(tenant=tenant).exists():
        return 0
    members = {
        m.user.username: m for m in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    admin = members["admin"].user if "admin" in members else None
    departments = {d.name: d for d in Department.objects.filter(tenant=tenant)}
    kpis = {k.metric_key: k for k in Kpi.objects.filter(tenant=tenant).exclude(metric_key="")}
    current = quarter_start(today)
    for (
        title,
        theme,
        department,
        owner,
        start,
        end,
        status,
        progress,
        effects,
        description,
    ) in DEMO_ITEMS:
        start_q, end_q = add_months(current, 3 * start), add_months(current, 3 * end)
        data = {
            "title": title,
            "description": description,
            "theme": theme,
            "department": departments.get(department),
            "owner": members.get(owner),
            "start_quarter": start_q,
            "end_quarter": end_q,
            "status": "planned" if status in {"done", "in_progress"} else status,
            "progress": 0,
        }
        links = {kpis[key]: effect for key, effect in effects.items() if key in kpis}
        item = roadmap_item_save(tenant=tenant, item=None, data=data, kpi_effects=links, user=admin)
        if status in {"done", "in_progress"}:
            # A second save, so the history shows the item moving on.
            done_on = min(add_months(end_q, 1) + timedelta(days=14), today)
            roadmap_item_save(
                tenant=tenant,
                item=item,
                data={
                    "status": status,
                    "progress": progress,
                    "done_on": done_on if status == "done" else None,
                },
                user=admin,
                today=today,
            )
    return len(DEMO_ITEMS)
