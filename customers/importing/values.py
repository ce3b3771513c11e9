"""Parsers for one cell. Each takes the raw value (a string from CSV, or a typed value from
XLSX) and returns the Python value or raises ValueError with a message for the user."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

TRUE = {"1", "true", "yes", "y", "ja", "j", "x", "waar", "sand"}
FALSE = {"0", "false", "no", "n", "nee", "nej", "onwaar", "falsk", ""}

# Decimal separator and the local date pattern per tenant locale.
DECIMAL_COMMA_LOCALES = {"nl", "da", "de"}
LOCAL_DATE = {
    "nl": (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})"), "DD-MM-YYYY"),
    "da": (re.compile(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{4})"), "DD.MM.YYYY"),
    "en": (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})"), "DD/MM/YYYY"),
}
TIME_PART = re.compile(r"^(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
FORMULA_STARTS = "=+-@\t\r"
GROUPED_POINT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


class ValueParsers:
    """Cell parsers bound to a tenant's locale and time zone."""

    def __init__(self, *, locale: str, tz: ZoneInfo):
        self.locale = locale if locale in LOCAL_DATE else "en"
        self.decimal_comma = self.locale in DECIMAL_COMMA_LOCALES
        self.tz = tz
        self.local_date, self.local_format = LOCAL_DATE[self.locale]
        # The common case (no thousands separators, no symbols), parsed without detours.
        self.plain_number = re.compile(
            r"-?\d+(?:,\d+)?" if self.decimal_comma else r"-?\d+(?:\.\d+)?"
        ).fullmatch

    def text(self, value, max_length: int | None = None) -> str:
        text = str(value).strip() if value is not None else ""
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
            text = text[1:]  # our exports neutralise formulas this way; undo it on the way in
        if max_length and len(text) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return text

    def decimal(self, value, places: int = 2) -> Decimal:
        if value.__class__ is str and self.plain_number(value):
            number = Decimal(value.replace(",", ".") if self.decimal_comma else value)
        elif isinstance(value, bool):
            raise ValueError("not a number")
        elif isinstance(value, int | float):
            number = Decimal(str(value))
        else:
            text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace("€", "")
            if not text:
                raise ValueError("is empty")
            if self.decimal_comma:
                if "," in text:
                    text = text.replace(".", "").replace(",", ".")
                elif "." in text:
                    if GROUPED_POINT.match(text):
                        text = text.replace(".", "")
                    else:
                        raise ValueError(
                            f"{value!r} is ambiguous here: this company uses a decimal comma "
                            "(e.g. 1234,56)"
                        )
            elif "," in text:
                if re.match(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$", text):
                    text = text.replace(",", "")
                else:
                    raise ValueError(f"{value!r}: this company uses a decimal point (1234.56)")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a number")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            rounded = number.quantize(Decimal(1).scaleb(-places))
            if rounded != number:
                raise ValueError(f"{value!r} has more than {places} decimals")
            number = rounded
        return number

    def integer(self, value) -> int:
        if isinstance(value, bool):
            raise ValueError("not a whole number")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(value)
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(f"{value!r} is not a whole number")
        return int(text)

    def boolean(self, value) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if value in (0, 1):
                return bool(value)
            raise ValueError(f"{value!r} is not yes/no (use 1 or 0)")
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValueError(f"{value!r} is not yes/no (use 1 or 0)")

    def date(self, value) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        parsed = self._parse_date_time(text)
        if parsed[1] is not None and parsed[1] != time(0, 0):
            raise ValueError(f"{text!r}: a date without time is expected")
        return parsed[0]

    def datetime(self, value) -> datetime:
        """Aware datetime. Without an offset the time is local time of the tenant."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, time(0, 0))
        else:
            text = str(value).strip()
            if not text:
                raise ValueError("is empty")
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                day, clock = self._parse_date_time(text)
                moment = datetime.combine(day, clock or time(0, 0))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment

    def _parse_date_time(self, text: str) -> tuple[date, time | None]:
        if not text:
            raise ValueError("is empty")
        iso = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if iso:
            year, month, day = (int(g) for g in iso.groups())
        else:
            local = self.local_date.match(text)
            if not local:
                raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD or {self.local_format}")
            day, month, year = (int(g) for g in local.groups())
            iso = local
        rest = TIME_PART.match(text[iso.end() :])
        if rest is None:
            raise ValueError(f"{text!r} is not a date/time; use YYYY-MM-DD HH:MM")
        try:
            day_value = date(year, month, day)
            clock = None
            if rest.group(1):
                clock = time(int(rest.group(1)), int(rest.group(2)), int(rest.group(3) or 0))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date: {exc}") from None
        return day_value, clock
