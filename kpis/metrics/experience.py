"""Customer experience and platform: NPS, CES, uptime, page load."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from kpis.metrics.facts import Facts, ratio
from kpis.metrics.registry import metric

SURVEYS = ("surveys",)
PLATFORM = ("platform",)
COMPANY = ("company",)


@metric("nps", label=_("Net Promoter Score"), unit="score", needs=SURVEYS)
def nps(facts: Facts):
    """% promoters (9-10) - % detractors (0-6) of the NPS answers in the period (-100..100)."""
    a = facts.arrays
    net = facts.scope_sums("nps_net", lambda: a["nps_promoters"] - a["nps_detractors"])
    answers = facts.scope_sums("nps_n", a["nps_n"])
    return ratio(net, answers, 100)


@metric("ces", label=_("Customer Effort Score"), unit="score", direction="down", needs=SURVEYS)
def ces(facts: Facts):
    """Mean of the CES answers (1-7) in the period."""
    a = facts.arrays
    return ratio(
        facts.scope_sums("ces_sum", a["ces_sum"]),
        facts.scope_sums("ces_n", a["ces_n"]),
    )


def _company_mean(facts: Facts, total: str, count: str):
    totals = facts.sum_over_periods(facts.arrays[total])[0]
    counts = facts.sum_over_periods(facts.arrays[count])[0]
    return ratio({("company", ""): np.asarray(totals)}, {("company", ""): np.asarray(counts)})


@metric(
    "platform_uptime", label=_("Platform uptime"), unit="percent", scopes=COMPANY, needs=PLATFORM
)
def platform_uptime(facts: Facts):
    """Mean of the daily uptime percentages in the period."""
    return _company_mean(facts, "platform_uptime", "platform_uptime_n")


@metric(
    "page_load_ms",
    label=_("Median page load"),
    unit="ms",
    direction="down",
    scopes=COMPANY,
    needs=PLATFORM,
)
def page_load_ms(facts: Facts):
    """Mean of the daily median page-load times (ms) in the period."""
    return _company_mean(facts, "platform_load", "platform_load_n")
