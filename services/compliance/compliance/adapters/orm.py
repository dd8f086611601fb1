"""Tables of the compliance service (SQLAlchemy 2, typed); migrations in services/compliance/migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Uuid
from sqlalchemy.orm import DeclarativeBase

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
