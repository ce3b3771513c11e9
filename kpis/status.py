"""Traffic lights: status of a value against a target, direction-aware, with pacing.

- minimum: the lowest acceptable result; stretch: the result aimed for.
- Higher is better: green at or above stretch, amber at or above minimum, red below.
  Lower is better: green at or below stretch, amber at or below minimum, red above.
- Pacing (additive metrics such as revenue or orders): during an open period the value is
  compared with target x elapsed share of the period ("where should we be today").
  Ratios and levels (shares, averages, counts at a moment) are compared straight.
- No value: "no data". No target: "no target".
- Changes (▲▼ vs the previous period and last year) of an additive metric in an open period
  compare with the earlier value scaled by the same elapsed share (`Status.pace`), so that
  the 23rd of a month is not read as a drop against a whole month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpis.periods import Grain, period_end

GREEN, AMBER, RED, NO_DATA, NO_TARGET = "green", "amber", "red", "no_data", "no_target"


@dataclass(frozen=True)
class Status:
    code: str
    expected_minimum: float | None = None
    expected_stretch: float | None = None
    elapsed: float = 1.0
    # What an earlier period's value is scaled by before it is compared with this one: the
    # elapsed share for an additive metric in an open period, else 1.
    pace: float = 1.0


def elapsed_share(period_start: date, grain: Grain, as_of: date) -> float:
    """Share of the period that has passed at the end of `as_of` (0..1)."""
    end = period_end(period_start, grain)
    total = (end - period_start).days
    done = (as_of - period_start).days + 1
    return max(0.0, min(1.0, done / total))


def evaluate(
    *,
    value: float | None,
    minimum: float | None,
    stretch: float | None,
    direction: str,
    additive: bool,
    elapsed: float = 1.0,
) -> Status:
    factor = elapsed if additive else 1.0
    if value is None:
        return Status(NO_DATA, elapsed=elapsed, pace=factor)
    if minimum is None or stretch is None:
        return Status(NO_TARGET, elapsed=elapsed, pace=factor)
    low, high = float(minimum) * factor, float(stretch) * factor
    if direction == "down":
        code = GREEN if value <= high else AMBER if value <= low else RED
    else:
        code = GREEN if value >= high else AMBER if value >= low else RED
    return Status(code, expected_minimum=low, expected_stretch=high, elapsed=elapsed, pace=factor)
