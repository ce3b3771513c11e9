"""The jobs pages say how long a run took and what each step of the night did, in words."""

from datetime import timedelta

from django.utils import translation

from portal.templatetags.jobs import count_value, duration


def test_durations_read_as_seconds_minutes_and_hours():
    with translation.override("en"):
        assert duration(timedelta(seconds=1.413361)) == "1.4 s"
        assert duration(timedelta(seconds=42.6)) == "43 s"
        assert duration(timedelta(seconds=185)) == "3 min 5 s"
        assert duration(timedelta(hours=1, minutes=2, seconds=3)) == "1 h 2 min"
        assert duration(None) == "—"


def test_step_counts_are_listed_by_name_not_as_a_raw_dict():
    steps = {"customers": {"scored": 800, "signals": 12, "fit_error": ""}, "personas": {"Bouw": 5}}
    with translation.override("en"):
        shown = count_value(steps)
    assert shown == "customers (scored: 800; signals: 12); persona assignment (Bouw: 5)"
    assert "{" not in shown


def test_where_a_recompute_read_the_closed_months_is_said_in_words():
    from portal.templatetags.jobs import count_label

    with translation.override("en"):
        assert count_label("facts_from") == "closed months read from"
        assert count_value("snapshot") == "the stored facts snapshot"
        assert count_value("rows") == "every order and web event"
    with translation.override("nl"):
        assert count_label("facts_from") == "afgesloten maanden gelezen uit"
        assert count_value("snapshot") == "de opgeslagen momentopname van de feiten"
    with translation.override("da"):
        assert count_value("rows") == "alle ordrer og webaktiviteter"


def test_the_steps_own_counts_read_in_the_users_language():
    steps = {
        "customers": {"scored": 800, "seconds": {"load": 0.5, "fit": 0.01}},
        "personas": {"assigned": 774, "unassigned": 26, "persona_count": 6},
    }
    with translation.override("nl"):
        shown = count_value(steps)
    assert "seconden (laden: 0.50; model passen: 0.01)" in shown
    assert "toegewezen: 774; niet toegewezen: 26; persona's: 6" in shown
