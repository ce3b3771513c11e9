"""Readable names for job kinds and their counts."""

from django import template
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
    return value
