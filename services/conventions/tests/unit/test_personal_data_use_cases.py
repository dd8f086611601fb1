"""The personal-data purge and export on the fake unit of work (DESIGN §5).

A person's data is kept for the retention years in force on the day their last file ended (a dated
parameter, read raw here), counted in calendar years, and erased from the next day.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from cnum_shared.core.legal import Wave
from conventions.adapters.orm import GeneratedDocument
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.contracts import ContractType
from conventions.domain.conventions import ConventionAction
from conventions.service_layer import commands
from conventions.service_layer.contracts import (
    AdvisorNotFound,
    create_advisor,
    present_candidate,
    sign_contract,
)
from conventions.service_layer.conventions import create_convention, end_convention, sign_convention
from conventions.service_layer.personal_data import export_personal_data, purge_personal_data
from conventions.service_layer.structures import create_structure
from services.conventions.tests.unit.fakes import FakeUnitOfWork

CLOSED_ON = date(2023, 2, 28)


@pytest.fixture
def uow():
    return FakeUnitOfWork()


@pytest.fixture
def hired(uow):
    """Léa, presented and hired on a convention of Saint-Flour closed on CLOSED_ON; her contract avenant
    and the convention's document are stored."""
    structure = create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[0], on=date(2021, 2, 1)))
    convention = create_convention(
        uow, commands.CreateConvention(structure.id, Wave.INITIAL, 1, date(2021, 3, 1), 24)
    )
    sign_convention(uow, commands.SignConvention(convention.id, date(2021, 3, 10)))
    advisor = create_advisor(
        uow, commands.CreateAdvisor(structure.id, "Léa", "Martin", date(1995, 6, 1), "lea@example.org")
    )
    present_candidate(uow, commands.PresentCandidate(convention.id, advisor.id, date(2021, 3, 12)))
    contract = sign_contract(
        uow,
        commands.SignContract(
            convention_id=convention.id,
            advisor_id=advisor.id,
            contract_type=ContractType.CDD,
            start_date=date(2021, 4, 1),
            end_date=date(2023, 2, 28),
            weekly_hours=Decimal(35),
            gross_monthly_salary=Decimal("1700.00"),
            signed_on=date(2021, 3, 20),
        ),
    )
    end_convention(uow, commands.EndConvention(convention.id, ConventionAction.CLOSE, CLOSED_ON, "Terme"))
    for template_name, subject, path in (
        ("contract_avenant", contract.id, "documents/avenant.pdf"),
        ("convention", convention.id, "documents/convention.pdf"),
    ):
        uow.personal_data.documents.append(
            GeneratedDocument(
                id=uuid.uuid4(),
                template_name=template_name,
                subject_id=subject,
                convention_id=convention.id,
                path=path,
                purged_on=None,
            )
        )
        uow.files.write(path, b"%PDF-1.7")
    return advisor


def last_day_kept(uow) -> date:
    years = uow.parameters.get("personal_data.retention_years_after_closing").at(CLOSED_ON).as_int()
    return CLOSED_ON.replace(year=CLOSED_ON.year + years)


def test_nothing_is_purged_on_the_last_day_kept(uow, hired):
    report = purge_personal_data(uow, commands.PurgePersonalData(last_day_kept(uow)))

    assert (report.advisors_anonymised, report.documents_deleted, report.purge_id) == (0, 0, None)
    assert hired.first_name == "Léa"
    assert uow.personal_data.purges == []


def test_the_day_after_the_person_is_anonymised_and_the_avenant_deleted(uow, hired):
    as_of = last_day_kept(uow) + timedelta(days=1)

    report = purge_personal_data(uow, commands.PurgePersonalData(as_of))

    assert (report.advisors_anonymised, report.documents_deleted, report.files_deleted) == (1, 1, 1)
    assert (hired.first_name, hired.email, hired.anonymised_on) == (
        "Anonymisé",
        "anonymise@anonyme.invalid",
        as_of,
    )
    avenant, convention_document = uow.personal_data.documents
    assert avenant.purged_on == as_of and convention_document.purged_on is None
    assert sorted(uow.files.stored) == ["documents/convention.pdf"]
    [purge] = uow.personal_data.purges
    assert (purge.id, purge.advisors_anonymised, purge.documents_deleted) == (report.purge_id, 1, 1)
    assert hired.purge_id == report.purge_id


def test_a_second_run_changes_nothing_and_leaves_no_trace(uow, hired):
    as_of = last_day_kept(uow) + timedelta(days=1)
    purge_personal_data(uow, commands.PurgePersonalData(as_of))

    again = purge_personal_data(uow, commands.PurgePersonalData(as_of))

    assert (again.advisors_anonymised, again.documents_deleted, again.purge_id) == (0, 0, None)
    assert len(uow.personal_data.purges) == 1


def test_a_person_on_an_open_convention_is_kept(uow):
    structure = create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[0], on=date(2021, 2, 1)))
    convention = create_convention(
        uow, commands.CreateConvention(structure.id, Wave.INITIAL, 1, date(2021, 3, 1), 24)
    )
    sign_convention(uow, commands.SignConvention(convention.id, date(2021, 3, 10)))
    advisor = create_advisor(
        uow, commands.CreateAdvisor(structure.id, "Paul", "Durand", date(1990, 1, 1), "paul@example.org")
    )
    present_candidate(uow, commands.PresentCandidate(convention.id, advisor.id, date(2021, 3, 12)))

    report = purge_personal_data(uow, commands.PurgePersonalData(date(2040, 1, 1)))

    assert report.advisors_anonymised == 0
    assert advisor.anonymised_on is None


def test_the_export_says_how_long_the_data_is_kept_and_is_logged(uow, hired):
    export = export_personal_data(
        uow,
        commands.ExportPersonalData(
            hired.id, date(2024, 1, 1), who="legal-1", role="legal", path="/x", client_address="192.0.2.1"
        ),
    )

    assert export["identity"]["first_name"] == "Léa"
    assert [row["convention_status"] for row in export["contracts"]] == ["closed"]
    assert export["retention"]["kept_until"] == last_day_kept(uow)
    assert [document["template_name"] for document in export["documents"]] == ["contract_avenant"]
    [disclosure] = uow.personal_data.disclosures
    assert (disclosure["who"], disclosure["client_address"]) == ("legal-1", "192.0.2.1")


def test_another_structure_cannot_export_the_person(uow, hired):
    with pytest.raises(AdvisorNotFound):
        export_personal_data(
            uow,
            commands.ExportPersonalData(
                hired.id,
                date(2024, 1, 1),
                who="structure-2",
                role="structure",
                path="/x",
                client_address=None,
                viewer_structure_id=uuid.uuid4(),
            ),
        )

    assert uow.personal_data.disclosures == []
