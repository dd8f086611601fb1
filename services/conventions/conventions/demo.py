"""The demo data set of `make run`: host structures across metropolitan France and overseas, one signed
convention each, two advisors in post (La Réunion, and Mayotte between its SMIC and the national one),
and the demo officers in the directory the web front's sign-in reads (decision 0042).

Loaded once, through the use cases (so `structure.updated` reaches payments as in real life). The SIRETs
and IBANs are made up but valid (check digits computed), so that every rule accepts them.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core.legal import Wave
from cnum_shared.framework.config import ConfigurationError, ServiceSettings
from conventions.adapters.orm import Structure
from conventions.adapters.unit_of_work import ConventionsDatabase
from conventions.bootstrap import build_database
from conventions.domain.contracts import ContractType, PublicStatus
from conventions.domain.conventions import ConventionAction
from conventions.domain.officers import OfficerRole
from conventions.service_layer import queries
from conventions.service_layer.commands import (
    CreateAdvisor,
    CreateConvention,
    CreateOfficer,
    CreateStructure,
    EndConvention,
    SignContract,
    SignConvention,
)
from conventions.service_layer.contracts import create_advisor, sign_contract
from conventions.service_layer.conventions import create_convention, end_convention, sign_convention
from conventions.service_layer.officers import create_officer
from conventions.service_layer.structures import create_structure

#: Who the demo data set's changes are recorded as.
DEMO_ACTOR = "manage:load-demo"

#: The day the demo structures are registered: their rules (types, eligibility) are read on it, before
#: the first demo convention starts.
DEMO_REGISTERED_ON = date(2021, 3, 1)

#: The demo officers: the account ids are those the web front's demo accounts had before the directory
#: (decision 0042), so that what they did on a `make run` of before stays theirs. They sign in at the
#: local identity provider (infra/oidc-users.yaml) with these addresses.
DEMO_OFFICERS: list[dict[str, Any]] = [
    {
        "officer_id": uuid.UUID("859cfd1c-ebfb-493f-a608-543eb8a8a595"),
        "email": "claire.martin@agence.example",
        "name": "Claire Martin",
        "role": OfficerRole.LEGAL,
    },
    {
        "officer_id": uuid.UUID("f48b36cd-368b-4c25-9c58-e6a6ef24db4c"),
        "email": "alice.durand@agence.example",
        "name": "Alice Durand",
        "role": OfficerRole.FINANCE,
    },
    {
        "officer_id": uuid.UUID("eb228ddc-dc96-4e76-89b4-91a8d60d12fe"),
        "email": "bruno.petit@agence.example",
        "name": "Bruno Petit",
        "role": OfficerRole.FINANCE,
    },
    {
        "officer_id": uuid.UUID("e008aee0-6aab-4597-9408-4482fcf45d3d"),
        "email": "helene.robert@agence.example",
        "name": "Hélène Robert",
        "role": OfficerRole.COMPLIANCE,
    },
    {
        "officer_id": uuid.UUID("0370939e-e381-48ad-a692-78eee0546c05"),
        "email": "ines.girard@agence.example",
        "name": "Inès Girard",
        "role": OfficerRole.AUDITOR,
    },
    {
        "officer_id": uuid.UUID("3d0c5a51-2f5e-4f0b-9a36-7c1e8f9b2d40"),
        "email": "nadia.lefevre@agence.example",
        "name": "Nadia Lefèvre",
        "role": OfficerRole.ADMIN,
    },
    {
        # Left the agency: the directory keeps her account, and refuses her sign-in.
        "officer_id": uuid.UUID("9a7e2c64-1b3d-4e58-8f0a-5d6c7b8e9f01"),
        "email": "paul.bernard@agence.example",
        "name": "Paul Bernard",
        "role": OfficerRole.LEGAL,
        "active": False,
    },
]

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


#: The demo structures' signed conventions (by SIRET), in order, and a contract where a post is filled.
#: Every date is one the law allowed: initial-wave conventions start in 2021-2022, a renewal follows an
#: earlier convention of its structure, and nothing is signed from the 2025 freeze on (DESIGN §3).
DEMO_CONVENTIONS: list[dict[str, Any]] = [
    {
        "siret": "21150187900012",
        "wave": "initial",
        "posts": 2,
        "start_date": date(2021, 3, 1),
        "duration_months": 24,
        "signed_on": date(2021, 3, 15),
    },
    {
        "siret": "77566202600027",
        "wave": "initial",
        "posts": 1,
        "start_date": date(2021, 9, 1),
        "duration_months": 18,
        "signed_on": date(2021, 9, 10),
        "closed_on": date(2023, 2, 28),
    },
    {
        "siret": "77566202600027",
        "wave": "renewal",
        "posts": 1,
        "start_date": date(2023, 6, 1),
        "duration_months": 36,
        "signed_on": date(2023, 6, 1),
    },
    {
        "siret": "21971128000012",
        "wave": "initial",
        "posts": 1,
        "start_date": date(2021, 6, 1),
        "duration_months": 30,
        "signed_on": date(2021, 6, 10),
    },
    {
        "siret": "21974222800014",
        "wave": "initial",
        "posts": 2,
        "start_date": date(2021, 9, 1),
        "duration_months": 24,
        "signed_on": date(2021, 9, 15),
        "closed_on": date(2023, 8, 31),
    },
    {
        "siret": "21974222800014",
        "wave": "renewal",
        "posts": 2,
        "start_date": date(2024, 9, 2),
        "duration_months": 36,
        "signed_on": date(2024, 8, 26),
        "contract": {
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": date(1994, 5, 4),
            "email": "ines.payet@example.org",
            "contract_type": "cdd",
            "start_date": date(2026, 1, 5),
            "end_date": date(2027, 7, 4),
            "gross_monthly_salary": Decimal("1900.00"),
            "signed_on": date(2025, 12, 15),
        },
    },
    {
        "siret": "21976011300015",
        "wave": "initial",
        "posts": 1,
        "start_date": date(2021, 10, 1),
        "duration_months": 24,
        "signed_on": date(2021, 10, 15),
        "closed_on": date(2023, 9, 30),
    },
    {
        "siret": "21976011300015",
        "wave": "renewal",
        "posts": 1,
        "start_date": date(2024, 1, 1),
        "duration_months": 36,
        "signed_on": date(2024, 1, 10),
        "contract": {
            "first_name": "Anfane",
            "last_name": "Madi",
            "birth_date": date(1998, 2, 10),
            "email": "anfane.madi@example.org",
            "contract_type": "cdi",
            "start_date": date(2026, 3, 2),
            "end_date": None,
            "gross_monthly_salary": Decimal("1500.00"),
            "signed_on": date(2026, 2, 20),
            # Already the commune's contractual agent on a public-law CDI: moved to the post by an avenant
            # (decision 0026), which a legal officer can download from the demo.
            "existing_cdi_employee": True,
            "original_contract_start_date": date(2022, 1, 3),
            "place_of_work": "Maison France services de Mamoudzou, place Mariage, 97600 Mamoudzou",
            "line_manager": "Zaïna Ahamada, directrice de la cohésion sociale",
            "classification": "adjoint territorial d'animation, échelon 3",
            "public_status": "contractuel",
        },
    },
]


def _load_conventions(database: ConventionsDatabase, structures: dict[str, Structure]) -> int:
    for fields in DEMO_CONVENTIONS:
        structure = structures.get(fields["siret"])
        if structure is None:
            continue
        with database.unit_of_work() as uow:
            convention = create_convention(
                uow,
                CreateConvention(
                    structure_id=structure.id,
                    wave=Wave(fields["wave"]),
                    posts=fields["posts"],
                    start_date=fields["start_date"],
                    duration_months=fields["duration_months"],
                    actor=DEMO_ACTOR,
                ),
            )
        with database.unit_of_work() as uow:
            sign_convention(uow, SignConvention(convention.id, fields["signed_on"], actor=DEMO_ACTOR))
        if fields.get("closed_on"):
            # A convention renewed in 2023-2024 was closed at its term.
            with database.unit_of_work() as uow:
                end_convention(
                    uow,
                    EndConvention(
                        convention.id,
                        ConventionAction.CLOSE,
                        fields["closed_on"],
                        "Convention arrivée à son terme ; postes renouvelés par une nouvelle convention.",
                        actor=DEMO_ACTOR,
                    ),
                )
        hire = fields.get("contract")
        if hire:
            with database.unit_of_work() as uow:
                advisor = create_advisor(
                    uow,
                    CreateAdvisor(
                        structure_id=structure.id,
                        first_name=hire["first_name"],
                        last_name=hire["last_name"],
                        birth_date=hire["birth_date"],
                        email=hire["email"],
                    ),
                )
            with database.unit_of_work() as uow:
                sign_contract(
                    uow,
                    SignContract(
                        convention_id=convention.id,
                        advisor_id=advisor.id,
                        contract_type=ContractType(hire["contract_type"]),
                        start_date=hire["start_date"],
                        end_date=hire["end_date"],
                        weekly_hours=Decimal(35),
                        gross_monthly_salary=hire["gross_monthly_salary"],
                        signed_on=hire["signed_on"],
                        existing_cdi_employee=hire.get("existing_cdi_employee", False),
                        original_contract_start_date=hire.get("original_contract_start_date"),
                        place_of_work=hire.get("place_of_work"),
                        line_manager=hire.get("line_manager"),
                        classification=hire.get("classification"),
                        public_status=PublicStatus(hire["public_status"])
                        if "public_status" in hire
                        else None,
                    ),
                )
    return len(DEMO_CONVENTIONS)


def _load_officers(database: ConventionsDatabase) -> str:
    """The demo officers, when the directory is empty (a `make run` of before the directory has its
    structures already, and gets its officers all the same)."""
    with database.unit_of_work(read_only=True) as uow:
        if uow.officers.any():
            return ""
    for fields in DEMO_OFFICERS:
        with database.unit_of_work() as uow:
            create_officer(uow, CreateOfficer(**fields))
    return f"; {len(DEMO_OFFICERS)} officers in the directory"


def load_demo(settings: ServiceSettings) -> str:
    """Load the demo structures, their conventions and two contracts when there is no structure yet, and
    the demo officers when the directory is empty; a second call changes nothing. Production refuses:
    its structures and officers are real ones (DESIGN §5)."""
    if settings.environment == "production":
        raise ConfigurationError("the demo data set is refused in production (CNUM_ENVIRONMENT=production)")
    database = build_database(settings)
    try:
        officers = _load_officers(database)
        with database.unit_of_work(read_only=True) as uow:
            _, present = queries.structures(uow, queries.StructureFilters(), 0, 1)
        if present:
            return f"demo data: structures already present, nothing loaded{officers}"
        structures = {}
        for fields in DEMO_STRUCTURES:
            with database.unit_of_work() as uow:
                structures[fields["siret"]] = create_structure(
                    uow, CreateStructure(**fields, on=DEMO_REGISTERED_ON)
                )
        conventions = _load_conventions(database, structures)
        return (
            f"demo data: {len(DEMO_STRUCTURES)} structures and {conventions} signed conventions loaded"
            f"{officers}"
        )
    finally:
        database.dispose()


def load_demo_officers(settings: ServiceSettings) -> str:
    """The demo officers alone, when the directory is empty (the browser tests' product, whose structures
    are made by each journey). Production refuses, as for the whole data set."""
    if settings.environment == "production":
        raise ConfigurationError("the demo officers are refused in production (CNUM_ENVIRONMENT=production)")
    database = build_database(settings)
    try:
        loaded = _load_officers(database)
        return f"demo officers{loaded or ': the directory has officers already, nothing loaded'}"
    finally:
        database.dispose()
