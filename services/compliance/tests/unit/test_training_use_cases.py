"""Training records and exemptions on the fake unit of work."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from compliance.domain.obligations import ObligationKind, ObligationStatus
from compliance.service_layer.commands import RecordExemption, RecordTraining
from compliance.service_layer.errors import ContractNotFound, InvalidRecord, RecordConflict
from compliance.service_layer.training import record_exemption, record_training
from services.compliance.tests.unit.fakes import (
    FakeFiles,
    FakeUnitOfWork,
    of_kind,
    signed_contract,
    signed_convention,
)

SIGNED = date(2025, 1, 6)
TODAY = date(2025, 6, 2)


def _contract(uow: FakeUnitOfWork):
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    return signed_contract(uow, convention, signed_on=SIGNED, start_date=SIGNED, end_date=None)


def _record(uow, contract, kind, on, hours=None, structure_id=None):
    return record_training(
        uow, RecordTraining(contract.contract_id, kind, on, hours, "agent", TODAY, structure_id)
    )


def test_the_training_entry_fulfils_its_obligation_and_opens_the_thematic_modules_year():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    entered_on = date(2025, 1, 13)
    _record(uow, contract, "training_entry", entered_on)
    [entry] = of_kind(uow, ObligationKind.TRAINING_ENTRY)
    assert entry.status is ObligationStatus.FULFILLED
    [modules] = of_kind(uow, ObligationKind.THEMATIC_MODULES)
    months = uow.parameters.get("obligations.thematic_modules.delay_months").at(entered_on).as_int()
    assert months == 12 and modules.due_on == date(2026, 1, 13)
    assert uow.commits == 1


def test_the_exams_open_at_the_training_end_and_are_fulfilled_by_pix_and_ccp1_both():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    _record(uow, contract, "training_end", date(2025, 3, 3))
    [exams] = of_kind(uow, ObligationKind.CERTIFICATION_EXAMS)
    _record(uow, contract, "pix", date(2025, 4, 1))
    assert exams.status is ObligationStatus.OPEN
    _record(uow, contract, "ccp1", date(2025, 4, 2))
    assert exams.status is ObligationStatus.FULFILLED
    assert uow.history.of(exams.id)[-1].reason == "Pix et CCP1 passés"


def test_two_thematic_modules_fulfil_the_modules_year():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    _record(uow, contract, "training_entry", date(2025, 1, 13))
    [modules] = of_kind(uow, ObligationKind.THEMATIC_MODULES)
    count = uow.parameters.get("obligations.thematic_modules.count").at(date(2025, 3, 1)).as_int()
    for day in range(count):
        assert modules.status is ObligationStatus.OPEN
        _record(uow, contract, "module", date(2025, 3, 1) + timedelta(days=day), hours=7)
    assert modules.status is ObligationStatus.FULFILLED
    assert uow.history.of(modules.id)[-1].reason == f"{count} modules thématiques suivis"


@pytest.mark.parametrize(
    ("kind", "on", "hours", "problems"),
    [
        ("module", date(2025, 3, 1), 10, {"hours": ["Un module thématique dure 7 ou 14 heures."]}),
        ("pix", date(2024, 12, 31), None, {"date": ["Antérieure au début du contrat."]}),
        (
            "pix",
            TODAY + timedelta(days=1),
            None,
            {"date": ["Une formation se déclare une fois suivie, pas à l'avance."]},
        ),
    ],
)
def test_a_wrong_record_is_refused_with_its_field(kind, on, hours, problems):
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    with pytest.raises(InvalidRecord) as refused:
        _record(uow, contract, kind, on, hours)
    assert refused.value.errors == {"json": problems}
    assert uow.training.rows == [] and uow.commits == 0


def test_a_structure_records_only_on_its_own_contracts():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    other = _contract(uow)
    with pytest.raises(InvalidRecord) as refused:
        _record(uow, contract, "pix", date(2025, 4, 1), structure_id=other.structure_id)
    assert refused.value.errors == {"json": {"contract_id": ["Contrat inconnu du suivi des obligations."]}}


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4)).save(output, format="PNG")
    return output.getvalue()


def test_an_exemption_lifts_the_initial_training_and_the_exams_and_is_kept_once():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    files = FakeFiles()
    command = RecordExemption(
        contract.contract_id, "ccp1", date(2023, 6, 1), _png(), "ccp1.png", "agent", TODAY
    )
    recorded = record_exemption(uow, command, files)
    [entry] = of_kind(uow, ObligationKind.TRAINING_ENTRY)
    assert [o.id for o in recorded.lifted] == [entry.id] and entry.status is ObligationStatus.WAIVED
    assert uow.history.of(entry.id)[-1].reason == (
        "dispense de formation initiale : titulaire du CCP1 du titre professionnel "
        f"(obtenu le 2023-06-01, justificatif SHA-256 {recorded.exemption.sha256})"
    )
    assert files.written == {
        f"exemptions/{contract.contract_id}/{recorded.exemption.sha256}": command.content
    }
    # The training end of an exempted advisor opens no exams.
    _record(uow, contract, "training_end", date(2025, 3, 3))
    assert of_kind(uow, ObligationKind.CERTIFICATION_EXAMS) == []
    with pytest.raises(RecordConflict) as again:
        record_exemption(uow, command, files)
    assert again.value.message == "Une dispense de formation initiale est déjà enregistrée pour ce contrat."


def test_an_exemption_on_an_unknown_contract_or_in_the_future_is_refused():
    uow = FakeUnitOfWork()
    contract = _contract(uow)
    future = RecordExemption(
        contract.contract_id, "title", TODAY + timedelta(days=1), _png(), "t.png", "a", TODAY
    )
    with pytest.raises(InvalidRecord) as refused:
        record_exemption(uow, future, FakeFiles())
    assert refused.value.errors == {
        "form": {"obtained_on": ["Une certification se déclare une fois obtenue, pas à l'avance."]}
    }
    unknown = RecordExemption(contract.structure_id, "title", TODAY, _png(), "t.png", "a", TODAY)
    with pytest.raises(ContractNotFound):
        record_exemption(uow, unknown, FakeFiles())
