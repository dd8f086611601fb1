"""HTTP side of events: the consumer endpoint (`POST /api/v1/events`) and the outbox's dead letters."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select, update

from cnum_shared.core.wire import EVENT_TYPES, Envelope, EnvelopeSchema
from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.events.inbox import EventHandler, EventRejected, receive
from cnum_shared.framework.events.tables import DELIVERY_STATUSES, EventTables
from cnum_shared.framework.web import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    abort,
    current_principal,
    service_context,
)

#: A consumer's reaction to one event, run in the same transaction as the inbox record.
#: How far ahead of the consumer's time an event may say it occurred (the producers' clocks drift a little).
CLOCK_SKEW = timedelta(minutes=1)


class AcknowledgementSchema(Schema):
    event_id = fields.UUID(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(("processed", "ignored", "duplicate")),
        metadata={"description": "processed, ignored (a type this service does not consume) or duplicate"},
    )


def event_consumer_blueprint(tables: EventTables, handlers: Mapping[str, EventHandler]) -> Blueprint:
    """`POST /api/v1/events` (role `service`): a 2xx acknowledges, repeats included; 422 means dead.

    An event is believed only from its producer (DESIGN §2): the token's `sub` must be the `producer`
    the envelope names, and that must be the service that emits its type (403 otherwise, nothing applied
    or recorded). Handlers order a producer's events by its `sequence`, never by `occurred_at`.
    """
    blp = Blueprint(
        "events", __name__, url_prefix="/events", description="Réception des événements des autres services"
    )

    @blp.route("")
    class Events(MethodView):
        @blp.roles(Role.SERVICE)
        @blp.arguments(EnvelopeSchema)
        @blp.response(200, AcknowledgementSchema)
        def post(self, envelope: dict[str, Any]) -> dict[str, Any]:
            """Receive one event; idempotent on its id."""
            event_id: uuid.UUID = envelope["id"]
            _believe_only_its_producer(envelope)
            try:
                data = EVENT_TYPES[envelope["type"]].data_schema().load(envelope["data"])
            except ValidationError as error:
                abort(422, "Données d'événement invalides.", errors={"data": error.messages})
            event = Envelope(
                id=event_id,
                type=envelope["type"],
                version=envelope["version"],
                occurred_at=envelope["occurred_at"],
                producer=envelope["producer"],
                sequence=envelope["sequence"],
                data=data,
            )
            try:
                status = receive(service_context().unit_of_work, tables, handlers, event)
            except EventRejected as error:
                abort(422, f"Événement refusé : {error}")
            return {"event_id": event_id, "status": status}

    return blp


def _believe_only_its_producer(envelope: Mapping[str, Any]) -> None:
    """Refuse, before anything is applied or recorded, an event that does not come from its producer
    (403: the service DESIGN names for its type, relaying under its own name) or that says it occurred in
    the future (422)."""
    event_type = EVENT_TYPES[envelope["type"]]
    producer = envelope["producer"]
    if producer != event_type.producer:
        abort(
            403,
            f"Événement refusé : « {event_type.name} » n'est émis que par le service "
            f"« {event_type.producer} », pas par « {producer} ».",
        )
    caller = current_principal().sub
    if caller != producer:
        abort(
            403,
            f"Événement refusé : un service ne transmet que ses propres événements, et le jeton de "
            f"« {caller} » ne peut pas remettre un événement du service « {producer} ».",
        )
    # The later of the service's clock and the system's: in production they are one; a test may set the
    # service's clock ahead, or back to a past business day while producers stamp events with the real time.
    now = max(service_context().clock.now(), utcnow())
    occurred_at = envelope["occurred_at"]
    if occurred_at > now + CLOCK_SKEW:
        abort(
            422,
            "Événement refusé : sa date (occurred_at) est dans le futur.",
            errors={
                "json": {
                    "occurred_at": [
                        f"{occurred_at.isoformat()} est postérieure de plus d'une minute à l'heure "
                        f"de ce service ({now.isoformat(timespec='seconds')})."
                    ]
                }
            },
        )


class DeliverySchema(Schema):
    event_id = fields.UUID()
    consumer = fields.String()
    type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    occurred_at = fields.DateTime()


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


def outbox_blueprint(tables: EventTables) -> Blueprint:
    """The deliveries of this service's outbox, so that dead letters are seen and can be retried."""
    blp = Blueprint(
        "outbox", __name__, url_prefix="/outbox", description="Événements émis et état de leur livraison"
    )
    columns = (
        tables.deliveries.c.event_id,
        tables.deliveries.c.consumer,
        tables.outbox.c.type,
        tables.deliveries.c.status,
        tables.deliveries.c.attempts,
        tables.deliveries.c.next_attempt_at,
        tables.deliveries.c.delivered_at,
        tables.deliveries.c.last_error,
        tables.outbox.c.occurred_at,
    )

    @blp.route("/deliveries")
    class Deliveries(MethodView):
        @blp.roles(*READERS)
        @blp.arguments(DeliveryQuerySchema, location="query")
        @blp.response(200, DeliverySchema(many=True))
        @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
        def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
            """Deliveries, newest first; `status=dead` lists the events a consumer refused."""
            statement = select(*columns).join(
                tables.outbox, tables.outbox.c.id == tables.deliveries.c.event_id
            )
            if "status" in query:
                statement = statement.where(tables.deliveries.c.status == query["status"])
            with service_context().database.session() as session:
                total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
                pagination_parameters.item_count = total
                rows = (
                    session.execute(
                        statement.order_by(tables.outbox.c.sequence.desc())
                        .limit(pagination_parameters.page_size)
                        .offset(pagination_parameters.first_item)
                    )
                    .mappings()
                    .all()
                )
            return [dict(row) for row in rows]

    @blp.route("/deliveries/<uuid:event_id>/<string:consumer>/retry")
    class RetryDelivery(MethodView):
        @blp.roles(Role.ADMIN)
        @blp.response(200, DeliverySchema)
        def post(self, event_id: uuid.UUID, consumer: str) -> dict[str, Any]:
            """Put a dead delivery back in the queue (after the consumer was fixed)."""
            with service_context().database.unit_of_work() as uow:
                result = uow.session.execute(
                    update(tables.deliveries)
                    .where(
                        tables.deliveries.c.event_id == event_id,
                        tables.deliveries.c.consumer == consumer,
                        tables.deliveries.c.status == "dead",
                    )
                    .values(status="pending", next_attempt_at=utcnow())
                )
                if result.rowcount == 0:  # type: ignore[attr-defined]
                    abort(404, "Aucune livraison en échec pour cet événement et ce destinataire.")
                uow.commit()
                row = (
                    uow.session.execute(
                        select(*columns)
                        .join(tables.outbox, tables.outbox.c.id == tables.deliveries.c.event_id)
                        .where(
                            tables.deliveries.c.event_id == event_id, tables.deliveries.c.consumer == consumer
                        )
                    )
                    .mappings()
                    .one()
                )
            return dict(row)

    return blp
