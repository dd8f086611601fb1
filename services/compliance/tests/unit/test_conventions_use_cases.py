"""Obligations opened and settled by conventions' events, on the fake unit of work."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from compliance.domain.obligations import ObligationKind, ObligationStatus
from compliance.service_layer import conventions
from compliance.service_layer.commands import (
    RecordCandidatePresented,
    RecordCandidateSelected,
    RecordContractEnded,
    RecordConventionEnded,
)
from services.compliance.tests.unit.fakes import (
    FakeUnitOfWork,
    contact,
    of_kind,
    signed_contract,
    signed_convention,
)


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (the test's days exist in every month)."""
    total = day.month - 1 + months
    return day.replace(year=day.year + total // 12, month=total % 12 + 1)


def _parameter(uow: FakeUnitOfWork, path: str, on: date) -> int:
    return uow.parameters.get(f"obligations.{path}").at(on).as_int()


def test_a_signed_convention_opens_one_presentation_per_post_and_its_final_report():
    uow = FakeUnitOfWork()
    signed_on, end_date = date(2024, 9, 2), date(2027, 9, 1)
    convention = signed_convention(uow, signed_on=signed_on, end_date=end_date, posts=2)

    presentations = of_kind(uow, ObligationKind.CANDIDATE_PRESENTATION)
    months = _parameter(uow, "candidate_presentation.delay_months", signed_on)
    assert [(o.natural_key.rsplit(":", 1)[1], o.due_on, o.status) for o in presentations] == [
        ("post-001", _months_later(signed_on, months), ObligationStatus.OPEN),
        ("post-002", _months_later(signed_on, months), ObligationStatus.OPEN),
    ]
    [report] = of_kind(uow, ObligationKind.FINAL_REPORT)
    assert report.due_on == _months_later(end_date, _parameter(uow, "final_report.delay_months", end_date))
    # Each opening is the first row of the obligation's history.
    assert [(t.from_status, t.to_status, t.actor) for t in uow.history.of(report.id)] == [
        (None, "open", "conventions")
    ]
    # The structure's standing becomes known: nothing overdue.
    assert uow.outbox.of_type("structure.standing_changed") == [
        {"structure_id": convention.structure_id, "blocking": False, "overdue": [], "as_of": signed_on}
    ]
    assert uow.structures.get(convention.structure_id).email == "inclusion@letampon.example"
    # In the inbox's transaction: the inbox commits, never the use case.
    assert uow.commits == 0


def test_a_replayed_event_opens_nothing_twice():
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    conventions.record_convention_signed(uow, convention)
    assert len(uow.obligations.all()) == 2


def test_a_signed_contract_fills_the_post_and_starts_training_and_equipment_clocks():
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    signed_on = start = date(2026, 1, 5)
    contract = signed_contract(
        uow, convention, signed_on=signed_on, start_date=start, end_date=date(2027, 12, 31)
    )

    [post] = of_kind(uow, ObligationKind.CANDIDATE_PRESENTATION)
    assert post.status is ObligationStatus.FULFILLED and post.advisor_id == contract.advisor_id
    [entry] = of_kind(uow, ObligationKind.TRAINING_ENTRY)
    assert entry.due_on == signed_on + timedelta(days=_parameter(uow, "training_entry.delay_days", signed_on))
    [equipment] = of_kind(uow, ObligationKind.EQUIPMENT)
    # Counted from the contract's first day under the parameters of the signature.
    assert uow.parameters.get("obligations.equipment.counted_from_contract_start").at(signed_on).as_bool()
    assert equipment.due_on == start + timedelta(days=_parameter(uow, "equipment.delay_days", signed_on))
    assert equipment.contract_id == contract.contract_id


def test_a_presented_then_selected_candidate_moves_to_the_contract_signature():
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1), posts=2)
    candidate_id, advisor_id = uuid.uuid4(), uuid.uuid4()
    presented_on, selected_on = date(2024, 10, 10), date(2024, 10, 20)
    presented = RecordCandidatePresented(
        contact(convention.structure_id, 2),
        candidate_id,
        convention.convention_id,
        convention.structure_id,
        advisor_id,
        presented_on,
    )
    conventions.record_candidate_presented(uow, presented)  # type: ignore[arg-type]
    # Presented twice, the advisor still counts for one post.
    conventions.record_candidate_presented(uow, presented)  # type: ignore[arg-type]
    assert [o.status for o in of_kind(uow, ObligationKind.CANDIDATE_PRESENTATION)] == [
        ObligationStatus.FULFILLED,
        ObligationStatus.OPEN,
    ]
    [selection] = of_kind(uow, ObligationKind.CANDIDATE_SELECTION)
    assert selection.due_on == _months_later(
        presented_on, _parameter(uow, "candidate_selection.delay_months", presented_on)
    )
    conventions.record_candidate_selected(  # type: ignore[arg-type]
        uow,
        RecordCandidateSelected(
            contact(convention.structure_id, 3),
            candidate_id,
            convention.convention_id,
            convention.structure_id,
            selected_on,
        ),
    )
    assert selection.status is ObligationStatus.FULFILLED
    [signature] = of_kind(uow, ObligationKind.CONTRACT_SIGNATURE)
    assert signature.due_on == selected_on + timedelta(
        days=_parameter(uow, "contract_signature.delay_days", selected_on)
    )


def test_a_contract_that_ends_waives_its_own_steps_and_opens_the_refill_of_its_post():
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    contract = signed_contract(
        uow, convention, signed_on=date(2026, 1, 5), start_date=date(2026, 1, 5), end_date=date(2027, 12, 31)
    )
    ended_on = date(2026, 3, 10)
    conventions.record_contract_ended(uow, RecordContractEnded(contract.contract_id, ended_on))  # type: ignore[arg-type]

    assert {
        o.kind: o.status
        for o in of_kind(uow, ObligationKind.TRAINING_ENTRY) + of_kind(uow, ObligationKind.EQUIPMENT)
    } == {
        ObligationKind.TRAINING_ENTRY: ObligationStatus.WAIVED,
        ObligationKind.EQUIPMENT: ObligationStatus.WAIVED,
    }
    [refill] = of_kind(uow, ObligationKind.POST_REFILL)
    assert refill.due_on == _months_later(ended_on, _parameter(uow, "post_refill.delay_months", ended_on))
    assert uow.history.of(refill.id)[0].reason == "poste vacant depuis le 2026-03-10"
    # Ended twice (a replay): nothing more.
    conventions.record_contract_ended(uow, RecordContractEnded(contract.contract_id, ended_on))  # type: ignore[arg-type]
    assert len(of_kind(uow, ObligationKind.POST_REFILL)) == 1


def test_a_terminated_convention_waives_the_posts_still_to_fill_and_brings_the_final_report_forward():
    uow = FakeUnitOfWork()
    end_date = date(2027, 9, 1)
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=end_date, posts=2)
    on = date(2025, 6, 1)
    conventions.record_convention_ended(  # type: ignore[arg-type]
        uow, RecordConventionEnded(contact(convention.structure_id, 2), convention.convention_id, True, on)
    )
    assert [o.status for o in of_kind(uow, ObligationKind.CANDIDATE_PRESENTATION)] == [
        ObligationStatus.WAIVED
    ] * 2
    assert uow.conventions.get(convention.convention_id).status == "terminated"
    [report] = of_kind(uow, ObligationKind.FINAL_REPORT)
    assert report.due_on == _months_later(on, _parameter(uow, "final_report.delay_months", on))
