"""A document batch on RabbitMQ, rendered by two worker hosts one of which dies in the middle (issue 19,
point 1; decision 0036).

Each host is a network namespace this test makes (`ip netns add`, as root) running `python -m
conventions.worker`. Test servers listen on 127.0.0.1 only, which a namespace does not reach: inside each
one a forwarder (cnum_shared/testing/forwarder.py) listens on the namespace's own 127.0.0.1 at the ports
of RabbitMQ, PostgreSQL and the session's converter, and joins a Unix socket under tmp_path, where a
forwarder of the root namespace joins the real server. The workers share with the scheduler (here the
test, running the job) only the broker, the database and the document store (a directory).

When the progress is between 20 % and 70 %, one host's worker is killed (SIGKILL to its process group):
RabbitMQ delivers its unacknowledged message to the other host, which finishes the batch. Every convention
is then rendered once: one item done each, one generated document each (stored once by content), once in
the ZIP; and the progress read all along never went back nor above the total.
"""

from __future__ import annotations

import hashlib
import io
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pika
import pytest
from sqlalchemy import select as sql_select

from cnum_shared.testing import (
    TEST_KEY_ENV,
    TestDatabases,
    bearer,
    postgres_admin_url,
    postgres_required,
    postgres_unavailable_reason,
    service_app,
)
from cnum_shared.testing import forwarder as forwarding
from cnum_shared.testing.forwarder import Address, Forwarder
from conventions import create_app
from conventions.adapters.orm import DocumentBatchItem, GeneratedDocument, status_changes
from conventions.bootstrap import batch_queue
from conventions.demo import DEMO_STRUCTURES
from conventions.jobs import JOBS
from conventions.manage import MIGRATIONS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BROKER_URL = os.environ.get("CNUM_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
CONVENTIONS = 40
TODAY = date(2026, 11, 25)
#: Every wait of this test ends: the batch takes 20 to 60 s on a two-core machine, loaded or not.
DEADLINE_SECONDS = 400
RUN_JOB = next(job for job in JOBS if job.name == "run_document_batches")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: required under CI")
    pytest.skip(reason)


@pytest.fixture
def broker_url() -> str:
    try:
        pika.BlockingConnection(pika.URLParameters(BROKER_URL)).close()
    except pika.exceptions.AMQPError as error:
        _unavailable(f"RabbitMQ unreachable at {urlsplit(BROKER_URL).hostname}: {error!r}")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        _unavailable("the worker hosts are network namespaces: root and iproute2's `ip` are needed")
    return BROKER_URL


@pytest.fixture
def queue_name(broker_url: str) -> Iterator[str]:
    """A queue of this run's own, deleted afterwards with Dramatiq's delay and dead-letter queues."""
    name = f"cnum_test_batches_{uuid.uuid4().hex[:10]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        channel = connection.channel()
        for queue in (name, f"{name}.DQ", f"{name}.XQ"):
            channel.queue_delete(queue)
    finally:
        connection.close()


@pytest.fixture
def postgres_url(test_databases: TestDatabases) -> str:
    reason = postgres_unavailable_reason()
    if reason is not None:
        if postgres_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return test_databases.fresh("conventions", "postgresql", MIGRATIONS_DIR)


def _consumers(broker_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.consumer_count)
    except pika.exceptions.ChannelClosedByBroker:
        return 0  # not declared yet: no worker has started consuming
    finally:
        if connection.is_open:
            connection.close()


class WorkerHost:
    """A network namespace with its forwarder and one `python -m conventions.worker`."""

    def __init__(self, name: str, sockets: dict[int, Path], env: dict[str, str], log: Path) -> None:
        self.name, self.sockets, self.env, self.log = name, sockets, env, log
        self.forwarder: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def _in_namespace(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *command]

    def start(self) -> WorkerHost:
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=30)
        subprocess.run(self._in_namespace("ip", "link", "set", "lo", "up"), check=True, timeout=30)
        maps = [f"--map=tcp:127.0.0.1:{port}=unix:{path}" for port, path in self.sockets.items()]
        self.forwarder = subprocess.Popen(
            self._in_namespace(sys.executable, forwarding.__file__, *maps),
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.forwarder.stdout is not None
        ready, _, _ = select.select([self.forwarder.stdout], [], [], 30)
        assert ready and self.forwarder.stdout.readline().strip() == b"ready", f"{self.name}: no forwarder"
        with self.log.open("wb") as log:
            self.worker = subprocess.Popen(
                self._in_namespace(sys.executable, "-m", "conventions.worker", "--threads", "1"),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole, as a host dies
            )
        return self

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)

    def stop(self) -> None:
        for process in (self.worker, self.forwarder):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self.forwarder is not None and self.forwarder.stdout is not None:
            self.forwarder.stdout.close()
        subprocess.run(["ip", "netns", "delete", self.name], check=False, timeout=30)


def _seed(client, conventions: int) -> list[dict]:
    """Signed conventions spread over the demo structures, made over HTTP as a legal officer does."""
    headers = bearer("legal")
    structures = []
    for fields in DEMO_STRUCTURES:
        response = client.post("/api/v1/structures", json=fields, headers=headers)
        assert response.status_code == 201, response.get_json()
        structures.append(response.get_json())
    made = []
    for number in range(conventions):
        structure = structures[number % len(structures)]
        body = {
            "structure_id": structure["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": "2021-03-01",
            "duration_months": 24 if structure["kind"] == "public" else 18,
        }
        response = client.post("/api/v1/conventions", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        convention = response.get_json()
        signed = client.post(
            f"/api/v1/conventions/{convention['id']}/sign", json={"signed_on": "2021-03-15"}, headers=headers
        )
        assert signed.status_code == 200, signed.get_json()
        made.append(signed.get_json())
    return made


def test_two_worker_hosts_render_a_batch_once_though_one_dies_in_the_middle(
    broker_url, queue_name, postgres_url, converter_url, tmp_path
):
    var_dir = tmp_path / "var"
    ports = {
        5672: ("127.0.0.1", urlsplit(broker_url).port or 5672),
        urlsplit(postgres_admin_url()).port or 5432: (
            "127.0.0.1",
            urlsplit(postgres_admin_url()).port or 5432,
        ),
        urlsplit(converter_url).port or 80: ("127.0.0.1", urlsplit(converter_url).port or 80),
    }
    sockets = {port: forwarding.unix_path(tmp_path, f"{port}.sock") for port in ports}
    env = {
        **os.environ,
        **TEST_KEY_ENV,
        "CNUM_ENVIRONMENT": "test",
        "CNUM_VAR_DIR": str(var_dir),
        "CONVENTIONS_DATABASE_URL": postgres_url,
        "CONVENTIONS_CONVERTER_URL": converter_url,
        "CNUM_BROKER_URL": broker_url,
        "CONVENTIONS_BATCH_QUEUE": queue_name,
        "CONVENTIONS_BATCH_CONCURRENCY": "1",
    }
    run_id = uuid.uuid4().hex[:8]
    samples: list[tuple[str, int, int, int]] = []
    with ExitStack() as stack:
        app = stack.enter_context(
            service_app(
                create_app,
                postgres_url,
                var_dir,
                converter_url=converter_url,
                broker_url=broker_url,
                batch_queue=queue_name,
                batch_concurrency=1,
            )
        )
        context = app.extensions["cnum"]
        stack.callback(lambda: batch_queue(context).close())
        client = app.test_client()
        conventions = _seed(client, CONVENTIONS)
        for port, (host, target) in ports.items():
            stack.enter_context(
                Forwarder(Address("unix", path=str(sockets[port])), Address("tcp", host, target))
            )
        hosts = []
        for letter in "ab":
            host = WorkerHost(f"cnum-{run_id}-{letter}", sockets, env, tmp_path / f"worker-{letter}.log")
            stack.callback(host.stop)  # the namespaces go even when the test fails
            hosts.append(host.start())
        deadline = time.monotonic() + DEADLINE_SECONDS
        while _consumers(broker_url, queue_name) < 2:
            assert time.monotonic() < deadline, "the two workers never consumed"
            for host in hosts:
                assert host.worker.poll() is None, host.log.read_text()[-3000:]
            time.sleep(0.2)

        requested = client.post("/api/v1/document-batches", json={"format": "pdf"}, headers=bearer("legal"))
        assert requested.status_code == 202
        batch_id = requested.get_json()["id"]
        published = RUN_JOB.function(context, TODAY)  # the scheduler's tick: publish, one message per item
        killed_at = None
        last_tick = time.monotonic()
        while True:
            assert time.monotonic() < deadline, f"the batch did not finish: {samples[-1:]}"
            batch = client.get(f"/api/v1/document-batches/{batch_id}", headers=bearer("legal")).get_json()
            samples.append((batch["status"], batch["done"], batch["failed"], batch["total"]))
            if batch["status"] == "done":
                break
            if killed_at is None and 20 <= batch["progress"] <= 70:
                hosts[0].kill_worker()
                killed_at = batch["progress"]
            if time.monotonic() - last_tick > 5:  # the scheduler ticks on: it publishes nothing again
                RUN_JOB.function(context, TODAY)
                last_tick = time.monotonic()
            time.sleep(0.1)
        archive = client.get(f"/api/v1/document-batches/{batch_id}/archive", headers=bearer("legal"))
        with context.database.session() as session:
            items = session.execute(
                sql_select(
                    DocumentBatchItem.convention_id, DocumentBatchItem.status, DocumentBatchItem.document_id
                ).where(DocumentBatchItem.batch_id == uuid.UUID(batch_id))
            ).all()
            documents = session.execute(
                sql_select(
                    GeneratedDocument.id,
                    GeneratedDocument.convention_id,
                    GeneratedDocument.sha256,
                    GeneratedDocument.path,
                ).where(GeneratedDocument.template_name == "convention", GeneratedDocument.format == "pdf")
            ).all()
            moves = (
                session.execute(
                    sql_select(status_changes.c.event)
                    .where(status_changes.c.entity_id == uuid.UUID(batch_id))
                    .order_by(status_changes.c.at)
                )
                .scalars()
                .all()
            )
        after = RUN_JOB.function(context, TODAY)
        assert hosts[1].worker.poll() is None, (tmp_path / "worker-b.log").read_text()[-3000:]

    assert published.startswith(f"{batch_id}: ") and published.endswith(f"/{CONVENTIONS} en cours")
    assert killed_at is not None, f"the progress never read between 20 and 70 %: {samples}"
    # The progress bar: never above the total, never back, each item counted once.
    assert all(done + failed <= total == CONVENTIONS for _, done, failed, total in samples)
    through = [done + failed for _, done, failed, _ in samples]
    assert through == sorted(through), through
    assert samples[-1] == ("done", CONVENTIONS, 0, CONVENTIONS)
    # Every convention's item done once, each with its document.
    ids = {uuid.UUID(convention["id"]) for convention in conventions}
    assert sorted(str(c) for c, _, _ in items) == sorted(str(i) for i in ids)
    assert {status for _, status, _ in items} == {"done"}
    # One generated document per convention, none made twice, each stored once by its content.
    assert len(documents) == CONVENTIONS
    assert {convention_id for _, convention_id, _, _ in documents} == ids
    assert {document_id for _, _, document_id in items} == {document_id for document_id, _, _, _ in documents}
    assert len({sha256 for _, _, sha256, _ in documents}) == CONVENTIONS
    for _, _, sha256, path in documents:
        assert hashlib.sha256((var_dir / path).read_bytes()).hexdigest() == sha256
    # The archive: every convention once, the very bytes stored.
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert sorted(names) == sorted(f"convention-{convention['reference']}.pdf" for convention in conventions)
    by_reference = {convention["reference"]: uuid.UUID(convention["id"]) for convention in conventions}
    stored = {convention_id: sha256 for _, convention_id, sha256, _ in documents}
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        for name in names:
            reference = name.removeprefix("convention-").removesuffix(".pdf")
            assert hashlib.sha256(zipped.read(name)).hexdigest() == stored[by_reference[reference]]
    # Published once: the job's later ticks found the messages where they were and did not publish again.
    assert list(moves) == ["create", "start", "finish"]
    assert after == "aucun lot en attente"
