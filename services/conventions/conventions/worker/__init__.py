"""`python -m conventions.worker`: a worker of the document batches (decision 0036).

It renders the items the scheduler's job publishes on RabbitMQ (CNUM_BROKER_URL), each by the path a single
download takes, and acknowledges each message once its item is recorded. Start any number, on any number of
machines: each needs only the broker, the service's database (CONVENTIONS_DATABASE_URL), the document store
(CNUM_VAR_DIR, shared by every machine) and the PDF converter (CONVENTIONS_CONVERTER_URL). Without
CNUM_BROKER_URL there is nothing to consume: the embedded queue's threads live in the scheduler process.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from cnum_shared.framework.config import ConfigurationError, load_settings
from conventions.bootstrap import batch_queue, bootstrap
from conventions.config import ConventionsSettings

logger = logging.getLogger("conventions.worker")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m conventions.worker",
        description="render the items of the document batches published on CNUM_BROKER_URL (RabbitMQ)",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="worker processes on this machine (default 1)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="documents each process renders at once (default CONVENTIONS_BATCH_CONCURRENCY)",
    )
    arguments = parser.parse_args(argv)
    if arguments.processes < 1 or (arguments.threads is not None and arguments.threads < 1):
        parser.error("--processes and --threads are at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)  # a line per connection step otherwise
    try:
        settings = load_settings(ConventionsSettings)
    except ConfigurationError as error:
        print(f"conventions.worker: {error}", file=sys.stderr)
        return 2
    if not settings.broker_url:
        print(
            "conventions.worker: CNUM_BROKER_URL is not set: without a broker the scheduler process renders "
            "the batches itself (its embedded queue), there is nothing for a worker to consume",
            file=sys.stderr,
        )
        return 2
    threads = arguments.threads or settings.batch_concurrency
    if arguments.processes > 1:
        return _supervise(arguments.processes, threads)
    return _serve(threads)


def _on_stop(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _serve(threads: int) -> int:
    """One process: consume until SIGTERM or SIGINT, then finish the documents in hand and stop."""
    try:
        context = bootstrap()
    except ConfigurationError as error:
        print(f"conventions.worker: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    _on_stop(stop)
    queue = batch_queue(context)
    worker = queue.worker(threads)
    worker.start()
    logger.info("worker %d consuming %s with %d threads", os.getpid(), queue.identity, threads)
    try:
        stop.wait()
    finally:
        # The messages in hand but not started go back to RabbitMQ; those being rendered finish first.
        worker.stop(timeout=120_000)
        queue.close()
        context.dispose()
    return 0


def _supervise(processes: int, threads: int) -> int:
    """Several processes on this machine (a process per core renders faster than threads, the GIL), each
    `--processes 1`; a stop signal is passed on to each."""
    command = [sys.executable, "-m", "conventions.worker", "--processes", "1", "--threads", str(threads)]
    children = [subprocess.Popen(command) for _ in range(processes)]  # noqa: S603 (our own interpreter)
    stop = threading.Event()
    _on_stop(stop)
    while not stop.is_set() and all(child.poll() is None for child in children):
        stop.wait(1.0)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    return max(child.wait() for child in children)
