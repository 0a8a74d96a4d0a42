"""Working days (工作日) with China's public holidays and make-up working days (调休).

The official calendar comes from the maintained `chinese_calendar` package. For a year it does
not cover yet, working days fall back to Monday–Friday and `covered` says so, so the answer can
tell the citizen the date is provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkingDate:
    day: date
    covered: bool  # False: a year without an official holiday calendar; counted Monday–Friday


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is it a working day, is the answer from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, days: int) -> WorkingDate:
    """The date `days` working days after `start` (the day of acceptance itself not counted)."""
    day, covered, left = start, True, days
    while left > 0:
        day += timedelta(days=1)
        working, official = is_working_day(day)
        covered = covered and official
        if working:
            left -= 1
    return WorkingDate(day, covered)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n))[0])
