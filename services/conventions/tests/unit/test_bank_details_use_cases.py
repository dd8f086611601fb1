"""A new IBAN on the fake unit of work: asked with the RIB by one officer, confirmed by another."""

import hashlib
import uuid
from datetime import date

import pytest

from cnum_shared.core.errors import Conflict
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.structures import BankDetailsStatus
from conventions.service_layer import commands
from conventions.service_layer.bank_details import (
    BankDetailsChangeNotFound,
    InvalidBankDetails,
    InvalidRib,
    SameOfficer,
    confirm_change,
    request_change,
)
from conventions.service_layer.structures import create_structure
from services.conventions.tests.unit.fakes import FakeUnitOfWork

NEW_IBAN = DEMO_STRUCTURES[1]["iban"]
RIB = b"%PDF-1.7\n a RIB\n%%EOF\n"


@pytest.fixture
def uow():
    return FakeUnitOfWork()


@pytest.fixture
def structure(uow):
    return create_structure(uow, commands.CreateStructure(**DEMO_STRUCTURES[0], on=date(2021, 2, 1)))


def ask(uow, structure, *, iban=NEW_IBAN, rib=RIB, by="legal-1"):
    return request_change(uow, commands.RequestBankDetailsChange(structure.id, iban, None, rib, by))


def test_a_change_waits_for_a_second_officer(uow, structure):
    before = structure.iban

    change = ask(uow, structure)

    assert change.status is BankDetailsStatus.PENDING
    assert structure.iban == before
    assert uow.files.stored[f"ribs/{structure.id}/{hashlib.sha256(RIB).hexdigest()}"] == RIB
    assert change.rib_media_type == "application/pdf"
    assert [t.to_status for t in uow.history.of(change.id)] == ["pending"]
    assert uow.outbox.events[-1][0] == "structure.updated"  # the structure's registration, nothing since
    assert len(uow.outbox.events) == 1


def test_the_officer_who_asked_cannot_confirm(uow, structure):
    change = ask(uow, structure, by="legal-1")

    with pytest.raises(SameOfficer) as refused:
        confirm_change(uow, commands.ConfirmBankDetailsChange(structure.id, change.id, "legal-1"))

    assert refused.value.status == 403
    assert (
        refused.value.message
        == "Un autre agent que le demandeur doit confirmer le changement (double contrôle)."
    )
    assert change.status is BankDetailsStatus.PENDING


def test_a_second_officer_confirms_and_payments_are_told(uow, structure):
    change = ask(uow, structure, by="legal-1")

    confirm_change(uow, commands.ConfirmBankDetailsChange(structure.id, change.id, "finance-2"))

    assert structure.iban == NEW_IBAN
    assert (change.status, change.confirmed_by) == (BankDetailsStatus.CONFIRMED, "finance-2")
    data = uow.outbox.of_type("structure.updated")[-1]
    assert data["iban"] == NEW_IBAN
    confirmed = uow.history.of(change.id)[-1]
    assert (confirmed.from_status, confirmed.to_status, confirmed.actor) == (
        "pending",
        "confirmed",
        "finance-2",
    )


def test_a_confirmed_change_is_not_confirmed_again(uow, structure):
    change = ask(uow, structure)
    confirm_change(uow, commands.ConfirmBankDetailsChange(structure.id, change.id, "finance-2"))

    with pytest.raises(Conflict) as refused:
        confirm_change(uow, commands.ConfirmBankDetailsChange(structure.id, change.id, "finance-3"))

    assert refused.value.status == 409
    assert refused.value.message == "Ce changement de coordonnées bancaires est déjà confirmé."


def test_an_invalid_iban_or_rib_is_refused_before_anything_is_stored(uow, structure):
    with pytest.raises(InvalidBankDetails) as bad_iban:
        ask(uow, structure, iban="FR7630001000000000001510000")
    with pytest.raises(InvalidRib) as bad_rib:
        ask(uow, structure, rib=b"GIF89a")

    assert bad_iban.value.errors == {
        "form": {"iban": ["IBAN invalide (clé de contrôle ou format incorrect)."]}
    }
    assert bad_rib.value.message == "Le RIB doit être un PDF, un PNG ou un JPEG : format non reconnu"
    assert bad_rib.value.errors == {"files": {"file": [bad_rib.value.message]}}
    assert uow.files.stored == {}
    assert uow.bank_details.all() == []


def test_a_change_of_another_structure_is_not_found(uow, structure):
    change = ask(uow, structure)

    with pytest.raises(BankDetailsChangeNotFound) as refused:
        confirm_change(uow, commands.ConfirmBankDetailsChange(uuid.uuid4(), change.id, "finance-2"))

    assert refused.value.message == "Changement de coordonnées bancaires introuvable."
