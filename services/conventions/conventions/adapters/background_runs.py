"""The SQL every kind of background run shares (service_layer/background_runs.py's RunRepository): a run
table with `status`, `started_at`, `done` and `failed`, and an item table with `position` and `status`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from conventions.domain.background_runs import WAITING, RunItemStatus

RunRow = TypeVar("RunRow")
ItemRow = TypeVar("ItemRow")


class SqlRunRepository(Generic[RunRow, ItemRow]):
    """The moves of a kind of run on its two tables; `parent` is the item's column naming its run."""

    run_model: type[RunRow]
    item_model: type[ItemRow]
    parent: str

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, run_id: uuid.UUID) -> RunRow | None:
        return self.session.get(self.run_model, run_id)

    def item(self, item_id: uuid.UUID) -> ItemRow | None:
        return self.session.get(self.item_model, item_id)

    def oldest_waiting(self) -> RunRow | None:
        run: Any = self.run_model
        return self.session.scalars(
            select(run).where(run.status.in_(WAITING)).order_by(run.created_at).limit(1)
        ).first()

    def claim(self, run: RunRow, status: str, started_at: datetime) -> bool:
        model: Any = self.run_model
        claimed: Any = run
        with self.session.no_autoflush:
            result = self.session.execute(
                update(model)
                .where(model.id == claimed.id, model.status == claimed.status)
                .values(status=status, started_at=func.coalesce(model.started_at, started_at))
                .execution_options(synchronize_session=False)
            )
        return bool(getattr(result, "rowcount", 0))

    def pending_items(self, run_id: uuid.UUID) -> list[uuid.UUID]:
        item: Any = self.item_model
        return list(
            self.session.scalars(
                select(item.id)
                .where(getattr(item, self.parent) == run_id, item.status == RunItemStatus.PENDING)
                .order_by(item.position)
            )
        )

    def count(self, run_id: uuid.UUID, *, done: int = 0, failed: int = 0) -> None:
        model: Any = self.run_model
        self.session.execute(
            update(model)
            .where(model.id == run_id)
            .values(done=model.done + done, failed=model.failed + failed)
        )
