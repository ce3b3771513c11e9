"""Periods: months, quarters and years, quarters and years honouring the fiscal-year start.

A period is identified by its grain and its first day (a local date of the tenant). Its
bounds in time are midnight local time of the tenant at the first day and at the first day
of the next period.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

Grain = Literal["month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def month_index(day: date) -> int:
    """Months since year 0: consecutive integers for consecutive months."""
    return day.year * 12 + day.month - 1


def month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    return month_from_index(month_index(day) + months)


def period_start(day: date, grain: Grain, fiscal_start_month: int = 1) -> date:
    """First day of the period of `grain` that contains `day`."""
    if grain == "month":
        return day.replace(day=1)
    length = MONTHS_IN[grain]
    offset = (day.month - fiscal_start_month) % 12
    first = month_index(day) - (offset % length)
    return month_from_index(first)


def period_end(start: date, grain: Grain) -> date:
    """First day after the period (exclusive end)."""
    return add_months(start, MONTHS_IN[grain])


def periods_between(
    first: date, last: date, grain: Grain, fiscal_start_month: int = 1
) -> list[date]:
    """Starts of every period that overlaps [first, last], oldest first."""
    start = period_start(first, grain, fiscal_start_month)
    out = []
    while start <= last:
        out.append(start)
        start = period_end(start, grain)
    return out


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def period_label(start: date, grain: Grain, fiscal_start_month: int = 1) -> str:
    """Labels "2026-03", "2026 Q1", "2026"; with a fiscal year not starting in January the
    quarter and year carry the fiscal year's name: "FY2027 Q1" (Jul-Sep 2026), "FY2027"."""
    if grain == "month":
        return start.strftime("%Y-%m")
    year = (
        f"FY{fiscal_year_of(start, fiscal_start_month)}"
        if fiscal_start_month != 1
        else str(start.year)
    )
    if grain == "quarter":
        quarter = ((start.month - fiscal_start_month) % 12) // 3 + 1
        return f"{year} Q{quarter}"
    return year


def fiscal_year_of(day: date, fiscal_start_month: int) -> int:
    """A fiscal year is named after the calendar year in which it ends (FY2026 = Jul 2025-Jun 2026)."""
    if fiscal_start_month == 1:
        return day.year
    return day.year + 1 if day.month >= fiscal_start_month else day.year


def close_date(start: date, grain: Grain, close_day: int) -> date:
    """The day from which a period's measurements are frozen: the tenant's close day of the
    month after the period ends (e.g. March closes on 10 April with close day 10)."""
    end = period_end(start, grain)  # first day of the next period
    return end.replace(day=close_day)


def is_closed(start: date, grain: Grain, close_day: int, as_of: date) -> bool:
    return as_of >= close_date(start, grain, close_day)
