"""Registration and evaluation of metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from kpis.metrics.facts import Facts, load_facts
from kpis.periods import Grain
from portal.models import Tenant

SCOPES = ("company", "department", "rep", "country")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # currency | count | percent | ratio | score | ms | days
    direction: str  # up | down: which way is better
    additive: bool  # sums over time (pacing applies) or a ratio/level
    scopes: tuple[str, ...]
    compute: Callable[[Facts], dict[tuple[str, str], list[float | None]]]
    needs: frozenset[
        str
    ]  # fact families to load: orders, days, web, surveys, platform, funnel, channels
    description: str = ""


@dataclass(frozen=True)
class MetricValue:
    key: str
    period: date
    scope: str
    member: str  # "" for company; department/membership id; country or channel code
    value: float | None


CATALOGUE: dict[str, Metric] = {}


def metric(
    key: str,
    *,
    label: str,
    unit: str,
    direction: str = "up",
    additive: bool = False,
    scopes: tuple[str, ...] = SCOPES,
    needs: Iterable[str] = ("orders",),
):
    """Register a metric function `fn(facts) -> {(scope, member): [value per period]}`."""

    def register(fn):
        if key in CATALOGUE:
            raise ValueError(f"metric {key!r} registered twice")
        CATALOGUE[key] = Metric(
            key=key,
            label=label,
            unit=unit,
            direction=direction,
            additive=additive,
            scopes=scopes,
            compute=fn,
            needs=frozenset(needs),
            description=(fn.__doc__ or "").strip(),
        )
        return fn

    return register


def metric_keys() -> list[str]:
    return sorted(CATALOGUE)


def compute(
    *,
    tenant: Tenant,
    keys: Iterable[str],
    grain: Grain,
    first: date,
    last: date,
    as_of: date | None = None,
    scopes: Iterable[str] | None = None,
    facts: Facts | None = None,
) -> list[MetricValue]:
    """Values of `keys` for every period of `grain` overlapping [first, last] and every scope.

    The facts are loaded once (a constant number of queries, whatever the number of keys,
    periods, scopes or customers) unless passed in.
    """
    metrics = [CATALOGUE[k] for k in keys]
    wanted = set(scopes) if scopes is not None else None
    if facts is None:
        needs = frozenset().union(*(m.needs for m in metrics)) if metrics else frozenset()
        facts = load_facts(
            tenant=tenant, grain=grain, first=first, last=last, as_of=as_of, needs=needs
        )
    out: list[MetricValue] = []
    for m in metrics:
        for (scope, member), values in compute_series(keys=[m.key], facts=facts)[m.key].items():
            if wanted is not None and scope not in wanted:
                continue
            for period, value in zip(facts.periods, values, strict=True):
                out.append(MetricValue(m.key, period, scope, member, value))
    return out


def compute_series(
    *, keys: Iterable[str], facts: Facts
) -> dict[str, dict[tuple[str, str], list[float | None]]]:
    """The values of `keys` on loaded facts, as they come from the metrics:
    {key: {(scope, member): [value per period of facts.periods]}} (no object per value)."""
    return {key: CATALOGUE[key].compute(facts) for key in keys}
