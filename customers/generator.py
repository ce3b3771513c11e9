"""Synthetic, deterministic data for one tenant (`manage.py generate_data`).

One seed drives everything: the same seed, arguments and starting state give the same customers,
orders, timestamps, amounts and external ids. The window ends at `end` (exclusive; a fixed
default, never today, so runs on different days agree) and starts `months` months earlier.

What the dashboards should find in the data:
- heavy-tailed customer sizes (lognormal annual wallet); bigger customers order more often and
  in bigger baskets;
- every customer moves online at a moment of its own; good reps and some business lines move
  their accounts earlier, so the online share of orders rises from about 25% to about 55%;
- seasonality: spring peak, summer and December dips, quiet weekends and holidays;
- about 4% of orders are returns (negative amount, with a reason); about 8% of customers churn
  partway; about 22% start within the window; about 1% only return goods in the last 90 days;
- web sessions before online orders and before some offline ones (web-influenced revenue);
- won funnel leads become new customers; NPS and CES answers; one platform sample per day.

Sampling is vectorised with numpy; rows go to PostgreSQL through COPY and to SQLite through
`bulk_create`, all inside one transaction.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from customers.models import (
    Contact,
    Customer,
    FunnelEvent,
    Order,
    OrderLine,
    PlatformSample,
    SurveyResponse,
    WebActivity,
)
from customers.services import channels_ensure
from portal.models import Department, DepartmentMember, Membership, Role, Tenant
from portal.services import member_add
from portal.tenancy import tenant_context

DEFAULT_END = date(2026, 11, 1)
CHUNK_SIZE = 100_000

# Independent random streams, so one part of the data can change without reshuffling the rest.
# Append new streams at the end: the position of a name decides its seed.
STREAMS = (
    "reps",
    "customers",
    "names",
    "orders",
    "lines",
    "contacts",
    "web",
    "funnel",
    "survey",
    "platform",
)

DEPARTMENTS = ("Installateurs", "Industrie & Utiliteit", "Bouw", "Overheid & Zorg")
# name, share of customers, department, shift of the online moment (window fractions, + = earlier)
BUSINESS_LINES = (
    ("Installatie", 0.34, "Installateurs", 0.10),
    ("Elektrotechniek", 0.15, "Installateurs", 0.20),
    ("Industrie", 0.16, "Industrie & Utiliteit", 0.30),
    ("Utiliteit", 0.08, "Industrie & Utiliteit", 0.0),
    ("Bouw", 0.17, "Bouw", -0.30),
    ("Overheid & Zorg", 0.10, "Overheid & Zorg", -0.20),
)
SERVES = (
    ("Particulieren", "Woningcorporaties", "Zakelijke markt", "VvE's"),
    ("Particulieren", "Zakelijke markt", "Utiliteitsbouw", "Industrie"),
    ("Eigen productie", "Industrie", "Food & Pharma", "Energiebedrijven"),
    ("Kantoren", "Onderwijs", "Zorginstellingen", "Retail"),
    ("Particulieren", "Projectontwikkelaars", "Woningcorporaties", "Overheid"),
    ("Burgers", "Patiënten", "Bewoners", "Eigen gebouwen"),
)
COUNTRIES = (("NL", 0.74), ("BE", 0.14), ("DE", 0.08), ("DK", 0.04))

FAMILIES = (
    ("Sanitair", "SAN"),
    ("Verwarming", "VER"),
    ("Elektra", "ELE"),
    ("Gereedschap", "GER"),
    ("Ventilatie", "VEN"),
    ("Koeling & Klimaat", "KLI"),
    ("Leidingsystemen", "LEI"),
    ("Bevestigingsmiddelen", "BEV"),
    ("Verlichting", "VLI"),
    ("Persoonlijke bescherming", "PBM"),
    ("Isolatie", "ISO"),
    ("Duurzame energie", "DUR"),
)
# How much each business line buys of each family (same order as FAMILIES).
FAMILY_AFFINITY = np.array(
    [
        [6, 6, 1, 2, 3, 2, 5, 2, 1, 1, 2, 3],
        [1, 1, 8, 3, 1, 1, 1, 2, 5, 1, 1, 4],
        [1, 1, 3, 6, 2, 2, 3, 5, 2, 5, 2, 1],
        [2, 3, 3, 2, 5, 5, 2, 1, 3, 1, 2, 2],
        [2, 1, 1, 5, 1, 1, 2, 6, 1, 3, 6, 2],
        [4, 2, 2, 1, 4, 2, 1, 1, 4, 2, 1, 3],
    ],
    dtype=float,
)
SKUS_PER_FAMILY = 3000

ONLINE_CODES = ("web", "app", "edi", "s2s")
OFFLINE_CODES = ("phone", "email", "fax", "offline")
CHANNEL_CODES = ONLINE_CODES + OFFLINE_CODES
# Channel mix within online / offline for the smallest and the largest customers.
ONLINE_MIX = (np.array([0.72, 0.16, 0.09, 0.03]), np.array([0.30, 0.05, 0.42, 0.23]))
OFFLINE_MIX = (np.array([0.45, 0.27, 0.06, 0.22]), np.array([0.32, 0.58, 0.05, 0.05]))

RETURN_REASONS = (
    ("Verkeerd artikel", 0.28),
    ("Te veel besteld", 0.25),
    ("Beschadigd", 0.2),
    ("Niet meer nodig", 0.15),
    ("Defect", 0.08),
    ("Verkeerd geleverd", 0.04),
)

MONTH_SEASON = np.array([0.92, 1.0, 1.1, 1.15, 1.1, 1.0, 0.78, 0.72, 1.04, 1.08, 1.05, 0.8])
WEEKDAY_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.07, 0.02])
CLOSED_DAYS = {(1, 1), (4, 27), (12, 25), (12, 26)}

WEB_KINDS = (
    "login",
    "session",
    "download",
    "catalogue_request",
    "sample_request",
    "account_created",
)
STAGES = ("first_identifier", "second_identifier", "mql", "sql", "won")

NPS_COMMENTS = (
    (
        "Levering was te laat.",
        "Webshop werkt niet goed op mijn telefoon.",
        "Prijzen zijn gestegen.",
    ),
    ("Prima, maar de levertijden kunnen beter.", "Goed, al mis ik soms voorraadinformatie."),
    (
        "Altijd snel geleverd.",
        "Accountmanager denkt goed mee.",
        "Bestellen via de app is heel makkelijk.",
    ),
)
CES_COMMENTS = (
    "Kon mijn bestelling niet vinden.",
    "Retour aanmelden was omslachtig.",
    "Snel geregeld.",
    "Alles in een paar klikken.",
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


FIRST_NAMES = {
    "nl": _words(
        "Jan|Pieter|Kees|Bram|Daan|Ruben|Lars|Tim|Joost|Sander|Mark|Jeroen|Thijs|Niels|Bas|Rik|"
        "Anouk|Sanne|Lotte|Femke|Eva|Iris|Marieke|Linda|Esther|Sophie|Noor|Fleur|Ilse|Karin"
    ),
    "de": _words("Thomas|Michael|Stefan|Andreas|Jürgen|Katrin|Sabine|Anja|Julia|Markus"),
    "da": _words("Lars|Mads|Søren|Rasmus|Henrik|Mette|Camilla|Louise|Sofie|Anne"),
}
LAST_NAMES = {
    "nl": _words(
        "de Vries|Jansen|van Dijk|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|"
        "Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|van der Meer|"
        "van den Berg|Kok|Jacobs|de Haan|Vermeulen|van den Heuvel|van der Veen|Schouten|"
        "Willems|Hoekstra|Koster|Prins|Huisman|Post|Kuipers|Verbeek|Claes|Maes|Wouters|Goossens"
    ),
    "de": _words("Müller|Schmidt|Schneider|Fischer|Weber|Becker|Hoffmann|Koch|Wagner|Braun"),
    "da": _words("Jensen|Nielsen|Hansen|Pedersen|Andersen|Christensen|Larsen|Sørensen|Madsen"),
}
PLACES = {
    "NL": _words(
        "Zwolle|Utrecht|Amersfoort|Deventer|Apeldoorn|Eindhoven|Tilburg|Breda|Groningen|Leiden|"
        "Haarlem|Almere|Arnhem|Nijmegen|Venlo|Heerenveen|Drachten|Assen|Emmen|Gouda"
    ),
    "BE": _words("Antwerpen|Gent|Brugge|Hasselt|Leuven|Mechelen|Kortrijk|Genk|Aalst|Turnhout"),
    "DE": _words("Kleve|Emmerich|Bocholt|Münster|Aachen|Krefeld|Duisburg|Oberhausen"),
    "DK": _words("Aarhus|Odense|Aalborg|Esbjerg|Kolding|Vejle|Horsens|Herning"),
}
TRADES = {
    # per business line: Dutch, German, Danish trade words
    0: (
        ("Installatietechniek", "Installatiebedrijf", "Installaties", "Warmtetechniek"),
        ("Haustechnik", "Sanitär & Heizung"),
        ("VVS", "VVS-teknik"),
    ),
    1: (
        ("Elektrotechniek", "Elektro", "Elektrotechnisch Bureau", "Energietechniek"),
        ("Elektrotechnik", "Elektro"),
        ("El-service", "El-teknik"),
    ),
    2: (
        ("Industrial Services", "Machinebouw", "Procestechniek", "Metaal"),
        ("Industrieservice", "Maschinenbau"),
        ("Industri", "Maskinfabrik"),
    ),
    3: (
        ("Technisch Beheer", "Utiliteitstechniek", "Facilitair"),
        ("Gebäudetechnik", "Facility Services"),
        ("Ejendomsservice", "Teknik"),
    ),
    4: (
        ("Bouw", "Bouwbedrijf", "Aannemers", "Renovatie", "Bouwgroep"),
        ("Bau", "Bauunternehmung"),
        ("Byg", "Entreprise"),
    ),
}
PUBLIC_NAMES = {
    "NL": ("Gemeente {place}", "Zorggroep {place}", "Woonstichting {place}", "Ziekenhuis {place}"),
    "BE": ("Stad {place}", "AZ {place}", "Woonzorg {place}"),
    "DE": ("Stadtwerke {place}", "Klinikum {place}"),
    "DK": ("{place} Kommune", "{place} Sygehus"),
}
LEGAL_FORMS = {"NL": "B.V.", "BE": "BV", "DE": "GmbH", "DK": "ApS"}
TLD = {"NL": "nl", "BE": "be", "DE": "de", "DK": "dk"}
LANGUAGE = {"NL": "nl", "BE": "nl", "DE": "de", "DK": "da"}


class TenantHasData(Exception):
    """The tenant already has customers, orders or other generated data."""


def generate(
    *,
    tenant: Tenant,
    customers: int,
    orders: int,
    months: int,
    seed: int,
    reps: int | None = None,
    end: date = DEFAULT_END,
    replace: bool = False,
    progress: Any = None,
) -> dict[str, int]:
    """Generate a tenant's customers, orders and activity; return the counts written.

    `progress` is a tqdm-like object (`reset(total=)`, `set_description()`, `update()`).
    Refuses (TenantHasData) when the tenant has data, unless `replace` deletes it first.
    """
    if customers < 1 or months < 1 or seed < 0:
        raise ValueError("customers and months must be positive and seed non-negative.")
    if orders < customers:
        raise ValueError("Ask for at least as many orders as customers (one each at least).")
    rngs = dict(
        zip(
            STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))),
            strict=True,
        )
    )
    with tenant_context(tenant), transaction.atomic():
        existing = _existing_counts(tenant)
        if any(existing.values()) and not replace:
            found = ", ".join(f"{n} {name}" for name, n in existing.items() if n)
            raise TenantHasData(
                f"Tenant {tenant.slug!r} already has data ({found}). Run again with --replace "
                "to delete its customers, orders, web activity, funnel events, surveys and "
                "platform samples and generate new ones."
            )
        reusable_ids = _data_delete(tenant) if replace else []
        window = _window(end=end, months=months, tz=tenant.tzinfo)
        channels = channels_ensure(tenant=tenant)
        departments = _departments(tenant)
        wanted = reps if reps is not None else max(3, len(departments), customers // 400)
        rep_list, rep_dept, rep_skill = _reps(tenant, departments, wanted, rngs["reps"])
        plan = _plan_customers(
            customers, window, departments, rep_dept, rep_skill, rngs["customers"]
        )
        order_plan = _plan_orders(plan, window, orders, rngs["orders"])
        contact_plan = _plan_contacts(plan, order_plan, rngs["contacts"])
        web = _plan_web(plan, order_plan, contact_plan, window, rngs["web"])
        funnel = _plan_funnel(plan, order_plan, window, rngs["funnel"])
        surveys = _plan_surveys(plan, order_plan, window, rngs["survey"])

        sink = _Sink(tenant, progress)
        sink.start(
            total=customers
            + len(contact_plan["customer"])
            + len(order_plan["customer"])
            + int(order_plan["n_lines"].sum())
            + len(web["customer"])
            + len(funnel["stage"])
            + len(surveys["customer"])
            + window.days
        )
        customer_ids, names = _write_customers(
            sink, plan, rep_list, departments, rngs["names"], reusable_ids
        )
        contact_ids = _write_contacts(sink, contact_plan, customer_ids, names, plan)
        channel_ids = np.array([channels[code].pk for code in CHANNEL_CODES])
        lines_written = _write_orders(
            sink, order_plan, plan, customer_ids, channel_ids, rngs["lines"]
        )
        _write_web(sink, web, customer_ids, contact_ids)
        _write_funnel(sink, funnel, customer_ids)
        _write_surveys(sink, surveys, customer_ids, window)
        _write_platform(sink, window, rngs["platform"])
    return {
        "departments": len(departments),
        "reps": len(rep_list),
        "customers": customers,
        "contacts": len(contact_plan["customer"]),
        "orders": len(order_plan["customer"]),
        "returns": int(order_plan["is_return"].sum()),
        "order_lines": lines_written,
        "web_activity": len(web["customer"]),
        "funnel_events": len(funnel["stage"]),
        "survey_responses": len(surveys["customer"]),
        "platform_samples": window.days,
    }


# --- existing data ---------------------------------------------------------------------------

_DATA_MODELS = (OrderLine, Order, WebActivity, SurveyResponse, FunnelEvent, Contact, Customer)


def _existing_counts(tenant: Tenant) -> dict[str, int]:
    return {
        "orders": Order.objects.filter(tenant=tenant).count(),
        "customers": Customer.objects.filter(tenant=tenant).count(),
        "funnel events": FunnelEvent.objects.filter(tenant=tenant).count(),
        "platform samples": PlatformSample.objects.filter(tenant=tenant).count(),
    }


def _data_delete(tenant: Tenant) -> list[int]:
    """Delete the tenant's commerce data (channels, departments, members stay).

    Returns the deleted customers' ids, for the new customers to reuse: see _write_customers.
    """
    # The three big tables go with plain DELETEs: the ORM would load millions of rows to
    # cascade. Nothing but order lines points at them. The rest goes through the ORM so
    # cascades added later by other apps keep working.
    with connection.cursor() as cursor:
        for model in (OrderLine, Order, WebActivity):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
    ids = sorted(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True))
    for model in (SurveyResponse, FunnelEvent, Contact, Customer, PlatformSample):
        model.objects.filter(tenant=tenant).delete()
    return ids


# --- calendar ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    start: date
    end: date
    days: int
    midnight: np.ndarray  # epoch seconds (UTC) of each local day's midnight
    cum: np.ndarray  # cumulative day weights (seasonality, weekdays, holidays); days + 1 long

    @property
    def start_ts(self) -> int:
        return int(self.midnight[0])

    @property
    def end_ts(self) -> int:
        return int(self.midnight[-1]) + 86_400

    def sample_days(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One day in [lo, hi) per element, following the day weights."""
        a, b = self.cum[lo], self.cum[hi]
        day = np.searchsorted(self.cum, a + rng.random(len(lo)) * (b - a), side="right") - 1
        return np.clip(day, lo, hi - 1)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _window(*, end: date, months: int, tz) -> _Window:
    start = _months_before(end, months)
    days = (end - start).days
    dates = [start + timedelta(days=d) for d in range(days)]
    epoch = date(1970, 1, 1)
    # Offsets at noon: DST switches at night, so they hold for the whole business day.
    midnight = np.array(
        [
            (d - epoch).days * 86_400
            - int(datetime.combine(d, time(12), tz).utcoffset().total_seconds())
            for d in dates
        ],
        dtype=np.int64,
    )
    weight = np.array(
        [
            MONTH_SEASON[d.month - 1]
            * WEEKDAY_WEIGHT[d.weekday()]
            * (0.02 if (d.month, d.day) in CLOSED_DAYS else 1.0)
            for d in dates
        ]
    )
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    return _Window(start=start, end=end, days=days, midnight=midnight, cum=cum)


def _business_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight between 07:00 and 18:00, busiest mid-morning and mid-afternoon."""
    morning = rng.random(n) < 0.55
    hours = np.where(morning, 7.0 + 5.5 * rng.beta(2.2, 2.0, n), 12.5 + 5.5 * rng.beta(2.0, 2.4, n))
    return (hours * 3600).astype(np.int64)


# --- reps and departments --------------------------------------------------------------------


def _departments(tenant: Tenant) -> list[Department]:
    existing = list(Department.objects.filter(tenant=tenant).order_by("name"))
    if existing:
        return existing
    return [Department.objects.create(tenant=tenant, name=name) for name in DEPARTMENTS]


def _reps(
    tenant: Tenant, departments: list[Department], wanted: int, rng: np.random.Generator
) -> tuple[list[Membership], np.ndarray, np.ndarray]:
    """Reuse the tenant's reps, add `rep-<n>` users up to `wanted`; each rep gets a department."""
    # Draw everything up front: the draws must not depend on how many reps already exist.
    skill = rng.normal(0.0, 0.2, wanted)
    star = rng.random(wanted)
    # Some reps are much better at moving accounts online than others.
    skill += np.where(star < 0.2, 0.45, 0.0) - np.where(star > 0.85, 0.35, 0.0)
    first_names = rng.integers(len(FIRST_NAMES["nl"]), size=wanted)
    last_names = rng.integers(len(LAST_NAMES["nl"]), size=wanted)

    reps = list(Membership.objects.filter(tenant=tenant, role=Role.REP).order_by("pk")[:wanted])
    index = {d.pk: i for i, d in enumerate(departments)}
    linked: dict[int, int] = {}
    for link in DepartmentMember.objects.filter(tenant=tenant, membership__in=reps).order_by(
        "department__name"
    ):
        if link.department_id in index:
            linked.setdefault(link.membership_id, index[link.department_id])
    load = np.zeros(len(departments), dtype=int)
    rep_dept = []
    for rep in reps:
        if rep.pk not in linked:
            # A rep without a department cannot own accounts in the department views.
            linked[rep.pk] = int(load.argmin())
            DepartmentMember.objects.create(
                tenant=tenant, membership=rep, department=departments[linked[rep.pk]]
            )
        load[linked[rep.pk]] += 1
        rep_dept.append(linked[rep.pk])

    taken = set(
        get_user_model()
        .objects.filter(username__regex=r"^rep-[0-9]+$")
        .values_list("username", flat=True)
    )
    number = 0
    for position in range(len(reps), wanted):
        number += 1
        while f"rep-{number}" in taken:  # user names are global; never borrow another's rep
            number += 1
        dept = int(load.argmin())
        membership, _ = member_add(
            tenant=tenant,
            username=f"rep-{number}",
            role=Role.REP,
            department_names=[departments[dept].name],
            first_name=FIRST_NAMES["nl"][first_names[position]],
            last_name=LAST_NAMES["nl"][last_names[position]],
        )
        reps.append(membership)
        rep_dept.append(dept)
        load[dept] += 1
    return reps, np.array(rep_dept, dtype=int), skill


# --- customers -------------------------------------------------------------------------------


@dataclass
class _CustomerPlan:
    n: int
    country: np.ndarray
    line: np.ndarray
    dept: np.ndarray
    rep: np.ndarray  # index into the rep list, -1 for house accounts
    wallet: np.ndarray
    size_q: np.ndarray
    freq: np.ndarray
    revenue: np.ndarray  # expected yearly revenue with us
    first_day: np.ndarray
    last_day: np.ndarray  # exclusive
    is_new: np.ndarray
    returns_only: np.ndarray
    adopt_at: np.ndarray  # window fraction at which the customer moves online
    p_pre: np.ndarray
    p_post: np.ndarray
    return_rate: np.ndarray
    families: np.ndarray  # (n, 12) family indices, most bought first
    n_families: np.ndarray
    aov: np.ndarray | None = None


def _plan_customers(
    n: int,
    window: _Window,
    departments: list[Department],
    rep_dept: np.ndarray,
    rep_skill: np.ndarray,
    rng: np.random.Generator,
) -> _CustomerPlan:
    days = window.days
    country = rng.choice([c for c, _ in COUNTRIES], size=n, p=[p for _, p in COUNTRIES])
    line = rng.choice(len(BUSINESS_LINES), size=n, p=[b[1] for b in BUSINESS_LINES])
    wallet = rng.lognormal(np.log(45_000), 1.15, n) * np.where(line == 5, 1.5, 1.0)
    wallet = np.clip(wallet, 2_000, 25_000_000)
    size_q = wallet.argsort().argsort() / max(n - 1, 1)

    by_name = {d.name: i for i, d in enumerate(departments)}
    line_dept = np.array(
        [by_name.get(b[2], i % len(departments)) for i, b in enumerate(BUSINESS_LINES)]
    )
    dept = line_dept[line]
    # Within a department, reps carry portfolios of different sizes.
    portfolio = rng.lognormal(0.0, 0.3, len(rep_dept))
    pick = rng.random(n)
    rep = np.full(n, -1)
    for d in range(len(departments)):
        members = np.flatnonzero(rep_dept == d)
        mine = dept == d
        if len(members):
            cum = np.cumsum(portfolio[members]) / portfolio[members].sum()
            rep[mine] = members[np.minimum(np.searchsorted(cum, pick[mine]), len(members) - 1)]

    is_new = rng.random(n) < 0.22
    first_day = np.where(is_new, rng.integers(0, max(days - 30, 1), n), 0)
    last_day = np.full(n, days)
    churn_lo = np.maximum(first_day + 30, int(0.15 * days))
    churn_hi = days - 120
    churner = (rng.random(n) < 0.08) & (churn_lo < churn_hi)
    churn_day = churn_lo + (rng.random(n) * np.maximum(churn_hi - churn_lo, 1)).astype(int)
    last_day = np.where(churner, churn_day, last_day)
    returns_only = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(~is_new & ~churner)
    if days >= 180 and len(candidates):
        chosen = rng.choice(
            candidates, size=min(len(candidates), max(1, round(0.01 * n))), replace=False
        )
        returns_only[chosen] = True
        last_day[chosen] = days - 90 - rng.integers(0, 31, len(chosen))

    shift = np.array([b[3] for b in BUSINESS_LINES])[line]
    skill = np.where(rep >= 0, rep_skill[np.maximum(rep, 0)], 0.0)
    adopt_at = rng.normal(0.58, 0.85, n) - shift - skill

    affinity = FAMILY_AFFINITY[line]
    keys = np.log(affinity) + rng.gumbel(size=affinity.shape)
    families = np.argsort(-keys, axis=1)
    n_families = np.clip(1 + rng.binomial(11, 0.12 + 0.4 * size_q), 1, len(FAMILIES))

    return _CustomerPlan(
        n=n,
        country=country,
        line=line,
        dept=dept,
        rep=rep,
        wallet=wallet,
        size_q=size_q,
        freq=wallet**0.55 * rng.lognormal(0.0, 0.35, n),
        revenue=wallet * rng.beta(2.5, 3.0, n),
        first_day=first_day,
        last_day=last_day,
        is_new=is_new,
        returns_only=returns_only,
        adopt_at=adopt_at,
        # Before their switch most customers never order online; some now and then.
        p_pre=rng.beta(1.2, 14.0, n) * (rng.random(n) < 0.4),
        p_post=rng.beta(8.0, 2.5, n),
        return_rate=rng.beta(0.8, 19.2, n),
        families=families,
        n_families=n_families,
    )


def _write_customers(
    sink: _Sink,
    plan: _CustomerPlan,
    reps: list[Membership],
    departments: list[Department],
    rng: np.random.Generator,
    reusable_ids: list[int],
) -> tuple[np.ndarray, list[str]]:
    """Insert the customers; with --replace they take over the deleted customers' ids.

    Why reuse ids: customers_order has no index leading with customer_id, so PostgreSQL's
    foreign key check for each deleted customer scans the whole order table at commit. When a
    row with the deleted key exists again by then, PostgreSQL skips that scan (NO ACTION).
    """
    n = plan.n
    employees = np.clip(np.round(plan.wallet / 9_000 * rng.lognormal(0, 0.5, n)), 1, 5_000)
    locations = np.minimum(1 + rng.poisson(employees / 80), 60)
    floor_area = np.maximum(20, np.round(employees * rng.lognormal(np.log(30), 0.5, n), -1))
    webshop = rng.random(n) < np.array([0.12, 0.25, 0.08, 0.05, 0.06, 0.0])[plan.line]
    has_estimate = rng.random(n) < 0.7
    estimate = np.round(plan.wallet * rng.lognormal(0, 0.25, n), -2)
    public = plan.line == 5

    def sensitivity(mean: np.ndarray, sd: float) -> np.ndarray:
        return np.clip(np.round(rng.normal(mean, sd, n)), 1, 5).astype(int)

    price = sensitivity(3.7 - 1.2 * plan.size_q, 0.9)
    brand = sensitivity(2.8 + 0.4 * (plan.line == 0), 0.9)
    green = sensitivity(2.6 + 1.3 * public + 0.4 * (plan.line == 3), 0.9)
    reliability = sensitivity(3.6 + 0.7 * (plan.line == 2), 0.8)
    serves_pick = rng.random((n, 2))
    names = [_company_name(rng, plan.country[i], int(plan.line[i])) for i in range(n)]

    rows = []
    for i in range(n):
        options = SERVES[plan.line[i]]
        serves = [options[int(serves_pick[i, 0] * len(options))]]
        second = options[int(serves_pick[i, 1] * len(options))]
        if serves_pick[i, 1] < 0.5 and second != serves[0]:
            serves.append(second)
        rows.append(
            Customer(
                pk=reusable_ids[i] if i < len(reusable_ids) else None,
                tenant=sink.tenant,
                external_id=f"C{i + 1:06d}",
                name=names[i],
                country=str(plan.country[i]),
                business_line=BUSINESS_LINES[plan.line[i]][0],
                account_manager=reps[plan.rep[i]] if plan.rep[i] >= 0 else None,
                department=departments[plan.dept[i]],
                employees=int(employees[i]),
                locations=int(locations[i]),
                floor_area_m2=int(floor_area[i]),
                has_webshop=bool(webshop[i]),
                serves=", ".join(serves),
                product_families=int(plan.n_families[i]),
                estimated_wallet=Decimal(int(estimate[i])) if has_estimate[i] else None,
                price_sensitivity=int(price[i]),
                brand_sensitivity=int(brand[i]),
                sustainability_sensitivity=int(green[i]),
                reliability_sensitivity=int(reliability[i]),
            )
        )
    sink.describe("customers")
    Customer.objects.bulk_create(rows, batch_size=2_000)
    sink.advance(n)
    return np.array([c.pk for c in rows], dtype=np.int64), names


def _company_name(rng: np.random.Generator, country: str, line: int) -> str:
    language = LANGUAGE[country]
    place = PLACES[country][rng.integers(len(PLACES[country]))]
    if line == 5:
        patterns = PUBLIC_NAMES[country]
        return patterns[rng.integers(len(patterns))].format(place=place)
    trades = TRADES[line][{"nl": 0, "de": 1, "da": 2}[language]]
    trade = trades[rng.integers(len(trades))]
    last_names = LAST_NAMES[language]
    surname = last_names[rng.integers(len(last_names))]
    surname = surname[0].upper() + surname[1:]
    style = rng.random()
    if style < 0.45:
        name = f"{surname} {trade}"
    elif style < 0.6:
        other = last_names[rng.integers(len(last_names))]
        name = f"{surname} & {other[0].upper() + other[1:]} {trade}"
    elif style < 0.8:
        name = f"{surname} {trade} {place}"
    elif style < 0.9 and language == "nl":
        name = f"{trade} {surname}"
        return name if rng.random() < 0.5 else f"{name} V.O.F."
    else:
        name = f"{trade} {place}"
    return f"{name} {LEGAL_FORMS[country]}"


# --- orders ------------------------------------------------------------------------------------


def _plan_orders(
    plan: _CustomerPlan, window: _Window, total: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Every order and return as arrays, sorted by time (external ids follow that order)."""
    days = window.days
    returners = np.flatnonzero(plan.returns_only)
    extra_count = rng.integers(1, 4, len(returners))
    budget = max(total - int(extra_count.sum()), plan.n)
    exposure = plan.freq * (window.cum[plan.last_day] - window.cum[plan.first_day])
    lam = exposure * budget / exposure.sum()
    # Customers with almost no exposure still get one order; leave room for those.
    forced = np.exp(-lam).sum()
    lam *= max(budget - forced, plan.n * 0.5) / budget
    counts = np.maximum(1, rng.poisson(lam))

    customer = np.repeat(np.arange(plan.n), counts)
    day = window.sample_days(rng, plan.first_day[customer], plan.last_day[customer])
    # A customer's first order is never a return.
    is_return = rng.random(len(customer)) < plan.return_rate[customer]
    first = np.lexsort((day, customer))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    is_return[first[starts]] = False

    # Returns-only customers: their regular orders end 90+ days before the end; then returns.
    extra_customer = np.repeat(returners, extra_count)
    extra_day = window.sample_days(
        rng, np.full(len(extra_customer), days - 90), np.full(len(extra_customer), days)
    )
    customer = np.concatenate([customer, extra_customer])
    day = np.concatenate([day, extra_day])
    is_return = np.concatenate([is_return, np.ones(len(extra_customer), dtype=bool)])
    n = len(customer)

    # Online or not: each customer switches around its own moment.
    t = (day + 0.5) / days
    switched = 1.0 / (1.0 + np.exp(-(t - plan.adopt_at[customer]) / 0.05))
    p_online = plan.p_pre[customer] + (plan.p_post[customer] - plan.p_pre[customer]) * switched
    online = rng.random(n) < p_online
    q = plan.size_q[customer][:, None]
    online_mix = (1 - q) * ONLINE_MIX[0] + q * ONLINE_MIX[1]
    offline_mix = (1 - q) * OFFLINE_MIX[0] + q * OFFLINE_MIX[1]
    offline_mix[:, 2] *= 1.0 - 0.7 * t  # fax fades out
    within = np.where(online, _pick(rng, online_mix), _pick(rng, offline_mix))
    channel = np.where(online, within, within + len(ONLINE_CODES))

    seconds = _business_seconds(rng, n)
    evening = (channel <= 1) & (rng.random(n) < 0.1)
    seconds = np.where(evening, rng.integers(18 * 3600, 22 * 3600, n), seconds)
    seconds += rng.integers(0, 60, n)
    placed = window.midnight[day] + seconds

    # Average order value so that frequency x AOV matches the customer's yearly revenue.
    years = np.maximum(plan.last_day - plan.first_day, 1) / 365.25
    per_year = np.maximum(lam / years, 0.5)
    plan.aov = np.clip(plan.revenue / per_year, 30.0, 75_000.0)
    basket = plan.aov[customer] * rng.lognormal(-0.18, 0.6, n) * np.where(online, 0.8, 1.0)
    cents = np.maximum(np.round(basket * 100), 500).astype(np.int64)
    returned = np.maximum(np.round(plan.aov[customer] * rng.uniform(0.05, 0.5, n) * 100), 100)
    cents = np.where(is_return, -returned.astype(np.int64), cents)

    whole = np.abs(cents) // 100
    wanted_lines = 1 + rng.poisson(np.clip(0.6 + 0.5 * np.log10(np.maximum(whole, 1) / 50), 0, 3))
    wanted_lines = np.where(is_return, 1 + (rng.random(n) < 0.25), wanted_lines)
    n_lines = np.clip(np.minimum(wanted_lines, whole), 1, 5)
    reason = np.where(
        is_return,
        rng.choice(len(RETURN_REASONS), size=n, p=[p for _, p in RETURN_REASONS]),
        -1,
    )

    order = np.lexsort((customer, placed))
    return {
        "customer": customer[order],
        "day": day[order],
        "placed": placed[order],
        "channel": channel[order],
        "online": online[order],
        "cents": cents[order],
        "is_return": is_return[order],
        "reason": reason[order],
        "n_lines": n_lines[order],
        "p_online": p_online[order],
    }


def _pick(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of `probabilities` (rows need not sum to one)."""
    cum = probabilities.cumsum(axis=1)
    u = rng.random(len(cum))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), probabilities.shape[1] - 1)


def _write_orders(
    sink: _Sink,
    orders: dict[str, np.ndarray],
    plan: _CustomerPlan,
    customer_ids: np.ndarray,
    channel_ids: np.ndarray,
    rng: np.random.Generator,
) -> int:
    n = len(orders["customer"])
    width = max(7, len(str(n)))
    sku_table = np.array(
        [
            f"{code}-{10_000 + (rank * 7_919) % 89_999}"
            for _, code in FAMILIES
            for rank in range(SKUS_PER_FAMILY)
        ],
        dtype=object,
    )
    family_names = np.array([name for name, _ in FAMILIES], dtype=object)
    reasons = np.array([r for r, _ in RETURN_REASONS] + [""], dtype=object)
    written = 0
    for start in range(0, n, CHUNK_SIZE):
        part = slice(start, min(start + CHUNK_SIZE, n))
        customer = orders["customer"][part]
        cents = orders["cents"][part]
        n_lines = orders["n_lines"][part]
        size = len(customer)

        # Lines: families the customer buys (most bought first), popular SKUs more often.
        of = np.repeat(np.arange(size), n_lines)
        first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
        line_number = np.arange(len(of)) - first_line[of] + 1
        slot = (plan.n_families[customer[of]] * rng.random(len(of)) ** 1.6).astype(int)
        family = plan.families[customer[of], slot]
        rank = np.minimum(rng.zipf(1.3, len(of)) - 1, SKUS_PER_FAMILY - 1)
        sign = np.sign(cents)[of]
        quantity = np.maximum(1, np.round(rng.lognormal(1.0, 0.9, len(of)))).astype(np.int64)
        quantity *= sign
        weight = rng.gamma(1.5, size=len(of))
        share = weight / np.add.reduceat(weight, first_line)[of]
        total = np.abs(cents)
        spread = total - 100 * n_lines  # every line is worth at least 1.00
        line_cents = 100 + np.floor(share * spread[of]).astype(np.int64)
        last_line = first_line + n_lines - 1
        line_cents[last_line] += total - np.add.reduceat(line_cents, first_line)
        line_cents *= sign

        sink.describe("orders")
        order_ids = sink.write(
            Order,
            {
                "external_id": [f"O{i:0{width}d}" for i in range(start + 1, start + size + 1)],
                "customer_id": customer_ids[customer],
                "placed_at": orders["placed"][part],
                "channel_id": channel_ids[orders["channel"][part]],
                "amount": cents,
                "is_return": orders["is_return"][part],
                "return_reason": reasons[orders["reason"][part]],
                "quantity": np.add.reduceat(quantity, first_line),
            },
            with_ids=True,
        )
        sink.describe("order lines")
        sink.write(
            OrderLine,
            {
                "order_id": order_ids[of],
                "line_number": line_number,
                "sku": sku_table[family * SKUS_PER_FAMILY + rank],
                "product_family": family_names[family],
                "quantity": quantity * 1000,
                "amount": line_cents,
            },
        )
        written += len(of)
    return written


# --- contacts and web activity ---------------------------------------------------------------


def _plan_contacts(
    plan: _CustomerPlan, orders: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = plan.n
    count = 1 + np.minimum(3, rng.poisson(0.3 + 1.5 * plan.size_q))
    web_orders = np.bincount(orders["customer"][orders["channel"] <= 1], minlength=n)
    web_customer = (web_orders > 0) | (rng.random(n) < 0.12)
    web_count = np.where(web_customer, 1 + ((count >= 3) & (rng.random(n) < 0.5)), 0)
    web_count = np.minimum(web_count, count)
    offset = np.concatenate([[0], np.cumsum(count)[:-1]])
    customer = np.repeat(np.arange(n), count)
    position = np.arange(len(customer)) - offset[customer]
    return {
        "customer": customer,
        "web": position < web_count[customer],
        "offset": offset,
        "web_count": web_count,
        "first_name": rng.random(len(customer)),
        "last_name": rng.random(len(customer)),
        "email": rng.random(len(customer)),
    }


def _write_contacts(
    sink: _Sink,
    contacts: dict[str, np.ndarray],
    customer_ids: np.ndarray,
    customer_names: list[str],
    plan: _CustomerPlan,
) -> np.ndarray:
    domains = [_domain(name, str(plan.country[i])) for i, name in enumerate(customer_names)]
    names, emails = [], []
    for k, i in enumerate(contacts["customer"]):
        language = LANGUAGE[str(plan.country[i])]
        first_names, last_names = FIRST_NAMES[language], LAST_NAMES[language]
        first = first_names[int(contacts["first_name"][k] * len(first_names))]
        last = last_names[int(contacts["last_name"][k] * len(last_names))]
        names.append(f"{first} {last}")
        local = _ascii(f"{first}.{last.replace(' ', '')}")
        emails.append("" if contacts["email"][k] < 0.08 else f"{local}@{domains[i]}")
    sink.describe("contacts")
    return sink.write(
        Contact,
        {
            "external_id": [f"P{k + 1:06d}" for k in range(len(names))],
            "customer_id": customer_ids[contacts["customer"]],
            "name": names,
            "email": emails,
            "has_web_account": contacts["web"],
        },
        with_ids=True,
    )


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("ß", "ss"))
    return re.sub(r"[^a-z0-9.]", "", plain.encode("ascii", "ignore").decode().lower())


def _domain(name: str, country: str) -> str:
    stem = name.removesuffix(f" {LEGAL_FORMS[country]}").removesuffix(" V.O.F.")
    return f"{_ascii(stem).replace('.', '')[:40] or 'klant'}.{TLD[country]}"


def _plan_web(
    plan: _CustomerPlan,
    orders: dict[str, np.ndarray],
    contacts: dict[str, np.ndarray],
    window: _Window,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Sessions (with logins) before web/app orders and some offline orders, browsing, downloads."""
    kinds = {kind: i for i, kind in enumerate(WEB_KINDS)}
    has_web = contacts["web_count"] > 0
    customer, placed, channel = orders["customer"], orders["placed"], orders["channel"]
    web_order = (channel <= 1) & has_web[customer]
    influenced = (
        ~orders["online"]
        & has_web[customer]
        & (rng.random(len(customer)) < 0.12 + 0.3 * orders["p_online"])
    )
    active_months = (plan.last_day - plan.first_day) / 30.4
    online_orders = np.bincount(customer[orders["online"]], minlength=plan.n)
    browse = np.where(has_web, rng.poisson(0.5 * online_orders + 0.3 * active_months), 0)
    browser = np.repeat(np.arange(plan.n), browse)
    browse_day = window.sample_days(rng, plan.first_day[browser], plan.last_day[browser])

    # Sessions: just before a web/app order, 0-7 days before an offline order, or browsing.
    session_customer = np.concatenate([customer[web_order], customer[influenced], browser])
    session_ts = np.concatenate(
        [
            placed[web_order] - rng.integers(60, 1_800, web_order.sum()),
            placed[influenced] - rng.integers(1_800, 7 * 86_400, influenced.sum()),
            window.midnight[browse_day] + rng.integers(7 * 3600, 22 * 3600, len(browser)),
        ]
    )
    # Ordering in the web shop needs a login; the app mostly keeps people logged in.
    login_chance = np.concatenate(
        [
            np.where(channel[web_order] == 0, 0.85, 0.3),
            np.full(influenced.sum(), 0.6),
            np.full(len(browser), 0.5),
        ]
    )
    login = rng.random(len(session_customer)) < login_chance
    follow = rng.random(len(session_customer))
    after = session_ts + rng.integers(20, 900, len(session_customer))
    events = [
        (session_customer, session_ts, "session"),
        (session_customer[login], session_ts[login], "login"),
    ]
    for kind, chosen in (
        ("download", follow < 0.08),
        ("catalogue_request", (follow >= 0.08) & (follow < 0.087)),
        ("sample_request", (follow >= 0.087) & (follow < 0.091)),
    ):
        events.append((session_customer[chosen], after[chosen], kind))
    contact_count = np.maximum(contacts["web_count"], 1)
    contact = [
        contacts["offset"][who] + (rng.random(len(who)) * contact_count[who]).astype(np.int64)
        for who, _, _ in events
    ]

    # Accounts opened in the window: before the customer's first web/app order, else any time.
    first_web = np.full(plan.n, np.iinfo(np.int64).max)
    np.minimum.at(first_web, customer[channel <= 1], placed[channel <= 1])
    has_ordered = first_web < np.iinfo(np.int64).max
    web_contact = np.flatnonzero(contacts["web"])
    who = contacts["customer"][web_contact]
    day = window.sample_days(rng, plan.first_day[who], plan.last_day[who])
    opened = np.where(
        has_ordered[who],
        first_web[who] - rng.integers(3_600, 21 * 86_400, len(who)),
        window.midnight[day] + _business_seconds(rng, len(who)),
    )
    # Some who ordered online had their account before the window already.
    recent = ~has_ordered[who] | plan.is_new[who] | (rng.random(len(who)) < 0.6)
    events.append((who[recent], opened[recent], "account_created"))
    contact.append(web_contact[recent])

    customer = np.concatenate([who for who, _, _ in events])
    ts = np.concatenate([when for _, when, _ in events])
    kind = np.concatenate([np.full(len(who), kinds[k]) for who, _, k in events])
    contact = np.concatenate(contact)
    keep = (ts >= window.start_ts) & (ts < window.end_ts)
    order = np.lexsort((kind[keep], customer[keep], ts[keep]))
    return {
        "customer": customer[keep][order],
        "ts": ts[keep][order],
        "kind": kind[keep][order],
        "contact": contact[keep][order],
    }


def _write_web(
    sink: _Sink, web: dict[str, np.ndarray], customer_ids: np.ndarray, contact_ids: np.ndarray
) -> None:
    n = len(web["customer"])
    width = max(8, len(str(n)))
    kinds = np.array(WEB_KINDS, dtype=object)
    sink.describe("web activity")
    for start in range(0, n, CHUNK_SIZE):
        part = slice(start, min(start + CHUNK_SIZE, n))
        sink.write(
            WebActivity,
            {
                "external_id": [f"W{i:0{width}d}" for i in range(start + 1, part.stop + 1)],
                "customer_id": customer_ids[web["customer"][part]],
                "contact_id": contact_ids[web["contact"][part]],
                "kind": kinds[web["kind"][part]],
                "occurred_at": web["ts"][part],
            },
        )


# --- funnel, surveys, platform ---------------------------------------------------------------


def _plan_funnel(
    plan: _CustomerPlan, orders: dict[str, np.ndarray], window: _Window, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Leads through the stages; about half the new customers were won leads."""
    first_order = np.full(plan.n, window.end_ts, dtype=np.int64)
    np.minimum.at(first_order, orders["customer"], orders["placed"])
    won = np.flatnonzero(plan.is_new & (rng.random(plan.n) < 0.5))
    n_won = len(won)
    n_open = max(40, 14 * n_won)
    days = 86_400
    # Won leads, walked back from the win a little before the first order.
    won_ts = first_order[won] - rng.integers(days, 14 * days, n_won)
    won_times = [won_ts]
    for mean in (12, 8, 6, 4):
        won_times.append(won_times[-1] - (rng.exponential(mean, n_won) * days).astype(np.int64))
    won_times = won_times[::-1]  # first identifier ... won
    # Open leads: start anywhere in the window, each stage reached by fewer.
    day = window.sample_days(rng, np.zeros(n_open, dtype=int), np.full(n_open, window.days))
    start = window.midnight[day] + _business_seconds(rng, n_open)
    reached = np.cumprod(rng.random((n_open, 4)) < np.array([0.45, 0.5, 0.45, 0.0]), axis=1)
    open_times = [start]
    for mean in (4, 6, 8, 12):
        open_times.append(open_times[-1] + (rng.exponential(mean, n_open) * days).astype(np.int64))

    lead, stage, ts, customer = [], [], [], []
    for s in range(len(STAGES)):
        lead.append(np.arange(n_won))
        stage.append(np.full(n_won, s))
        ts.append(won_times[s])
        customer.append(won)
        mask = np.ones(n_open, dtype=bool) if s == 0 else reached[:, s - 1].astype(bool)
        lead.append(n_won + np.flatnonzero(mask))
        stage.append(np.full(mask.sum(), s))
        ts.append(open_times[s][mask])
        customer.append(np.full(mask.sum(), -1))
    lead, stage, ts, customer = (np.concatenate(x) for x in (lead, stage, ts, customer))
    keep = (ts >= window.start_ts) & (ts < window.end_ts)
    lead, stage, ts, customer = lead[keep], stage[keep], ts[keep], customer[keep]
    # Lead references in order of each lead's first event.
    lead_start = np.full(n_won + n_open, np.iinfo(np.int64).max)
    np.minimum.at(lead_start, lead, ts)
    lead_number = np.empty(len(lead_start), dtype=np.int64)
    lead_number[np.argsort(lead_start, kind="stable")] = np.arange(len(lead_start))
    order = np.lexsort((stage, lead_number[lead], ts))
    return {
        "lead": lead_number[lead][order],
        "stage": stage[order],
        "ts": ts[order],
        "customer": customer[order],
    }


def _write_funnel(sink: _Sink, funnel: dict[str, np.ndarray], customer_ids: np.ndarray) -> None:
    n = len(funnel["stage"])
    customer = funnel["customer"]
    sink.describe("funnel events")
    sink.write(
        FunnelEvent,
        {
            "external_id": [f"F{i + 1:07d}" for i in range(n)],
            "lead_ref": [f"L{i + 1:06d}" for i in funnel["lead"]],
            "stage": np.array(STAGES, dtype=object)[funnel["stage"]],
            "occurred_at": funnel["ts"],
            "customer_id": [int(customer_ids[c]) if c >= 0 else None for c in customer],
        },
    )


def _plan_surveys(
    plan: _CustomerPlan, orders: dict[str, np.ndarray], window: _Window, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """NPS (0-10) and CES answers a few days after a random order; online customers are happier.

    CES is on 1-7 with 7 = "very easy" (agreement with "they made it easy for me").
    """
    per_year = min(400, max(60, plan.n // 5))
    n_nps = round(per_year * window.days / 365.25)
    n_ces = round(0.6 * n_nps)
    candidates = np.flatnonzero(~orders["is_return"])
    picked = rng.choice(candidates, size=n_nps + n_ces)
    kind = np.concatenate([np.zeros(n_nps, dtype=int), np.ones(n_ces, dtype=int)])
    customer = orders["customer"][picked]
    day = orders["day"][picked] + rng.integers(1, 11, len(picked))
    t = day / window.days
    online = orders["p_online"][picked]
    nps = rng.normal(7.9 + 0.9 * online + 0.4 * t - 10 * plan.return_rate[customer], 1.9)
    ces = rng.normal(4.8 + 0.8 * online + 0.3 * t, 1.2)
    score = np.where(kind == 0, np.clip(np.round(nps), 0, 10), np.clip(np.round(ces), 1, 7))
    with_comment = rng.random(len(picked)) < 0.3
    comment_pick = rng.random(len(picked))
    keep = day < window.days
    order = np.lexsort((kind[keep], customer[keep], day[keep]))
    return {
        "customer": customer[keep][order],
        "day": day[keep][order],
        "kind": kind[keep][order],
        "score": score[keep][order].astype(int),
        "with_comment": with_comment[keep][order],
        "comment_pick": comment_pick[keep][order],
    }


def _write_surveys(
    sink: _Sink, surveys: dict[str, np.ndarray], customer_ids: np.ndarray, window: _Window
) -> None:
    comments = []
    for kind, score, has, pick in zip(
        surveys["kind"],
        surveys["score"],
        surveys["with_comment"],
        surveys["comment_pick"],
        strict=True,
    ):
        if not has:
            comments.append("")
            continue
        if kind == 0:
            pool = NPS_COMMENTS[0 if score <= 6 else 1 if score <= 8 else 2]
        else:
            pool = CES_COMMENTS[:2] if score <= 3 else CES_COMMENTS[2:]
        comments.append(pool[int(pick * len(pool))])
    sink.describe("surveys")
    sink.write(
        SurveyResponse,
        {
            "external_id": [f"S{i + 1:06d}" for i in range(len(comments))],
            "customer_id": customer_ids[surveys["customer"]],
            "kind": np.array(["nps", "ces"], dtype=object)[surveys["kind"]],
            "score": surveys["score"],
            "answered_on": [window.start + timedelta(days=int(d)) for d in surveys["day"]],
            "comment": comments,
        },
    )


def _write_platform(sink: _Sink, window: _Window, rng: np.random.Generator) -> None:
    n = window.days
    incident = rng.random(n) < 0.03
    uptime = np.where(incident, rng.uniform(99.5, 99.9, n), 100 - rng.exponential(0.02, n))
    trend = np.linspace(1_150, 780, n)  # the platform gets faster over the window
    load = np.clip(trend + rng.normal(0, 90, n) + incident * rng.uniform(150, 400, n), 400, 1_500)
    errors = 0.03 + rng.exponential(0.1, n) + incident * rng.uniform(0.3, 1.5, n)
    sink.describe("platform samples")
    sink.write(
        PlatformSample,
        {
            "date": [window.start + timedelta(days=d) for d in range(n)],
            "uptime_pct": np.round(np.clip(uptime, 99.5, 100) * 1000).astype(np.int64),
            "median_page_load_ms": np.round(load).astype(np.int64),
            "error_rate": np.round(errors * 1000).astype(np.int64),
        },
    )


# --- writing ----------------------------------------------------------------------------------


class _Sink:
    """Writes column batches: COPY on PostgreSQL, bulk_create elsewhere.

    Column conventions: DateTimeField values are epoch seconds (UTC), DecimalField values are
    integers scaled by 10**decimal_places, everything else is passed as is. `tenant_id` is added.
    """

    def __init__(self, tenant: Tenant, progress: Any) -> None:
        self.tenant = tenant
        self.progress = progress
        self.postgres = connection.vendor == "postgresql"

    def start(self, total: int) -> None:
        if self.progress is not None:
            self.progress.reset(total=total)

    def describe(self, label: str) -> None:
        if self.progress is not None:
            self.progress.set_description(label)

    def advance(self, rows: int) -> None:
        if self.progress is not None:
            self.progress.update(rows)

    def write(
        self, model: type[models.Model], columns: dict[str, Any], *, with_ids: bool = False
    ) -> np.ndarray | None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [
            name
            for name, f in fields.items()
            if not f.null and not f.primary_key and name != "tenant_id" and name not in columns
        ]
        if missing:
            raise ValueError(f"{model.__name__}: no values for NOT NULL columns {missing}")
        n = len(next(iter(columns.values())))
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if self.postgres:
            ids = self._copy(model, fields, columns, n, with_ids)
        else:
            ids = self._bulk_create(model, fields, columns, n)
        self.advance(n)
        return ids if with_ids else None

    def _copy(self, model, fields, columns, n, with_ids) -> np.ndarray | None:
        values = {name: _as_text(fields[name], value) for name, value in columns.items()}
        values["tenant_id"] = [self.tenant.pk] * n
        ids = None
        with connection.cursor() as cursor:
            if with_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, n],
                )
                ids = np.sort(np.array([row[0] for row in cursor.fetchall()], dtype=np.int64))
                values["id"] = ids.tolist()
            quote = connection.ops.quote_name
            names = ", ".join(quote(fields[name].column) for name in values)
            table = target = quote(model._meta.db_table)
            if not self._bypasses_rls(cursor):
                # PostgreSQL refuses COPY FROM into a table with row-level security for a role
                # subject to it: COPY into a temporary table, then one INSERT ... SELECT.
                target = "koers_generator_stage"
                cursor.execute(f"DROP TABLE IF EXISTS {target}")
                cursor.execute(
                    f"CREATE TEMP TABLE {target} AS SELECT {names} FROM {table} WITH NO DATA"
                )
            with cursor.cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in zip(*values.values(), strict=True):
                    copy.write_row(row)
            if target != table:
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target}")  # noqa: S608
                cursor.execute(f"DROP TABLE {target}")
        return ids

    def _bypasses_rls(self, cursor) -> bool:
        if not hasattr(self, "_bypass"):
            cursor.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            self._bypass = bool(cursor.fetchone()[0])
        return self._bypass

    def _bulk_create(self, model, fields, columns, n) -> np.ndarray:
        values = {name: _as_python(fields[name], value) for name, value in columns.items()}
        names = list(values)
        objects = [
            model(tenant=self.tenant, **dict(zip(names, row, strict=True)))
            for row in zip(*values.values(), strict=True)
        ]
        model.objects.bulk_create(objects, batch_size=5_000)
        return np.array([o.pk for o in objects], dtype=np.int64)


def _as_text(field: models.Field, value: Any) -> list:
    if isinstance(field, models.DateTimeField):
        stamps = np.datetime_as_string(np.asarray(value, dtype="datetime64[s]"), unit="s")
        return [f"{s}+00" for s in stamps.tolist()]
    if isinstance(field, models.DecimalField):
        scale = 10**field.decimal_places
        return [f"{v / scale:.{field.decimal_places}f}" for v in np.asarray(value).tolist()]
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def _as_python(field: models.Field, value: Any) -> list:
    if isinstance(field, models.DateTimeField):
        return [datetime.fromtimestamp(v, UTC) for v in np.asarray(value).tolist()]
    if isinstance(field, models.DecimalField):
        places = -field.decimal_places
        return [Decimal(v).scaleb(places) for v in np.asarray(value).tolist()]
    return value.tolist() if isinstance(value, np.ndarray) else list(value)
