"""The acquisition funnel: sessions -> first identifier -> second identifier -> MQL -> SQL -> won."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kpis.metrics.facts import Facts, ratio
from kpis.metrics.registry import metric

STAGES = ["first_identifier", "second_identifier", "mql", "sql", "won"]
COMPANY = ("company",)
COUNT_LABELS = {
    "sessions": _("Funnel: web sessions"),
    "first_identifier": _("Funnel: first identifier"),
    "second_identifier": _("Funnel: second identifier"),
    "mql": _("Funnel: MQL"),
    "sql": _("Funnel: SQL"),
    "won": _("Funnel: won"),
}
CONVERSION_LABELS = {
    "first_identifier": _("Conversion to first identifier"),
    "second_identifier": _("Conversion to second identifier"),
    "mql": _("Conversion to MQL"),
    "sql": _("Conversion to SQL"),
    "won": _("Conversion to won"),
}


def _stage_counts(facts: Facts, stage: str):
    if stage == "sessions":
        monthly = facts.arrays["web_session"].sum(axis=0)
    else:
        monthly = facts.arrays[f"funnel_{stage}"][0]
    return {("company", ""): facts.sum_over_periods(monthly[None, :])[0]}


def _count_metric(stage: str):
    def compute(facts: Facts):
        return {
            key: [float(v) for v in values] for key, values in _stage_counts(facts, stage).items()
        }

    return compute


def _conversion_metric(previous: str, stage: str):
    def compute(facts: Facts):
        return ratio(_stage_counts(facts, stage), _stage_counts(facts, previous), 100)

    return compute


_chain = ["sessions", *STAGES]
for _stage in _chain:
    _fn = _count_metric(_stage)
    _fn.__doc__ = (
        "Web sessions in the period (the funnel's first stage)."
        if _stage == "sessions"
        else f"Funnel events of stage `{_stage}` in the period."
    )
    metric(
        f"funnel_{_stage}",
        label=COUNT_LABELS[_stage],
        unit="count",
        additive=True,
        scopes=COMPANY,
        needs=("web", "funnel"),
    )(_fn)

for _previous, _stage in zip(_chain, _chain[1:], strict=False):
    _fn = _conversion_metric(_previous, _stage)
    _fn.__doc__ = f"Funnel `{_stage}` events / `{_previous}` in the same period x 100."
    metric(
        f"funnel_conversion_{_stage}",
        label=CONVERSION_LABELS[_stage],
        unit="percent",
        scopes=COMPANY,
        needs=("web", "funnel"),
    )(_fn)
