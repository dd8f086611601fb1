"""Tables of the conventions service (SQLAlchemy 2, typed); migrations in services/conventions/migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cnum_shared.db import MONEY, UtcDateTime, new_metadata
from cnum_shared.events.tables import define_event_tables


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {Decimal: MONEY, datetime: UtcDateTime, uuid.UUID: Uuid}


#: Outbox (events this service emits) and inbox (events it has consumed), in this service's database.
event_tables = define_event_tables(Base.metadata)


class Structure(Base):
    """A host structure (commune, association…) that signs conventions and employs advisors."""

    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("siret"),
        CheckConstraint("kind IN ('public', 'private')", name="kind"),
        CheckConstraint(
            "structure_type IN ('commune', 'epci', 'departement', 'region',"
            " 'collectivite_statut_particulier', 'gip', 'etablissement_public',"
            " 'association', 'entreprise_ess', 'fondation', 'autre_prive')",
            name="structure_type",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16))
    structure_type: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(3), index=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(150))
    email: Mapped[str] = mapped_column(String(254))
    qpv_zrr: Mapped[bool]
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
