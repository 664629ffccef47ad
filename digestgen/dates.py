"""Dates as readers see them, in English whatever the machine's locale."""

from __future__ import annotations

from datetime import date

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
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_date(moment: date) -> str:
    """A date like '4 June 2021', independent of the machine's locale."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def format_day(day: date) -> str:
    """A day like 'Friday 4 June 2021', independent of the machine's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"
