"""An officer's decisions and the evidence of an obligation, on the fake unit of work."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from pypdf import PdfWriter

from compliance.domain.obligations import (
    ObligationConflict,
    ObligationEvent,
    ObligationKind,
    ObligationStatus,
)
from compliance.service_layer.commands import AddEvidence, DecideObligation, ScanObligations
from compliance.service_layer.errors import InvalidRecord, ObligationNotFound
from compliance.service_layer.evidence import add_evidence
from compliance.service_layer.obligations import decide_obligation
from compliance.service_layer.scan import scan_obligations
from services.compliance.tests.unit.fakes import (
    FakeFiles,
    FakeUnitOfWork,
    of_kind,
    signed_contract,
    signed_convention,
)

TODAY = date(2026, 3, 2)


def _with_contract() -> tuple[FakeUnitOfWork, object]:
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    signed_contract(uow, convention, signed_on=date(2026, 1, 5), start_date=date(2026, 1, 5), end_date=None)
    [equipment] = of_kind(uow, ObligationKind.EQUIPMENT)
    return uow, equipment


def _decide(uow, obligation, event, reason="vu", due_on=None):
    return decide_obligation(uow, DecideObligation(obligation.id, event, "agent-1", reason, TODAY, due_on))


def test_an_officer_fulfils_an_obligation_with_a_reason_kept_in_its_history():
    uow, equipment = _with_contract()
    decided = _decide(uow, equipment, ObligationEvent.FULFIL, "ordinateur vu sur place")
    assert decided is equipment and equipment.status is ObligationStatus.FULFILLED
    last = uow.history.of(equipment.id)[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        "open",
        "fulfilled",
        "agent-1",
        "ordinateur vu sur place",
    )
    assert uow.commits == 1


def test_waiving_an_overdue_obligation_lifts_the_structures_blocking_standing():
    uow, equipment = _with_contract()
    scan_obligations(uow, ScanObligations(TODAY))  # equipment was due on 5 January
    assert equipment.status is ObligationStatus.OVERDUE
    uow.outbox.events.clear()

    _decide(uow, equipment, ObligationEvent.WAIVE, "poste restitué")

    assert equipment.status is ObligationStatus.WAIVED
    [standing] = uow.outbox.of_type("structure.standing_changed")
    # Still blocking: the training entry (15 days after 5 January) and January's activity report (one
    # month after the month's end) are overdue too, and the equipment is no longer.
    [entry] = of_kind(uow, ObligationKind.TRAINING_ENTRY)
    [january] = [o for o in of_kind(uow, ObligationKind.ACTIVITY_REPORTING) if o.period == date(2026, 1, 1)]
    assert standing["blocking"] is True
    assert {item["obligation_id"] for item in standing["overdue"]} == {entry.id, january.id}


@pytest.mark.parametrize(
    ("first", "message"),
    [(ObligationEvent.FULFIL, "Obligation déjà remplie."), (ObligationEvent.WAIVE, "Obligation déjà levée.")],
)
def test_a_closed_obligation_refuses_any_decision(first, message):
    uow, equipment = _with_contract()
    _decide(uow, equipment, first)
    with pytest.raises(ObligationConflict) as refused:
        _decide(uow, equipment, ObligationEvent.ESCALATE)
    assert (refused.value.status, refused.value.message) == (409, message)
    assert uow.commits == 1


def test_an_extension_moves_the_due_date_later_only():
    uow, equipment = _with_contract()
    with pytest.raises(InvalidRecord) as refused:
        _decide(uow, equipment, ObligationEvent.EXTEND, "arrêt maladie", due_on=equipment.due_on)
    assert refused.value.errors == {
        "json": {"due_on": ["La nouvelle échéance doit être postérieure à l'actuelle."]}
    }
    later = date(2026, 4, 30)
    _decide(uow, equipment, ObligationEvent.EXTEND, "arrêt maladie", due_on=later)
    assert equipment.due_on == later and equipment.status is ObligationStatus.OPEN
    assert uow.history.of(equipment.id)[-1].reason == (
        "échéance reportée du 2026-01-05 au 2026-04-30 : arrêt maladie"
    )


def test_an_escalation_counts_the_request_and_keeps_the_status():
    uow, equipment = _with_contract()
    _decide(uow, equipment, ObligationEvent.ESCALATE, "relancée trois fois")
    assert equipment.status is ObligationStatus.OPEN and equipment.escalation_requests == 1
    assert uow.history.of(equipment.id)[-1].reason == "escalade au chargé de conformité : relancée trois fois"


def test_an_unknown_obligation_is_not_found():
    with pytest.raises(ObligationNotFound) as refused:
        decide_obligation(
            FakeUnitOfWork(), DecideObligation(uuid.uuid4(), ObligationEvent.FULFIL, "agent", "r", TODAY)
        )
    assert (refused.value.status, refused.value.message) == (404, "Obligation introuvable.")


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_evidence_is_kept_as_numbered_revisions_and_never_fulfils_by_itself():
    uow, equipment = _with_contract()
    files = FakeFiles()
    content = _pdf()
    first = add_evidence(uow, AddEvidence(equipment.id, content, "facture.pdf", "structure-1"), files)
    second = add_evidence(uow, AddEvidence(equipment.id, content, "facture-2.pdf", "structure-1"), files)
    assert (first.revision, second.revision) == (1, 2)
    assert (first.media_type, first.size_bytes) == ("application/pdf", len(content))
    assert files.written[second.path] == content
    assert second.path == f"evidence/{equipment.id}/2-{second.sha256}"
    assert equipment.status is ObligationStatus.OPEN
    assert uow.commits == 2


def test_evidence_that_is_not_a_pdf_png_or_jpeg_is_refused_and_not_written():
    uow, equipment = _with_contract()
    files = FakeFiles()
    with pytest.raises(InvalidRecord) as refused:
        add_evidence(uow, AddEvidence(equipment.id, b"<html></html>", "x.pdf", "structure-1"), files)
    assert set(refused.value.errors) == {"files"}
    assert refused.value.message == refused.value.errors["files"]["file"][0]
    assert files.written == {} and uow.commits == 0
