"""The acquisition funnel: sessions -> first identifier -> second identifier -> MQL -> SQL -> won."""

from __future__ import annotations

from kpis.metrics.facts import Facts, ratio
from kpis.metrics.registry import metric

STAGES = ["first_identifier", "second_identifier", "mql", "sql", "won"]
COMPANY = ("company",)


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
        label=f"Funnel: {_stage.replace('_', ' ')}",
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
        label=f"Conversion to {_stage.replace('_', ' ')}",
        unit="percent",
        scopes=COMPANY,
        needs=("web", "funnel"),
    )(_fn)
