"""What every service's unit tests need of a fake unit of work (cosmicpython's FakeUnitOfWork): the
outbox and the history kept in lists, the legal parameters, commits and rollbacks counted. Each service's
`tests/unit/fakes.py` subclasses `FakeUnitOfWork` and adds its in-memory repositories."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from cnum_shared.core.parameters import ParameterNode, parameters
from cnum_shared.core.state_machine import Transition, TransitionList


class FakeOutbox:
    """The events a use case emitted, in order: [(type, data)]."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(
        self, event_type: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> uuid.UUID:
        self.events.append((event_type, dict(data)))
        return uuid.uuid4()

    def emit_many(
        self, event_type: str, items: Sequence[Mapping[str, Any]], *, occurred_at: datetime | None = None
    ) -> list[uuid.UUID]:
        return [self.emit(event_type, item) for item in items]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == event_type]


class FakeHistory(TransitionList):
    """The transitions the state machines logged, in order (bulk moves included)."""

    def record_many(self, transitions: Sequence[Transition]) -> None:
        self.transitions.extend(transitions)


class FakeUnitOfWork:
    """A unit of work in memory: subclasses add their repositories after calling `__init__`."""

    def __init__(self, tree: ParameterNode | None = None) -> None:
        self.parameters = tree if tree is not None else parameters()
        self.outbox = FakeOutbox()
        self.history = FakeHistory()
        self.commits = 0
        self.rollbacks = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1
