"""A service's scheduler process (`python -m <svc>.jobs serve`): every dated job runs once per due time.

Decision 0038. Any number of scheduler processes of a service may run; one leads and runs the jobs, the
others wait as hot standbys and take over within `CNUM_SCHEDULER_TAKEOVER_SECONDS` when it dies:
- the leader holds a PostgreSQL session advisory lock (on SQLite, an exclusive `flock` on a file beside
  the database: SQLite is single-host). The kernel or the server releases either when the process dies;
- each run claims its (job, due time) row in the service's `job_runs` ledger before it starts, so that a
  new leader never runs a due time again, and runs at start the latest due time that no one ran (within
  the misfire grace, or whatever its age for the jobs that `run_at_start`);
- due times are the trigger's, the same in every process: cron times in Europe/Paris, interval ticks
  counted from a fixed epoch (not from the process's start, as APScheduler's interval trigger does).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, Table, and_, delete, insert, text, update
from sqlalchemy.exc import IntegrityError

from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.db import new_metadata
from cnum_shared.framework.job_runs import define_job_runs_table
from cnum_shared.framework.jobs import Job, run_job

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
#: Interval ticks are counted from this instant, so that every scheduler of a service names the same ones.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: The scheduler's view of a service's `job_runs` (each service's models define the same table).
JOB_RUNS = define_job_runs_table(new_metadata())
_LEDGER_PRUNE_SECONDS = 3600.0


class Ticks(BaseTrigger):  # type: ignore[misc]
    """Every `interval` from EPOCH: the same instants in every process, whenever it started."""

    def __init__(self, interval: timedelta) -> None:
        if interval <= timedelta(0):
            raise ValueError(f"an interval must be positive: {interval}")
        self.interval = interval

    def latest(self, now: datetime) -> datetime:
        return EPOCH + self.interval * ((now - EPOCH) // self.interval)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        after = now if previous_fire_time is None else previous_fire_time
        latest = self.latest(after)
        # The first tick at or after `now`, or the one after the previous fire time.
        if previous_fire_time is None and latest == after:
            return latest
        return latest + self.interval

    def __str__(self) -> str:
        return f"every {self.interval} from {EPOCH.isoformat()}"


def build_trigger(spec: Mapping[str, Any]) -> BaseTrigger:
    """The trigger of a job's `{"trigger": "interval" | "cron", ...}` arguments."""
    arguments = dict(spec)
    kind = arguments.pop("trigger", None)
    if kind == "interval":
        return Ticks(timedelta(**arguments))
    if kind == "cron":
        return CronTrigger(timezone=PARIS, **arguments)
    raise ValueError(f"unknown trigger {kind!r} (interval or cron)")


def latest_due(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The last due time of `trigger` at or before `now` (UTC), None when there was none within a year."""
    if isinstance(trigger, Ticks):
        return trigger.latest(now)
    # A cron trigger only counts forwards: walk from a day back, then further back until one is found.
    span = timedelta(days=1)
    while span <= timedelta(days=512):
        found: datetime | None = None
        fire: datetime | None = trigger.get_next_fire_time(None, now - span)
        while fire is not None and fire <= now:
            found = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if found is not None:
            return found.astimezone(UTC)
        span *= 2
    return None


class Ledger:
    """The `job_runs` rows of one scheduler process: claimed before a run, closed after it."""

    def __init__(self, engine: Engine, scheduler: str, table: Table = JOB_RUNS) -> None:
        self._engine = engine
        self._table = table
        self.scheduler = scheduler

    def claim(self, job: str, due_at: datetime, legal_date: date, now: datetime) -> bool:
        """True when this scheduler now owns the due time: a new row, or one that a scheduler which lost the
        lead left unfinished (this one leads now, so that one is dead or has stopped)."""
        table = self._table
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(table).values(
                        job=job,
                        due_at=due_at,
                        legal_date=legal_date,
                        scheduler=self.scheduler,
                        attempts=1,
                        started_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass  # claimed already: done, failed, or cut by its scheduler's death
        with self._engine.begin() as connection:
            resumed = connection.execute(
                update(table)
                .where(
                    and_(
                        table.c.job == job,
                        table.c.due_at == due_at,
                        table.c.finished_at.is_(None),
                        table.c.scheduler != self.scheduler,
                    )
                )
                .values(
                    scheduler=self.scheduler,
                    attempts=table.c.attempts + 1,
                    started_at=now,
                    legal_date=legal_date,
                )
            )
        if resumed.rowcount == 1:
            logger.warning("job %s due %s: resuming the run a previous scheduler left", job, due_at)
            return True
        return False

    def finish(self, job: str, due_at: datetime, outcome: str, summary: str, now: datetime) -> None:
        table = self._table
        with self._engine.begin() as connection:
            closed = connection.execute(
                update(table)
                .where(
                    and_(table.c.job == job, table.c.due_at == due_at, table.c.scheduler == self.scheduler)
                )
                .values(finished_at=now, outcome=outcome, summary=summary[:2000])
            )
        if closed.rowcount != 1:
            logger.error("job %s due %s: another scheduler took the run over while it ran", job, due_at)

    def prune(self, jobs: Sequence[str], before: datetime) -> int:
        """Forget the finished ticks of interval jobs older than `before` (cron runs stay: a few a day)."""
        if not jobs:
            return 0
        table = self._table
        with self._engine.begin() as connection:
            return connection.execute(
                delete(table).where(
                    and_(table.c.job.in_(jobs), table.c.due_at < before, table.c.finished_at.is_not(None))
                )
            ).rowcount


class Runner:
    """Runs a job for its latest due time, once: one run of a job at a time in this process, and a claim
    in the ledger across processes."""

    def __init__(self, context: ServiceContext, ledger: Ledger, misfire_grace: timedelta) -> None:
        self._context = context
        self._ledger = ledger
        self._grace = misfire_grace
        self._locks: dict[str, threading.Lock] = {}

    def run(self, job: Job, trigger: BaseTrigger, at_start: bool = False) -> None:
        # A catch-up at start and a tick of the same job wait for one another; the second one finds the
        # due time claimed, or a later one.
        with self._locks.setdefault(job.name, threading.Lock()):
            now = datetime.now(UTC)
            due_at = latest_due(trigger, now)
            if due_at is None:
                return
            if now - due_at > self._grace and not (at_start and job.run_at_start):
                return  # too late: the next due time will do (APScheduler's misfire rule, at start too)
            legal_date = self._context.today()  # on the service's clock (CNUM_FAKE_NOW in tests)
            try:
                claimed = self._ledger.claim(job.name, due_at, legal_date, now)
            except Exception:
                logger.exception("job %s due %s: the ledger is unavailable, not run", job.name, due_at)
                return
            if not claimed:
                return
            try:
                summary = run_job(self._context, job, legal_date, due_at=due_at)
                outcome = "done"
            except Exception as error:
                # A failing run is logged and retried at the next due time; it must never kill the scheduler.
                logger.exception("job %s due %s failed", job.name, due_at.isoformat())
                summary, outcome = f"{type(error).__name__}: {error}", "failed"
            try:
                self._ledger.finish(job.name, due_at, outcome, summary, datetime.now(UTC))
            except Exception:
                logger.exception("job %s due %s: its outcome could not be recorded", job.name, due_at)


class _Leadership:
    """Who runs the jobs of a service: the holder of a lock that the process's death releases."""

    def acquire(self, stop: threading.Event, retry_seconds: float) -> bool:
        return True  # an in-memory database belongs to one process anyway

    def alive(self) -> bool:
        return True

    def release(self) -> None:
        pass


class _AdvisoryLock(_Leadership):
    """A PostgreSQL session advisory lock: the server drops it when the holder's connection closes."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._key = zlib.crc32(f"cnum-scheduler-{context.name}".encode())
        self._connection: Any = None

    def acquire(self, stop: threading.Event, retry_seconds: float) -> bool:
        engine = self._context.database.engine
        waiting = False
        while not stop.is_set():
            try:
                connection = engine.connect()
                acquired = connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}
                ).scalar()
            except Exception:
                logger.exception("%s scheduler: the database is unavailable; retrying", self._context.name)
            else:
                if acquired:
                    self._connection = connection
                    return True
                connection.close()
                if not waiting:
                    logger.info("another %s scheduler leads; standing by", self._context.name)
                    waiting = True
            stop.wait(retry_seconds)
        return False

    def alive(self) -> bool:
        # A leader whose session is gone has lost the lock: a standby may lead already.
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:
            logger.exception("%s scheduler: the connection holding the lead is lost", self._context.name)
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing the session releases the advisory lock
            except Exception:
                logger.exception("%s scheduler: closing the lock's connection failed", self._context.name)


class _FileLock(_Leadership):
    """An exclusive `flock` on `<database>.scheduler.lock`: the kernel drops it when the process dies."""

    def __init__(self, context: ServiceContext, database_file: str) -> None:
        self._name = context.name
        self._path = Path(f"{database_file}.scheduler.lock")
        self._file: IO[bytes] | None = None

    def acquire(self, stop: threading.Event, retry_seconds: float) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = self._path.open("ab")
        waiting = False
        while not stop.is_set():
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waiting:
                    logger.info("another %s scheduler leads; standing by", self._name)
                    waiting = True
                stop.wait(retry_seconds)
            else:
                self._file = lock_file
                return True
        lock_file.close()
        return False

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the lock


def _leadership(context: ServiceContext) -> _Leadership:
    url = context.database.engine.url
    if url.get_backend_name() == "postgresql":
        return _AdvisoryLock(context)
    if url.database and url.database != ":memory:":
        return _FileLock(context, url.database)
    return _Leadership()


def scheduler_name() -> str:
    """host:pid, as the ledger names the scheduler that ran a due time."""
    return f"{socket.gethostname()}:{os.getpid()}"


def serve(context: ServiceContext, jobs: Sequence[Job]) -> int:
    """Stand by until this process leads, then run the jobs until SIGINT/SIGTERM (0) or the lead is lost
    (1: the process supervisor starts it again, as a standby)."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    settings = context.settings
    # Each run logs one line of its own (`job <name> due <time>`); APScheduler's lines around it only
    # repeat it, every tick of every job. Its warnings (a run missed, one still running) stay.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    leadership = _leadership(context)
    started = time.monotonic()
    if not leadership.acquire(stop, settings.scheduler_takeover_seconds):
        context.dispose()
        return 0
    name = scheduler_name()
    logger.info("%s scheduler %s leads (after %.1f s)", context.name, name, time.monotonic() - started)
    ledger = Ledger(context.database.engine, name)
    runner = Runner(context, ledger, timedelta(seconds=settings.scheduler_misfire_grace_seconds))
    scheduler = BackgroundScheduler(
        timezone=PARIS,
        # A due time missed by a busy or late process runs once (the latest), never twice at once.
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler_misfire_grace_seconds,
        },
    )
    interval_jobs = []
    for job in jobs:
        spec = job.trigger(settings) if callable(job.trigger) else job.trigger
        trigger = build_trigger(spec)
        if isinstance(trigger, Ticks):
            interval_jobs.append(job.name)
        scheduler.add_job(runner.run, trigger, args=(job, trigger), id=job.name, name=job.name)
        # The latest due time, if no one ran it: missed while no scheduler was alive, or cut by a death.
        scheduler.add_job(runner.run, args=(job, trigger, True), id=f"{job.name}@start", name=job.name)
    scheduler.start()
    logger.info("%s scheduler started: %s", context.name, ", ".join(job.name for job in jobs))
    history = timedelta(hours=settings.scheduler_history_hours)
    pruned_at = float("-inf")
    exit_code = 0
    try:
        while not stop.wait(settings.scheduler_takeover_seconds):
            if not leadership.alive():
                exit_code = 1
                break
            if time.monotonic() - pruned_at >= _LEDGER_PRUNE_SECONDS:
                pruned_at = time.monotonic()
                try:
                    ledger.prune(interval_jobs, datetime.now(UTC) - history)
                except Exception:
                    logger.exception("%s scheduler: pruning job_runs failed", context.name)
    finally:
        scheduler.shutdown(wait=True)
        leadership.release()
        context.dispose()
    return exit_code
