"""Named, idempotent jobs and the command that runs them; the scheduler process is `scheduler.serve`.

`python -m <svc>.jobs list | run JOB [--as-of YYYY-MM-DD] | serve` is built on `run_jobs_cli`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cnum_shared.framework.config import ConfigurationError, ServiceSettings
from cnum_shared.framework.context import ServiceContext

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


def run_job(
    context: ServiceContext, job: Job, as_of: date | None = None, *, due_at: datetime | None = None
) -> str:
    """Run one job once for `as_of` (today in Europe/Paris on the service's clock when not given: a test
    environment's CNUM_FAKE_NOW dates the scheduler's runs as it dates the API's requests); `due_at` is the
    scheduler's due time, which the log names (`job_runs` has one row per due time, decision 0038)."""
    legal_date = as_of or context.today()
    summary = job.function(context, legal_date)
    due = f" due {due_at.astimezone(UTC).isoformat()}" if due_at is not None else ""
    logger.info("job %s%s (as of %s): %s", job.name, due, legal_date.isoformat(), summary)
    return summary


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
    from cnum_shared.framework.scheduler import serve  # APScheduler, for the scheduler process only

    return serve(context, jobs)
