"""Dates as text: what readers see, in English whatever the machine's locale, and addresses.

Every date that becomes text or a path goes through here, so each year is written with four
digits: strftime's `%Y` does not pad years before 1000 on every platform (`/202/06/01/`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from digestgen.problems import quote

# The earliest year a timestamp may have. A news digest's dates are recent; a year before this
# is a typo (`0202` for `2020`), and years before 1000 do not even fit the `/YYYY/` address.
MIN_YEAR = 1800
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SHORT_MONTHS = tuple(month[:3] for month in MONTHS)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def year_text(year: int) -> str:
    """A year with at least four digits: 5 is '0005'."""
    return f"{year:04d}"


def iso_day(day: date) -> str:
    """A day as ISO 8601 text, `YYYY-MM-DD`, the year always four digits."""
    return f"{year_text(day.year)}-{day.month:02d}-{day.day:02d}"


def day_path(day: date) -> str:
    """A day's edition address, `/YYYY/MM/DD/`, the year always four digits."""
    return f"/{year_text(day.year)}/{day.month:02d}/{day.day:02d}/"


def utc_timestamp(moment: datetime) -> str:
    """An aware moment as `YYYY-MM-DDTHH:MM:SSZ` in UTC, the year always four digits."""
    utc = moment.astimezone(UTC)
    return f"{iso_day(utc)}T{utc:%H:%M:%S}Z"


def time_attribute(moment: datetime) -> str:
    """An aware moment as an HTML `<time datetime>` value to the minute, as times are shown:
    `2021-06-04T19:51Z` at offset zero, else with its offset (`2021-06-04T21:51+02:00`)."""
    offset = moment.utcoffset()
    if not offset:
        zone = "Z"
    else:
        minutes = int(offset.total_seconds()) // 60
        zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"{iso_day(moment)}T{_clock(moment)}{zone}"


def _clock(moment: datetime) -> str:
    """The hour and minute, `19:51`: as strftime's `%H:%M`, in a third of its time (each time a
    page shows is formatted; a clean build of 10,000 records formats some 45,000)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_date(moment: date) -> str:
    """A date like '4 June 2021', independent of the machine's locale."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {year_text(moment.year)}"


def format_time(moment: datetime) -> str:
    """A moment like '4 Jun 2021, 19:51 UTC': short month, 24-hour clock, the zone's abbreviation.

    Short enough not to wrap on a phone; a zone without an abbreviation shows its offset ('+03').
    """
    zone = moment.tzname() or "UTC"
    month = SHORT_MONTHS[moment.month - 1]
    return f"{moment.day} {month} {year_text(moment.year)}, {_clock(moment)} {zone}"


def format_day(day: date) -> str:
    """A day like 'Friday 4 June 2021', independent of the machine's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {year_text(day.year)}"


def format_month(day: date) -> str:
    """A day's month like 'June 2021', independent of the machine's locale."""
    return f"{MONTHS[day.month - 1]} {year_text(day.year)}"


def parse_timestamp(value: str, zone: ZoneInfo, complain: Callable[[str], None]) -> datetime | None:
    """Read an ISO 8601 date or timestamp; no offset means the site's zone, a date its midnight."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        complain(f"is not a valid ISO 8601 date or timestamp: {quote(value)}")
        return None
    if moment.year < MIN_YEAR:
        complain(
            f"is in the year {moment.year}, before {MIN_YEAR}: check the year ({quote(value)})"
        )
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:  # Year 1 or 9999 near midnight cannot be shown in UTC or the site's zone.
        moment.astimezone(UTC)
        moment.astimezone(zone)
    except OverflowError:
        complain(f"is out of the range of usable dates: {quote(value)}")
        return None
    return moment


def day_end(day: date, zone: tzinfo) -> datetime:
    """The moment a day ends in the site's time zone (the next day's midnight there), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
