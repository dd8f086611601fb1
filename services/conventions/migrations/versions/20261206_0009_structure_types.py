"""structure types: the eligible types of shared/parameters/structure_types.yaml (ESH, CCAS, CIAS, OPH,
chambres consulaires, EPA, EPIC, other groupings of collectivities) may be stored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = (
    "commune",
    "epci",
    "departement",
    "region",
    "collectivite_statut_particulier",
    "gip",
    "etablissement_public",
    "association",
    "entreprise_ess",
    "fondation",
    "autre_prive",
)
NEW_TYPES = (
    "commune",
    "epci",
    "departement",
    "region",
    "collectivite_statut_particulier",
    "groupement_collectivites",
    "ccas",
    "cias",
    "oph",
    "etablissement_public",
    "gip",
    "chambre_consulaire",
    "epa",
    "epic",
    "association",
    "entreprise_ess",
    "esh",
    "fondation",
    "autre_prive",
)
#: On the way down, each new type becomes the older type that covered it (the detail is lost).
DOWNGRADED = {
    "groupement_collectivites": "etablissement_public",
    "ccas": "etablissement_public",
    "cias": "etablissement_public",
    "oph": "etablissement_public",
    "chambre_consulaire": "etablissement_public",
    "epa": "etablissement_public",
    "epic": "etablissement_public",
    "esh": "autre_prive",
}


def _allowed(types: Sequence[str]) -> str:
    return "structure_type IN (" + ", ".join(f"'{code}'" for code in types) + ")"


def _replace_check(types: Sequence[str]) -> None:
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_structures_structure_type"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_structures_structure_type"), _allowed(types))


def upgrade() -> None:
    _replace_check(NEW_TYPES)


def downgrade() -> None:
    structures = sa.table("structures", sa.column("structure_type", sa.String))
    for new, old in DOWNGRADED.items():
        op.execute(structures.update().where(structures.c.structure_type == new).values(structure_type=old))
    _replace_check(OLD_TYPES)
