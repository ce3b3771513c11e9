"""RFM: recency, frequency and monetary quintiles per tenant, and the ten usual segments.

Scores are 1–5 by rank among the tenant's customers with at least one purchase:
score = 1 + ⌊5 × (customers with a strictly worse value) / customers⌋, so ties share a score
and the best fifth scores 5. Recency is better when lower (days since the last purchase),
frequency and monetary when higher. Segments follow from R and F (docs/metrics.md).
"""

from __future__ import annotations

import numpy as np

# (segment, R scores, F scores): every R x F pair falls in exactly one segment.
SEGMENTS = [
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("cant_lose", (1, 2), (5,)),
    ("hibernating", (1, 2), (1, 2)),
]
_SEGMENT_OF = {(r, f): name for name, rs, fs in SEGMENTS for r in rs for f in fs}


def quintile(values: np.ndarray, eligible: np.ndarray, higher_is_better: bool = True):
    """Scores 1–5 (0 where not eligible)."""
    values = np.asarray(values, dtype=float)
    out = np.zeros(len(values), dtype=np.int64)
    pool = values[eligible] if higher_is_better else -values[eligible]
    if not len(pool):
        return out
    ranked = np.sort(pool)
    worse = np.searchsorted(ranked, pool, side="left")
    out[eligible] = 1 + (5 * worse) // len(pool)
    return out


def segment(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    return np.array([_SEGMENT_OF.get((int(a), int(b)), "") for a, b in zip(r, f, strict=True)])


def rfm_scores(recency_days, frequency, monetary, eligible):
    """(r, f, m, segment) arrays; 0 and "" for customers who are not eligible."""
    r = quintile(recency_days, eligible, higher_is_better=False)
    f = quintile(frequency, eligible)
    m = quintile(monetary, eligible)
    return r, f, m, segment(r, f)
