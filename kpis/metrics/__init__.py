"""The metric catalogue: registered, set-based functions (docs/metrics.md has the definitions).

A metric computes values for every scope (company, department, rep, country; or channel) and
every period of a range from facts loaded once per run with a constant number of queries.
Import the families so that they register themselves.
"""

from kpis.metrics import commerce, customers, experience, funnel, web  # noqa: F401
from kpis.metrics.registry import CATALOGUE, Metric, MetricValue, compute, metric_keys

__all__ = ["CATALOGUE", "Metric", "MetricValue", "compute", "metric_keys"]
