"""What the employment-contract avenant states (decision 0026): the pure rule on its facts, and the
context a template receives from a contract (`content.contract_avenant_data`), written in French."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cnum_shared.core.legal import StructureKind
from cnum_shared.core.parameters import parameters
from conventions.adapters.document_context import BLANK, template_context
from conventions.adapters.orm import Advisor, Contract, Convention, Structure
from conventions.domain.contracts import AvenantFacts, ContractType, PublicStatus, avenant_problems
from conventions.service_layer.documents.content import contract_avenant_data

TREE = parameters()
START = date(2026, 2, 1)


def facts(**changes: object) -> AvenantFacts:
    values: dict[str, object] = {
        "existing_employee": True,
        "contract_type": ContractType.CDI,
        "start_date": START,
        "original_contract_start_date": date(2019, 9, 2),
        "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
        "line_manager": "Josiane Grondin, directrice de la médiathèque",
        "classification": "adjoint territorial d'animation, échelon 4",
        "collective_agreement": None,
        "public_status": PublicStatus.CONTRACTUEL,
    }
    return AvenantFacts(**{**values, **changes})  # type: ignore[arg-type]


def test_a_public_contractual_agent_and_civil_servant_state_all_that_is_needed():
    servant = facts(contract_type=ContractType.TITULAIRE, public_status=PublicStatus.TITULAIRE)

    assert avenant_problems(facts(), StructureKind.PUBLIC) == {}
    assert avenant_problems(servant, StructureKind.PUBLIC) == {}


def test_a_private_employee_needs_a_collective_agreement_and_has_no_public_status():
    private = facts(public_status=None, collective_agreement="IDCC 1518")

    assert avenant_problems(private, StructureKind.PRIVATE) == {}
    assert list(avenant_problems(facts(public_status=None), StructureKind.PRIVATE)) == [
        "collective_agreement"
    ]
    assert list(avenant_problems(facts(collective_agreement="IDCC 1518"), StructureKind.PRIVATE)) == [
        "public_status"
    ]


def test_the_original_contract_starts_the_day_before_the_move_at_the_latest():
    day_before = facts(original_contract_start_date=date(2026, 1, 31))
    same_day = facts(original_contract_start_date=START)

    assert avenant_problems(day_before, StructureKind.PUBLIC) == {}
    assert list(avenant_problems(same_day, StructureKind.PUBLIC)) == ["original_contract_start_date"]


def test_a_fixed_term_move_is_left_to_the_contract_rules():
    # A CDD for an existing employee is `cdd_for_cdi_employee`, a rule of its own: the status says nothing.
    assert avenant_problems(facts(contract_type=ContractType.CDD), StructureKind.PUBLIC) == {}


def _contract(kind: str, **changes: object) -> tuple[Convention, Contract]:
    structure = Structure(id=uuid.uuid4(), name="Commune du Tampon", kind=kind)
    convention = Convention(id=uuid.uuid4(), reference="CNUM-2024-00042", structure=structure)
    contract = Contract(
        id=uuid.UUID("3f2a1c00-0000-4000-8000-000000000000"),
        advisor=Advisor(first_name="Inès", last_name="Payet", birth_date=date(1990, 5, 4)),
        contract_type="cdi",
        start_date=START,
        weekly_hours=Decimal("35.00"),
        gross_monthly_salary=Decimal("1900.00"),
        signed_on=date(2026, 1, 20),
        **{
            "original_contract_start_date": date(2019, 9, 2),
            "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
            "line_manager": "Josiane Grondin, directrice de la médiathèque",
            "classification": "adjoint territorial d'animation, échelon 4",
            "collective_agreement": None,
            "public_status": "contractuel",
            **changes,
        },
    )
    return convention, contract


def test_the_avenant_s_data_carry_the_facts_and_the_employer_s_law():
    convention, contract = _contract("public")

    data = contract_avenant_data(convention, contract, date(2026, 1, 22), TREE)["contract"]

    assert {key: data[key] for key in ("original_start_date", "place_of_work", "line_manager")} == {
        "original_start_date": date(2019, 9, 2),
        "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
        "line_manager": "Josiane Grondin, directrice de la médiathèque",
    }
    assert data["classification"] == "adjoint territorial d'animation, échelon 4"
    assert (data["collective_agreement"], data["employment_law"], data["public_status"]) == (
        "",
        "public",
        "contractuel",
    )


def _context(convention: Convention, contract: Contract) -> dict[str, str]:
    """The contract's part of the avenant's context (the structure's part is not this test's)."""
    data = {"contract": contract_avenant_data(convention, contract, START, TREE)["contract"]}
    return template_context("contract_avenant", data, tree=TREE)["contract"]


def _context(convention: Convention, contract: Contract) -> dict[str, str]:
    """The contract's part of the avenant's context (the structure's part is not this test's)."""
    data = {"contract": contract_avenant_data(convention, contract, START, TREE)["contract"]}
    return template_context("contract_avenant", data, tree=TREE)["contract"]


def test_the_context_writes_them_in_french_and_leaves_an_old_move_s_blanks_to_fill_in():
    private_convention, private = _contract(
        "private", public_status=None, collective_agreement="Convention collective de l'animation (IDCC 1518)"
    )
    old_convention, old = _contract(
        "public",
        original_contract_start_date=None,
        place_of_work=None,
        line_manager=None,
        classification=None,
    )

    written = _context(private_convention, private)
    blank = _context(old_convention, old)

    assert written["original_start_date"] == "2 septembre 2019"
    assert written["collective_agreement"] == "Convention collective de l'animation (IDCC 1518)"
    assert (written["employment_law"], written["public_status"]) == ("private", "")
    assert [
        blank[key] for key in ("original_start_date", "place_of_work", "line_manager", "classification")
    ] == [BLANK] * 4
