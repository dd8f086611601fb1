"""Named, idempotent jobs and the scheduler process that runs them (one per service, never in a web worker).

`python -m <svc>.jobs list | run JOB [--as-of YYYY-MM-DD] | serve` is built on `run_jobs_cli`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import FrameType
from typing import Any

from sqlalchemy import text

from cnum_shared.framework.config import ConfigurationError, ServiceSettings
from cnum_shared.framework.web import ServiceContext

logger = logging.getLogger(__name__)

#: A job takes the service context and the legal date it runs for; it returns a one-line summary.
JobFunction = Callable[[ServiceContext, date], str]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    description: str
    #: APScheduler trigger arguments, e.g. {"trigger": "cron", "hour": 6}, or a function of the settings
    #: returning them (intervals that tests and deployments tune).
    trigger: Mapping[str, Any] | Callable[[ServiceSettings], Mapping[str, Any]] = field(default_factory=dict)
    #: Also run once when the scheduler starts (the daily scan does, so a restart catches up).
    run_at_start: bool = False


def parse_as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def run_job(context: ServiceContext, job: Job, as_of: date | None = None) -> str:
    """Run one job once for `as_of` (today in Europe/Paris on the service's clock when not given: a test
    environment's CNUM_FAKE_NOW dates the scheduler's runs as it dates the API's requests)."""
    legal_date = as_of or context.today()
    summary = job.function(context, legal_date)
    logger.info("job %s (as of %s): %s", job.name, legal_date.isoformat(), summary)
    return summary


class _AdvisoryLock:
    """On PostgreSQL, only one scheduler per service runs its jobs; the others wait as hot standbys."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context
        self._key = zlib.crc32(f"cnum-scheduler-{context.name}".encode())
        self._connection: Any = None

    def acquire(self, stop: threading.Event, retry_seconds: float = 5.0) -> bool:
        engine = self._context.database.engine
        if engine.dialect.name != "postgresql":
            return True  # SQLite is single-host: `make run` starts exactly one scheduler per service
        while not stop.is_set():
            self._connection = engine.connect()
            acquired = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}
            ).scalar()
            if acquired:
                return True
            self._connection.close()
            logger.info("another %s scheduler holds the lock; waiting", self._context.name)
            stop.wait(retry_seconds)
        return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session releases the advisory lock


def serve(context: ServiceContext, jobs: Sequence[Job]) -> int:
    """Run the scheduler in the foreground until SIGINT/SIGTERM."""
    from apscheduler.schedulers.background import BackgroundScheduler

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    lock = _AdvisoryLock(context)
    if not lock.acquire(stop):
        return 0
    scheduler = BackgroundScheduler(
        timezone="Europe/Paris",
        # A job that missed its time runs once, never twice at once; jobs are idempotent anyway.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in jobs:
        trigger = job.trigger(context.settings) if callable(job.trigger) else job.trigger
        scheduler.add_job(_guarded, args=(context, job), id=job.name, name=job.name, **dict(trigger))
    scheduler.start()
    logger.info("%s scheduler started: %s", context.name, ", ".join(job.name for job in jobs))
    for job in jobs:
        if job.run_at_start:
            _guarded(context, job)
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        lock.release()
        context.dispose()
    return 0


def _guarded(context: ServiceContext, job: Job) -> None:
    # A failing run is logged and retried at the next tick; it must never kill the scheduler.
    try:
        run_job(context, job)
    except Exception:
        logger.exception("job %s failed", job.name)


def run_jobs_cli(
    service_name: str,
    jobs: Sequence[Job],
    make_context: Callable[[], ServiceContext],
    argv: Sequence[str] | None = None,
) -> int:
    """The `python -m <svc>.jobs` command line."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {service_name}.jobs", description=f"{service_name} jobs"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="name the jobs")
    run = commands.add_parser("run", help="run one job once")
    run.add_argument("job", choices=[job.name for job in jobs])
    run.add_argument("--as-of", type=parse_as_of, default=None, help="legal date (default: today, Paris)")
    commands.add_parser("serve", help="run the scheduler in the foreground")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if arguments.command == "list":
        for job in jobs:
            print(f"{job.name}\t{job.description}")
        return 0
    try:
        context = make_context()
        # The relay signs its tokens: a scheduler without a usable private key stops now, saying why.
        context.settings.signing_key()
    except ConfigurationError as error:
        print(f"{service_name}: {error}", file=sys.stderr)
        return 2
    if arguments.command == "run":
        by_name = {job.name: job for job in jobs}
        print(run_job(context, by_name[arguments.job], arguments.as_of))
        context.dispose()
        return 0
    return serve(context, jobs)
