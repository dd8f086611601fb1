"""The ledger of the scheduler's runs (decision 0038), added to each service's metadata.

One row per (job, due time): a scheduler claims the row before it runs the job, so that a standby that
takes over, or a second scheduler, never runs the same due time again. Apart from the scheduler itself so
that a service's models reach neither APScheduler nor a web framework.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, Integer, MetaData, String, Table, Text

from cnum_shared.framework.db import UtcDateTime

#: What became of a claimed run; a row without an outcome is running, or was cut by its scheduler's death.
JOB_RUN_OUTCOMES = ("done", "failed")


def define_job_runs_table(metadata: MetaData) -> Table:
    """`job_runs`: the due times the service's schedulers claimed, who ran them and how it ended."""
    return Table(
        "job_runs",
        metadata,
        Column("job", String(64), primary_key=True),
        #: The instant the trigger named (UTC), not when the run started: the key of "once per due time".
        Column("due_at", UtcDateTime(), primary_key=True),
        Column("legal_date", Date, nullable=False),
        #: host:pid of the scheduler that holds the claim (a takeover rewrites it).
        Column("scheduler", String(200), nullable=False),
        #: 2 when a standby resumed a run its dead predecessor had started.
        Column("attempts", Integer, nullable=False, server_default="1"),
        Column("started_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=True),
        Column("outcome", String(16), nullable=True),
        Column("summary", Text, nullable=True),
        CheckConstraint(f"outcome IN {JOB_RUN_OUTCOMES!r}", name="outcome"),
    )
