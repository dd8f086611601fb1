"""The data the issue-15 migrations move, on SQLite and PostgreSQL: conventions 0011 gives advisors
without a structure that of their first contract or presentation (and its downgrade takes it back);
compliance 0006 gives each activity report its contract's structure (and its downgrade keeps, of an
external id two structures share, the earliest report)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from cnum_shared.core.clock import FixedClock
from cnum_shared.framework.db import create_database_engine, downgrade_database, upgrade_database
from cnum_shared.testing import bearer, post_event, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS


def call(client, method, path, expected, json=None, role="legal", **claims):
    response = client.open(f"/api/v1{path}", method=method, json=json, headers=bearer(role, **claims))
    assert response.status_code == expected, response.get_json()
    return response.get_json()


def rows(url, query):
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [
                tuple(str(value) if value is not None else None for value in row)
                for row in connection.execute(text(query))
            ]
    finally:
        engine.dispose()


def execute(url, statement):
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def hex_free(value):
    return str(uuid.UUID(str(value)))


def test_conventions_0011_gives_presented_or_hired_advisors_their_structure(
    db_backend, test_databases, tmp_path
):
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path) as app:
        client = app.test_client()
        structure = call(client, "POST", "/structures", 201, DEMO_STRUCTURES[0])
        convention = call(
            client,
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structure["id"],
                "wave": "initial",
                "posts": 2,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
        )
        call(client, "POST", f"/conventions/{convention['id']}/sign", 200, {"signed_on": "2021-03-15"})
        person = {"last_name": "Payet", "birth_date": "1990-05-04", "email": "p@example.org"}
        hired, presented, idle = (
            call(
                client,
                "POST",
                "/advisors",
                201,
                {**person, "first_name": name, "structure_id": structure["id"]},
            )
            for name in ("Inès", "Léa", "Théo")
        )
        call(
            client,
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": hired["id"],
                "contract_type": "cdi",
                "start_date": "2021-04-01",
                "weekly_hours": "35",
                "gross_monthly_salary": "1700.00",
                "signed_on": "2021-03-25",
            },
        )
        call(
            client,
            "POST",
            f"/conventions/{convention['id']}/candidates",
            201,
            {"advisor_id": presented["id"], "presented_on": "2021-03-20"},
        )
    # Before 0011, a legal officer's registrations had no structure.
    downgrade_database(url, CONVENTIONS_MIGRATIONS, "0010")
    execute(url, "UPDATE advisors SET structure_id = NULL")

    upgrade_database(url, CONVENTIONS_MIGRATIONS)
    after = {hex_free(a): s and hex_free(s) for a, s in rows(url, "SELECT id, structure_id FROM advisors")}
    listed = {
        hex_free(a): (hex_free(s), source)
        for a, s, source in rows(
            url, "SELECT advisor_id, structure_id, source FROM advisor_structure_backfills"
        )
    }
    downgrade_database(url, CONVENTIONS_MIGRATIONS, "0010")
    undone = {hex_free(a): s for a, s in rows(url, "SELECT id, structure_id FROM advisors")}

    assert after == {hired["id"]: structure["id"], presented["id"]: structure["id"], idle["id"]: None}
    assert listed == {
        hired["id"]: (structure["id"], "contract"),
        presented["id"]: (structure["id"], "candidate"),
    }
    assert undone == {hired["id"]: None, presented["id"]: None, idle["id"]: None}


def test_compliance_0006_gives_reports_their_structure_and_its_downgrade_keeps_the_earliest(
    db_backend, test_databases, tmp_path
):
    url = test_databases.fresh("compliance", db_backend, COMPLIANCE_MIGRATIONS)
    contracts = []
    with service_app(create_compliance, url, tmp_path) as app:
        app.extensions["cnum"].clock = FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        client = app.test_client()
        for sequence, name in enumerate(("Commune du Tampon", "Association Lien numérique"), start=1):
            structure_id, convention_id, contract_id = (str(uuid.uuid4()) for _ in range(3))
            details = {
                "name": name,
                "kind": "public",
                "department": "974",
                "qpv_zrr": False,
                "email": "s@example.org",
                "iban": "FR7619806000000097443000114",
                "bic": "AGRIMQMX",
            }
            for offset, (event_type, data) in enumerate(
                (
                    (
                        "convention.signed",
                        {
                            "convention_id": convention_id,
                            "structure_id": structure_id,
                            "reference": f"CNUM-{sequence}",
                            "structure": details,
                            "wave": "renewal",
                            "posts": 1,
                            "start_date": "2024-09-02",
                            "end_date": "2027-09-01",
                            "duration_months": 36,
                            "funded_months": 36,
                            "signed_on": "2024-09-02",
                            "amount_per_post": "42500.00",
                            "total_amount": "42500.00",
                            "tranches": [{"number": 1, "due_on": "2024-09-02", "amount": "17500.00"}],
                            "funding_periods": [
                                {
                                    "number": 1,
                                    "starts_on": "2024-09-02",
                                    "ends_on": "2025-09-01",
                                    "months": 12,
                                    "amount_per_post": "17500.00",
                                    "monthly_rate": "1458.33",
                                }
                            ],
                        },
                    ),
                    (
                        "contract.signed",
                        {
                            "contract_id": contract_id,
                            "convention_id": convention_id,
                            "structure_id": structure_id,
                            "advisor_id": str(uuid.uuid4()),
                            "contract_type": "cdd",
                            "start_date": "2026-01-05",
                            "end_date": "2027-12-31",
                            "weekly_hours": "35",
                            "gross_monthly_salary": "1900.00",
                            "signed_on": "2026-01-05",
                            "existing_cdi_employee": False,
                            "structure": details,
                        },
                    ),
                )
            ):
                envelope = {
                    "id": str(uuid.uuid4()),
                    "type": event_type,
                    "version": 1,
                    "occurred_at": datetime(
                        2026, 1, 1, 0, 0, 0, sequence * 10 + offset, tzinfo=UTC
                    ).isoformat(),
                    "producer": "conventions",
                    "sequence": sequence * 10 + offset,
                    "data": data,
                }
                response = post_event(client, envelope)
                assert response.status_code == 200, response.get_json()
            contracts.append((structure_id, contract_id))
        for day, (structure_id, contract_id) in zip(("2026-01-12", "2026-01-13"), contracts, strict=True):
            report = {
                "external_id": "cra-1",
                "contract_id": contract_id,
                "date": day,
                "kind": "atelier",
                "duration_minutes": 60,
                "participants": 8,
            }
            call(
                client,
                "POST",
                "/activity-reports",
                201,
                {"reports": [report]},
                role="structure",
                structure_id=structure_id,
            )

    downgrade_database(url, COMPLIANCE_MIGRATIONS, "0005")
    kept = [hex_free(c) for (c,) in rows(url, "SELECT contract_id FROM activity_reports")]
    upgrade_database(url, COMPLIANCE_MIGRATIONS)
    backfilled = [
        (hex_free(s), hex_free(c))
        for s, c in rows(url, "SELECT structure_id, contract_id FROM activity_reports")
    ]

    assert kept == [contracts[0][1]]
    assert backfilled == [contracts[0]]
