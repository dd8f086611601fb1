"""Work done in the background, item by item, and followed with a progress bar: the document batches and
the closing runs. The statuses a run and its items go through, and the one way a run moves.

A run is `queued` when asked for; a job of the scheduler claims it (`running`), works through its items
one by one (each `pending` item becomes `done` or `failed`, one failure never stopping the others) and,
once every item is through, finishes it (`done`). A job stopped mid-run leaves it `running`: the next job
resumes it from its pending items. A kind of run may also be launched again once done (`relaunch`): its
use case puts back to `pending` the items there is still something to do for.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from cnum_shared.core.state_machine import StateMachine


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    #: Part of the API's vocabulary; no transition leads there today (a failed item does not fail its run).
    FAILED = "failed"


class RunItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class RunEvent(StrEnum):
    #: The job takes a queued run.
    START = "start"
    #: The job takes again a run a stopped job left running.
    RESUME = "resume"
    #: Every item went through.
    FINISH = "finish"
    #: A finished run is asked for again: the items left to do wait for the job.
    RELAUNCH = "relaunch"


#: The runs a job may claim: the queued ones and those a stopped job left running.
WAITING = (RunStatus.QUEUED, RunStatus.RUNNING)

RUN_LABELS = {
    RunStatus.QUEUED: "en attente",
    RunStatus.RUNNING: "en cours",
    RunStatus.DONE: "terminé",
    RunStatus.FAILED: "en échec",
}

_TRANSITIONS: Mapping[tuple[RunStatus, RunEvent], RunStatus] = {
    (RunStatus.QUEUED, RunEvent.START): RunStatus.RUNNING,
    (RunStatus.RUNNING, RunEvent.RESUME): RunStatus.RUNNING,
    (RunStatus.RUNNING, RunEvent.FINISH): RunStatus.DONE,
}


def run_machine(name: str, *, relaunched: bool = False) -> StateMachine[RunStatus, RunEvent]:
    """The state machine of one kind of run (its `name` is the history's); `relaunched`: a finished run
    may be queued again."""
    transitions = dict(_TRANSITIONS)
    if relaunched:
        transitions[(RunStatus.DONE, RunEvent.RELAUNCH)] = RunStatus.QUEUED
    return StateMachine(name, RunStatus, RunEvent, transitions, labels=RUN_LABELS)


def claim_event(status: RunStatus | str) -> RunEvent:
    """How the job takes a waiting run: it starts a queued one and resumes a running one."""
    return RunEvent.START if RunStatus(status) is RunStatus.QUEUED else RunEvent.RESUME


def progress(done: int, failed: int, total: int) -> int:
    """The part of a run that went through, from 0 to 100 (an empty run is complete)."""
    return (100 * (done + failed)) // total if total else 100
