"""Times as readers see them: compact, with the zone, the same whatever the machine's locale."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from digestgen.util.dates import format_time, time_attribute


def test_a_time_is_short_and_names_its_zone():
    moment = datetime(2022, 12, 30, 20, 50, tzinfo=UTC)
    assert format_time(moment) == "30 Dec 2022, 20:50 UTC"
    paris = ZoneInfo("Europe/Paris")
    assert format_time(moment.astimezone(paris)) == "30 Dec 2022, 21:50 CET"
    assert format_time(datetime(2022, 6, 4, 9, 5, tzinfo=paris)) == "4 Jun 2022, 09:05 CEST"


def test_a_zone_without_an_abbreviation_shows_its_offset_and_years_have_four_digits():
    dubai = ZoneInfo("Asia/Dubai")
    assert format_time(datetime(2021, 9, 1, 8, 0, tzinfo=dubai)) == "1 Sep 2021, 08:00 +04"
    assert format_time(datetime(5, 3, 1, 10, 0, tzinfo=UTC)) == "1 Mar 0005, 10:00 UTC"


def test_a_time_attribute_is_the_shown_minute_with_z_or_the_offset():
    moment = datetime(2025, 3, 20, 8, 24, 49, tzinfo=UTC)
    assert time_attribute(moment) == "2025-03-20T08:24Z"
    assert time_attribute(moment.astimezone(ZoneInfo("Europe/Paris"))) == "2025-03-20T09:24+01:00"
    newfoundland = moment.astimezone(ZoneInfo("America/St_Johns"))
    assert time_attribute(newfoundland) == "2025-03-20T05:54-02:30"
    assert time_attribute(datetime(5, 3, 1, 10, 0, tzinfo=UTC)) == "0005-03-01T10:00Z"


ZONES = [UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kolkata")]


@given(st.datetimes(min_value=datetime(1800, 1, 1), timezones=st.sampled_from(ZONES)))
def test_times_show_the_clock_strftime_shows(moment: datetime) -> None:
    """Written without strftime (a third of its time), the hour and minute are still its own."""
    clock = moment.strftime("%H:%M")
    assert time_attribute(moment)[11:16] == clock
    day, month, year, shown = format_time(moment).split(" ")[:4]
    assert (day, year, shown) == (str(moment.day), f"{moment.year:04d},", clock)
    assert month == datetime(2000, moment.month, 1).strftime("%b")  # the C locale's: English
