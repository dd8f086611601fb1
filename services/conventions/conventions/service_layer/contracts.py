"""Use cases on advisors, candidate presentations and employment contracts."""

from __future__ import annotations

import uuid
from typing import Any

from cnum_shared.core import contracts as contract_rule
from cnum_shared.core import legal
from cnum_shared.core.errors import Invalid, NotFound
from cnum_shared.core.money import format_date_fr
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import Advisor, Candidate, Contract, Convention, SalaryChange
from conventions.domain.contracts import (
    AdvisorFacts,
    AvenantFacts,
    ContractFacts,
    ContractRefused,
    ContractRules,
    ContractType,
    InvalidContract,
    MediatorCase,
    PublicStatus,
    RuleCode,
    advisor_of_another_structure,
    avenant_problems,
    contract_violations,
    end_date_problems,
    no_smic_violation,
    salary_violation,
)
from conventions.domain.conventions import ConventionConflict, ConventionStatus
from conventions.service_layer.commands import (
    CreateAdvisor,
    EndContract,
    PresentCandidate,
    RaiseSalary,
    SelectCandidate,
    SignContract,
)
from conventions.service_layer.conventions import UnknownStructure, get_convention, structure_details
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

#: A contract may be recorded on a convention in these states only.
_OPEN_STATUSES = (ConventionStatus.SIGNED, ConventionStatus.AMENDED)


class AdvisorNotFound(NotFound):
    default_message = "Conseiller introuvable."


class UnknownAdvisor(Invalid):
    """A presentation or a contract names an advisor that does not exist (a 422 on `advisor_id`)."""

    def __init__(self) -> None:
        super().__init__("Conseiller inconnu.", errors={"json": {"advisor_id": ["Conseiller inconnu."]}})


class CandidateNotFound(NotFound):
    default_message = "Candidat introuvable."


class ContractNotFound(NotFound):
    default_message = "Contrat introuvable."


def create_advisor(uow: ConventionsUnitOfWork, command: CreateAdvisor) -> Advisor:
    """A person the structure may recruit: every advisor belongs to one structure (a legal officer names
    it, a structure user registers its own); 422 for a structure that does not exist."""
    if uow.structures.get(command.structure_id) is None:
        raise UnknownStructure()
    advisor = Advisor(
        id=uuid.uuid4(),
        structure_id=command.structure_id,
        first_name=command.first_name,
        last_name=command.last_name,
        birth_date=command.birth_date,
        email=command.email,
        is_retired=command.is_retired,
        in_civic_service=command.in_civic_service,
        is_france_services_agent=command.is_france_services_agent,
        created_at=utcnow(),
    )
    uow.advisors.add(advisor)
    uow.commit()
    return advisor


def get_advisor(
    uow: ConventionsUnitOfWork, advisor_id: uuid.UUID, *, viewer_structure_id: uuid.UUID | None = None
) -> Advisor:
    """The advisor; a structure user (`viewer_structure_id`) sees only those registered for it."""
    advisor = uow.advisors.get(advisor_id)
    if advisor is None:
        raise AdvisorNotFound()
    if viewer_structure_id is not None and str(advisor.structure_id) != str(viewer_structure_id):
        raise AdvisorNotFound()  # as for an id that does not exist
    return advisor


def _recruitable_advisor(
    uow: ConventionsUnitOfWork, convention: Convention, advisor_id: uuid.UUID, *, unknown_as_foreign: bool
) -> Advisor | None:
    """The advisor, or None when they are not the convention's structure's to recruit.

    A structure recruits only the people registered for it (by itself, or by a legal officer who named
    it). An advisor without a structure (registered before advisors all had one, and never presented
    nor hired since) is nobody's to recruit: a legal officer registers the person again for the
    structure. `unknown_as_foreign` (a structure user asks) answers an id that does not exist as one
    of another structure's, so that the two cannot be told apart.
    """
    advisor = uow.advisors.get(advisor_id)
    if advisor is None:
        if unknown_as_foreign:
            return None
        raise UnknownAdvisor()
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


def _open_convention(uow: ConventionsUnitOfWork, convention_id: uuid.UUID) -> Convention:
    convention = get_convention(uow, convention_id, for_update=True)
    if convention.status not in _OPEN_STATUSES:
        raise ConventionConflict("La convention doit être signée et en cours pour recruter sur ses postes.")
    return convention


def present_candidate(uow: ConventionsUnitOfWork, command: PresentCandidate) -> Candidate:
    """A candidate presented to the structure: starts the one-month selection clock."""
    convention = _open_convention(uow, command.convention_id)
    advisor = _recruitable_advisor(
        uow, convention, command.advisor_id, unknown_as_foreign=command.unknown_advisor_as_foreign
    )
    if advisor is None:
        raise ContractRefused([advisor_of_another_structure()])
    # The convention is locked (for update): no other presentation of the person can slip in between.
    if uow.candidates.presented(convention.id, advisor.id):
        raise ConventionConflict("Ce candidat a déjà été présenté pour cette convention.")
    candidate = Candidate(
        id=uuid.uuid4(),
        convention_id=convention.id,
        structure_id=convention.structure_id,
        advisor_id=advisor.id,
        presented_on=command.presented_on,
        selected_on=None,
        created_at=utcnow(),
    )
    uow.candidates.add(candidate)
    uow.outbox.emit("candidate.presented", _candidate_data(candidate, convention))
    uow.commit()
    return candidate


def get_candidate(uow: ConventionsUnitOfWork, candidate_id: uuid.UUID) -> Candidate:
    candidate = uow.candidates.get(candidate_id)
    if candidate is None:
        raise CandidateNotFound()
    return candidate


def select_candidate(uow: ConventionsUnitOfWork, command: SelectCandidate) -> Candidate:
    """The structure selects the candidate: starts the 15-day contract-signature clock."""
    candidate = get_candidate(uow, command.candidate_id)
    convention = get_convention(uow, candidate.convention_id)
    if candidate.selected_on is not None:
        raise ConventionConflict("Ce candidat est déjà sélectionné.")
    if command.selected_on < candidate.presented_on:
        raise InvalidContract({"selected_on": ["La sélection ne peut pas précéder la présentation."]})
    candidate.selected_on = command.selected_on
    uow.outbox.emit("candidate.selected", _candidate_data(candidate, convention))
    uow.commit()
    return candidate


def sign_contract(uow: ConventionsUnitOfWork, command: SignContract) -> Contract:
    """Record a signed employment contract, after every rule of DESIGN §4; emits `contract.signed`."""
    tree = uow.parameters
    convention = _open_convention(uow, command.convention_id)
    advisor = _recruitable_advisor(
        uow, convention, command.advisor_id, unknown_as_foreign=command.unknown_advisor_as_foreign
    )
    contract_type = ContractType(command.contract_type)
    start = command.start_date
    already_mediator = command.already_digital_mediator
    mediator_case = MediatorCase(command.mediator_case) if command.mediator_case is not None else None
    problems = end_date_problems(contract_type, start, command.end_date)
    if command.signed_on > start:
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
    avenant = _avenant_facts(command, contract_type)
    for field, messages in avenant_problems(avenant, legal.StructureKind(convention.structure.kind)).items():
        problems.setdefault(field, []).extend(messages)
    if problems:
        raise InvalidContract(problems)
    place = territory(convention.structure.department)
    try:
        smic = legal.smic_on(place.smic_zone, start, tree=tree)
    except legal.NoSmicInZone as error:
        raise ContractRefused([no_smic_violation(place.name, str(error))]) from None
    except LookupError:
        raise InvalidContract({"start_date": ["Aucun SMIC connu à cette date."]}) from None
    rules = ContractRules(
        ages=legal.advisor_age_range(start, tree=tree),
        full_time_hours=legal.full_time_weekly_hours(start, tree=tree),
        smic=smic,
        employer=legal.contract_type_rules(legal.StructureKind(convention.structure.kind), start, tree=tree),
        mediator_cases=tuple(MediatorCase(code) for code in legal.mediator_in_post_cases(start, tree=tree)),
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
            command.end_date,
            command.weekly_hours,
            command.gross_monthly_salary,
            command.existing_cdi_employee,
            already_mediator,
            mediator_case,
        ),
        rules,
    )
    if violations or advisor is None:  # a foreign advisor is always among the violations
        below = any(violation.code is RuleCode.BELOW_SMIC for violation in violations)
        raise ContractRefused(violations, smic if below else None)
    if uow.contracts.active_on(convention.id, start) >= convention.posts:
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
        end_date=command.end_date,
        weekly_hours=command.weekly_hours,
        gross_monthly_salary=command.gross_monthly_salary,
        existing_cdi_employee=command.existing_cdi_employee,
        already_digital_mediator=already_mediator,
        mediator_case=mediator_case.value if mediator_case is not None else None,
        original_contract_start_date=avenant.original_contract_start_date,
        place_of_work=avenant.place_of_work,
        line_manager=avenant.line_manager,
        classification=avenant.classification,
        collective_agreement=avenant.collective_agreement,
        public_status=avenant.public_status.value if avenant.public_status is not None else None,
        signed_on=command.signed_on,
        ended_on=None,
        end_reason=None,
        created_at=utcnow(),
    )
    contract.advisor = advisor
    uow.contracts.add(contract)
    structure = convention.structure
    uow.outbox.emit(
        "contract.signed",
        {
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


def _stated(text: str | None) -> str | None:
    """A text as the avenant states it: trimmed, and None when nothing but blanks was typed."""
    stripped = (text or "").strip()
    return stripped or None


def _avenant_facts(command: SignContract, contract_type: ContractType) -> AvenantFacts:
    return AvenantFacts(
        existing_employee=command.existing_cdi_employee,
        contract_type=contract_type,
        start_date=command.start_date,
        original_contract_start_date=command.original_contract_start_date,
        place_of_work=_stated(command.place_of_work),
        line_manager=_stated(command.line_manager),
        classification=_stated(command.classification),
        collective_agreement=_stated(command.collective_agreement),
        public_status=PublicStatus(command.public_status) if command.public_status is not None else None,
    )


def get_contract(uow: ConventionsUnitOfWork, contract_id: uuid.UUID) -> Contract:
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound()
    return contract


def end_contract(uow: ConventionsUnitOfWork, command: EndContract) -> Contract:
    """The post falls vacant on `ended_on`; emits `contract.ended` (refill clock, pro rata recovery)."""
    contract = get_contract(uow, command.contract_id)
    ended_on, reason = command.ended_on, command.reason
    if contract.ended_on is not None:
        raise ConventionConflict("Ce contrat est déjà terminé.")
    if ended_on < contract.start_date:
        raise InvalidContract({"ended_on": ["La fin ne peut pas précéder le début du contrat."]})
    if contract.end_date is not None and ended_on > contract.end_date:
        raise InvalidContract({"ended_on": ["La fin ne peut pas dépasser le terme prévu du contrat."]})
    contract.ended_on = ended_on
    contract.end_reason = reason.value
    uow.outbox.emit(
        "contract.ended",
        {
            "contract_id": contract.id,
            "convention_id": contract.convention_id,
            "structure_id": contract.structure_id,
            "ended_on": ended_on,
            "reason": reason.value,
        },
    )
    uow.commit()
    return contract


def raise_salary(uow: ConventionsUnitOfWork, command: RaiseSalary) -> SalaryChange:
    """A new salary from a date; a cut below the SMIC of that date is refused."""
    contract = get_contract(uow, command.contract_id)
    effective_on, salary = command.effective_on, command.gross_monthly_salary
    if not contract_rule.is_active_on(
        contract.start_date, contract.end_date, contract.ended_on, effective_on
    ):
        raise InvalidContract({"effective_on": ["La date doit tomber pendant le contrat."]})
    convention = get_convention(uow, contract.convention_id)
    place = territory(convention.structure.department)
    try:
        smic = legal.smic_on(place.smic_zone, effective_on, tree=uow.parameters)
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
        recorded_by=command.recorded_by,
        created_at=utcnow(),
    )
    uow.contracts.add_salary_change(change)
    contract.gross_monthly_salary = salary
    uow.outbox.emit(
        "contract.salary_changed",
        {
            "contract_id": contract.id,
            "structure_id": contract.structure_id,
            "gross_monthly_salary": salary,
            "effective_on": effective_on,
        },
    )
    uow.commit()
    return change
