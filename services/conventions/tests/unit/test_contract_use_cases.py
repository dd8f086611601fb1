"""Advisors, candidates and contracts on the fake unit of work: the signing rules of DESIGN §4.

The SMIC is worked out here from its rule (hourly rate × weekly hours × 52 ÷ 12, to the cent), reading
the raw parameters of the day.
"""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.core.errors import Conflict, Invalid, NotFound
from cnum_shared.core.legal import Wave
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.contracts import ContractRefused, ContractType, EndReason, InvalidContract
from conventions.service_layer import commands
from conventions.service_layer.contracts import (
    AdvisorNotFound,
    UnknownAdvisor,
    create_advisor,
    end_contract,
    get_advisor,
    present_candidate,
    raise_salary,
    select_candidate,
    sign_contract,
)
from conventions.service_layer.conventions import create_convention, sign_convention
from conventions.service_layer.structures import create_structure
from services.conventions.tests.unit.fakes import FakeUnitOfWork

START = date(2021, 4, 1)


def smic_monthly(uow: FakeUnitOfWork, on: date) -> Decimal:
    hourly = uow.parameters.get("smic.hourly.metropole").at(on).as_decimal()
    hours = uow.parameters.get("smic.weekly_hours").at(on).as_decimal()
    return (hourly * hours * 52 / 12).quantize(Decimal("0.01"))


@pytest.fixture
def uow():
    return FakeUnitOfWork()


@pytest.fixture
def structure(uow):
    return create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[0], on=date(2021, 2, 1)))


def convention_of(uow, structure, *, posts=1, sign=True):
    convention = create_convention(
        uow, commands.CreateConvention(structure.id, Wave.INITIAL, posts, date(2021, 3, 1), 24)
    )
    if sign:
        sign_convention(uow, commands.SignConvention(convention.id, date(2021, 3, 10)))
    return convention


def advisor_of(uow, structure, **facts):
    return create_advisor(
        uow,
        commands.CreateAdvisor(
            structure.id,
            "Léa",
            "Martin",
            facts.pop("birth_date", date(1995, 6, 1)),
            "lea@example.org",
            **facts,
        ),
    )


def contract_for(convention, advisor, **changes):
    fields = {
        "convention_id": convention.id,
        "advisor_id": advisor.id,
        "contract_type": ContractType.CDD,
        "start_date": START,
        "end_date": date(2023, 2, 28),
        "weekly_hours": Decimal(35),
        "gross_monthly_salary": Decimal("1700.00"),
        "signed_on": date(2021, 3, 20),
    }
    return commands.SignContract(**{**fields, **changes})


def test_a_contract_is_signed_on_a_post_and_tells_the_other_services(uow, structure):
    convention, advisor = convention_of(uow, structure), advisor_of(uow, structure)

    contract = sign_contract(uow, contract_for(convention, advisor))

    assert uow.contracts.get(contract.id) is contract
    [event] = uow.outbox.of_type("contract.signed")
    assert (event["contract_id"], event["advisor_id"], event["contract_type"]) == (
        contract.id,
        advisor.id,
        "cdd",
    )
    assert event["structure"]["name"] == structure.name


def test_a_post_taken_by_an_active_contract_is_refused_until_it_ends(uow, structure):
    convention = convention_of(uow, structure, posts=1)
    first = sign_contract(uow, contract_for(convention, advisor_of(uow, structure)))
    second = advisor_of(uow, structure, birth_date=date(1990, 1, 1))

    with pytest.raises(Conflict) as refused:
        sign_contract(uow, contract_for(convention, second, start_date=date(2021, 9, 1)))
    assert (
        refused.value.message
        == "La convention compte 1 poste(s), tous occupés par un contrat actif le 01/09/2021."
    )

    end_contract(uow, commands.EndContract(first.id, date(2021, 8, 31), EndReason.RESIGNATION))
    # The rule of DESIGN §3: active on D when start ≤ D ≤ the day it ended; from 1 September the post is free.
    sign_contract(uow, contract_for(convention, second, start_date=date(2021, 9, 1)))
    assert [kind for kind, _ in uow.outbox.events[-3:]] == [
        "contract.signed",
        "contract.ended",
        "contract.signed",
    ]


def test_no_contract_on_a_draft_convention(uow, structure):
    convention = convention_of(uow, structure, sign=False)

    with pytest.raises(Conflict) as refused:
        sign_contract(uow, contract_for(convention, advisor_of(uow, structure)))

    assert refused.value.message == "La convention doit être signée et en cours pour recruter sur ses postes."


def test_a_salary_under_the_smic_is_refused_with_the_smic_of_the_day(uow, structure):
    convention, advisor = convention_of(uow, structure), advisor_of(uow, structure)
    smic = smic_monthly(uow, START)

    with pytest.raises(ContractRefused) as refused:
        sign_contract(uow, contract_for(convention, advisor, gross_monthly_salary=smic - Decimal("0.01")))

    assert [rule["code"] for rule in refused.value.errors["rules"]] == ["below_smic"]
    assert refused.value.errors["smic_monthly"] == str(smic)
    assert uow.contracts.all() == []


def test_every_broken_rule_is_named_at_once(uow, structure):
    convention = convention_of(uow, structure)
    advisor = advisor_of(uow, structure, is_retired=True, in_civic_service=True)

    with pytest.raises(ContractRefused) as refused:
        sign_contract(uow, contract_for(convention, advisor, weekly_hours=Decimal(30)))

    assert [violation.code.value for violation in refused.value.violations] == [
        "retired",
        "civic_service",
        "not_full_time",
    ]
    assert refused.value.message == " ".join(rule["message"] for rule in refused.value.errors["rules"])


def test_another_structures_advisor_is_refused_and_an_unknown_one_is_invalid(uow, structure):
    convention = convention_of(uow, structure)
    other = create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[1], on=date(2021, 2, 1)))

    with pytest.raises(ContractRefused) as refused:
        sign_contract(uow, contract_for(convention, advisor_of(uow, other)))
    assert [violation.code.value for violation in refused.value.violations] == [
        "advisor_of_another_structure"
    ]

    with pytest.raises(UnknownAdvisor) as unknown:
        present_candidate(uow, commands.PresentCandidate(convention.id, uuid.uuid4(), date(2021, 3, 15)))
    assert unknown.value.errors == {"json": {"advisor_id": ["Conseiller inconnu."]}}

    # A structure user asks: the unknown id is answered as another structure's advisor.
    with pytest.raises(ContractRefused):
        present_candidate(
            uow,
            commands.PresentCandidate(
                convention.id, uuid.uuid4(), date(2021, 3, 15), unknown_advisor_as_foreign=True
            ),
        )


def test_a_fixed_term_contract_needs_its_end(uow, structure):
    convention, advisor = convention_of(uow, structure), advisor_of(uow, structure)

    with pytest.raises(InvalidContract) as refused:
        sign_contract(uow, contract_for(convention, advisor, end_date=None, signed_on=date(2021, 4, 2)))

    assert refused.value.message == "Contrat invalide."
    assert refused.value.errors == {
        "json": {
            "end_date": ["Obligatoire pour un contrat à durée déterminée."],
            "signed_on": ["Le contrat doit être signé au plus tard le jour de son début."],
        }
    }


def test_a_candidate_is_presented_once_and_selected_after(uow, structure):
    convention, advisor = convention_of(uow, structure), advisor_of(uow, structure)

    candidate = present_candidate(
        uow, commands.PresentCandidate(convention.id, advisor.id, date(2021, 3, 15))
    )
    with pytest.raises(Conflict) as again:
        present_candidate(uow, commands.PresentCandidate(convention.id, advisor.id, date(2021, 3, 16)))
    with pytest.raises(Invalid):
        select_candidate(uow, commands.SelectCandidate(candidate.id, date(2021, 3, 14)))
    select_candidate(uow, commands.SelectCandidate(candidate.id, date(2021, 3, 20)))

    assert again.value.message == "Ce candidat a déjà été présenté pour cette convention."
    assert candidate.selected_on == date(2021, 3, 20)
    assert [kind for kind, _ in uow.outbox.events[-2:]] == ["candidate.presented", "candidate.selected"]


def test_a_raise_falls_during_the_contract_and_above_the_smic(uow, structure):
    contract = sign_contract(uow, contract_for(convention_of(uow, structure), advisor_of(uow, structure)))

    with pytest.raises(InvalidContract) as outside:
        raise_salary(uow, commands.RaiseSalary(contract.id, Decimal("1800.00"), date(2023, 3, 1), "legal-1"))
    change = raise_salary(
        uow, commands.RaiseSalary(contract.id, Decimal("1800.00"), date(2022, 1, 1), "legal-1")
    )

    assert outside.value.errors == {"json": {"effective_on": ["La date doit tomber pendant le contrat."]}}
    assert contract.gross_monthly_salary == Decimal("1800.00")
    assert uow.contracts.salary_changes == [change]
    [event] = uow.outbox.of_type("contract.salary_changed")
    assert event["effective_on"] == date(2022, 1, 1)


def test_an_ended_contract_cannot_end_again(uow, structure):
    contract = sign_contract(uow, contract_for(convention_of(uow, structure), advisor_of(uow, structure)))
    end_contract(uow, commands.EndContract(contract.id, date(2022, 1, 31), EndReason.DISMISSAL))

    with pytest.raises(Conflict) as refused:
        end_contract(uow, commands.EndContract(contract.id, date(2022, 2, 28), EndReason.DISMISSAL))

    assert refused.value.message == "Ce contrat est déjà terminé."


def test_a_structure_sees_only_its_own_advisors(uow, structure):
    advisor = advisor_of(uow, structure)

    assert get_advisor(uow, advisor.id, viewer_structure_id=structure.id) is advisor
    with pytest.raises(AdvisorNotFound) as refused:
        get_advisor(uow, advisor.id, viewer_structure_id=uuid.uuid4())
    assert isinstance(refused.value, NotFound)
    assert refused.value.message == "Conseiller introuvable."
