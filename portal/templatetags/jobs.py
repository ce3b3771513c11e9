"""Readable names for job kinds and their counts."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

register = template.Library()

KINDS = {
    "recompute": _("KPI recompute"),
    "import-check": _("File check"),
    "import": _("Import"),
}
COUNTS = {
    "measurements": _("measurements written"),
    "periods": _("periods"),
    "kpis": _("KPIs"),
    "skipped_closed": _("closed periods left as they were"),
    "first_run": _("first run (24 months)"),
    "force_closed": _("closed periods forced"),
    "rows": _("rows"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "error_count": _("errors"),
    "steps": _("steps before the KPIs"),
    "customers": _("customers"),
    "scored": _("scored"),
    "signals": _("signals"),
    "fit_error": _("CLV fit"),
    "personas": _("persona assignment"),
    "facts_from": _("closed months read from"),
    "snapshot_bytes": _("facts snapshot stored (bytes)"),
    "assigned": _("assigned"),
    "unassigned": _("unassigned"),
    "persona_count": _("personas"),
    "by_persona": _("customers per persona"),
    "seconds": _("seconds"),
    "load": _("loading"),
    "fit": _("fit"),
    "score": _("scoring"),
    "write": _("writing"),
}
# Words a job records as values (kpis.recompute.RecomputeResult.facts_from).
VALUES = {
    "snapshot": _("the stored facts snapshot"),
    "rows": _("every order and web event"),
}


@register.filter
def job_kind(kind: str) -> str:
    base, _sep, detail = kind.partition(":")
    label = KINDS.get(base, base)
    return f"{label}: {detail}" if detail else str(label)


@register.filter
def count_label(key: str) -> str:
    return str(COUNTS.get(key, key.replace("_", " ")))


@register.filter
def count_value(value):
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, dict):  # a step's own counts, e.g. {"customers": {"scored": 800}}
        parts = []
        for key, inner in value.items():
            if inner in ("", None, {}):
                continue
            shown = count_value(inner)
            parts.append(
                f"{count_label(key)}: {shown}"
                if not isinstance(inner, dict)
                else f"{count_label(key)} ({shown})"
            )
        return "; ".join(parts) or "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str) and value in VALUES:
        return VALUES[value]
    return value


@register.filter
def duration(value) -> str:
    """A job's duration as people read it: "0.4 s", "12 s", "3 min 5 s", "1 h 2 min"."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value)
    if seconds < 10:
        return _("%(s)s s") % {"s": number_format(round(seconds, 1), 1)}
    seconds = round(seconds)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
