"""Traffic lights: both directions, pacing for additive KPIs, and the no-target/no-data cases."""

from datetime import date

import pytest

from kpis.status import AMBER, GREEN, NO_DATA, NO_TARGET, RED, elapsed_share, evaluate


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, GREEN), (45, GREEN), (44.9, AMBER), (40, AMBER), (39.9, RED), (0, RED)],
)
def test_higher_is_better(value, expected):
    status = evaluate(value=value, minimum=40, stretch=45, direction="up", additive=False)
    assert status.code == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.0, GREEN), (2.0, GREEN), (2.1, AMBER), (3.0, AMBER), (3.1, RED), (10, RED)],
)
def test_lower_is_better(value, expected):
    # e.g. churn rate: minimum (worst acceptable) 3 %, stretch 2 %
    status = evaluate(value=value, minimum=3.0, stretch=2.0, direction="down", additive=False)
    assert status.code == expected


def test_no_value_is_no_data_even_with_a_target():
    assert evaluate(value=None, minimum=1, stretch=2, direction="up", additive=True).code == NO_DATA


def test_no_target_is_reported_as_such():
    assert (
        evaluate(value=5, minimum=None, stretch=None, direction="up", additive=True).code
        == NO_TARGET
    )


def test_additive_kpis_are_paced_through_the_period():
    # Revenue target 100,000 (minimum) / 120,000 (stretch) for a 30-day month; on day 15
    # we should be at 50,000 / 60,000.
    elapsed = elapsed_share(date(2026, 11, 1), "month", date(2026, 11, 15))
    assert elapsed == pytest.approx(0.5)
    on_pace = evaluate(
        value=61_000,
        minimum=100_000,
        stretch=120_000,
        direction="up",
        additive=True,
        elapsed=elapsed,
    )
    assert on_pace.code == GREEN
    assert on_pace.expected_minimum == pytest.approx(50_000)
    assert on_pace.expected_stretch == pytest.approx(60_000)
    behind = evaluate(
        value=49_000,
        minimum=100_000,
        stretch=120_000,
        direction="up",
        additive=True,
        elapsed=elapsed,
    )
    assert behind.code == RED


def test_paced_lower_is_better():
    # Returns value must stay under 10,000 (minimum) and ideally 8,000: half-way, 4,500 is fine.
    elapsed = 0.5
    assert (
        evaluate(
            value=3_900,
            minimum=10_000,
            stretch=8_000,
            direction="down",
            additive=True,
            elapsed=elapsed,
        ).code
        == GREEN
    )
    assert (
        evaluate(
            value=4_500,
            minimum=10_000,
            stretch=8_000,
            direction="down",
            additive=True,
            elapsed=elapsed,
        ).code
        == AMBER
    )
    assert (
        evaluate(
            value=5_100,
            minimum=10_000,
            stretch=8_000,
            direction="down",
            additive=True,
            elapsed=elapsed,
        ).code
        == RED
    )


def test_ratios_are_compared_straight_whatever_the_elapsed_share():
    status = evaluate(value=41, minimum=40, stretch=45, direction="up", additive=False, elapsed=0.1)
    assert status.code == AMBER
    assert status.expected_minimum == 40


def test_elapsed_share_of_closed_and_future_periods():
    assert elapsed_share(date(2026, 1, 1), "quarter", date(2026, 6, 1)) == 1.0
    assert elapsed_share(date(2026, 1, 1), "year", date(2025, 12, 1)) == 0.0
    assert elapsed_share(date(2026, 1, 1), "quarter", date(2026, 1, 1)) == pytest.approx(1 / 90)


def test_changes_of_an_additive_kpi_in_a_running_period_compare_like_for_like():
    """On the 15th of a 30-day month, 500 against a previous month's 800 is 400 scaled: a
    rise of 25 %, not a fall of 37.5 %. Ratios and closed periods compare straight."""
    from kpis.templatetags.kpi_format import change

    running = evaluate(
        value=500, minimum=700, stretch=900, direction="up", additive=True, elapsed=0.5
    )
    assert running.pace == 0.5
    assert change(500, 800, "count", running) == "▲ 25.0 %"
    assert change(500, 800, "count") == "▼ 37.5 %"  # without a status: as stored
    closed = evaluate(value=500, minimum=700, stretch=900, direction="up", additive=True)
    assert closed.pace == 1.0 and change(500, 800, "count", closed) == "▼ 37.5 %"
    share = evaluate(value=41, minimum=40, stretch=45, direction="up", additive=False, elapsed=0.5)
    assert share.pace == 1.0 and change(41, 39, "percent", share) == "▲ 2.0 pt"
    no_target = evaluate(value=500, minimum=None, stretch=None, direction="up", additive=True,
                         elapsed=0.5)  # fmt: skip
    assert change(500, 800, "count", no_target) == "▲ 25.0 %"
