"""Employment contracts of advisors: who may be recruited, on which contract, full time, at the SMIC at
least, and how a contract ends.

Every rule a contract breaks is reported at once (one 422 naming each), with a French message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.dates import add_months, age_on
from cnum_shared.core.errors import Invalid
from cnum_shared.core.legal import AgeRange, ContractTypeRules, Smic, StructureKind
from cnum_shared.core.money import format_date_fr, format_eur_fr, money_str


class ContractType(StrEnum):
    CDI = "cdi"
    CDD = "cdd"
    CONTRAT_DE_PROJET = "contrat_de_projet"
    TITULAIRE = "titulaire"
    PEC = "pec"


#: Fixed-term contracts must say when they end; open-ended ones must not.
FIXED_TERM = frozenset({ContractType.CDD, ContractType.CONTRAT_DE_PROJET, ContractType.PEC})

#: How refusals and documents name each type.
CONTRACT_TYPE_LABELS = {
    ContractType.CDI: "contrat à durée indéterminée (CDI)",
    ContractType.CDD: "contrat à durée déterminée (CDD)",
    ContractType.CONTRAT_DE_PROJET: "contrat de projet",
    ContractType.TITULAIRE: "emploi de fonctionnaire titulaire",
    ContractType.PEC: "contrat Parcours emploi compétences (PEC)",
}

_EMPLOYER_LABELS = {StructureKind.PUBLIC: "structure publique", StructureKind.PRIVATE: "structure privée"}


class PublicStatus(StrEnum):
    """How a public employer employs the existing agent it moves to the post (decision 0026): a
    contractual agent on a public-law CDI, or a civil servant (titulaire)."""

    CONTRACTUEL = "contractuel"
    TITULAIRE = "titulaire"


#: The contract type that records each public status's move (a civil servant is on no contract at all).
PUBLIC_STATUS_CONTRACT_TYPES = {
    PublicStatus.CONTRACTUEL: ContractType.CDI,
    PublicStatus.TITULAIRE: ContractType.TITULAIRE,
}

PUBLIC_STATUS_LABELS = {
    PublicStatus.CONTRACTUEL: "agent contractuel en CDI de droit public",
    PublicStatus.TITULAIRE: "fonctionnaire titulaire",
}

#: An existing employee moves to the post on the employment they already hold: a CDI, or for a public
#: employer's civil servant their status (DESIGN §4 speaks of a CDI; decision 0026).
MOVABLE_TYPES = frozenset({ContractType.CDI, ContractType.TITULAIRE})


class MediatorCase(StrEnum):
    """Why someone already in post as a digital mediator in the structure may still take the post: the
    three cases of the 2020 AMI (which of them are open on a date is a parameter)."""

    PART_TIME = "part_time"
    EXPERIMENTAL_SCHEME = "experimental_scheme"
    CONTRACT_ENDING = "contract_ending"


MEDIATOR_CASE_LABELS = {
    MediatorCase.PART_TIME: "elle exerçait à temps non complet",
    MediatorCase.EXPERIMENTAL_SCHEME: "elle exerçait dans le cadre d'un dispositif expérimental",
    MediatorCase.CONTRACT_ENDING: "son contrat arrive à terme",
}

#: The only thing said about a person who is not the structure's to recruit, whoever asks: a structure
#: must learn nothing of another structure's advisors (not even that the id exists).
ADVISOR_OF_ANOTHER_STRUCTURE_MESSAGE = (
    "Ce conseiller n'est pas inscrit auprès de la structure de cette convention."
)


class EndReason(StrEnum):
    NON_RENEWAL_CDD = "non_renewal_cdd"
    DISMISSAL = "dismissal"
    RESIGNATION = "resignation"
    END_OF_FUNDING = "end_of_funding"
    MUTUAL_AGREEMENT = "mutual_agreement"
    TRIAL_PERIOD = "trial_period"


class RuleCode(StrEnum):
    ADVISOR_OF_ANOTHER_STRUCTURE = "advisor_of_another_structure"
    AGE_OUT_OF_RANGE = "age_out_of_range"
    RETIRED = "retired"
    CIVIC_SERVICE = "civic_service"
    FRANCE_SERVICES_AGENT = "france_services_agent"
    MEDIATOR_ALREADY_IN_POST = "mediator_already_in_post"
    CONTRACT_TYPE_NOT_ALLOWED = "contract_type_not_allowed"
    CDD_TOO_LONG = "cdd_too_long"
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
    end_date: date | None
    weekly_hours: Decimal
    gross_monthly_salary: Decimal
    existing_cdi_employee: bool
    #: The person is already in post as a digital mediator when recruited (2020 AMI, FAQ 14kt7ki).
    already_digital_mediator: bool = False
    mediator_case: MediatorCase | None = None


@dataclass(frozen=True)
class ContractRules:
    """The parameters in force on the contract's start date, for the employer's kind and SMIC zone."""

    ages: AgeRange
    full_time_hours: int
    smic: Smic
    employer: ContractTypeRules
    mediator_cases: tuple[MediatorCase, ...]


class ContractRefused(Invalid):
    """The contract (or a candidate presentation) breaks one or more rules; nothing is stored (a 422
    naming each rule, and the SMIC the salary was compared with)."""

    def __init__(self, violations: list[RuleViolation], smic: Smic | None = None) -> None:
        errors: dict[str, object] = {
            "rules": [
                {"code": violation.code.value, "message": violation.message} for violation in violations
            ]
        }
        if smic is not None:
            errors["smic_monthly"] = money_str(smic.monthly)
            errors["smic_from"] = smic.effective_from.isoformat()
        super().__init__(" ".join(violation.message for violation in violations), errors=errors)
        self.violations = violations
        #: The SMIC the salary was compared with, when `below_smic` is among the violations.
        self.smic = smic


class InvalidContract(Invalid):
    """Field errors (422 "Contrat invalide." under errors.json)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Contrat invalide.", errors={"json": problems})
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in self.problems.items())


def advisor_of_another_structure() -> RuleViolation:
    return RuleViolation(RuleCode.ADVISOR_OF_ANOTHER_STRUCTURE, ADVISOR_OF_ANOTHER_STRUCTURE_MESSAGE)


def no_smic_violation(territory_name: str, reason: str) -> RuleViolation:
    """The refusal of a contract (or a raise) in a territory where the SMIC does not apply."""
    return RuleViolation(RuleCode.NO_SMIC_IN_TERRITORY, f"{territory_name} : {reason}")


def contract_violations(
    advisor: AdvisorFacts | None, contract: ContractFacts, rules: ContractRules
) -> list[RuleViolation]:
    """Every rule of DESIGN §4 the contract breaks on its start date (empty when it may be signed).

    `advisor` is None when the person is not the structure's to recruit: then that is all that is said
    of them, and their own eligibility is not looked at (its messages would tell their age).
    """
    violations: list[RuleViolation] = []
    if advisor is None:
        violations.append(advisor_of_another_structure())
    else:
        violations.extend(_eligibility_violations(advisor, contract.start_date, rules.ages))
    mediator = _mediator_violation(contract, rules.mediator_cases)
    if mediator is not None:
        violations.append(mediator)
    violations.extend(_contract_type_violations(contract, rules.employer))
    if contract.weekly_hours != rules.full_time_hours:
        violations.append(
            RuleViolation(
                RuleCode.NOT_FULL_TIME,
                f"Le poste est à temps plein : {rules.full_time_hours} heures par semaine, "
                f"et non {contract.weekly_hours.normalize():f}.",
            )
        )
    below = salary_violation(contract.gross_monthly_salary, rules.smic)
    if below is not None:
        violations.append(below)
    if contract.existing_cdi_employee and contract.contract_type not in MOVABLE_TYPES:
        violations.append(
            RuleViolation(
                RuleCode.CDD_FOR_CDI_EMPLOYEE,
                "Cette personne est déjà en CDI dans la structure : elle rejoint le poste par un avenant à "
                "son contrat de travail (type « cdi », ou « titulaire » pour un fonctionnaire d'un employeur "
                "public), pas par un nouveau contrat à durée déterminée.",
            )
        )
    return violations


def _eligibility_violations(advisor: AdvisorFacts, start: date, ages: AgeRange) -> list[RuleViolation]:
    violations: list[RuleViolation] = []
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
    return violations


def _mediator_violation(contract: ContractFacts, allowed: tuple[MediatorCase, ...]) -> RuleViolation | None:
    """Someone already in post as a digital mediator takes the post only in the cases the programme opens."""
    if not contract.already_digital_mediator or contract.mediator_case in allowed:
        return None
    if allowed:
        cases = " ; ".join(MEDIATOR_CASE_LABELS[case] for case in allowed)
        open_cases = f"que dans l'un de ces cas : {cases}"
    else:
        open_cases = "dans aucun cas"
    if contract.mediator_case is None:
        said = "Précisez lequel (mediator_case)." if allowed else ""
    else:
        said = f"Le cas déclaré (« {MEDIATOR_CASE_LABELS[contract.mediator_case]} ») n'en est pas un."
    return RuleViolation(
        RuleCode.MEDIATOR_ALREADY_IN_POST,
        f"Cette personne est déjà médiatrice numérique en poste : pour un contrat commençant le "
        f"{format_date_fr(contract.start_date)}, elle ne peut occuper le poste {open_cases}. {said}".rstrip(),
    )


def _contract_type_violations(contract: ContractFacts, employer: ContractTypeRules) -> list[RuleViolation]:
    violations: list[RuleViolation] = []
    allowed = tuple(ContractType(code) for code in employer.allowed_types)
    where = _EMPLOYER_LABELS[StructureKind(employer.kind)]
    # An avenant to an existing CDI recruits nobody: FAQ 14kt7ki opens that path to every employer
    # (a public one's CDI agent included), whatever the types open to a new recruitment.
    moved_by_avenant = contract.existing_cdi_employee and contract.contract_type is ContractType.CDI
    if contract.contract_type not in allowed and not moved_by_avenant:
        violations.append(
            RuleViolation(
                RuleCode.CONTRACT_TYPE_NOT_ALLOWED,
                f"Le type de contrat « {CONTRACT_TYPE_LABELS[contract.contract_type]} » n'est pas ouvert à "
                f"une {where} ; types possibles : {_one_of(CONTRACT_TYPE_LABELS[code] for code in allowed)}.",
            )
        )
    maximum = employer.cdd_maximum_months
    end = contract.end_date
    if contract.contract_type is ContractType.CDD and maximum is not None and end is not None:
        # DESIGN §3: months are added calendar-wise; a contract of N months ends the day before the
        # same date N months on (1 March + 18 months: 31 August), like a convention.
        last_day = add_months(contract.start_date, maximum) - timedelta(days=1)
        if end > last_day:
            violations.append(
                RuleViolation(
                    RuleCode.CDD_TOO_LONG,
                    f"Un CDD d'une {where} dure au plus {maximum} mois : commencé le "
                    f"{format_date_fr(contract.start_date)}, il finit au plus tard le "
                    f"{format_date_fr(last_day)}, et non le {format_date_fr(end)}.",
                )
            )
    return violations


def _one_of(labels: Iterable[str]) -> str:
    items = list(labels)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


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


@dataclass(frozen=True)
class AvenantFacts:
    """What the employment-contract avenant of an existing employee states, as the employer declared it
    (texts stripped, blanks as None)."""

    existing_employee: bool
    contract_type: ContractType
    start_date: date
    original_contract_start_date: date | None
    place_of_work: str | None
    line_manager: str | None
    classification: str | None
    collective_agreement: str | None
    public_status: PublicStatus | None


_NOT_APPLICABLE = (
    "Sans objet : la personne n'est pas déjà employée en CDI par la structure (existing_cdi_employee)."
)


def avenant_problems(facts: AvenantFacts, employer: StructureKind) -> dict[str, list[str]]:
    """Field errors on what the avenant states (decision 0026): an existing employee's avenant names the
    original contract's start, the place of work, the line manager and the classification; a private
    employer's names its collective agreement, a public employer's the agent's status, which must be the
    one the contract type records. A public employer has no collective agreement (its agents come under
    the civil service's rules), a private one no public status; the original contract and the public
    status mean nothing for a new recruitment."""
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    public = employer is StructureKind.PUBLIC
    if public and facts.collective_agreement is not None:
        problem(
            "collective_agreement",
            "Sans objet pour un employeur public : ses agents relèvent du statut de la fonction publique, "
            "non d'une convention collective.",
        )
    if not public and facts.public_status is not None:
        problem("public_status", "Sans objet pour un employeur privé : le contrat est de droit privé.")
    if not facts.existing_employee:
        if facts.original_contract_start_date is not None:
            problem("original_contract_start_date", _NOT_APPLICABLE)
        if public and facts.public_status is not None:
            problem("public_status", _NOT_APPLICABLE)
        return problems
    required = (
        "Obligatoire pour l'avenant au contrat de travail d'une personne déjà employée par la structure."
    )
    original = facts.original_contract_start_date
    if original is None:
        problem("original_contract_start_date", required)
    elif original >= facts.start_date:
        problem(
            "original_contract_start_date",
            "Le contrat d'origine doit avoir commencé avant la prise de poste "
            f"({format_date_fr(facts.start_date)}).",
        )
    for field, value in (
        ("place_of_work", facts.place_of_work),
        ("line_manager", facts.line_manager),
        ("classification", facts.classification),
    ):
        if value is None:
            problem(field, required)
    if not public and facts.collective_agreement is None:
        problem(
            "collective_agreement",
            "Obligatoire pour un employeur privé : la convention collective applicable au contrat "
            "(ou « aucune »).",
        )
    if public:
        status = facts.public_status
        if status is None:
            problem(
                "public_status",
                "Obligatoire pour un employeur public : « contractuel » (agent en CDI de droit public) ou "
                "« titulaire » (fonctionnaire).",
            )
        elif (
            facts.contract_type in MOVABLE_TYPES
            and facts.contract_type is not PUBLIC_STATUS_CONTRACT_TYPES[status]
        ):
            expected = PUBLIC_STATUS_CONTRACT_TYPES[status]
            problem(
                "public_status",
                f"Un {PUBLIC_STATUS_LABELS[status]} rejoint le poste avec le type de contrat "
                f"« {expected.value} », et non « {facts.contract_type.value} ».",
            )
    return problems
