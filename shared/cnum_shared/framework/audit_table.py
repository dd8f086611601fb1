"""The audit log's table (DESIGN §4: every write of every service), added to each service's metadata.

Apart from `audit.py` (the Flask hook that writes it and the API that reads it) so that a service's
typed models, which its use cases import, reach no web framework.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from cnum_shared.framework.db import UtcDateTime


def define_audit_table(metadata: MetaData) -> Table:
    """One row per authenticated write a service answered: who, what, when, and the status."""
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
