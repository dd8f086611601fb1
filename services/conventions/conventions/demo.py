"""The demo data set of `make run`: a few host structures across metropolitan France and overseas.

Loaded once, through the use cases (so `structure.updated` reaches payments as in real life). The SIRETs
and IBANs are made up but valid (check digits computed), so that every rule accepts them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cnum_shared.config import ServiceSettings
from cnum_shared.db import Database
from conventions.adapters.orm import Structure
from conventions.service_layer.structures import create_structure

DEMO_STRUCTURES: list[dict[str, Any]] = [
    {
        "name": "Commune de Saint-Flour",
        "siret": "21150187900012",
        "kind": "public",
        "structure_type": "commune",
        "department": "15",
        "address": "Place d'Armes",
        "postcode": "15100",
        "city": "Saint-Flour",
        "email": "mediation-numerique@saint-flour.example",
        "qpv_zrr": True,
        "iban": "FR7630001000000000001510029",
        "bic": "BDFEFRPP",
    },
    {
        "name": "Association Lien numérique du Val-de-Marne",
        "siret": "77566202600027",
        "kind": "private",
        "structure_type": "association",
        "department": "94",
        "address": "12 rue Gabriel-Péri",
        "postcode": "94200",
        "city": "Ivry-sur-Seine",
        "email": "contact@lien-numerique.example",
        "qpv_zrr": True,
        "iban": "FR7642559000001000008000124",
        "bic": "CCOPFRPPXXX",
    },
    {
        "name": "Commune de Sainte-Anne",
        "siret": "21971128000012",
        "kind": "public",
        "structure_type": "commune",
        "department": "971",
        "address": "Rue Lardenoy",
        "postcode": "97180",
        "city": "Sainte-Anne",
        "email": "numerique@sainte-anne.example",
        "qpv_zrr": False,
        "iban": "FR7611315000000000197118084",
        "bic": "CEPAFRPPXXX",
    },
    {
        "name": "Commune du Tampon",
        "siret": "21974222800014",
        "kind": "public",
        "structure_type": "commune",
        "department": "974",
        "address": "256 rue Hubert-Delisle",
        "postcode": "97430",
        "city": "Le Tampon",
        "email": "inclusion-numerique@letampon.example",
        "qpv_zrr": False,
        "iban": "FR7619806000000097443000114",
        "bic": "AGRIMQMX",
    },
    {
        "name": "Commune de Mamoudzou",
        "siret": "21976011300015",
        "kind": "public",
        "structure_type": "commune",
        "department": "976",
        "address": "Place Mariage",
        "postcode": "97600",
        "city": "Mamoudzou",
        "email": "conseillers-numeriques@mamoudzou.example",
        "qpv_zrr": True,
        "iban": "FR7630001000000097660001028",
        "bic": "BDFEFRPP",
    },
]


def load_demo(settings: ServiceSettings) -> str:
    """Load the demo structures when there is none yet; a second call changes nothing."""
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            if session.scalar(select(func.count()).select_from(Structure)):
                return "demo data: structures already present, nothing loaded"
        for fields in DEMO_STRUCTURES:
            with database.unit_of_work() as uow:
                create_structure(uow, fields)
        return f"demo data: {len(DEMO_STRUCTURES)} structures loaded"
    finally:
        database.dispose()
