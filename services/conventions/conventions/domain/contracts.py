"""Employment contracts of advisors: eligibility, full time, the SMIC, and how a contract ends.

Every rule a contract breaks is reported at once (one 422 naming each), with a French message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.dates import age_on
from cnum_shared.legal import AgeRange, Smic
from cnum_shared.money import format_date_fr, format_eur_fr


class ContractType(StrEnum):
    CDI = "cdi"
    CDD = "cdd"
    CONTRAT_DE_PROJET = "contrat_de_projet"
    TITULAIRE = "titulaire"
    PEC = "pec"


#: Fixed-term contracts must say when they end; open-ended ones must not.
FIXED_TERM = frozenset({ContractType.CDD, ContractType.CONTRAT_DE_PROJET, ContractType.PEC})


class EndReason(StrEnum):
    NON_RENEWAL_CDD = "non_renewal_cdd"
    DISMISSAL = "dismissal"
    RESIGNATION = "resignation"
    END_OF_FUNDING = "end_of_funding"
    MUTUAL_AGREEMENT = "mutual_agreement"
    TRIAL_PERIOD = "trial_period"


class RuleCode(StrEnum):
    AGE_OUT_OF_RANGE = "age_out_of_range"
    RETIRED = "retired"
    CIVIC_SERVICE = "civic_service"
    FRANCE_SERVICES_AGENT = "france_services_agent"
    NOT_FULL_TIME = "not_full_time"
    BELOW_SMIC = "below_smic"
    CDD_FOR_CDI_EMPLOYEE = "cdd_for_cdi_employee"
    #: Wallis-et-Futuna, French Polynesia, New Caledonia: a minimum wage of their own, not the SMIC, and
    #: no table of it in the parameters, so a salary there cannot be checked (fail closed).
    NO_SMIC_IN_TERRITORY = "no_smic_in_territory"


@dataclass(frozen=True)
class RuleViolation:
    code: RuleCode
    message: str


@dataclass(frozen=True)
class AdvisorFacts:
    """What eligibility looks at, as the advisor declared it."""

    birth_date: date
    is_retired: bool
    in_civic_service: bool
    is_france_services_agent: bool


@dataclass(frozen=True)
class ContractFacts:
    contract_type: ContractType
    start_date: date
    weekly_hours: Decimal
    gross_monthly_salary: Decimal
    existing_cdi_employee: bool


class ContractRefused(ValueError):
    """The contract breaks one or more rules; nothing is stored."""

    def __init__(self, violations: list[RuleViolation], smic: Smic | None = None) -> None:
        super().__init__(" ".join(violation.message for violation in violations))
        self.violations = violations
        #: The SMIC the salary was compared with, when `below_smic` is among the violations.
        self.smic = smic


def no_smic_violation(territory_name: str, reason: str) -> RuleViolation:
    """The refusal of a contract (or a raise) in a territory where the SMIC does not apply."""
    return RuleViolation(RuleCode.NO_SMIC_IN_TERRITORY, f"{territory_name} : {reason}")


def contract_violations(
    advisor: AdvisorFacts, contract: ContractFacts, *, ages: AgeRange, full_time_hours: int, smic: Smic
) -> list[RuleViolation]:
    """Every rule of DESIGN §4 the contract breaks on its start date (empty when it may be signed)."""
    violations: list[RuleViolation] = []
    start = contract.start_date
    if start < advisor.birth_date or age_on(advisor.birth_date, start) not in ages:
        age = age_on(advisor.birth_date, start) if start >= advisor.birth_date else 0
        violations.append(
            RuleViolation(
                RuleCode.AGE_OUT_OF_RANGE,
                f"Le conseiller doit avoir entre {ages.minimum} et {ages.maximum} ans au début du contrat "
                f"({format_date_fr(start)}) ; il aura {age} ans.",
            )
        )
    if advisor.is_retired:
        violations.append(
            RuleViolation(RuleCode.RETIRED, "Une personne retraitée ne peut pas être recrutée.")
        )
    if advisor.in_civic_service:
        violations.append(
            RuleViolation(
                RuleCode.CIVIC_SERVICE, "Une personne en service civique ne peut pas être recrutée."
            )
        )
    if advisor.is_france_services_agent:
        violations.append(
            RuleViolation(
                RuleCode.FRANCE_SERVICES_AGENT,
                "Un des deux agents obligatoires d'une maison France Services ne peut pas occuper le poste.",
            )
        )
    if contract.weekly_hours != full_time_hours:
        violations.append(
            RuleViolation(
                RuleCode.NOT_FULL_TIME,
                f"Le poste est à temps plein : {full_time_hours} heures par semaine, "
                f"et non {contract.weekly_hours.normalize():f}.",
            )
        )
    below = salary_violation(contract.gross_monthly_salary, smic)
    if below is not None:
        violations.append(below)
    if contract.existing_cdi_employee and contract.contract_type is not ContractType.CDI:
        violations.append(
            RuleViolation(
                RuleCode.CDD_FOR_CDI_EMPLOYEE,
                "Cette personne est déjà en CDI dans la structure : elle rejoint le poste par un avenant à "
                "son contrat de travail (type « cdi »), pas par un nouveau contrat à durée déterminée.",
            )
        )
    return violations


def salary_violation(salary: Decimal, smic: Smic) -> RuleViolation | None:
    """`below_smic` when the gross monthly salary is under the SMIC of the zone on that date."""
    if salary >= smic.monthly:
        return None
    return RuleViolation(
        RuleCode.BELOW_SMIC,
        f"Le salaire brut mensuel de {format_eur_fr(salary)} est inférieur au SMIC brut mensuel de "
        f"{format_eur_fr(smic.monthly)} en vigueur depuis le {format_date_fr(smic.effective_from)}.",
    )


def end_date_problems(
    contract_type: ContractType, start_date: date, end_date: date | None
) -> dict[str, list[str]]:
    """Field errors on `end_date`: required for fixed-term contracts, absent for open-ended ones."""
    if contract_type in FIXED_TERM:
        if end_date is None:
            return {"end_date": ["Obligatoire pour un contrat à durée déterminée."]}
        if end_date < start_date:
            return {"end_date": ["La fin du contrat ne peut pas précéder son début."]}
        return {}
    if end_date is not None:
        return {"end_date": ["Sans objet pour un CDI ou un titulaire."]}
    return {}


def is_active_on(start_date: date, end_date: date | None, ended_on: date | None, on: date) -> bool:
    """DESIGN §3: active on D when start ≤ D ≤ (ended_on or end_date)."""
    last_day = ended_on or end_date
    return start_date <= on and (last_day is None or on <= last_day)
