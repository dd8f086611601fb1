"""Tables of the payments service (SQLAlchemy 2, typed); migrations in services/payments/migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnum_shared.audit import define_audit_table
from cnum_shared.db import MONEY, UtcDateTime, new_metadata
from cnum_shared.events.tables import define_event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: MONEY, datetime: UtcDateTime, uuid.UUID: Uuid}


#: Outbox (events this service emits) and inbox (events it has consumed), in this service's database.
event_tables = define_event_tables(Base.metadata)
#: Every write through the API: who, what, when, and the answer (DESIGN §4).
audit_table = define_audit_table(Base.metadata)


class StructureCopy(Base):
    """What payments knows of a host structure, from `structure.updated` events (it never calls back)."""

    __tablename__ = "structures"

    structure_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(3))
    qpv_zrr: Mapped[bool]
    email: Mapped[str] = mapped_column(String(254))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    #: When the change this copy reflects happened at the producer: an older event never overwrites it.
    last_event_at: Mapped[datetime]
