"""One way for every status to move: a transition table, a guarded `apply`, a history row per change.

Every stateful thing of the programme (conventions and avenants, tranches, payments, payment runs and
their lines, recoveries, obligations, document batches, alerts) declares one `StateMachine`: its states
(a `StrEnum`), its events (a `StrEnum`) and the table of allowed `(state, event) → state`. A change goes
through `StateMachine.apply`, which refuses what the table does not allow (`TransitionRefused`, a 409 on
the API) and hands a `Transition` to the unit of work's `TransitionLog`, which writes who, why and when.
Nothing is ever deleted to undo a change: a reversal is an event of its own (`RETURN`, `REVERSE`, ...).

Pure code: no framework, no database. The log is a protocol; the SQL one is in
`cnum_shared.framework.status_history`, the fakes of the unit tests keep a list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from cnum_shared.core.errors import Conflict

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Transition:
    """One change of status, as the history keeps it."""

    machine: str
    entity_id: uuid.UUID
    from_status: str | None
    to_status: str
    event: str
    actor: str
    reason: str
    at: datetime


class TransitionLog(Protocol):
    """Where a unit of work keeps the transitions it applies (a table, or a list in the unit tests)."""

    def record(self, transition: Transition) -> None: ...


class Stateful(Protocol):
    """What a state machine moves: anything with an id and a `status` attribute."""

    id: uuid.UUID
    status: Any


class TransitionRefused(Conflict):
    """The table does not allow `event` from the current state (a 409); `code` names why, for the API."""

    def __init__(
        self, code: str, message: str, *, machine: str = "", current: str = "", event: str = ""
    ) -> None:
        super().__init__(message, code=code, errors={"reasons": [{"code": code, "message": message}]})
        self.machine = machine
        self.current = current
        self.event = event


#: How a machine words a refusal: given the current state and the event, the exception to raise.
Refusal = Callable[[Any, Any], TransitionRefused]


class StateMachine(Generic[S, E]):
    """The allowed changes of one kind of thing, and the only way to make them."""

    def __init__(
        self,
        name: str,
        states: type[S],
        events: type[E],
        transitions: Mapping[tuple[S, E], S],
        *,
        labels: Mapping[S, str] | None = None,
        refusal: Refusal | None = None,
    ) -> None:
        # isinstance, not `in`: on Python 3.11 `"typo" in States` raises TypeError rather than answering.
        unknown = [
            (state, event, target)
            for (state, event), target in transitions.items()
            if not (isinstance(state, states) and isinstance(event, events) and isinstance(target, states))
        ]
        if unknown:
            raise ValueError(f"{name}: transitions name unknown states or events: {unknown}")
        self.name = name
        self.states = states
        self.events = events
        self.transitions: Mapping[tuple[S, E], S] = dict(transitions)
        self.labels: Mapping[S, str] = labels or {}
        self._refusal = refusal

    def allows(self, current: S | str, event: E) -> bool:
        return (self.states(current), event) in self.transitions

    def next(self, current: S | str, event: E) -> S:
        """The state `event` leads to from `current`, or TransitionRefused."""
        state = self.states(current)
        try:
            return self.transitions[(state, event)]
        except KeyError:
            raise self._refuse(state, event) from None

    def apply(
        self, entity: Stateful, event: E, *, actor: str, reason: str, at: datetime, log: TransitionLog
    ) -> Transition:
        """Move `entity` by `event` (refused when the table does not allow it) and log the change."""
        before = entity.status
        after = self.next(before, event)
        entity.status = after
        transition = Transition(
            machine=self.name,
            entity_id=entity.id,
            from_status=None if before is None else str(self.states(before)),
            to_status=str(after),
            event=str(event),
            actor=actor,
            reason=reason,
            at=at,
        )
        log.record(transition)
        return transition

    def start(
        self, entity: Stateful, status: S, *, actor: str, reason: str, at: datetime, log: TransitionLog
    ) -> Transition:
        """The first row of a thing's history: it comes into being in `status`."""
        entity.status = status
        transition = Transition(
            machine=self.name,
            entity_id=entity.id,
            from_status=None,
            to_status=str(status),
            event="create",
            actor=actor,
            reason=reason,
            at=at,
        )
        log.record(transition)
        return transition

    def label(self, state: S | str) -> str:
        state = self.states(state)
        return self.labels.get(state, str(state))

    def _refuse(self, state: S, event: E) -> TransitionRefused:
        if self._refusal is not None:
            return self._refusal(state, event)
        return TransitionRefused(
            "invalid_transition",
            f"Action impossible : « {event} » n'est pas permis sur un élément {self.label(state)}.",
            machine=self.name,
            current=str(state),
            event=str(event),
        )


class TransitionList:
    """A TransitionLog in memory: the unit tests' fakes read what a use case changed."""

    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def record(self, transition: Transition) -> None:
        self.transitions.append(transition)

    def of(self, entity_id: uuid.UUID) -> list[Transition]:
        return [transition for transition in self.transitions if transition.entity_id == entity_id]
