from datetime import date

from bot.services.calendar import add_working_days, is_working_day, working_days_between


def test_national_day_holiday_and_make_up_saturday_2026() -> None:
    # 2026: 1–7 October are holidays, Saturday 10 October is a make-up working day.
    assert is_working_day(date(2026, 10, 1)) == (False, True)
    assert is_working_day(date(2026, 10, 10)) == (True, True)
    result = add_working_days(date(2026, 9, 30), 3)
    assert result.day == date(2026, 10, 10) and result.covered


def test_plain_weeks() -> None:
    assert add_working_days(date(2026, 11, 26), 5).day == date(2026, 12, 3)
    assert working_days_between(date(2026, 11, 26), date(2026, 12, 3)) == 5
    assert working_days_between(date(2026, 12, 3), date(2026, 11, 26)) == -5


def test_a_year_without_official_calendar_is_marked() -> None:
    result = add_working_days(date(2027, 12, 28), 3)
    assert result.day == date(2027, 12, 31) and not result.covered
