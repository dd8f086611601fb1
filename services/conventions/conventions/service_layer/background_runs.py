"""What every background run's use cases share (domain/background_runs.py): the job claims the oldest
waiting run, works through its pending items, each in its own unit of work, and finishes it.

The document batches (service_layer/batches.py) and the closing runs (service_layer/closing_runs.py) are
two kinds of run: each brings its repository, its state machine and what it does with one item.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from cnum_shared.core.state_machine import StateMachine, TransitionLog
from cnum_shared.framework.db import utcnow
from conventions.domain.background_runs import RunEvent, RunStatus, claim_event


class Run(Protocol):
    """A run's row: its id, status and the moments it started and finished."""

    id: uuid.UUID
    status: Any
    started_at: datetime | None
    finished_at: datetime | None


R = TypeVar("R", bound=Run)


class RunRepository(Protocol[R]):
    """What the job needs of a kind of run's repository."""

    def oldest_waiting(self) -> R | None:
        """The oldest run queued, or left running by a stopped job."""
        ...

    def claim(self, run: R, status: str, started_at: datetime) -> bool:
        """Move the run to `status` if no one moved it meanwhile (a conditional UPDATE): whether it did."""
        ...

    def pending_items(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        """The ids of the run's items still to do, in their order."""
        ...

    def count(self, run_id: uuid.UUID, *, done: int = 0, failed: int = 0) -> None:
        """Add to the run's counts of items through (in the database, whatever another thread added)."""
        ...


class RunUnitOfWork(Protocol):
    """The part of a unit of work a run's moves need."""

    @property
    def history(self) -> TransitionLog: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


U = TypeVar("U", bound=RunUnitOfWork)


def claim_next_run(
    uow: U, runs: RunRepository[R], machine: StateMachine[RunStatus, RunEvent], actor: str
) -> uuid.UUID | None:
    """Take the oldest queued (or interrupted) run; the conditional UPDATE makes the claim exclusive."""
    run = runs.oldest_waiting()
    if run is None:
        return None
    event = claim_event(run.status)
    now = utcnow()
    if not runs.claim(run, machine.next(run.status, event), run.started_at or now):
        uow.rollback()  # another job moved it meanwhile
        return None
    machine.apply(
        run,
        event,
        actor=actor,
        reason="repris après un arrêt" if event is RunEvent.RESUME else "pris par le job",
        at=now,
        log=uow.history,
    )
    uow.commit()
    return run.id


def work_through(
    new_uow: Callable[[], U],
    items: Sequence[uuid.UUID],
    work: Callable[[U, uuid.UUID], None],
    concurrency: int = 1,
) -> None:
    """`work(uow, item)` for every item, each in its own unit of work, `concurrency` at a time. `work`
    records a failure on its item rather than raising: one item never stops the others."""

    def one(item: uuid.UUID) -> None:
        with new_uow() as uow:
            work(uow, item)

    for_each(items, one, concurrency)


def for_each(items: Sequence[uuid.UUID], action: Callable[[uuid.UUID], None], concurrency: int = 1) -> None:
    """`action(item)` for every item, `concurrency` at a time (in this thread when 1); an exception of one
    is raised once all were submitted."""
    if concurrency <= 1:
        for item in items:
            action(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(action, item) for item in items]:
            future.result()


def finish_run(
    uow: U, run: R, machine: StateMachine[RunStatus, RunEvent], *, actor: str, reason: str
) -> None:
    """Every item went through: the run is done (the caller commits)."""
    now = utcnow()
    machine.apply(run, RunEvent.FINISH, actor=actor, reason=reason, at=now, log=uow.history)
    run.finished_at = now
