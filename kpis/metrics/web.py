"""Web use: logins, sessions, downloads, active web users, conversion, web-influenced revenue."""

from __future__ import annotations

import numpy as np

from kpis.metrics.facts import Facts, as_lists, ratio
from kpis.metrics.registry import metric

WEB = ("web",)


def _count_metric(kind: str):
    def compute(facts: Facts):
        return as_lists(facts.by_scope(facts.sum_over_periods(facts.arrays[f"web_{kind}"])))

    return compute


for _key, _kind, _label in (
    ("logins", "login", "Logins"),
    ("web_sessions", "session", "Web sessions"),
    ("downloads", "download", "Downloads"),
    ("catalogue_requests", "catalogue_request", "Catalogue requests"),
    ("sample_requests", "sample_request", "Sample requests"),
    ("web_accounts_created", "account_created", "Web accounts created"),
):
    _fn = _count_metric(_kind)
    _fn.__doc__ = f"Number of web-activity events of kind `{_kind}` in the period."
    metric(_key, label=_label, unit="count", additive=True, needs=WEB)(_fn)


@metric("active_web_users_share", label="Active web users", unit="percent", needs=WEB)
def active_web_users_share(facts: Facts):
    """Contacts with a web account who logged in during the period / contacts with a web
    account (current count) x 100."""
    logged_in = np.zeros((facts.n_customers, facts.n_periods))
    seen: set[tuple[int, int]] = set()
    for contact_id, c, m in facts.extra["contact_login_months"]:
        for p, (first, last) in enumerate(facts.period_months):
            if first <= m <= last and (contact_id, p) not in seen:
                seen.add((contact_id, p))
                logged_in[c, p] += 1
    accounts = np.repeat(facts.arrays["web_accounts"][:, None], facts.n_periods, axis=1)
    return ratio(facts.by_scope(logged_in), facts.by_scope(accounts), 100)


@metric(
    "conversion",
    label="Conversion (online orders / sessions)",
    unit="percent",
    needs=("orders", "web"),
)
def conversion(facts: Facts):
    """Online non-return orders / web sessions x 100, in the period."""
    orders = facts.by_scope(facts.sum_over_periods(facts.arrays["orders"][1]))
    sessions = facts.by_scope(facts.sum_over_periods(facts.arrays["web_session"]))
    return ratio(orders, sessions, 100)


@metric(
    "web_influenced_revenue",
    label="Web-influenced offline revenue",
    unit="currency",
    additive=True,
    needs=("influence",),
)
def web_influenced_revenue(facts: Facts):
    """Amount of offline-channel, non-return orders placed within N days (tenant setting,
    default 7) after a web session of the same customer."""
    return as_lists(facts.by_scope(facts.sum_over_periods(facts.arrays["web_influenced"])))
