"""The audit log's table, apart from the Flask hook that writes it (cnum_shared.framework.audit): a
service's ORM module defines it without importing the web framework."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from cnum_shared.framework.db import UtcDateTime

__all__ = ["define_audit_table"]


def define_audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("role", String(20), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("status", Integer, nullable=False),
        Column("client_address", String(64)),
        Index("ix_audit_log_actor_at", "actor", "at"),
    )
