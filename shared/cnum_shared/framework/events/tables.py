"""The outbox and inbox tables, added to each service's own metadata (and so to its own migrations)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from cnum_shared.framework.db import UtcDateTime

DELIVERY_STATUSES = ("pending", "delivered", "dead")
INBOX_STATUSES = ("processed", "ignored")


@dataclass(frozen=True)
class EventTables:
    #: One row per event emitted, written in the business transaction that caused it.
    outbox: Table
    #: One row per (event, consumer): what the relay still has to deliver, and how it went.
    deliveries: Table
    #: One row per event consumed: a repeat of a known id is acknowledged and ignored.
    inbox: Table


def define_event_tables(metadata: MetaData) -> EventTables:
    outbox = Table(
        "outbox_events",
        metadata,
        # The sequence orders deliveries to each consumer; SQLite only autoincrements an INTEGER key.
        Column(
            "sequence", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("id", Uuid, nullable=False, unique=True),
        Column("type", String(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("producer", String(32), nullable=False),
        Column("data", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_outbox_events_type_occurred_at", "type", "occurred_at"),
    )
    deliveries = Table(
        "outbox_deliveries",
        metadata,
        Column("event_id", Uuid, ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True),
        Column("consumer", String(32), primary_key=True),
        Column("status", String(16), nullable=False, server_default="pending"),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", UtcDateTime, nullable=False),
        Column("last_error", Text, nullable=True),
        Column("delivered_at", UtcDateTime, nullable=True),
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        Index("ix_outbox_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )
    inbox = Table(
        "inbox_events",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(64), nullable=False),
        Column("producer", String(32), nullable=False),
        Column("status", String(16), nullable=False),
        Column("received_at", UtcDateTime, nullable=False),
        CheckConstraint(f"status IN {INBOX_STATUSES!r}", name="status"),
    )
    return EventTables(outbox=outbox, deliveries=deliveries, inbox=inbox)
