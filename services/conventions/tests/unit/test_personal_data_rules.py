"""When an advisor's personal data stops being kept (DESIGN §3 calendar rules, §5 retention)."""

from datetime import date

from conventions.domain.personal_data import kept_until, past_retention, retention_end


def test_retention_counts_calendar_years_from_the_files_end():
    assert retention_end(date(2023, 2, 28), 5) == date(2028, 2, 28)
    # A file that ended on 29 February is kept through 28 February of a common year.
    assert retention_end(date(2024, 2, 29), 5) == date(2029, 2, 28)


def test_the_data_is_kept_until_the_latest_end_and_while_one_file_is_open():
    assert kept_until([date(2028, 2, 28), date(2029, 6, 30)]) == date(2029, 6, 30)
    assert kept_until([date(2028, 2, 28), None]) is None
    assert kept_until([]) is None


def test_kept_through_the_last_day_and_purged_from_the_next():
    assert not past_retention(date(2028, 2, 28), date(2028, 2, 28))
    assert past_retention(date(2028, 2, 28), date(2028, 2, 29))
    assert not past_retention(None, date(2099, 1, 1))
