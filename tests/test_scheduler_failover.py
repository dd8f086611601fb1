"""Two scheduler processes of one service, the leader killed: each due time of each job runs once.

Decision 0038. Real `python -m payments.jobs serve` processes on one database: the relay ticks every
second (its interval is a setting), the standby retries the lead every 0.5 s
(`CNUM_SCHEDULER_TAKEOVER_SECONDS`); payments' daily jobs (`smic_recheck` at 05:45, `issue_recoveries` at
06:00) run at start. The runs are counted twice: in the `job_runs` ledger, and in the log lines the
processes wrote (`job <name> due <time>`), which a run writes only when its job function returned.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cnum_shared.framework.db import create_database_engine
from cnum_shared.framework.scheduler import JOB_RUNS
from cnum_shared.testing import TEST_KEY_ENV
from payments.manage import MIGRATIONS_DIR

TICK_SECONDS = 1.0
TAKEOVER_SECONDS = 0.5
#: What the standby may take after the leader's death before its first run: a lock retry, the catch-up
#: of the latest tick, and room for a machine shared by parallel tests.
TAKEOVER_BOUND_SECONDS = TAKEOVER_SECONDS + TICK_SECONDS + 5.0
DAILY_JOBS = ("smic_recheck", "issue_recoveries")
LOGGED_RUN = re.compile(r"job (\w+) due (\S+) \(as of")


class Scheduler:
    """One `payments.jobs serve` process, its output in a file (a killed process leaves it whole)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "payments.jobs", "serve"],
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started = datetime.now(UTC)

    @property
    def name_suffix(self) -> str:
        return f":{self.process.pid}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def led_at(self) -> datetime:
        """When it took the lead, as its log says (local time, to the millisecond)."""
        found = re.search(r"^(\S+ \S+) INFO \S+: payments scheduler \S+ leads", self.log(), re.M)
        assert found, self.log()[-3000:]
        return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC)

    def kill(self) -> datetime:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        return datetime.now(UTC)

    def clean_up(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_until(condition, what: str, timeout_seconds: float = 60.0):
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout_seconds} s: {what}")


@pytest.fixture
def ledger(db_backend, test_databases):
    url = test_databases.fresh("payments", db_backend, MIGRATIONS_DIR)
    engine = create_database_engine(url)
    yield url, engine
    engine.dispose()


def test_a_standby_takes_over_a_killed_leader_and_no_due_time_runs_twice(ledger, tmp_path):
    url, engine = ledger
    env = {
        "PAYMENTS_DATABASE_URL": url,
        **TEST_KEY_ENV,
        "CNUM_ENVIRONMENT": "test",
        "CNUM_VAR_DIR": str(tmp_path / "var"),
        "CNUM_RELAY_INTERVAL_SECONDS": str(TICK_SECONDS),
        "CNUM_SCHEDULER_TAKEOVER_SECONDS": str(TAKEOVER_SECONDS),
    }

    def runs(job: str | None = None) -> list:
        query = select(JOB_RUNS).order_by(JOB_RUNS.c.due_at)
        if job is not None:
            query = query.where(JOB_RUNS.c.job == job)
        with engine.connect() as connection:
            return list(connection.execute(query))

    def relay_runs_by(scheduler: Scheduler) -> list:
        return [
            run
            for run in runs("relay_outbox")
            if run.scheduler.endswith(scheduler.name_suffix) and run.outcome == "done"
        ]

    schedulers: list[Scheduler] = []
    try:
        leader = Scheduler(env, tmp_path / "a.log")
        schedulers.append(leader)
        wait_until(lambda: len(relay_runs_by(leader)) >= 2, "the first scheduler relays")
        standby = Scheduler(env, tmp_path / "b.log")
        schedulers.append(standby)
        wait_until(lambda: "standing by" in standby.log(), "the second scheduler stands by")
        ran_before = len(relay_runs_by(leader))
        wait_until(lambda: len(relay_runs_by(leader)) >= ran_before + 2, "the leader goes on relaying")
        assert relay_runs_by(standby) == []  # a standby runs nothing

        killed_at = leader.kill()
        first = wait_until(lambda: relay_runs_by(standby), "the standby takes over", TAKEOVER_BOUND_SECONDS)
        takeover = first[0].started_at - killed_at
        assert takeover <= timedelta(seconds=TAKEOVER_BOUND_SECONDS), takeover
        wait_until(lambda: len(relay_runs_by(standby)) >= 3, "the new leader goes on relaying")

        # Both dead: the ticks pass with no scheduler alive; the next one runs the latest of them, once.
        last_before_outage = relay_runs_by(standby)[-1].due_at
        standby.kill()
        wait_until(
            lambda: datetime.now(UTC) - last_before_outage > timedelta(seconds=3 * TICK_SECONDS),
            "ticks pass with no scheduler",
        )
        comeback = Scheduler(env, tmp_path / "c.log")
        schedulers.append(comeback)
        caught_up = wait_until(lambda: relay_runs_by(comeback), "a scheduler comes back")[0]
        # Its first run is a tick that passed before it led (a catch-up, not its first tick), the latest.
        assert caught_up.due_at < comeback.led_at(), (caught_up, comeback.led_at())
        assert caught_up.due_at - last_before_outage > timedelta(seconds=TICK_SECONDS)
        wait_until(lambda: len(relay_runs_by(comeback)) >= 2, "the work goes on")
        comeback.process.send_signal(signal.SIGTERM)
        assert comeback.process.wait(timeout=30) == 0
    finally:
        for scheduler in schedulers:
            scheduler.clean_up()

    ledger_rows = runs()
    logged = Counter(
        (job, datetime.fromisoformat(due))
        for scheduler in schedulers
        for job, due in LOGGED_RUN.findall(scheduler.log())
    )
    # Each (job, due time) is one row (the key); a run cut by a SIGKILL shows as a row without an outcome,
    # and only a run resumed by the next leader (attempts 2) may have logged twice.
    assert ledger_rows, "no run recorded"
    for row in ledger_rows:
        key = (row.job, row.due_at)
        if row.outcome == "done":
            assert logged[key] in ((1,) if row.attempts == 1 else (1, 2)), (key, logged[key], row)
        else:
            assert row.outcome is None and logged[key] == 0, row
            assert not row.scheduler.endswith(comeback.name_suffix), row  # only the killed ones were cut
    assert set(logged) <= {(row.job, row.due_at) for row in ledger_rows}
    assert sum(1 for row in ledger_rows if row.outcome is None) <= 2  # at most one per SIGKILL

    # The daily jobs ran at the first start, for their latest due time, and neither the standby that took
    # over nor the scheduler that came back ran them again.
    for job in DAILY_JOBS:
        daily = [row for row in ledger_rows if row.job == job]
        assert len(daily) == 1, daily
        assert daily[0].scheduler.endswith(leader.name_suffix) and daily[0].outcome == "done"
        assert daily[0].due_at <= daily[0].started_at
        assert sum(count for (name, _), count in logged.items() if name == job) == 1
    for scheduler in schedulers:
        assert "Traceback" not in scheduler.log(), scheduler.log()[-3000:]
    print(f"takeover after the leader's SIGKILL: {takeover.total_seconds():.2f} s")
