"""What the use cases of the conventions service are asked to do: one frozen dataclass per use case.

The views build them from the parsed request (and the caller's identity); the jobs and the demo data
build them directly. A use case never takes a dictionary of fields.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core.legal import Wave
from conventions.domain.contracts import ContractType, EndReason, MediatorCase, PublicStatus
from conventions.domain.conventions import ConventionAction
from conventions.domain.officers import OfficerRole


@dataclass(frozen=True, kw_only=True)
class CreateStructure:
    name: str
    siret: str
    kind: str
    structure_type: str
    department: str
    address: str
    postcode: str
    city: str
    email: str
    qpv_zrr: bool
    iban: str
    bic: str | None = None
    #: The registration day: the structure types are read on it.
    on: date

    def identity(self) -> dict[str, Any]:
        """The structure's fields (everything but the day)."""
        return {field.name: getattr(self, field.name) for field in fields(self) if field.name != "on"}


@dataclass(frozen=True)
class UpdateStructure:
    """A change of some fields (None: unchanged); no bank details (see RequestBankDetailsChange)."""

    structure_id: uuid.UUID
    on: date
    name: str | None = None
    siret: str | None = None
    kind: str | None = None
    structure_type: str | None = None
    department: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    email: str | None = None
    qpv_zrr: bool | None = None

    def changes(self) -> dict[str, Any]:
        return {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if field.name not in ("structure_id", "on") and getattr(self, field.name) is not None
        }


@dataclass(frozen=True)
class CreateConvention:
    structure_id: uuid.UUID
    wave: Wave
    posts: int
    start_date: date
    duration_months: int
    actor: str = "system"


@dataclass(frozen=True)
class SignConvention:
    convention_id: uuid.UUID
    signed_on: date
    actor: str = "system"


@dataclass(frozen=True)
class EndConvention:
    """Close (at its term) or terminate (early) a signed convention."""

    convention_id: uuid.UUID
    action: ConventionAction
    on: date
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class DraftAmendment:
    convention_id: uuid.UUID
    posts: int
    effective_date: date
    reason: str
    created_by: str
    #: When the structure asked for it (its letter), and the end of the contract that causes it.
    requested_on: date | None = None
    contract_ended_on: date | None = None


@dataclass(frozen=True)
class SignAmendment:
    convention_id: uuid.UUID
    amendment_id: uuid.UUID
    signed_on: date
    actor: str = "system"


@dataclass(frozen=True)
class CreateAdvisor:
    structure_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    email: str
    is_retired: bool = False
    in_civic_service: bool = False
    is_france_services_agent: bool = False


@dataclass(frozen=True)
class PresentCandidate:
    convention_id: uuid.UUID
    advisor_id: uuid.UUID
    presented_on: date
    #: A structure user asks: an unknown advisor id is answered as another structure's advisor.
    unknown_advisor_as_foreign: bool = False


@dataclass(frozen=True)
class SelectCandidate:
    candidate_id: uuid.UUID
    selected_on: date


@dataclass(frozen=True)
class SignContract:
    convention_id: uuid.UUID
    advisor_id: uuid.UUID
    contract_type: ContractType
    start_date: date
    end_date: date | None
    weekly_hours: Decimal
    gross_monthly_salary: Decimal
    signed_on: date
    existing_cdi_employee: bool = False
    already_digital_mediator: bool = False
    mediator_case: MediatorCase | None = None
    #: What the avenant of an existing employee states (decision 0026); texts as typed, blanks as None.
    original_contract_start_date: date | None = None
    place_of_work: str | None = None
    line_manager: str | None = None
    classification: str | None = None
    collective_agreement: str | None = None
    public_status: PublicStatus | None = None
    unknown_advisor_as_foreign: bool = False


@dataclass(frozen=True)
class EndContract:
    contract_id: uuid.UUID
    ended_on: date
    reason: EndReason


@dataclass(frozen=True)
class RaiseSalary:
    contract_id: uuid.UUID
    gross_monthly_salary: Decimal
    effective_on: date
    recorded_by: str


@dataclass(frozen=True)
class RequestBankDetailsChange:
    structure_id: uuid.UUID
    iban: str
    bic: str | None
    #: The RIB's bytes, as uploaded.
    rib: bytes
    requested_by: str


@dataclass(frozen=True)
class ConfirmBankDetailsChange:
    structure_id: uuid.UUID
    change_id: uuid.UUID
    confirmed_by: str


@dataclass(frozen=True)
class ExportPersonalData:
    """Everything held on one person (RGPD art. 15), for someone who may see it; logged as a disclosure."""

    advisor_id: uuid.UUID
    as_of: date
    who: str
    role: str
    path: str
    client_address: str | None
    #: A structure user sees only the people registered for their structure.
    viewer_structure_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PurgePersonalData:
    """Purge what is past retention on the legal date `as_of`."""

    as_of: date
    actor: str = "job:purge_personal_data"


@dataclass(frozen=True)
class PublishOpenData:
    """Write the open-data file of the conventions signed on or before the legal date `as_of`."""

    as_of: date


@dataclass(frozen=True)
class LaunchClosingRun:
    """Close every convention whose funding ends from `funding_ends_from` to `funding_ends_to` included
    (decision 0035); the same period again relaunches its run."""

    funding_ends_from: date
    funding_ends_to: date
    requested_by: str
    #: Today (Paris): a relaunch takes again the conventions that have ended since.
    today: date


@dataclass(frozen=True)
class RunClosingRuns:
    """The job: close the conventions of the waiting runs, then archive the runs whose statements are in."""

    #: Today (Paris): a convention that ends after it is not closed yet.
    today: date
    #: Statements rendered at once when archiving: as many as the converter has workers.
    concurrency: int = 1
    #: Who the conventions' and the runs' histories name.
    actor: str = "run_closing_runs"


@dataclass(frozen=True, kw_only=True)
class CreateOfficer:
    email: str
    name: str
    role: OfficerRole
    active: bool = True
    #: Given only by the demo data set, which keeps the account ids the web front's demo accounts had;
    #: otherwise a new UUID, never reused.
    officer_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateOfficer:
    officer_id: uuid.UUID
    email: str | None = None
    name: str | None = None
    role: OfficerRole | None = None
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given (None: unchanged)."""
        return {
            name: getattr(self, name)
            for name in ("email", "name", "role", "active")
            if getattr(self, name) is not None
        }
