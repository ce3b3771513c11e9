"""Numbers as people read them: per unit, in the active language's format."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format as _number_format
from django.utils.translation import gettext as _

register = template.Library()


def number_format(value, decimals: int, **kwargs) -> str:
    """Django's number_format, rounded half up (Django cuts the digits of a float off)."""
    rounded = Decimal(str(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return _number_format(rounded, decimals, **kwargs)


DECIMALS = {"currency": 0, "percent": 1, "count": 0, "ratio": 2, "score": 1, "ms": 0, "days": 0}
SYMBOLS = {"EUR": "€", "DKK": "kr.", "USD": "$", "GBP": "£", "SEK": "kr", "NOK": "kr"}


@register.filter
def unit_value(value, unit_and_currency: str = "count"):
    """`{{ value|unit_value:"currency EUR" }}` -> "€ 12.345" (nl) / "€12,345" (en)."""
    if value is None or value == "":
        return "—"
    unit, _sep, currency = str(unit_and_currency).partition(" ")
    text = number_format(float(value), DECIMALS.get(unit, 2), use_l10n=True, force_grouping=True)
    if unit == "currency":
        return f"{SYMBOLS.get(currency, currency)} {text}".strip()
    if unit == "percent":
        return f"{text} %"
    if unit == "ms":
        return f"{text} ms"
    return text


@register.simple_tag(takes_context=True)
def fmt(context, value, unit="count"):
    """`{% fmt value kpi.unit %}`: the value in its unit, currency from the tenant."""
    tenant = context.get("tenant")
    if unit == "currency" and tenant is not None:
        unit = f"currency {tenant.currency}"
    return unit_value(value, unit)


@register.simple_tag
def change(value, previous, unit="count", status=None):
    """Change against an earlier value: points for percentages, relative % otherwise. With the
    row's `status`, an additive KPI in an open period is compared with the earlier value scaled
    to the elapsed share (kpis.status: `Status.pace`)."""
    if value in (None, "") or previous in (None, ""):
        return "—"
    pace = getattr(status, "pace", 1.0) or 1.0
    if pace < 1:
        previous = float(previous) * pace
    if unit in {"percent", "score"}:
        delta = float(value) - float(previous)
        arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
        points = _("pt")  # percentage points
        return f"{arrow} {number_format(abs(delta), 1, use_l10n=True)} {points}"
    if float(previous) == 0:
        return "—"
    delta = (float(value) - float(previous)) / abs(float(previous)) * 100
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    return f"{arrow} {number_format(abs(delta), 1, use_l10n=True)} %"


@register.filter
def get_item(mapping, key):
    """`{{ urls|get_item:kpi.pk }}`: a dict lookup by a variable key."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def status_label(code: str) -> str:
    """A traffic light's code as words (for plain-text e-mail)."""
    labels = {
        "green": _("On track"),
        "amber": _("At risk"),
        "red": _("Off track"),
        "no_target": _("No target"),
        "no_data": _("No data"),
    }
    return labels.get(code, code)


@register.filter
def person(user) -> str:
    """A user's full name, else username; a dash for a deleted user."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
