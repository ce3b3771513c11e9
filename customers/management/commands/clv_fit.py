"""`clv_fit`: fit the BG/NBD and Gamma-Gamma models for one tenant and print the parameters."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import CommandError
from django.utils import timezone

from customers.analytics.bgnbd import FitError
from customers.analytics.clv import clv_fit
from customers.analytics.summary import order_days_load
from portal.management.base import TenantCommand
from portal.models import Tenant


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(TenantCommand):
    help = (
        "Fit the CLV models (BG/NBD purchases, Gamma-Gamma spend) on the tenant's orders and "
        "print r, alpha, a, b, p, q, gamma and the log-likelihoods. With --calibration-end, fit "
        "on the orders up to that day and compare the repeat purchases after it (up to "
        "--holdout-end, default the last order day) with the model's prediction."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--calibration-end", type=_date, help="last day of the fit data")
        parser.add_argument("--holdout-end", type=_date, help="last day of the holdout")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle_tenant(self, tenant: Tenant, *args, **options):
        today = timezone.localdate(timezone=tenant.tzinfo)
        end = options["calibration_end"] or today
        holdout_end = options["holdout_end"]
        days = order_days_load(tenant=tenant, until=holdout_end or today)
        if options["calibration_end"] and holdout_end is None:
            later = days.day[~days.is_return & (days.day > end.toordinal())]
            holdout_end = date.fromordinal(int(later.max())) if len(later) else None
        try:
            model = clv_fit(days=days, end=end, holdout_end=holdout_end)
        except FitError as exc:
            raise CommandError(f"Cannot fit the CLV models: {exc}") from exc
        result = model.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        bg, gg = result["bgnbd"], result["gamma_gamma"]
        self.stdout.write(f"Customers: {result['customers']} (data up to {end})")
        self.stdout.write(
            f"BG/NBD:      r = {bg['r']:.4f}  alpha = {bg['alpha']:.4f}  a = {bg['a']:.4f}  "
            f"b = {bg['b']:.4f}  LL = {bg['ll']:.2f}"
        )
        self.stdout.write(
            f"Gamma-Gamma: p = {gg['p']:.4f}  q = {gg['q']:.4f}  gamma = {gg['gamma']:.4f}  "
            f"LL = {gg['ll']:.2f}"
        )
        if result["holdout"]:
            h = result["holdout"]
            self.stdout.write(
                f"Holdout to {holdout_end}: actual {h['actual']} repeat purchases, "
                f"predicted {h['predicted']:.1f}"
            )
