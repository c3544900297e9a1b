"""One clock, UTC stored, Warsaw decided: conversions at the edges people run into."""
from datetime import date, datetime, timedelta, timezone

import pytest

from portal import clock


def test_now_is_aware_utc_and_a_test_can_freeze_it(frozen_clock):
    assert clock.now_utc().tzinfo is not None
    frozen_clock.set_local("2020-09-30 23:59:59")
    assert clock.now_utc() == datetime(2020, 9, 30, 21, 59, 59, tzinfo=timezone.utc)
    clock.reset()
    assert abs(clock.now_utc() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_freezing_with_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        clock.set(datetime(2020, 9, 30, 12, 0))


def test_a_whole_day_ends_at_the_next_local_midnight():
    end = clock.end_of_day(date(2020, 9, 30))
    assert end == datetime(2020, 9, 30, 22, 0, tzinfo=timezone.utc)  # 1 Oct 00:00 CEST
    assert clock.to_local(end).isoformat() == "2020-10-01T00:00:00+02:00"


def test_the_last_sunday_of_october_is_25_hours_long_in_warsaw():
    start = clock.start_of_day(date(2020, 10, 25))
    end = clock.end_of_day(date(2020, 10, 25))
    assert start == datetime(2020, 10, 24, 22, 0, tzinfo=timezone.utc)  # CEST, UTC+2
    assert end == datetime(2020, 10, 25, 23, 0, tzinfo=timezone.utc)    # CET, UTC+1
    assert end - start == timedelta(hours=25)


def test_the_repeated_autumn_hour_reads_as_summer_time_first():
    first = clock.from_local(datetime(2020, 10, 25, 2, 30))
    assert first == datetime(2020, 10, 25, 0, 30, tzinfo=timezone.utc)


def test_the_last_sunday_of_march_is_23_hours_long_in_warsaw():
    start = clock.start_of_day(date(2021, 3, 28))
    end = clock.end_of_day(date(2021, 3, 28))
    assert end - start == timedelta(hours=23)


def test_a_meeting_at_16_30_stays_at_16_30_local_across_the_dst_change():
    summer = clock.from_local(datetime(2020, 9, 1, 16, 30))
    winter = clock.from_local(datetime(2020, 11, 1, 16, 30))
    assert summer.hour == 14 and winter.hour == 15
    assert clock.to_local(summer).strftime("%H:%M") == clock.to_local(winter).strftime("%H:%M") == "16:30"


def test_conversions_refuse_the_wrong_kind_of_datetime():
    with pytest.raises(ValueError):
        clock.from_local(datetime(2020, 9, 1, 12, tzinfo=timezone.utc))
