"""Working days by the official Chinese calendar (holidays and 调休), and the fallback for years
it does not know."""

from __future__ import annotations

import datetime as dt

import pytest

from docgen.workdays import days_after, is_workday, known_year, months_after, workdays_after

D = dt.date


@pytest.mark.parametrize("day, working", [
    (D(2021, 10, 1), False), (D(2021, 10, 7), False),   # National Day holiday
    (D(2021, 9, 26), True), (D(2021, 10, 9), True),     # 调休: Sunday and Saturday worked
    (D(2021, 10, 8), True),
    (D(2021, 2, 7), True), (D(2021, 2, 20), True),      # Spring Festival 调休 Sunday, Saturday
    (D(2021, 2, 11), False), (D(2021, 2, 17), False),   # Spring Festival holiday
    (D(2021, 12, 25), False),                           # an ordinary Saturday
])
def test_known_days(day, working):
    assert is_workday(day) == (working, False)


def test_patrol_report_over_national_day():
    # 十、第八条: patrol ended Friday 2021-09-10; 9/18 and 9/26 are worked, 10/1-7 are not.
    assert workdays_after(D(2021, 9, 10), 15).date == D(2021, 10, 8)


def test_working_days_across_holidays():
    assert workdays_after(D(2021, 9, 30), 1).date == D(2021, 10, 8)
    assert workdays_after(D(2021, 10, 8), 1).date == D(2021, 10, 9)      # a 调休 Saturday counts
    assert workdays_after(D(2021, 2, 10), 1).date == D(2021, 2, 18)      # after Spring Festival
    assert workdays_after(D(2021, 2, 6), 1).date == D(2021, 2, 7)       # Sunday worked before it
    assert workdays_after(D(2021, 10, 8), -1).date == D(2021, 9, 30)     # counting back


def test_year_ends():
    assert workdays_after(D(2021, 12, 31), 1).date == D(2022, 1, 4)      # 2022-01-03 was a holiday
    assert workdays_after(D(2020, 12, 31), 1).date == D(2021, 1, 4)
    assert days_after(D(2021, 12, 20), 15).date == D(2022, 1, 4)


def test_provincial_patrol_plan_and_results():
    # seed 002 四（二）7: feedback Friday 2021-10-29 -> plan in 20 working days, results in two months.
    assert workdays_after(D(2021, 10, 29), 20).date == D(2021, 11, 26)
    assert months_after(D(2021, 10, 29), 2).date == D(2021, 12, 29)


@pytest.mark.parametrize("start, months, end", [
    (D(2021, 12, 31), 2, D(2022, 2, 28)),    # no 31st: the month's last day
    (D(2023, 12, 31), 2, D(2024, 2, 29)),    # leap year
    (D(2021, 11, 30), 2, D(2022, 1, 30)),
    (D(2021, 1, 31), -2, D(2020, 11, 30)),
])
def test_months(start, months, end):
    assert months_after(start, months).date == end


def test_calendar_days_count_from_the_next_day():
    # 七、第五条（四）: interview 2021-11-05 -> report within 15 days, by 2021-11-20 (a Saturday,
    # kept as the documents state it).
    result = days_after(dt.datetime(2021, 11, 5, 9, 30), 15)
    assert result.date == D(2021, 11, 20) and not result.assumed_years
    assert days_after(D(2021, 12, 20), -15).date == D(2021, 12, 5)


def test_unknown_year_falls_back_to_weekdays_and_says_so():
    assert not known_year(2099) and not known_year(1990) and known_year(2021)
    assert is_workday(D(2099, 10, 1)) == (True, True)    # a Thursday: no holiday known
    result = workdays_after(D(2099, 1, 2), 5)             # Friday -> next Friday
    assert result.date == D(2099, 1, 9)
    assert result.assumed_years == (2099,)
    assert "2099年" in result.warning and "周一至周五" in result.warning


def test_only_unknown_years_are_flagged():
    last = D(2021, 1, 1)
    while known_year(last.year + 1):
        last = D(last.year + 1, 1, 1)
    end_of_known = D(last.year, 12, 31)
    across = workdays_after(end_of_known - dt.timedelta(days=3), 10)
    assert across.assumed_years == (last.year + 1,)
    assert workdays_after(D(2021, 3, 1), 10).warning is None
