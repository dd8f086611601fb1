#!/usr/bin/python3
"""The PDF converter of cnum: a pool of warm LibreOffice workers behind a small HTTP API.

Why a process of its own, run by Debian's /usr/bin/python3: LibreOffice's Python bridge (`uno`, from
the python3-uno package) exists only for the system Python, not for the project's virtual environment.
This program uses the standard library and `uno` only; the conventions service talks to it over HTTP.

Each worker is one `soffice.bin` with its own user profile (two LibreOffice processes sharing a profile
fail silently), kept running between conversions. A request waits at most `--queue-timeout` seconds for
an idle worker (and only `--queue-size` requests may wait: more get a 503 with Retry-After), then has
`--conversion-timeout` seconds to convert: a worker that overruns is killed and restarted, and the
request gets a 504. A worker that dies is restarted, by the request that finds it dead or by the monitor
thread, so the pool heals by itself.

    POST /convert   DOCX body → 200 application/pdf (422 not a DOCX, 413 too large, 503 busy, 504 hung)
    GET  /healthz   {"workers", "alive", "queued", "pids", "conversions", "restarts"}
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import uno  # type: ignore[import-not-found]  # Debian's python3-uno
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

logger = logging.getLogger("cnum-converter")

#: Largest DOCX accepted: a convention is a few hundred kilobytes.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Busy(Exception):
    """No worker will be free in time, or too many requests wait already (503)."""


class ConversionTimeout(Exception):
    """The conversion overran its time; the worker was killed (504)."""


class BadDocument(Exception):
    """LibreOffice cannot read the body as a document (422)."""


class WorkerFailed(Exception):
    """The worker died during the conversion (it is restarted)."""


def _property(name: str, value: object) -> object:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Worker:
    """One warm LibreOffice, used by one conversion at a time."""

    def __init__(self, index: int, soffice: str, profiles_dir: Path, start_timeout: float) -> None:
        self.index = index
        self.soffice = soffice
        self.profile = profiles_dir / f"worker-{index}"
        self.scratch = profiles_dir / f"scratch-{index}"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.desktop: object = None
        self.port = 0
        self.lock = threading.Lock()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _profile_url(self) -> str:
        return self.profile.resolve().as_uri()

    def start(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        if not self.profile.exists():
            # A new profile is written by a first run that stops at once; launching straight into a
            # missing profile makes the first conversion slow and sometimes fail.
            subprocess.run(  # noqa: S603 (LibreOffice, arguments we build)
                [
                    self.soffice,
                    "--headless",
                    "--terminate_after_init",
                    f"-env:UserInstallation={self._profile_url()}",
                ],
                check=False,
                timeout=self.start_timeout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self.port = _free_port()
        self.process = subprocess.Popen(  # noqa: S603 (LibreOffice, arguments we build)
            [
                self.soffice,
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                f"-env:UserInstallation={self._profile_url()}",
                f"--accept=socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while not _port_open(self.port):  # wait for the port rather than sleeping a fixed time
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise WorkerFailed(f"worker {self.index} did not start")
            time.sleep(0.05)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        while True:
            try:
                context = resolver.resolve(
                    f"uno:socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext"
                )
                break
            except Exception:  # the port opens a moment before the bridge answers
                if time.monotonic() > deadline:
                    raise WorkerFailed(f"worker {self.index} does not answer") from None
                time.sleep(0.1)
        self.desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        logger.info("worker %d started (pid %d, port %d)", self.index, self.process.pid, self.port)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.error("worker %d (pid %d) did not die", self.index, self.process.pid)
        self.desktop = None

    def restart(self) -> None:
        self.kill()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        """Ask LibreOffice to quit, then make sure it did."""
        if self.alive() and self.desktop is not None:
            # The bridge goes away as LibreOffice quits: an error here is the expected end.
            with contextlib.suppress(Exception):
                self.desktop.terminate()  # type: ignore[attr-defined]
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def convert(self, docx: bytes, timeout: float) -> bytes:
        """DOCX → PDF; a watchdog kills the worker when it overruns (ConversionTimeout)."""
        fd, name = tempfile.mkstemp(suffix=".docx", dir=self.scratch)
        source = Path(name)
        target = source.with_suffix(".pdf")
        timed_out = threading.Event()

        def overrun() -> None:
            timed_out.set()
            logger.warning("worker %d overran %.0f s: killed", self.index, timeout)
            if self.process is not None:
                self.process.kill()

        watchdog = threading.Timer(timeout, overrun)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(docx)
            watchdog.start()
            try:
                document = self.desktop.loadComponentFromURL(  # type: ignore[attr-defined]
                    source.as_uri(),
                    "_blank",
                    0,
                    (
                        _property("Hidden", True),
                        _property("ReadOnly", True),
                        _property("UpdateDocMode", 0),  # NO_UPDATE: skip links and index refresh
                    ),
                )
                if document is None:
                    raise BadDocument("LibreOffice cannot open this document")
                try:
                    document.storeToURL(target.as_uri(), (_property("FilterName", "writer_pdf_Export"),))
                finally:
                    document.close(True)
            except BadDocument:
                raise
            except Exception as error:
                if timed_out.is_set():
                    raise ConversionTimeout() from None
                if not self.alive():
                    raise WorkerFailed(str(error)) from None
                if type(error).__name__ in ("IllegalArgumentException", "IOException"):
                    raise BadDocument(str(error)) from None
                raise WorkerFailed(str(error)) from None
            if timed_out.is_set():
                raise ConversionTimeout()
            return target.read_bytes()
        finally:
            watchdog.cancel()
            source.unlink(missing_ok=True)
            target.unlink(missing_ok=True)


class Pool:
    """Idle workers in a queue; a bounded number of requests may wait for one."""

    def __init__(
        self, workers: list[Worker], queue_size: int, queue_timeout: float, conversion_timeout: float
    ) -> None:
        self.workers = workers
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.queue_size = queue_size
        self.queue_timeout = queue_timeout
        self.conversion_timeout = conversion_timeout
        self.waiting = 0
        self.busy = 0
        self.conversions = 0
        self.counter_lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
            self.idle.put(worker)
        threading.Thread(target=self._monitor, name="monitor", daemon=True).start()

    def _monitor(self) -> None:
        """Restart a dead worker while it is idle, so the pool heals even with no traffic."""
        while not self.stopping.wait(1.0):
            for worker in self.workers:
                if not worker.alive() and worker.lock.acquire(blocking=False):
                    try:
                        if not worker.alive() and not self.stopping.is_set():
                            logger.warning("worker %d found dead: restarting", worker.index)
                            worker.restart()
                    except Exception:
                        logger.exception("worker %d could not restart", worker.index)
                    finally:
                        worker.lock.release()

    def _take(self) -> Worker:
        with self.counter_lock:
            if self.waiting >= self.queue_size:
                raise Busy()
            self.waiting += 1
        try:
            return self.idle.get(timeout=self.queue_timeout)
        except queue.Empty:
            raise Busy() from None
        finally:
            with self.counter_lock:
                self.waiting -= 1

    def convert(self, docx: bytes) -> bytes:
        """Convert on the first idle worker; a worker that died is restarted and the document tried once
        more; a hung one is restarted and the request answered 504."""
        worker = self._take()
        with self.counter_lock:
            self.busy += 1
        try:
            with worker.lock:
                for attempt in (1, 2):
                    if not worker.alive():
                        worker.restart()
                    try:
                        pdf = worker.convert(docx, self.conversion_timeout)
                    except ConversionTimeout:
                        worker.restart()
                        raise
                    except WorkerFailed:
                        logger.warning("worker %d failed (attempt %d): restarting", worker.index, attempt)
                        worker.restart()
                        if attempt == 2:
                            raise
                        continue
                    with self.counter_lock:
                        self.conversions += 1
                    return pdf
                raise WorkerFailed("unreachable")
        finally:
            with self.counter_lock:
                self.busy -= 1
            self.idle.put(worker)

    def health(self) -> dict[str, object]:
        return {
            "workers": len(self.workers),
            "alive": sum(worker.alive() for worker in self.workers),
            "queued": self.waiting,
            "busy": self.busy,
            "pids": [worker.pid for worker in self.workers],
            "conversions": self.conversions,
            "restarts": sum(worker.restarts for worker in self.workers),
        }

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.stop()


def _is_docx(body: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def make_handler(pool: Pool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

        def _json(
            self, status: HTTPStatus, body: dict[str, object], headers: dict[str, str] | None = None
        ) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> None:
            self._json(status, {"code": status.value, "status": status.phrase, "message": message}, headers)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._json(HTTPStatus.OK, pool.health())
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found")

        def do_POST(self) -> None:
            if self.path != "/convert":
                self._error(HTTPStatus.NOT_FOUND, "not found")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_DOCUMENT_BYTES:
                self.close_connection = True
                self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "document too large")
                return
            body = self.rfile.read(length)
            if not _is_docx(body):
                self._error(HTTPStatus.UNPROCESSABLE_ENTITY, "the body is not a DOCX document")
                return
            started = time.monotonic()
            try:
                pdf = pool.convert(body)
            except Busy:
                self._error(HTTPStatus.SERVICE_UNAVAILABLE, "all workers are busy", {"Retry-After": "1"})
                return
            except ConversionTimeout:
                self._error(HTTPStatus.GATEWAY_TIMEOUT, "the conversion took too long")
                return
            except BadDocument as error:
                self._error(HTTPStatus.UNPROCESSABLE_ENTITY, f"cannot convert: {error}")
                return
            except WorkerFailed as error:
                self._error(HTTPStatus.SERVICE_UNAVAILABLE, f"worker failure: {error}", {"Retry-After": "1"})
                return
            logger.info("converted %d bytes in %.0f ms", len(body), (time.monotonic() - started) * 1000)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(pdf)))
            self.end_headers()
            self.wfile.write(pdf)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2002)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--queue-size", type=int, default=None, help="requests that may wait (4 × workers)")
    parser.add_argument(
        "--queue-timeout", type=float, default=30.0, help="seconds a request waits for a worker"
    )
    parser.add_argument(
        "--conversion-timeout", type=float, default=60.0, help="seconds one conversion may take"
    )
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument("--profiles-dir", type=Path, default=Path("var/converter"))
    parser.add_argument("--soffice", default="/usr/lib/libreoffice/program/soffice.bin")
    parser.add_argument("--log-level", default="INFO")
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    workers = [
        Worker(index, arguments.soffice, arguments.profiles_dir, arguments.start_timeout)
        for index in range(max(1, arguments.workers))
    ]
    pool = Pool(
        workers,
        queue_size=arguments.queue_size if arguments.queue_size is not None else 4 * len(workers),
        queue_timeout=arguments.queue_timeout,
        conversion_timeout=arguments.conversion_timeout,
    )
    server = ThreadingHTTPServer((arguments.host, arguments.port), make_handler(pool))
    server.daemon_threads = True

    def shut_down(signum: int, frame: object) -> None:
        logger.info("stopping (signal %d)", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    try:
        pool.start()
        logger.info("listening on http://%s:%d with %d workers", arguments.host, arguments.port, len(workers))
        server.serve_forever()
    finally:
        server.server_close()
        pool.stop()
        logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
