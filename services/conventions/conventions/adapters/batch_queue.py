"""The batch queue on Dramatiq (decision 0036): one message per item of a document batch.

With a broker URL the messages go through RabbitMQ: durable queue, persistent messages, each acknowledged
by its worker after the item is rendered and recorded (Dramatiq acks after the actor returns), so that
RabbitMQ delivers again, to another worker, the messages of a worker whose connection died. Without one, an
embedded queue (Dramatiq's StubBroker) with worker threads inside the scheduler process: nothing to install
for `make run`; the messages live as long as that process, and the job publishes a running batch again
when its scheduler restarted (the database keeps which items are pending).

The actor only decodes the message and calls the handler the composition root gives it (the service
layer's `render_batch_item`): this module knows no use case.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker

logger = logging.getLogger(__name__)

#: What a message asks: render this item for this generation date.
ItemHandler = Callable[[uuid.UUID, date], None]

ACTOR_NAME = "render_batch_item"
#: A message whose handler raised (the database unreachable, say: an item's own failure is recorded on
#: the item, never raised) is tried again a few times, then dead-lettered; the job publishes its item
#: again only after a loss of the queue, so a dead letter waits for an operator (decision 0036).
ACTOR_OPTIONS: dict[str, Any] = {
    "max_retries": 5,
    "min_backoff": 1_000,
    "max_backoff": 30_000,
    # One document: a template render and a conversion, which the converter bounds at 120 s.
    "time_limit": 15 * 60 * 1000,
}


def broker_identity(url: str, queue_name: str) -> str:
    """The broker and queue a batch's messages went to, without the credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    vhost = parts.path.lstrip("/") or "/"
    return f"{parts.scheme}://{host}:{port}/{vhost}#{queue_name}"


class BatchItemMessages:
    """A broker, the queue of the batch items and its actor, in one process."""

    def __init__(self, broker: dramatiq.Broker, queue_name: str, handler: ItemHandler, identity: str) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.identity = identity
        self._handler = handler
        self.actor: dramatiq.Actor[[str, str], None] = dramatiq.Actor(
            self._handle,
            broker=broker,
            actor_name=ACTOR_NAME,
            queue_name=queue_name,
            priority=0,
            options=dict(ACTOR_OPTIONS),
        )

    def _handle(self, item_id: str, today: str) -> None:
        self._handler(uuid.UUID(item_id), date.fromisoformat(today))

    def publish(self, batch_id: uuid.UUID, item_ids: Sequence[uuid.UUID], today: date) -> None:
        for item_id in item_ids:
            self.actor.send(str(item_id), today.isoformat())
        logger.info("batch %s: %d items published to %s", batch_id, len(item_ids), self.identity)

    def drain(self) -> None:
        """Wait for what this process published (the embedded queue); a broker's workers are elsewhere."""

    def worker(self, threads: int) -> dramatiq.Worker:
        """A worker of `threads` threads on this queue, not started. It holds as many unacknowledged
        messages as it has threads: those are all a dead worker leaves RabbitMQ to deliver again."""
        worker = dramatiq.Worker(self.broker, queues={self.queue_name}, worker_threads=threads)
        worker.queue_prefetch = threads
        return worker

    def close(self) -> None:
        self.broker.close()


class BrokerQueue(BatchItemMessages):
    """The batch queue on RabbitMQ: the scheduler publishes, workers elsewhere render."""

    def __init__(self, url: str, queue_name: str, handler: ItemHandler) -> None:
        # confirm_delivery: `publish` returns once RabbitMQ has the messages, before the job records it.
        broker = RabbitmqBroker(url=url, confirm_delivery=True)
        super().__init__(broker, queue_name, handler, broker_identity(url, queue_name))


class EmbeddedQueue(BatchItemMessages):
    """The batch queue inside this process: Dramatiq's StubBroker and `threads` worker threads, started
    with the first message; the job waits for what it published (`drain`), as it did before the broker."""

    def __init__(self, queue_name: str, handler: ItemHandler, threads: int) -> None:
        # A new identity in each process: what an earlier process published is gone with it.
        super().__init__(StubBroker(), queue_name, handler, f"embedded:{uuid.uuid4()}#{queue_name}")
        self.broker.declare_queue(queue_name)
        self._threads = threads
        self._worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()

    def publish(self, batch_id: uuid.UUID, item_ids: Sequence[uuid.UUID], today: date) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = self.worker(self._threads)
                self._worker.start()
        super().publish(batch_id, item_ids, today)

    def drain(self) -> None:
        if self._worker is None:
            return
        assert isinstance(self.broker, StubBroker)
        # A message that failed every try is dead-lettered, its item left pending: not an error here.
        self.broker.join(self.queue_name, fail_fast=False)
        self._worker.join()

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop(timeout=30_000)
                self._worker = None
        super().close()


def batch_queue(broker_url: str, queue_name: str, handler: ItemHandler, threads: int) -> BatchItemMessages:
    """RabbitMQ when a broker URL is given, the embedded queue otherwise."""
    if broker_url:
        return BrokerQueue(broker_url, queue_name, handler)
    return EmbeddedQueue(queue_name, handler, threads)
