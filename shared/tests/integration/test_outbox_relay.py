"""The outbox and its relay, on SQLite and PostgreSQL, against a real HTTP consumer on 127.0.0.1."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from flask import Flask, request
from pydantic_settings import SettingsConfigDict
from sqlalchemy import func, select
from werkzeug.serving import make_server

from cnum_shared.core.wire import consumers_of, load_envelope
from cnum_shared.framework.auth import Role, decode_token
from cnum_shared.framework.config import ServiceSettings, load_settings
from cnum_shared.framework.db import Database, new_metadata
from cnum_shared.framework.events.outbox import emit
from cnum_shared.framework.events.relay import backoff_delay, relay_outbox
from cnum_shared.framework.events.tables import define_event_tables
from cnum_shared.testing import TEST_KEY_SETTINGS, TEST_SIGNING_KEY

METADATA = new_metadata()
TABLES = define_event_tables(METADATA)


class ProducerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRODUCER_")
    service_name: ClassVar[str] = "conventions"


class Consumer:
    """A real HTTP consumer whose answers the test chooses; it records what it received."""

    def __init__(self):
        self.received: list[dict] = []
        self.tokens: list[str] = []
        self.answers: list[int] = []  # status codes to answer, in order; 200 once exhausted
        app = Flask("consumer")

        @app.post("/api/v1/events")
        def receive():
            self.tokens.append(request.headers["Authorization"].removeprefix("Bearer "))
            self.received.append(request.get_json())
            status = self.answers.pop(0) if self.answers else 200
            return {"status": "ok"}, status

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def consumer():
    running = Consumer()
    yield running
    running.close()


@pytest.fixture
def context(db_backend, test_databases, consumer):
    from cnum_shared.framework.web import ServiceContext

    settings = load_settings(
        ProducerSettings,
        {
            "database_url": test_databases.empty(db_backend),
            **TEST_KEY_SETTINGS,
            "environment": "test",
            "payments_url": consumer.url,
            "relay_backoff_base_seconds": 10,
            "relay_backoff_max_seconds": 60,
        },
    )
    database = Database(settings.database_url)
    METADATA.create_all(database.engine)
    yield ServiceContext("conventions", settings, database)
    database.dispose()


def _structure(name="Commune de Saint-Flour"):
    return {
        "structure_id": uuid.uuid4(),
        "name": name,
        "kind": "public",
        "structure_type": "commune",
        "department": "15",
        "siret": "21150187100018",
        "address": "Place d'Armes",
        "postcode": "15100",
        "city": "Saint-Flour",
        "email": "mairie@saint-flour.example",
        "qpv_zrr": True,
        "iban": "FR7630001007941234567890185",
        "bic": "BDFEFRPPCCT",
    }


def _emit(context, count=1, commit=True):
    ids = []
    with context.database.unit_of_work() as uow:
        for index in range(count):
            ids.append(
                emit(
                    uow.session,
                    TABLES,
                    producer="conventions",
                    event_type="structure.updated",
                    data=_structure(f"Structure {index}"),
                )
            )
        if commit:
            uow.commit()
    return ids


def _deliveries(context):
    with context.database.session() as session:
        return (
            session.execute(select(TABLES.deliveries).join(TABLES.outbox).order_by(TABLES.outbox.c.sequence))
            .mappings()
            .all()
        )


def test_an_event_is_stored_with_one_delivery_per_consumer(context):
    (event_id,) = _emit(context)
    rows = _deliveries(context)
    assert [(row["event_id"], row["consumer"], row["status"], row["attempts"]) for row in rows] == [
        (event_id, "payments", "pending", 0)
    ]


def test_an_event_of_a_rolled_back_change_is_never_stored(context):
    _emit(context, commit=False)
    with context.database.session() as session:
        assert session.execute(select(func.count()).select_from(TABLES.outbox)).scalar_one() == 0


def test_an_event_with_invalid_data_is_refused_before_it_is_stored(context):
    with context.database.unit_of_work() as uow, pytest.raises(ValueError, match="invalid data"):
        emit(uow.session, TABLES, producer="conventions", event_type="structure.updated", data={"name": ""})


def test_the_relay_delivers_the_envelope_with_a_service_token(context, consumer):
    event_ids = _emit(context, count=3)
    report = relay_outbox(context, TABLES)
    assert (report.delivered, report.retried, report.dead) == (3, 0, 0)
    assert [uuid.UUID(body["id"]) for body in consumer.received] == event_ids  # in order
    envelope = load_envelope(consumer.received[0])
    assert envelope.type == "structure.updated" and envelope.producer == "conventions"
    assert envelope.data["name"] == "Structure 0"
    # The relay posts under its service's own name, the only identity consumers believe its events from.
    principal = decode_token(consumer.tokens[0], TEST_SIGNING_KEY.verification_keys())
    assert (principal.role, principal.sub) == (Role.SERVICE, "conventions")
    # Each envelope carries the producer's own sequence, increasing in the order of the outbox.
    sequences = [body["sequence"] for body in consumer.received]
    assert sequences == sorted(set(sequences)) and all(isinstance(n, int) and n >= 1 for n in sequences)
    assert {row["status"] for row in _deliveries(context)} == {"delivered"}
    assert relay_outbox(context, TABLES).delivered == 0  # nothing left to deliver


def test_a_failing_consumer_is_retried_after_a_back_off_and_order_is_kept(context, consumer):
    first, second = _emit(context, count=2)
    consumer.answers = [503]
    now = datetime.now(UTC)
    report = relay_outbox(context, TABLES, now=now)
    assert (report.delivered, report.retried) == (0, 1)
    head = _deliveries(context)[0]
    assert (head["status"], head["attempts"]) == ("pending", 1)
    assert head["next_attempt_at"] == now + timedelta(seconds=10)
    assert "HTTP 503" in head["last_error"]
    # Still backing off: the second event waits behind the first.
    assert relay_outbox(context, TABLES, now=now + timedelta(seconds=5)).delivered == 0
    assert len(consumer.received) == 1
    report = relay_outbox(context, TABLES, now=now + timedelta(seconds=11))
    assert report.delivered == 2
    assert [uuid.UUID(body["id"]) for body in consumer.received] == [first, first, second]


def test_an_unreachable_consumer_is_retried(context, consumer):
    _emit(context)
    consumer.close()
    report = relay_outbox(context, TABLES)
    assert report.retried == 1
    assert "ConnectionError" in _deliveries(context)[0]["last_error"]


def test_a_422_sets_the_event_aside_as_dead_and_the_next_one_goes(context, consumer):
    _emit(context, count=2)
    consumer.answers = [422]
    report = relay_outbox(context, TABLES)
    assert (report.delivered, report.dead) == (1, 1)
    assert [row["status"] for row in _deliveries(context)] == ["dead", "delivered"]
    assert relay_outbox(context, TABLES).dead == 0  # never retried silently


def test_back_off_doubles_up_to_its_cap():
    assert [backoff_delay(n, 2, 20).total_seconds() for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 20]


def test_consumers_follow_the_design_table():
    assert consumers_of("structure.updated") == ("payments",)
    assert consumers_of("convention.signed") == ("payments", "compliance")
    assert consumers_of("candidate.presented") == ("compliance",)
    assert consumers_of("structure.standing_changed") == ("payments",)
    # Conventions learns what payments settled, so that an avenant states it (decision 0025).
    assert consumers_of("tranche.paid") == ("conventions",)
    assert consumers_of("tranche.approved") == ("conventions",)
    assert consumers_of("tranche.returned") == ("conventions",)
    assert consumers_of("tranche.due") == ()
