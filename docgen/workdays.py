"""Date arithmetic for deadlines: calendar days, working days and months.

Working days follow the official Chinese calendar (法定节假日 and 调休 workdays) as published by
the State Council and packaged in chinese-calendar. That package only knows the years announced
when it was released; for any other year we count Monday to Friday as working days and say so:
every result carries the years it had to guess, so the output can warn the clerk.

Counting follows 民法典 第二百零一条、第二百零二条: the starting day is not counted; "N months
after" ends on the same day of the month, or on the month's last day when it has no such day.
A date is never moved off a weekend or holiday here: the documents state plain dates
("约谈后15日内（11月20日前）") and the tracked deadline must be the date the document states.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class Reckoned:
    """A computed date, and the years whose holidays were unknown (counted Monday–Friday)."""

    date: dt.date
    assumed_years: tuple[int, ...] = ()

    @property
    def warning(self) -> str | None:
        if not self.assumed_years:
            return None
        years = "、".join(f"{y}年" for y in self.assumed_years)
        return f"{years}的法定节假日和调休安排尚未收录，按周一至周五为工作日推算，请核对国务院公布的放假安排"


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def known_year(year: int) -> bool:
    """Whether the official holiday arrangement of this year is known."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is it a working day, was it guessed because the year is unknown)."""
    day = _day(day)
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def workdays_after(start, n: int) -> Reckoned:
    """The n-th working day after start (start itself not counted); n may be negative."""
    day, step, left, guessed = _day(start), (1 if n >= 0 else -1), abs(n), set()
    while left:
        day += dt.timedelta(days=step)
        working, assumed = is_workday(day)
        if assumed:
            guessed.add(day.year)
        left -= working
    return Reckoned(day, tuple(sorted(guessed)))


def days_after(start, n: int) -> Reckoned:
    """n calendar days after start (negative: before); needs no holiday calendar."""
    return Reckoned(_day(start) + dt.timedelta(days=n))


def months_after(start, n: int) -> Reckoned:
    """Same day n months later; the month's last day when that month is shorter."""
    start = _day(start)
    index = start.year * 12 + start.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    return Reckoned(dt.date(year, month, min(start.day, _stdcal.monthrange(year, month)[1])))
