import json
from datetime import date

from django.core.management.base import CommandError

from kpis.metrics import CATALOGUE, compute, metric_keys
from kpis.periods import GRAINS, add_months
from kpis.selectors import scope_member_names
from portal.management.base import TenantCommand
from portal.models import Tenant


class Command(TenantCommand):
    help = "Print a catalogue metric's values straight from the catalogue (--list for the keys)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("key", nargs="?")
        parser.add_argument("--list", action="store_true", help="list the metric keys")
        parser.add_argument("--grain", choices=GRAINS, default="month")
        parser.add_argument(
            "--scope", choices=["company", "department", "rep", "country", "channel"], default=None
        )
        parser.add_argument("--from", dest="first", type=date.fromisoformat, default=None)
        parser.add_argument("--to", dest="last", type=date.fromisoformat, default=None)
        parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=None)
        parser.add_argument("--json", action="store_true")

    def handle_tenant(self, tenant: Tenant, *args, **options):
        if options["list"]:
            for key in metric_keys():
                m = CATALOGUE[key]
                self.stdout.write(f"{key:<38} {m.unit:<9} {m.label}")
            return
        key = options["key"]
        if not key:
            raise CommandError("Name a metric key (see --list).")
        if key not in CATALOGUE:
            raise CommandError(f"Unknown metric {key!r}; see --list.")
        as_of = options["as_of"] or date.today()
        last = options["last"] or as_of
        first = options["first"] or add_months(last.replace(day=1), -11)
        if first > last:
            raise CommandError("--from is after --to.")
        scope = options["scope"] or (
            "channel" if CATALOGUE[key].scopes == ("channel",) else "company"
        )
        if scope not in CATALOGUE[key].scopes:
            raise CommandError(
                f"{key} has no values per {scope}; scopes: {', '.join(CATALOGUE[key].scopes)}."
            )
        values = compute(
            tenant=tenant,
            keys=[key],
            grain=options["grain"],
            first=first,
            last=min(last, as_of),
            as_of=as_of,
            scopes=[scope],
        )
        names = scope_member_names(tenant=tenant)
        rows = [
            {
                "period": v.period.isoformat(),
                "scope": v.scope,
                "key": (names.get(v.scope, {}).get(v.member, v.member) if v.member else None),
                "value": None if v.value is None else round(v.value, 6),
            }
            for v in values
        ]
        rows.sort(key=lambda r: (r["period"], r["key"] or ""))
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            value = "—" if row["value"] is None else f"{row['value']:,.2f}"
            self.stdout.write(
                f"{row['period']}  {row['scope']:<10} {row['key'] or '':<24} {value:>16}"
            )
