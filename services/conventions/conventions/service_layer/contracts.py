"""Use cases on advisors, candidate presentations and employment contracts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.core import legal
from cnum_shared.core.money import format_date_fr
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.events.outbox import emit
from conventions.adapters.orm import Advisor, Candidate, Contract, Convention, SalaryChange, event_tables
from conventions.domain.contracts import (
    AdvisorFacts,
    ContractFacts,
    ContractRefused,
    ContractRules,
    ContractType,
    EndReason,
    MediatorCase,
    RuleCode,
    advisor_of_another_structure,
    contract_violations,
    end_date_problems,
    no_smic_violation,
    salary_violation,
)
from conventions.domain.conventions import ConventionConflict, ConventionStatus
from conventions.service_layer.conventions import get_convention, structure_details
from conventions.service_layer.structures import get_structure

#: A contract may be recorded on a convention in these states only.
_OPEN_STATUSES = (ConventionStatus.SIGNED.value, ConventionStatus.AMENDED.value)


class AdvisorNotFound(LookupError):
    pass


class CandidateNotFound(LookupError):
    pass


class ContractNotFound(LookupError):
    pass


class InvalidContract(ValueError):
    """Field errors (422 under errors.json)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{field}: {' '.join(messages)}" for field, messages in problems.items()))
        self.problems = problems


def create_advisor(uow: UnitOfWork, fields: dict[str, Any], structure_id: uuid.UUID) -> Advisor:
    """A person the structure may recruit: every advisor belongs to one structure (a legal officer names
    it, a structure user registers its own); 422 for a structure that does not exist."""
    get_structure(uow, structure_id)
    advisor = Advisor(id=uuid.uuid4(), structure_id=structure_id, created_at=utcnow(), **fields)
    uow.session.add(advisor)
    uow.commit()
    return advisor


def get_advisor(uow: UnitOfWork, advisor_id: uuid.UUID) -> Advisor:
    advisor = uow.session.get(Advisor, advisor_id)
    if advisor is None:
        raise AdvisorNotFound(advisor_id)
    return advisor


def _recruitable_advisor(
    uow: UnitOfWork, convention: Convention, advisor_id: uuid.UUID, *, unknown_as_foreign: bool
) -> Advisor | None:
    """The advisor, or None when they are not the convention's structure's to recruit.

    A structure recruits only the people registered for it (by itself, or by a legal officer who named
    it). An advisor without a structure (registered before advisors all had one, and never presented
    nor hired since) is nobody's to recruit: a legal officer registers the person again for the
    structure. `unknown_as_foreign` (a structure user asks) answers an id that does not exist as one
    of another structure's, so that the two cannot be told apart.
    """
    advisor = uow.session.get(Advisor, advisor_id)
    if advisor is None:
        if unknown_as_foreign:
            return None
        raise AdvisorNotFound(advisor_id)
    if advisor.structure_id != convention.structure_id:
        return None
    if advisor.anonymised_on is not None:
        # Their identity is gone (past retention): eligibility could only be checked on neutral values.
        raise InvalidContract(
            {
                "advisor_id": [
                    f"Ce conseiller a été anonymisé le {format_date_fr(advisor.anonymised_on)} : il ne peut "
                    "plus être présenté ni recruté ; enregistrez-le à nouveau."
                ]
            }
        )
    return advisor


def _candidate_data(candidate: Candidate, convention: Convention) -> dict[str, Any]:
    structure = convention.structure
    return {
        "candidate_id": candidate.id,
        "convention_id": candidate.convention_id,
        "structure_id": candidate.structure_id,
        "advisor_id": candidate.advisor_id,
        "presented_on": candidate.presented_on,
        "selected_on": candidate.selected_on,
        "structure": structure_details(structure),
    }


def _open_convention(uow: UnitOfWork, convention_id: uuid.UUID) -> Convention:
    convention = get_convention(uow, convention_id, for_update=True)
    if convention.status not in _OPEN_STATUSES:
        raise ConventionConflict("La convention doit être signée et en cours pour recruter sur ses postes.")
    return convention


def present_candidate(
    uow: UnitOfWork,
    convention_id: uuid.UUID,
    advisor_id: uuid.UUID,
    presented_on: date,
    *,
    unknown_advisor_as_foreign: bool = False,
) -> Candidate:
    """A candidate presented to the structure: starts the one-month selection clock."""
    convention = _open_convention(uow, convention_id)
    if (
        _recruitable_advisor(uow, convention, advisor_id, unknown_as_foreign=unknown_advisor_as_foreign)
        is None
    ):
        raise ContractRefused([advisor_of_another_structure()])
    candidate = Candidate(
        id=uuid.uuid4(),
        convention_id=convention.id,
        structure_id=convention.structure_id,
        advisor_id=advisor_id,
        presented_on=presented_on,
        selected_on=None,
        created_at=utcnow(),
    )
    uow.session.add(candidate)
    try:
        uow.session.flush()
    except IntegrityError:
        uow.rollback()
        raise ConventionConflict("Ce candidat a déjà été présenté pour cette convention.") from None
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="candidate.presented",
        data=_candidate_data(candidate, convention),
    )
    uow.commit()
    return candidate


def get_candidate(uow: UnitOfWork, candidate_id: uuid.UUID) -> Candidate:
    candidate = uow.session.get(Candidate, candidate_id)
    if candidate is None:
        raise CandidateNotFound(candidate_id)
    return candidate


def select_candidate(uow: UnitOfWork, candidate_id: uuid.UUID, selected_on: date) -> Candidate:
    """The structure selects the candidate: starts the 15-day contract-signature clock."""
    candidate = get_candidate(uow, candidate_id)
    convention = get_convention(uow, candidate.convention_id)
    if candidate.selected_on is not None:
        raise ConventionConflict("Ce candidat est déjà sélectionné.")
    if selected_on < candidate.presented_on:
        raise InvalidContract({"selected_on": ["La sélection ne peut pas précéder la présentation."]})
    candidate.selected_on = selected_on
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="candidate.selected",
        data=_candidate_data(candidate, convention),
    )
    uow.commit()
    return candidate


def _active_contracts(uow: UnitOfWork, convention_id: uuid.UUID, on: date) -> int:
    last_day = func.coalesce(Contract.ended_on, Contract.end_date)
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(Contract)
            .where(
                Contract.convention_id == convention_id,
                Contract.start_date <= on,
                or_(last_day.is_(None), last_day >= on),
            )
        )
        or 0
    )


def sign_contract(
    uow: UnitOfWork,
    convention_id: uuid.UUID,
    fields: dict[str, Any],
    *,
    unknown_advisor_as_foreign: bool = False,
) -> Contract:
    """Record a signed employment contract, after every rule of DESIGN §4; emits `contract.signed`."""
    convention = _open_convention(uow, convention_id)
    advisor = _recruitable_advisor(
        uow, convention, fields["advisor_id"], unknown_as_foreign=unknown_advisor_as_foreign
    )
    contract_type = ContractType(fields["contract_type"])
    start = fields["start_date"]
    already_mediator = bool(fields.get("already_digital_mediator", False))
    case = fields.get("mediator_case")
    mediator_case = MediatorCase(case) if case is not None else None
    problems = end_date_problems(contract_type, start, fields.get("end_date"))
    if fields["signed_on"] > start:
        problems.setdefault("signed_on", []).append(
            "Le contrat doit être signé au plus tard le jour de son début."
        )
    if not convention.start_date <= start <= convention.end_date:
        problems.setdefault("start_date", []).append("Le contrat doit commencer pendant la convention.")
    if mediator_case is not None and not already_mediator:
        problems.setdefault("mediator_case", []).append(
            "Sans objet : la personne n'est pas déjà médiatrice numérique en poste "
            "(already_digital_mediator)."
        )
    if problems:
        raise InvalidContract(problems)
    place = territory(convention.structure.department)
    try:
        smic = legal.smic_on(place.smic_zone, start)
    except legal.NoSmicInZone as error:
        raise ContractRefused([no_smic_violation(place.name, str(error))]) from None
    except LookupError:
        raise InvalidContract({"start_date": ["Aucun SMIC connu à cette date."]}) from None
    rules = ContractRules(
        ages=legal.advisor_age_range(start),
        full_time_hours=legal.full_time_weekly_hours(start),
        smic=smic,
        employer=legal.contract_type_rules(legal.StructureKind(convention.structure.kind), start),
        mediator_cases=tuple(MediatorCase(code) for code in legal.mediator_in_post_cases(start)),
    )
    facts = (
        AdvisorFacts(
            advisor.birth_date, advisor.is_retired, advisor.in_civic_service, advisor.is_france_services_agent
        )
        if advisor is not None
        else None
    )
    violations = contract_violations(
        facts,
        ContractFacts(
            contract_type,
            start,
            fields.get("end_date"),
            Decimal(fields["weekly_hours"]),
            fields["gross_monthly_salary"],
            fields["existing_cdi_employee"],
            already_mediator,
            mediator_case,
        ),
        rules,
    )
    if violations or advisor is None:  # a foreign advisor is always among the violations
        below = any(violation.code is RuleCode.BELOW_SMIC for violation in violations)
        raise ContractRefused(violations, smic if below else None)
    if _active_contracts(uow, convention.id, start) >= convention.posts:
        raise ConventionConflict(
            f"La convention compte {convention.posts} poste(s), tous occupés par un contrat actif le "
            f"{start.strftime('%d/%m/%Y')}."
        )
    contract = Contract(
        id=uuid.uuid4(),
        convention_id=convention.id,
        structure_id=convention.structure_id,
        advisor_id=advisor.id,
        contract_type=contract_type.value,
        start_date=start,
        end_date=fields.get("end_date"),
        weekly_hours=Decimal(fields["weekly_hours"]),
        gross_monthly_salary=fields["gross_monthly_salary"],
        existing_cdi_employee=fields["existing_cdi_employee"],
        already_digital_mediator=already_mediator,
        mediator_case=mediator_case.value if mediator_case is not None else None,
        signed_on=fields["signed_on"],
        ended_on=None,
        end_reason=None,
        created_at=utcnow(),
    )
    contract.advisor = advisor
    uow.session.add(contract)
    structure = convention.structure
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="contract.signed",
        data={
            "contract_id": contract.id,
            "convention_id": convention.id,
            "structure_id": convention.structure_id,
            "advisor_id": advisor.id,
            "contract_type": contract.contract_type,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "weekly_hours": contract.weekly_hours,
            "gross_monthly_salary": contract.gross_monthly_salary,
            "signed_on": contract.signed_on,
            "existing_cdi_employee": contract.existing_cdi_employee,
            "already_digital_mediator": contract.already_digital_mediator,
            "mediator_case": contract.mediator_case,
            "structure": structure_details(structure),
        },
    )
    uow.commit()
    return contract


def get_contract(uow: UnitOfWork, contract_id: uuid.UUID) -> Contract:
    contract = uow.session.get(Contract, contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    return contract


def list_contracts(uow: UnitOfWork, convention_id: uuid.UUID) -> Sequence[Contract]:
    return uow.session.scalars(
        select(Contract)
        .where(Contract.convention_id == convention_id)
        .order_by(Contract.start_date, Contract.id)
    ).all()


def end_contract(uow: UnitOfWork, contract_id: uuid.UUID, ended_on: date, reason: EndReason) -> Contract:
    """The post falls vacant on `ended_on`; emits `contract.ended` (refill clock, pro rata recovery)."""
    contract = get_contract(uow, contract_id)
    if contract.ended_on is not None:
        raise ConventionConflict("Ce contrat est déjà terminé.")
    if ended_on < contract.start_date:
        raise InvalidContract({"ended_on": ["La fin ne peut pas précéder le début du contrat."]})
    if contract.end_date is not None and ended_on > contract.end_date:
        raise InvalidContract({"ended_on": ["La fin ne peut pas dépasser le terme prévu du contrat."]})
    contract.ended_on = ended_on
    contract.end_reason = reason.value
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="contract.ended",
        data={
            "contract_id": contract.id,
            "convention_id": contract.convention_id,
            "structure_id": contract.structure_id,
            "ended_on": ended_on,
            "reason": reason.value,
        },
    )
    uow.commit()
    return contract


def raise_salary(
    uow: UnitOfWork, contract_id: uuid.UUID, salary: Decimal, effective_on: date, recorded_by: str
) -> SalaryChange:
    """A new salary from a date; a cut below the SMIC of that date is refused."""
    contract = get_contract(uow, contract_id)
    last_day = contract.ended_on or contract.end_date
    if effective_on < contract.start_date or (last_day is not None and effective_on > last_day):
        raise InvalidContract({"effective_on": ["La date doit tomber pendant le contrat."]})
    convention = get_convention(uow, contract.convention_id)
    place = territory(convention.structure.department)
    try:
        smic = legal.smic_on(place.smic_zone, effective_on)
    except legal.NoSmicInZone as error:
        raise ContractRefused([no_smic_violation(place.name, str(error))]) from None
    below = salary_violation(salary, smic)
    if below is not None:
        raise ContractRefused([below], smic)
    change = SalaryChange(
        id=uuid.uuid4(),
        contract_id=contract.id,
        gross_monthly_salary=salary,
        effective_on=effective_on,
        recorded_by=recorded_by,
        created_at=utcnow(),
    )
    uow.session.add(change)
    contract.gross_monthly_salary = salary
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="contract.salary_changed",
        data={
            "contract_id": contract.id,
            "structure_id": contract.structure_id,
            "gross_monthly_salary": salary,
            "effective_on": effective_on,
        },
    )
    uow.commit()
    return change
