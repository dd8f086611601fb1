"""Due times are the trigger's, the same in every scheduler process, whenever it started (decision 0038)."""

from datetime import UTC, datetime, timedelta

import pytest

from cnum_shared.framework.scheduler import EPOCH, Ticks, build_trigger, latest_due


def test_interval_ticks_are_counted_from_the_epoch_not_from_the_start():
    ticks = build_trigger({"trigger": "interval", "seconds": 2})
    assert isinstance(ticks, Ticks)
    now = datetime(2026, 3, 10, 9, 0, 1, 300_000, tzinfo=UTC)
    assert latest_due(ticks, now) == datetime(2026, 3, 10, 9, 0, 0, tzinfo=UTC)
    assert ticks.get_next_fire_time(None, now) == datetime(2026, 3, 10, 9, 0, 2, tzinfo=UTC)
    on_a_tick = datetime(2026, 3, 10, 9, 0, 2, tzinfo=UTC)
    assert ticks.get_next_fire_time(None, on_a_tick) == on_a_tick
    assert ticks.get_next_fire_time(on_a_tick, on_a_tick) == on_a_tick + timedelta(seconds=2)
    assert (latest_due(ticks, now) - EPOCH) % timedelta(seconds=2) == timedelta(0)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # 03:15 in Paris: 02:15 UTC in winter, 01:15 UTC in summer (the clocks went forward on 29 March).
        (datetime(2026, 3, 10, 2, 14, tzinfo=UTC), datetime(2026, 3, 9, 2, 15, tzinfo=UTC)),
        (datetime(2026, 3, 10, 2, 15, tzinfo=UTC), datetime(2026, 3, 10, 2, 15, tzinfo=UTC)),
        (datetime(2026, 3, 30, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 1, 15, tzinfo=UTC)),
    ],
)
def test_a_daily_time_is_due_in_paris_time(now, due):
    assert latest_due(build_trigger({"trigger": "cron", "hour": 3, "minute": 15}), now) == due


def test_a_yearly_time_is_found_months_back():
    trigger = build_trigger({"trigger": "cron", "month": 1, "day": 1, "hour": 0})
    assert latest_due(trigger, datetime(2026, 11, 30, tzinfo=UTC)) == datetime(2025, 12, 31, 23, tzinfo=UTC)


def test_an_unknown_trigger_is_refused():
    with pytest.raises(ValueError, match="unknown trigger"):
        build_trigger({"trigger": "date"})
