"""Web use: logins, sessions, downloads, active web users, conversion, web-influenced revenue."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from kpis.metrics.commerce import scoped
from kpis.metrics.facts import Facts, as_lists, ratio
from kpis.metrics.registry import metric

WEB = ("web",)


def _count_metric(kind: str):
    def compute(facts: Facts):
        return as_lists(facts.scope_sums(f"web_{kind}", facts.arrays[f"web_{kind}"]))

    return compute


for _key, _kind, _label in (
    ("logins", "login", _("Logins")),
    ("web_sessions", "session", _("Web sessions")),
    ("downloads", "download", _("Downloads")),
    ("catalogue_requests", "catalogue_request", _("Catalogue requests")),
    ("sample_requests", "sample_request", _("Sample requests")),
    ("web_accounts_created", "account_created", _("Web accounts created")),
):
    _fn = _count_metric(_kind)
    _fn.__doc__ = f"Number of web-activity events of kind `{_kind}` in the period."
    metric(_key, label=_label, unit="count", additive=True, needs=WEB)(_fn)


@metric("active_web_users_share", label=_("Active web users"), unit="percent", needs=WEB)
def active_web_users_share(facts: Facts):
    """Contacts with a web account who logged in during the period / contacts with a web
    account (current count) x 100."""
    n_customers, n_periods = facts.n_customers, facts.n_periods
    logins = facts.extra["contact_login_months"]  # (contact id, customer index, month)
    # The periods of a grain do not overlap: each month belongs to at most one.
    period_of_month = np.full(facts.n_months, -1, dtype=np.int64)
    for p, (first, last) in enumerate(facts.period_months):
        period_of_month[first : last + 1] = p
    period = period_of_month[logins[:, 2]]
    keep = period >= 0
    contacts, customers, period = logins[keep, 0], logins[keep, 1], period[keep]
    # Each contact counted once per period (one pass over all periods).
    _pairs, first_row = np.unique(contacts * n_periods + period, return_index=True)
    logged_in = np.bincount(
        customers[first_row] * n_periods + period[first_row], minlength=n_customers * n_periods
    ).reshape(n_customers, n_periods)
    # The accounts are today's count: the same in every period.
    accounts = {
        key: np.repeat(total, n_periods)
        for key, total in facts.by_scope(facts.arrays["web_accounts"][:, None]).items()
    }
    return ratio(facts.by_scope(logged_in + 0.0), accounts, 100)


@metric(
    "conversion",
    label=_("Conversion (online orders / sessions)"),
    unit="percent",
    needs=("orders", "web"),
)
def conversion(facts: Facts):
    """Online non-return orders / web sessions x 100, in the period."""
    orders = scoped(facts, "orders", online=1)
    sessions = facts.scope_sums("web_session", facts.arrays["web_session"])
    return ratio(orders, sessions, 100)


@metric(
    "web_influenced_revenue",
    label=_("Web-influenced offline revenue"),
    unit="currency",
    additive=True,
    needs=("influence",),
)
def web_influenced_revenue(facts: Facts):
    """Amount of offline-channel, non-return orders placed within N days (tenant setting,
    default 7) after a web session of the same customer."""
    return as_lists(facts.scope_sums("web_influenced", facts.arrays["web_influenced"]))
