"""The daily scan on the fake unit of work: statuses by the calendar, monthly and yearly obligations
set up, the standing published when it changes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from compliance.adapters.orm import TrainingRecord
from compliance.domain.obligations import ObligationKind, ObligationStatus
from compliance.service_layer.commands import ScanObligations
from compliance.service_layer.scan import SCAN, ScanCounts, scan_obligations
from services.compliance.tests.unit.fakes import FakeUnitOfWork, of_kind, signed_contract, signed_convention

SIGNED = date(2026, 1, 5)


def _contract(uow: FakeUnitOfWork):
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    return convention, signed_contract(uow, convention, signed_on=SIGNED, start_date=SIGNED, end_date=None)


def test_the_scan_moves_obligations_by_their_due_date_and_publishes_the_standing_once():
    uow = FakeUnitOfWork()
    convention, _ = _contract(uow)
    as_of = date(2026, 1, 10)
    window = uow.parameters.get("obligations.due_soon_days").at(as_of).as_int()
    [entry] = of_kind(uow, ObligationKind.TRAINING_ENTRY)  # due 20 January
    [equipment] = of_kind(uow, ObligationKind.EQUIPMENT)  # due 5 January, the contract's first day
    [report] = of_kind(uow, ObligationKind.FINAL_REPORT)  # due after the convention's end
    assert entry.due_on <= as_of + timedelta(days=window) and equipment.due_on < as_of
    uow.outbox.events.clear()

    counts = scan_obligations(uow, ScanObligations(as_of))

    assert counts == ScanCounts(created=0, due_soon=1, overdue=1, standings=1)
    assert (entry.status, equipment.status, report.status) == (
        ObligationStatus.DUE_SOON,
        ObligationStatus.OVERDUE,
        ObligationStatus.OPEN,
    )
    moved = uow.history.of(equipment.id)[-1]
    assert (moved.from_status, moved.to_status, moved.actor, moved.reason) == (
        "open",
        "overdue",
        SCAN,
        "échéance dépassée au 2026-01-10",
    )
    assert uow.history.of(entry.id)[-1].reason == f"échéance dans {window} jours au plus"
    assert uow.outbox.of_type("structure.standing_changed") == [
        {
            "structure_id": convention.structure_id,
            "blocking": True,
            "overdue": [{"obligation_id": equipment.id, "kind": "equipment", "due_on": equipment.due_on}],
            "as_of": as_of,
        }
    ]
    assert uow.commits == 1

    # Idempotent: the same day again changes nothing and publishes nothing.
    assert scan_obligations(uow, ScanObligations(as_of)) == ScanCounts(0, 0, 0, 0)
    assert len(uow.outbox.of_type("structure.standing_changed")) == 1


def test_one_activity_reporting_obligation_per_month_over_fulfilled_when_a_report_came():
    uow = FakeUnitOfWork()
    _, contract = _contract(uow)
    uow.activity_reports.add_rows(
        [
            {
                "id": uuid.uuid4(),
                "external_id": "cra-1",
                "contract_id": contract.contract_id,
                "structure_id": contract.structure_id,
                "date": date(2026, 2, 12),
                "kind": "atelier",
                "duration_minutes": 60,
                "participants": 3,
                "created_at": datetime(2026, 2, 12, tzinfo=UTC),
            }
        ]
    )
    as_of = date(2026, 3, 2)

    counts = scan_obligations(uow, ScanObligations(as_of))

    months = sorted(of_kind(uow, ObligationKind.ACTIVITY_REPORTING), key=lambda o: o.period)
    # January and February are over; March is not.
    assert [o.period for o in months] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert (
        uow.parameters.get("obligations.activity_reporting.delay_months").at(date(2026, 1, 31)).as_int() == 1
    )
    # Due one month after the month's last day, on the same day of the month (31 January + 1 month:
    # 28 February, the last there is; 28 February + 1 month: 28 March).
    assert [o.due_on for o in months] == [date(2026, 2, 28), date(2026, 3, 28)]
    assert [o.status for o in months] == [ObligationStatus.OVERDUE, ObligationStatus.FULFILLED]
    assert [t.reason for t in uow.history.of(months[0].id)] == [
        "mois d'activité 01/2026",
        "échéance dépassée au 2026-03-02",
    ]
    assert counts.created == 2
    assert scan_obligations(uow, ScanObligations(as_of)).created == 0


def test_continuing_training_years_are_owed_after_the_thematic_modules_year():
    uow = FakeUnitOfWork()
    _, contract = _contract(uow)
    entered_on = date(2024, 1, 15)
    uow.training.add(
        TrainingRecord(
            id=uuid.uuid4(),
            contract_id=contract.contract_id,
            kind="training_entry",
            date=entered_on,
            hours=None,
            recorded_by="t",
            created_at=datetime(2024, 1, 15, tzinfo=UTC),
        )
    )
    months = uow.parameters.get("obligations.thematic_modules.delay_months").at(entered_on).as_int()
    assert (
        months == 12
    )  # the thematic-modules year ends on 15 January 2025: continuing training from the 16th
    as_of = date(2026, 1, 10)

    scan_obligations(uow, ScanObligations(as_of))

    years = sorted(of_kind(uow, ObligationKind.CONTINUING_TRAINING), key=lambda o: o.period)
    # 2025 (due 31 December 2025, the rule of 2025: no delay after the year's end) and 2026, begun.
    assert [(o.period, o.due_on) for o in years] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert [o.status for o in years] == [ObligationStatus.OVERDUE, ObligationStatus.OPEN]
