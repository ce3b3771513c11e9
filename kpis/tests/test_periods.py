"""Periods: months, and quarters and years that honour the tenant's fiscal-year start."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kpis.periods import (
    add_months,
    close_date,
    fiscal_year_of,
    is_closed,
    local_midnight,
    month_from_index,
    month_index,
    period_end,
    period_label,
    period_start,
    periods_between,
)


@pytest.mark.parametrize(
    ("day", "grain", "fiscal", "start", "end"),
    [
        # Calendar years (fiscal year starts in January).
        (date(2026, 8, 15), "month", 1, date(2026, 8, 1), date(2026, 9, 1)),
        (date(2026, 8, 15), "quarter", 1, date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 8, 15), "year", 1, date(2026, 1, 1), date(2027, 1, 1)),
        (date(2026, 3, 10), "quarter", 1, date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 12, 31), "quarter", 1, date(2026, 10, 1), date(2027, 1, 1)),
        (date(2026, 12, 31), "month", 1, date(2026, 12, 1), date(2027, 1, 1)),
        # Fiscal year from July: Q1 = Jul-Sep, Q2 = Oct-Dec, Q3 = Jan-Mar, Q4 = Apr-Jun.
        (date(2026, 8, 15), "month", 7, date(2026, 8, 1), date(2026, 9, 1)),
        (date(2026, 8, 15), "quarter", 7, date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 8, 15), "year", 7, date(2026, 7, 1), date(2027, 7, 1)),
        (date(2026, 3, 10), "quarter", 7, date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 3, 10), "year", 7, date(2025, 7, 1), date(2026, 7, 1)),
        (date(2026, 6, 30), "year", 7, date(2025, 7, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), "year", 7, date(2026, 7, 1), date(2027, 7, 1)),
        # A fiscal year from February shifts the quarters off the calendar ones.
        (date(2026, 1, 31), "quarter", 2, date(2025, 11, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), "quarter", 2, date(2026, 2, 1), date(2026, 5, 1)),
        (date(2026, 1, 31), "year", 2, date(2025, 2, 1), date(2026, 2, 1)),
    ],
)
def test_period_start_and_end(day, grain, fiscal, start, end):
    assert period_start(day, grain, fiscal) == start
    assert period_end(start, grain) == end


def test_month_index_counts_consecutive_months():
    assert month_index(date(2026, 1, 31)) + 1 == month_index(date(2026, 2, 1))
    assert month_index(date(2025, 12, 1)) + 1 == month_index(date(2026, 1, 1))
    assert month_from_index(month_index(date(2026, 3, 17))) == date(2026, 3, 1)
    assert add_months(date(2026, 11, 20), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)


def test_periods_between_lists_every_overlapping_period_oldest_first():
    assert periods_between(date(2026, 1, 15), date(2026, 4, 2), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    # 15 Feb lies in Q1; 1 Jul starts Q3.
    assert periods_between(date(2026, 2, 15), date(2026, 7, 1), "quarter") == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
    ]
    # Fiscal year from July: Mar 2026 is in FY Jul 2025-Jun 2026.
    assert periods_between(date(2026, 3, 1), date(2026, 8, 1), "year", 7) == [
        date(2025, 7, 1),
        date(2026, 7, 1),
    ]
    assert periods_between(date(2026, 3, 1), date(2026, 8, 1), "quarter", 7) == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
    ]
    assert periods_between(date(2026, 5, 1), date(2026, 4, 30), "month") == []
    assert periods_between(date(2026, 5, 9), date(2026, 5, 9), "month") == [date(2026, 5, 1)]


def test_labels_name_months_quarters_and_years():
    assert period_label(date(2026, 3, 1), "month") == "2026-03"
    assert period_label(date(2026, 3, 1), "month", 7) == "2026-03"
    assert period_label(date(2026, 1, 1), "quarter") == "2026 Q1"
    assert period_label(date(2026, 10, 1), "quarter") == "2026 Q4"
    assert period_label(date(2026, 1, 1), "year") == "2026"


def test_fiscal_labels_name_the_fiscal_year_after_the_year_it_ends_in():
    # FY2027 runs from July 2026 to June 2027.
    assert fiscal_year_of(date(2026, 7, 1), 7) == 2027
    assert fiscal_year_of(date(2026, 6, 30), 7) == 2026
    assert fiscal_year_of(date(2026, 6, 30), 1) == 2026
    assert period_label(date(2026, 7, 1), "year", 7) == "FY2027"
    assert period_label(date(2025, 7, 1), "year", 7) == "FY2026"
    assert period_label(date(2026, 7, 1), "quarter", 7) == "FY2027 Q1"
    assert period_label(date(2026, 1, 1), "quarter", 7) == "FY2026 Q3"
    assert period_label(date(2026, 4, 1), "quarter", 7) == "FY2026 Q4"


def test_period_bounds_are_local_midnight_of_the_tenant():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    start = local_midnight(date(2026, 3, 1), amsterdam)
    assert start == datetime(2026, 2, 28, 23, 0, tzinfo=ZoneInfo("UTC"))  # CET = UTC+1
    # After the switch to summer time (29 March 2026) midnight is 22:00 UTC.
    assert local_midnight(date(2026, 4, 1), amsterdam) == datetime(
        2026, 3, 31, 22, 0, tzinfo=ZoneInfo("UTC")
    )


def test_a_period_closes_on_the_close_day_of_the_month_after_it():
    assert close_date(date(2026, 3, 1), "month", 10) == date(2026, 4, 10)
    assert close_date(date(2026, 1, 1), "quarter", 5) == date(2026, 4, 5)
    assert close_date(date(2025, 7, 1), "year", 10) == date(2026, 7, 10)
    assert not is_closed(date(2026, 3, 1), "month", 10, as_of=date(2026, 4, 9))
    assert is_closed(date(2026, 3, 1), "month", 10, as_of=date(2026, 4, 10))
