"""The contract rules on their own, for parameter values the programme does not have today: a case of
mediator in post withdrawn, none left, and a CDI no longer open to new hires."""

from datetime import date
from decimal import Decimal

from cnum_shared.core.legal import AgeRange, ContractTypeRules, Smic, StructureKind
from cnum_shared.core.territories import SmicZone
from cnum_shared.core.wire import CONTRACT_TYPES, MEDIATOR_CASES
from conventions.domain.contracts import (
    AdvisorFacts,
    ContractFacts,
    ContractRules,
    ContractType,
    MediatorCase,
    RuleCode,
    contract_violations,
)

START = date(2021, 4, 1)
# 10.25 € an hour × 35 × 52 / 12 = 1 554.58 € (décret of 2020-12-16); the salaries below are above it.
SMIC = Smic(SmicZone.METROPOLE, Decimal("10.25"), Decimal("1554.58"), date(2021, 1, 1), "décret")
ADVISOR = AdvisorFacts(
    date(1990, 5, 4), is_retired=False, in_civic_service=False, is_france_services_agent=False
)
PUBLIC_WITHOUT_CDI = ContractTypeRules(StructureKind.PUBLIC, ("cdd", "contrat_de_projet", "titulaire"), None)


def rules(mediator_cases=tuple(MediatorCase), employer=PUBLIC_WITHOUT_CDI):
    return ContractRules(AgeRange(16, 64), 35, SMIC, employer, mediator_cases)


def contract(**changes):
    fields = {
        "contract_type": ContractType.CDD,
        "start_date": START,
        "end_date": date(2023, 2, 28),
        "weekly_hours": Decimal(35),
        "gross_monthly_salary": Decimal("1700.00"),
        "existing_cdi_employee": False,
    } | changes
    return ContractFacts(**fields)


def test_a_case_the_parameters_no_longer_open_is_refused_and_named():
    (refused,) = contract_violations(
        ADVISOR,
        contract(already_digital_mediator=True, mediator_case=MediatorCase.CONTRACT_ENDING),
        rules(mediator_cases=(MediatorCase.PART_TIME,)),
    )

    assert refused.code is RuleCode.MEDIATOR_ALREADY_IN_POST
    assert refused.message == (
        "Cette personne est déjà médiatrice numérique en poste : pour un contrat commençant le 1er avril "
        "2021, elle ne peut occuper le poste que dans l'un de ces cas : elle exerçait à temps non complet. "
        "Le cas déclaré (« son contrat arrive à terme ») n'en est pas un."
    )


def test_with_no_case_left_a_mediator_in_post_is_refused_whatever_they_say():
    (refused,) = contract_violations(
        ADVISOR, contract(already_digital_mediator=True), rules(mediator_cases=())
    )

    assert refused.message == (
        "Cette personne est déjà médiatrice numérique en poste : pour un contrat commençant le 1er avril "
        "2021, elle ne peut occuper le poste dans aucun cas."
    )


def test_an_existing_cdi_employee_moves_by_avenant_even_where_a_new_cdi_is_not_open():
    moved = contract(contract_type=ContractType.CDI, end_date=None, existing_cdi_employee=True)
    hired = contract(contract_type=ContractType.CDI, end_date=None)

    assert contract_violations(ADVISOR, moved, rules()) == []
    assert [violation.code for violation in contract_violations(ADVISOR, hired, rules())] == [
        RuleCode.CONTRACT_TYPE_NOT_ALLOWED
    ]


def test_the_domain_s_codes_are_the_wire_s():
    assert tuple(ContractType) == CONTRACT_TYPES
    assert tuple(MediatorCase) == MEDIATOR_CASES
