"""The officers' directory on the fake unit of work (decision 0042): addresses stored in lower case and
unique, the account id given once and kept through every change."""

import uuid

import pytest

from conventions.domain.officers import OfficerRole
from conventions.service_layer.commands import CreateOfficer, UpdateOfficer
from conventions.service_layer.officers import (
    DuplicateEmail,
    OfficerNotFound,
    create_officer,
    update_officer,
)
from services.conventions.tests.unit.fakes import FakeUnitOfWork


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def test_an_officer_is_stored_with_a_lower_case_address_and_a_new_account_id(uow):
    officer = create_officer(
        uow,
        CreateOfficer(
            email="  Claire.Martin@Agence.example ", name=" Claire Martin ", role=OfficerRole.LEGAL
        ),
    )

    assert (officer.email, officer.name, officer.role, officer.active) == (
        "claire.martin@agence.example",
        "Claire Martin",
        OfficerRole.LEGAL,
        True,
    )
    assert isinstance(officer.id, uuid.UUID) and uow.commits == 1


def test_the_demo_data_keeps_the_account_id_it_gives(uow):
    account_id = uuid.UUID("859cfd1c-ebfb-493f-a608-543eb8a8a595")

    officer = create_officer(
        uow,
        CreateOfficer(email="claire.martin@agence.example", name="Claire Martin", role=OfficerRole.LEGAL,
                      officer_id=account_id),
    )  # fmt: skip

    assert officer.id == account_id


def test_a_second_officer_with_the_same_address_in_other_case_is_refused(uow):
    create_officer(
        uow, CreateOfficer(email="claire.martin@agence.example", name="Claire", role=OfficerRole.LEGAL)
    )

    with pytest.raises(DuplicateEmail, match=r"claire\.martin@agence\.example"):
        create_officer(
            uow, CreateOfficer(email="CLAIRE.Martin@agence.example", name="Other", role=OfficerRole.FINANCE)
        )
    assert uow.commits == 1


def test_deactivating_and_changing_an_officer_keeps_the_account_id(uow):
    officer = create_officer(
        uow, CreateOfficer(email="claire.martin@agence.example", name="Claire", role=OfficerRole.LEGAL)
    )
    account_id = officer.id

    changed = update_officer(
        uow,
        UpdateOfficer(
            officer_id=account_id, active=False, role=OfficerRole.COMPLIANCE, email="C@Agence.example"
        ),
    )

    assert (changed.id, changed.active, changed.role, changed.email) == (
        account_id,
        False,
        OfficerRole.COMPLIANCE,
        "c@agence.example",
    )


def test_an_unknown_officer_cannot_be_changed(uow):
    with pytest.raises(OfficerNotFound):
        update_officer(uow, UpdateOfficer(officer_id=uuid.uuid4(), active=False))
