"""Delivering the outbox: POST each pending event to its consumer until the consumer acknowledges it.

At-least-once delivery, in order per consumer: the relay stops at a consumer's first failure and retries
that event after a back-off before any later one, so a consumer never sees `convention.amended` before
`convention.signed`. Consumers are idempotent (the inbox), so a repeat is harmless.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update

from cnum_shared.framework.auth import Role, issue_token
from cnum_shared.framework.context import API_PREFIX, ServiceContext
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.events.tables import EventTables
from cnum_shared.framework.jobs import Job

logger = logging.getLogger(__name__)

EVENTS_PATH = f"{API_PREFIX}/events"


@dataclass(frozen=True)
class RelayReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def __str__(self) -> str:
        return f"delivered {self.delivered}, to retry {self.retried}, dead {self.dead}"


def backoff_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential back-off: base, 2×base, 4×base… capped at max."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def relay_outbox(
    context: ServiceContext,
    tables: EventTables,
    *,
    now: datetime | None = None,
    http: requests.Session | None = None,
) -> RelayReport:
    """Deliver what is due now; returns what happened. Safe to run twice at once (consumers dedupe)."""
    settings = context.settings
    now = now or utcnow()
    http = http or requests.Session()
    # Each service relays under its own identity: consumers believe an event only from its producer.
    token = issue_token(settings.signing_key(), Role.SERVICE, sub=context.name, ttl_seconds=600)
    outcome: Counter[str] = Counter()
    with context.database.session() as session:
        consumers = (
            session.execute(
                select(tables.deliveries.c.consumer).where(tables.deliveries.c.status == "pending").distinct()
            )
            .scalars()
            .all()
        )
    for consumer in consumers:
        url = settings.service_url(consumer) + EVENTS_PATH
        with context.database.session() as session:
            # Read without holding a lock: HTTP calls must not keep a write transaction open.
            pending = (
                session.execute(
                    select(tables.deliveries, tables.outbox)
                    .join(tables.outbox, tables.outbox.c.id == tables.deliveries.c.event_id)
                    .where(tables.deliveries.c.consumer == consumer, tables.deliveries.c.status == "pending")
                    .order_by(tables.outbox.c.sequence)
                    .limit(settings.relay_batch_size)
                )
                .mappings()
                .all()
            )
        for row in pending:
            if row["next_attempt_at"] > now:
                break  # the head of this consumer's queue is backing off; keep the order
            status, error = _post(http, url, token, row, settings.relay_timeout_seconds)
            _record(context, tables, row, consumer, status, error, now)
            outcome[status] += 1
            if status == "retry":
                break
    return RelayReport(delivered=outcome["delivered"], retried=outcome["retry"], dead=outcome["dead"])


def envelope_of(row: Any) -> dict[str, Any]:
    """The JSON envelope an outbox row is delivered as (contract tests post exactly this)."""
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "version": row["version"],
        "occurred_at": row["occurred_at"].isoformat(),
        "producer": row["producer"],
        "sequence": row["sequence"],
        "data": row["data"],
    }


def _post(http: requests.Session, url: str, token: str, row: Any, timeout: float) -> tuple[str, str | None]:
    try:
        response = http.post(
            url, json=envelope_of(row), headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except requests.RequestException as error:
        return "retry", f"{type(error).__name__}: {error}"[:2000]
    if 200 <= response.status_code < 300:
        return "delivered", None
    detail = f"HTTP {response.status_code}: {response.text[:1500]}"
    if response.status_code == 422:
        # The consumer says it will never accept this event: set it aside, visible, never retried silently.
        logger.error("event %s (%s) refused by %s as dead: %s", row["id"], row["type"], url, detail)
        return "dead", detail
    return "retry", detail


def _record(
    context: ServiceContext,
    tables: EventTables,
    row: Any,
    consumer: str,
    status: str,
    error: str | None,
    now: datetime,
) -> None:
    settings = context.settings
    attempts = row["attempts"] + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if status == "delivered":
        values.update(status="delivered", delivered_at=utcnow())
    elif status == "dead":
        values.update(status="dead")
    else:
        delay = backoff_delay(
            attempts, settings.relay_backoff_base_seconds, settings.relay_backoff_max_seconds
        )
        values.update(next_attempt_at=now + delay)
        logger.warning("event %s to %s: attempt %d failed (%s)", row["id"], consumer, attempts, error)
    with context.database.unit_of_work() as uow:
        uow.session.execute(
            update(tables.deliveries)
            .where(tables.deliveries.c.event_id == row["event_id"], tables.deliveries.c.consumer == consumer)
            .values(**values)
        )
        uow.commit()


def relay_outbox_job(tables: EventTables) -> Job:
    """The `relay_outbox` job every service runs (every `CNUM_RELAY_INTERVAL_SECONDS`)."""

    def run(context: ServiceContext, as_of: date) -> str:
        return str(relay_outbox(context, tables))

    return Job(
        name="relay_outbox",
        function=run,
        description="deliver the events of the outbox to their consumers (retries with back-off)",
        trigger=lambda settings: {"trigger": "interval", "seconds": settings.relay_interval_seconds},
    )
