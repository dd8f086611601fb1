"""Activity reports imported on the fake unit of work: all or none, idempotent, months fulfilled."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.domain.obligations import ObligationKind, ObligationStatus
from compliance.service_layer.activity_reports import import_activity_reports, parse_csv
from compliance.service_layer.commands import ImportActivityReports, ScanObligations
from compliance.service_layer.errors import InvalidRecord
from compliance.service_layer.scan import scan_obligations
from services.compliance.tests.unit.fakes import FakeUnitOfWork, of_kind, signed_contract, signed_convention

TODAY = date(2026, 3, 2)


def _row(contract, external_id="cra-1", day="2026-01-20", **changes):
    return {
        "external_id": external_id,
        "contract_id": str(contract.contract_id),
        "date": day,
        "kind": "atelier",
        "duration_minutes": 90,
        "participants": 4,
        **changes,
    }


def _situation():
    uow = FakeUnitOfWork()
    convention = signed_convention(uow, signed_on=date(2024, 9, 2), end_date=date(2027, 9, 1))
    contract = signed_contract(
        uow, convention, signed_on=date(2026, 1, 5), start_date=date(2026, 1, 5), end_date=date(2026, 12, 31)
    )
    scan_obligations(uow, ScanObligations(TODAY))
    return uow, contract


def test_a_report_fulfils_its_month_and_a_reimport_is_skipped():
    uow, contract = _situation()
    [january] = [o for o in of_kind(uow, ObligationKind.ACTIVITY_REPORTING) if o.period == date(2026, 1, 1)]
    assert january.status is ObligationStatus.OVERDUE
    report = import_activity_reports(uow, ImportActivityReports((_row(contract),), TODAY))
    assert (report.imported, report.already_known, report.fulfilled) == (1, 0, 1)
    assert january.status is ObligationStatus.FULFILLED
    assert uow.history.of(january.id)[-1].reason == "compte rendu d'activité de 01/2026"
    again = import_activity_reports(uow, ImportActivityReports((_row(contract),), TODAY))
    assert (again.imported, again.already_known, again.fulfilled) == (0, 1, 0)


def test_bad_rows_are_refused_all_together_with_their_line():
    uow, contract = _situation()
    rows = (
        _row(contract),
        _row(contract, "cra-2", day="2025-12-31"),
        _row(contract, "cra-3", day="2026-03-03", participants=0),
        _row(contract, "cra-1"),
    )
    with pytest.raises(InvalidRecord) as refused:
        import_activity_reports(uow, ImportActivityReports(rows, TODAY))
    assert refused.value.errors == {
        "json": {
            "ligne 3": ["date hors du contrat"],
            "ligne 4": ["date dans le futur", "participants hors des bornes (1-1000)"],
            "ligne 5": ["external_id en double dans le fichier"],
        }
    }
    assert uow.activity_reports.rows == []


def test_another_structures_contract_is_an_unknown_one():
    uow, contract = _situation()
    with pytest.raises(InvalidRecord) as refused:
        import_activity_reports(
            uow, ImportActivityReports((_row(contract),), TODAY, structure_id=contract.convention_id)
        )
    assert refused.value.errors == {"json": {"ligne 2": ["contrat inconnu"]}}


def test_a_csv_needs_the_documented_header():
    assert parse_csv(
        b"external_id,contract_id,date,kind,duration_minutes,participants\r\nx,y,2026-01-01,a,1,1\r\n"
    ) == [
        {
            "external_id": "x",
            "contract_id": "y",
            "date": "2026-01-01",
            "kind": "a",
            "duration_minutes": "1",
            "participants": "1",
        }
    ]
    with pytest.raises(InvalidRecord) as refused:
        parse_csv(b"id,date\r\n")
    assert refused.value.errors == {
        "json": {
            "file": ["En-tête attendu : external_id,contract_id,date,kind,duration_minutes,participants"]
        }
    }
