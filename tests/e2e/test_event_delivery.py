"""Two real services on loopback: events emitted while the consumer is down arrive, exactly once.

conventions and payments run as gunicorn processes on free ports; the relay runs as the real job command.
"""

import pytest
from schwifty import IBAN
from sqlalchemy import func, select, update
from stdnum import luhn

from cnum_shared.framework.db import Database
from cnum_shared.testing import TEST_KEY_ENV, ServiceProcess, bearer, run_command
from conventions.adapters.orm import event_tables as conventions_events
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments.adapters.orm import StructureCopy
from payments.adapters.orm import event_tables as payments_events
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

pytestmark = pytest.mark.slow


def _structure(number: int) -> dict:
    siren = f"2115{number:04d}"
    siren += luhn.calc_check_digit(siren)
    base = siren + "0001"
    return {
        "name": f"Commune de test n° {number}",
        "siret": base + luhn.calc_check_digit(base),
        "kind": "public",
        "structure_type": "commune",
        "department": "15",
        "address": "Place d'Armes",
        "postcode": "15100",
        "city": "Saint-Flour",
        "email": f"mairie{number}@example.org",
        "qpv_zrr": False,
        "iban": str(IBAN.generate("FR", bank_code="30001", account_code=f"{number:011d}")),
        "bic": "BDFEFRPPCCT",
    }


@pytest.fixture
def services(db_backend, test_databases, tmp_path):
    conventions_db = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    payments_db = test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS)
    common = {**TEST_KEY_ENV, "CNUM_VAR_DIR": str(tmp_path), "CNUM_ENVIRONMENT": "test"}
    payments = ServiceProcess("payments", {**common, "PAYMENTS_DATABASE_URL": payments_db})
    conventions_env = {
        **common,
        "CONVENTIONS_DATABASE_URL": conventions_db,
        "CNUM_PAYMENTS_URL": payments.url,
        "CNUM_RELAY_BACKOFF_BASE_SECONDS": "0",  # retry at the next run: the test decides when time passes
    }
    conventions = ServiceProcess("conventions", conventions_env)
    payments.start()
    conventions.start()
    yield {
        "conventions": conventions,
        "payments": payments,
        "relay": lambda: run_command(
            "-m", "conventions.jobs", "run", "relay_outbox", env=conventions_env
        ).strip(),
        "conventions_db": Database(conventions_db),
        "payments_db": Database(payments_db),
    }
    conventions.stop()
    payments.stop()


def _create(conventions: ServiceProcess, number: int) -> str:
    import requests

    response = requests.post(
        f"{conventions.url}/api/v1/structures", json=_structure(number), headers=bearer("legal"), timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _count(database: Database, table) -> int:
    with database.session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_events_emitted_while_the_consumer_is_down_arrive_once_it_is_back(services):
    conventions, payments = services["conventions"], services["payments"]
    _create(conventions, 1)
    assert services["relay"]() == "delivered 1, to retry 0, dead 0"

    payments.stop()
    created = [_create(conventions, number) for number in range(2, 7)]
    # The consumer is down: the relay tries the head of the queue, records the failure, keeps the rest.
    assert services["relay"]() == "delivered 0, to retry 1, dead 0"
    with services["conventions_db"].session() as session:
        pending = (
            session.execute(
                select(conventions_events.deliveries).where(
                    conventions_events.deliveries.c.status == "pending"
                )
            )
            .mappings()
            .all()
        )
    assert len(pending) == 5
    assert sum(row["attempts"] for row in pending) == 1

    payments.start()
    assert services["relay"]() == "delivered 5, to retry 0, dead 0"
    assert services["relay"]() == "delivered 0, to retry 0, dead 0"

    payments_db = services["payments_db"]
    assert _count(payments_db, payments_events.inbox) == 6
    with payments_db.session() as session:
        copied = set(session.scalars(select(StructureCopy.structure_id)))
    assert {str(value) for value in copied} >= set(created)
    assert len(copied) == 6


def test_an_event_delivered_twice_is_processed_once(services):
    _create(services["conventions"], 1)
    assert services["relay"]() == "delivered 1, to retry 0, dead 0"
    # The acknowledgement was lost: the producer thinks it must deliver again.
    with services["conventions_db"].unit_of_work() as uow:
        uow.session.execute(update(conventions_events.deliveries).values(status="pending"))
        uow.commit()
    assert services["relay"]() == "delivered 1, to retry 0, dead 0"
    payments_db = services["payments_db"]
    assert _count(payments_db, payments_events.inbox) == 1
    assert _count(payments_db, StructureCopy.__table__) == 1
