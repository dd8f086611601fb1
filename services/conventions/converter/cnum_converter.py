#!/usr/bin/python3
"""The PDF converter of cnum: a pool of warm LibreOffice workers behind a small HTTP API.

Why a process of its own, run by Debian's /usr/bin/python3: LibreOffice's Python bridge (`uno`, from the
python3-uno package) exists only for the system Python, not for the project's virtual environment. This
program uses the standard library and `uno` only; the conventions service talks to it over HTTP
(conventions.adapters.converter).

Why warm workers: a cold `soffice --convert-to pdf` pays about a second of LibreOffice start-up for every
document; a worker that stays up converts a convention in a few tens of milliseconds. Each worker is one
`soffice.bin` with its own user profile (two LibreOffice processes sharing a profile block each other or
fail silently), driven through UNO, used by one conversion at a time.

Flow of a request: it waits at most `--queue-timeout` seconds for an idle worker, and only `--queue-size`
requests may wait at once (one more gets a 503 with Retry-After at once). It then has
`--conversion-timeout` seconds: a watchdog kills a worker that overruns (a hung LibreOffice never returns
on its own), the worker is restarted and the request gets a 504; the document is not tried elsewhere,
since a document that hangs one LibreOffice would hang the next. A worker that died by itself (crash,
`kill -9`) is restarted, by the request that finds it dead or by the monitor thread within a second, and
a conversion cut short by such a death is tried once more on the restarted worker.

Every PDF is PDF/A-2b and tagged (PDFA_2B_FILTER_DATA, decision 0022); `--plain-pdf` exists only for the
benchmark's baseline.

    POST /convert   DOCX body → 200 application/pdf (PDF/A-2b, tagged)
                    422 not a DOCX, 411/413 no length/too large, 503 busy (Retry-After), 504 overran,
                    502 LibreOffice failed twice or cannot start
    GET  /healthz   {"workers", "alive", "queued", "busy", "pids", "conversions", "restarts"}

SIGTERM or SIGINT stops the HTTP server, asks every LibreOffice to quit and kills those that do not:
no soffice process outlives the converter.
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
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

try:
    import uno  # Debian's python3-uno, for /usr/bin/python3 only
    from com.sun.star.beans import PropertyValue
except ImportError:  # pragma: no cover - a usage error, said plainly
    sys.exit(
        "cnum_converter: the `uno` module is missing. Run this program with /usr/bin/python3 "
        "(Debian's Python) after installing python3-uno: `make libreoffice`."
    )

logger = logging.getLogger("cnum-converter")

#: Largest DOCX accepted: a convention is a few hundred kilobytes.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: How long a worker may take to start (LibreOffice writes a new profile on its first run).
WORKER_START_TIMEOUT_SECONDS = 60.0
#: How long a worker may take to quit when asked before it is killed.
WORKER_QUIT_TIMEOUT_SECONDS = 5.0
#: LibreOffice's own name of its DOCX import filter: naming it skips type detection, so a body that is not
#: a Word document fails to load instead of being imported as plain text.
DOCX_IMPORT_FILTER = "MS Word 2007 XML"
PDF_EXPORT_FILTER = "writer_pdf_Export"
#: The PDF export filter's options for an archival, accessible document (decision 0022): PDF/A-2b
#: (ISO 19005-2 level B: fonts embedded, an sRGB output intent, XMP metadata, no encryption or scripts),
#: tagged (a structure tree, /MarkInfo, the document's language), with the headings as bookmarks.
#: SelectPdfVersion: 0 is plain PDF 1.7, 1 PDF/A-1b, 2 PDF/A-2b, 3 PDF/A-3b (LibreOffice's filter).
PDFA_2B_FILTER_DATA = (
    ("SelectPdfVersion", 2),
    ("UseTaggedPDF", True),
    ("ExportBookmarks", True),
    ("EmbedStandardFonts", True),  # PDF/A wants every font embedded, the 14 standard ones included
    ("ExportFormFields", False),  # a generated convention has no form to fill
    ("EncryptFile", False),
    ("RestrictPermissions", False),
)
#: The filter's defaults: the baseline `make bench` measures PDF/A against (`--plain-pdf`), never served.
PLAIN_PDF_FILTER_DATA: tuple[tuple[str, object], ...] = ()
#: The UNO exceptions by which a LibreOffice that is still fine refuses a document it cannot read.
DOCUMENT_REFUSED_ERRORS = frozenset({"IllegalArgumentException", "IOException", "ErrorCodeIOException"})


class Busy(Exception):
    """No worker will be free in time, or too many requests wait already (503 with Retry-After)."""


class ConversionOverran(Exception):
    """The conversion overran `--conversion-timeout`; its worker was killed (504)."""


class UnreadableDocument(Exception):
    """LibreOffice cannot read the body as a Word document (422)."""


class WorkerFailed(Exception):
    """The worker died during the conversion, or cannot start (it is restarted)."""


def _property(name: str, value: object) -> object:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _port_accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _soffice_binary(path: str) -> str:
    """The real `soffice.bin` next to a `soffice` launcher script: its pid is LibreOffice itself, so that
    killing it (a watchdog, a test) kills the office and not a wrapper."""
    real = Path(path).resolve()
    binary = real.with_name("soffice.bin")
    if real.name == "soffice" and binary.exists():
        return str(binary)
    return str(real)


#: Every LibreOffice is started from this one thread, which lives as long as the converter: the kernel's
#: parent-death signal (below) fires when the *thread* that started a process ends, so a worker restarted
#: from a request thread would otherwise be killed as soon as that request is answered.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")
#: `setpriv --pdeathsig KILL` (util-linux) makes the kernel kill a worker when the converter dies without
#: stopping it (SIGKILL, a crash): SIGTERM stops workers politely, this covers what SIGTERM cannot.
_DIE_WITH_THE_CONVERTER = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a LibreOffice tied to the converter's life, in a process group of its own: Ctrl-C in a
    terminal reaches the converter only, which then stops its workers in order, and killing the group
    kills any helper LibreOffice started. setpriv execs LibreOffice: the pid is LibreOffice's."""
    return _spawner.submit(
        subprocess.Popen,
        [*_DIE_WITH_THE_CONVERTER, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ).result()


class Worker:
    """One warm LibreOffice, used by one conversion at a time.

    `lock` is held by whoever uses the worker: a conversion, or the monitor restarting it. `_process_lock`
    only guards starting and killing the process, so that the watchdog and shutdown can kill a worker
    that a conversion holds, and so that no worker is started once the converter stops.
    """

    def __init__(
        self,
        index: int,
        soffice: str,
        profiles_dir: Path,
        filter_data: tuple[tuple[str, object], ...] = PDFA_2B_FILTER_DATA,
    ) -> None:
        self.index = index
        self.filter_data = filter_data
        self.soffice = soffice
        self.profile = profiles_dir / f"worker-{index}"
        self.scratch = profiles_dir / f"scratch-{index}"
        self.lock = threading.Lock()
        self.restarts = 0
        self._process_lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._desktop: object = None
        self._stopped = False

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def alive(self) -> bool:
        """Running and connected: ready to convert (a worker that is starting is not alive yet)."""
        process = self._process
        return process is not None and process.poll() is None and self._desktop is not None

    def start(self) -> None:
        """Start LibreOffice and connect to it; returns once it answers over UNO."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        profile_url = self.profile.resolve().as_uri()
        if not self.profile.exists():
            # On a new profile soffice.bin writes it and exits (code 81), expecting its launcher to start
            # it again: a first run that only writes the profile keeps that exit out of the worker's start.
            subprocess.run(  # noqa: S603 (LibreOffice, arguments we build)
                [
                    self.soffice,
                    "--headless",
                    "--terminate_after_init",
                    f"-env:UserInstallation={profile_url}",
                ],
                check=False,
                timeout=WORKER_START_TIMEOUT_SECONDS,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        port = _free_port()
        with self._process_lock:
            if self._stopped:
                raise WorkerFailed(f"worker {self.index}: the converter is stopping")
            process = self._process = _spawn(
                [
                    self.soffice,
                    "--headless",
                    "--invisible",
                    "--nologo",
                    "--norestore",
                    "--nodefault",
                    "--nolockcheck",
                    f"-env:UserInstallation={profile_url}",
                    f"--accept=socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext",
                ]
            )
        deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
        while not _port_accepts(port):  # wait for the port rather than sleeping a fixed time
            if process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise WorkerFailed(f"worker {self.index} did not start (exit code {process.poll()})")
            time.sleep(0.05)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        while True:
            try:
                context = resolver.resolve(
                    f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
                )
                break
            except Exception:  # the port opens a moment before the bridge answers
                if process.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise WorkerFailed(f"worker {self.index} does not answer over UNO") from None
                time.sleep(0.1)
        self._desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        logger.info("worker %d started (pid %d, UNO port %d)", self.index, process.pid, port)

    def kill(self) -> None:
        """SIGKILL the worker's process group and reap it (safe from any thread, at any time)."""
        with self._process_lock:
            process = self._process
            self._desktop = None
            if process is None:
                return
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.error("worker %d (pid %d) did not die", self.index, process.pid)

    def restart(self) -> None:
        self.kill()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        """Ask LibreOffice to quit (it tidies its profile), kill it when it does not, and start no more."""
        with self._process_lock:
            self._stopped = True
            process, desktop = self._process, self._desktop
        if process is not None and process.poll() is None and desktop is not None:
            # terminate() is a remote call: a hung LibreOffice would never answer it, hence a thread of
            # its own and a bounded wait. The bridge goes away as LibreOffice quits: an error is the end.
            def quit_politely() -> None:
                with contextlib.suppress(Exception):
                    desktop.terminate()  # type: ignore[attr-defined]

            threading.Thread(target=quit_politely, name=f"quit-{self.index}", daemon=True).start()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=WORKER_QUIT_TIMEOUT_SECONDS)
        self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _export_properties(self) -> tuple[object, ...]:
        """The media descriptor of the PDF export: the filter, and its options as `FilterData`, which the
        filter reads only as a typed sequence of PropertyValue (a plain tuple would reach it as []any)."""
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            tuple(_property(name, value) for name, value in self.filter_data),
        )
        return (_property("FilterName", PDF_EXPORT_FILTER), _property("FilterData", filter_data))

    def convert(self, docx: bytes, timeout: float) -> bytes:
        """DOCX → PDF through a temporary file; a watchdog kills the worker when it overruns."""
        desktop = self._desktop
        if desktop is None:
            raise WorkerFailed(f"worker {self.index} is not connected")
        descriptor, name = tempfile.mkstemp(suffix=".docx", dir=self.scratch)
        source = Path(name)
        target = source.with_suffix(".pdf")
        overran = threading.Event()

        def kill_on_overrun() -> None:
            overran.set()
            logger.warning("worker %d overran %.1f s: killed", self.index, timeout)
            self.kill()  # breaks the pending UNO call with an exception

        watchdog = threading.Timer(timeout, kill_on_overrun)
        watchdog.daemon = True
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(docx)
            watchdog.start()
            try:
                document = desktop.loadComponentFromURL(  # type: ignore[attr-defined]
                    source.as_uri(),
                    "_blank",
                    0,
                    (
                        _property("Hidden", True),
                        _property("ReadOnly", True),
                        _property("UpdateDocMode", 0),  # NO_UPDATE: no links or fields refreshed
                        _property("MacroExecutionMode", 0),  # NEVER_EXECUTE
                        _property("FilterName", DOCX_IMPORT_FILTER),
                    ),
                )
                if document is None:
                    raise UnreadableDocument("LibreOffice cannot open this document")
                try:
                    document.storeToURL(target.as_uri(), self._export_properties())
                finally:
                    with contextlib.suppress(Exception):
                        document.close(True)
            except UnreadableDocument:
                raise
            except Exception as error:
                if overran.is_set():
                    raise ConversionOverran() from None
                if self._process is None or self._process.poll() is not None:
                    raise WorkerFailed(f"worker {self.index} died: {error}") from None
                if type(error).__name__ in DOCUMENT_REFUSED_ERRORS:
                    raise UnreadableDocument(f"{type(error).__name__}: {error}".strip()) from None
                # Anything else (DisposedException, RuntimeException) says the office itself is unwell.
                raise WorkerFailed(f"worker {self.index} failed: {type(error).__name__}: {error}") from None
            if overran.is_set():
                raise ConversionOverran()
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
        self.queue_size = queue_size
        self.queue_timeout = queue_timeout
        self.conversion_timeout = conversion_timeout
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._counters = threading.Lock()
        self._waiting = 0
        self._busy = 0
        self._conversions = 0
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start every worker at once (each takes a second or two), then the monitor."""
        with ThreadPoolExecutor(max_workers=len(self.workers)) as starter:
            for _ in starter.map(Worker.start, self.workers):
                pass
        for worker in self.workers:
            self._idle.put(worker)
        threading.Thread(target=self._heal_forever, name="monitor", daemon=True).start()

    def _heal_forever(self) -> None:
        """Restart a dead worker while nobody uses it, so the pool heals even with no traffic."""
        while not self._stopping.wait(1.0):
            for worker in self.workers:
                if worker.alive() or not worker.lock.acquire(blocking=False):
                    continue
                try:
                    if not worker.alive() and not self._stopping.is_set():
                        logger.warning("worker %d found dead: restarting", worker.index)
                        worker.restart()
                except Exception:
                    logger.exception("worker %d could not restart (tried again in a second)", worker.index)
                finally:
                    worker.lock.release()

    def _take_idle_worker(self) -> Worker:
        """An idle worker now, or after a bounded wait in a bounded queue (else Busy)."""
        if self._stopping.is_set():
            raise Busy("the converter is stopping")
        with contextlib.suppress(queue.Empty):
            return self._idle.get_nowait()
        with self._counters:
            if self._waiting >= self.queue_size:
                raise Busy(f"all workers are busy and {self._waiting} requests wait already")
            self._waiting += 1
        try:
            return self._idle.get(timeout=self.queue_timeout)
        except queue.Empty:
            raise Busy(f"no worker was free within {self.queue_timeout:g} s") from None
        finally:
            with self._counters:
                self._waiting -= 1

    def convert(self, docx: bytes) -> bytes:
        """Convert on the first idle worker and log one line with the wait and the conversion times."""
        arrived = time.monotonic()
        worker = self._take_idle_worker()
        taken = time.monotonic()
        outcome = "failed"
        with self._counters:
            self._busy += 1
        try:
            with worker.lock:
                pdf = self._convert_on(worker, docx)
            outcome = "converted"
            with self._counters:
                self._conversions += 1
            return pdf
        except ConversionOverran:
            outcome = "overran"
            raise
        except UnreadableDocument:
            outcome = "unreadable"
            raise
        finally:
            with self._counters:
                self._busy -= 1
            self._idle.put(worker)
            finished = time.monotonic()
            logger.info(
                "conversion %s on worker %d: %d bytes, waited %.0f ms, converted in %.0f ms",
                outcome,
                worker.index,
                len(docx),
                (taken - arrived) * 1000,
                (finished - taken) * 1000,
            )

    def _convert_on(self, worker: Worker, docx: bytes) -> bytes:
        """A worker found dead is restarted first; one that dies or fails during the conversion is restarted
        and the document tried once more; one that overran is restarted and the request answered 504."""
        for attempt in (1, 2):
            if not worker.alive():
                worker.restart()
            try:
                return worker.convert(docx, self.conversion_timeout)
            except ConversionOverran:
                self._restart_quietly(worker)
                raise
            except WorkerFailed as failure:
                logger.warning("attempt %d: %s: restarting the worker", attempt, failure)
                if attempt == 2:
                    self._restart_quietly(worker)
                    raise
                worker.kill()  # also a worker still running after an unexpected error: it is suspect
        raise AssertionError("unreachable")

    def _restart_quietly(self, worker: Worker) -> None:
        """Restart now so that the next request finds a warm worker; if it fails the monitor retries."""
        try:
            worker.restart()
        except Exception:
            logger.exception("worker %d could not restart", worker.index)

    def health(self) -> dict[str, object]:
        with self._counters:
            waiting, busy, conversions = self._waiting, self._busy, self._conversions
        return {
            "workers": len(self.workers),
            "alive": sum(worker.alive() for worker in self.workers),
            "queued": waiting,
            "busy": busy,
            "pids": [worker.pid for worker in self.workers],
            "conversions": conversions,
            "restarts": sum(worker.restarts for worker in self.workers),
        }

    def stop(self) -> None:
        """Refuse new conversions and stop every worker (in parallel: each may take a few seconds)."""
        self._stopping.set()
        with ThreadPoolExecutor(max_workers=len(self.workers)) as stopper:
            for _ in stopper.map(Worker.stop, self.workers):
                pass


def looks_like_docx(body: bytes) -> bool:
    """A DOCX is a zip holding word/document.xml: checked before a worker is spent on the body."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


class ConverterServer(ThreadingHTTPServer):
    """One thread per request; those threads wait on the pool."""

    #: A request still waiting at shutdown does not keep the process alive.
    daemon_threads = True

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A client that gave up (its own timeout) before its PDF was ready is one line, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            logger.info("client %s:%d left before the answer: %s", *client_address[:2], type(error).__name__)
        else:
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def make_handler(pool: Pool) -> type[BaseHTTPRequestHandler]:
    class ConverterHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        #: Seconds a client may take to send its request: a stalled upload does not hold a thread forever.
        timeout = 60

        def log_message(self, format: str, *args: object) -> None:
            logger.debug(format, *args)

        def _send_json(
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

        def _send_error(
            self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None
        ) -> None:
            """The project's error shape: {"code", "status", "message"}."""
            self._send_json(
                status, {"code": status.value, "status": status.phrase, "message": message}, headers
            )

        def do_GET(self) -> None:
            if self.path in ("/healthz", "/healthz/"):
                self._send_json(HTTPStatus.OK, pool.health())
            else:
                self._send_error(HTTPStatus.NOT_FOUND, "unknown path: GET /healthz or POST /convert")

        def do_POST(self) -> None:
            if self.path != "/convert":
                self.close_connection = True  # the body is left unread
                self._send_error(HTTPStatus.NOT_FOUND, "unknown path: GET /healthz or POST /convert")
                return
            length_header = self.headers.get("Content-Length")
            if length_header is None or not length_header.isdigit():
                self.close_connection = True
                self._send_error(HTTPStatus.LENGTH_REQUIRED, "send the DOCX with a Content-Length")
                return
            length = int(length_header)
            if length > MAX_DOCUMENT_BYTES:
                self.close_connection = True
                self._send_error(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the document exceeds {MAX_DOCUMENT_BYTES} bytes"
                )
                return
            body = self.rfile.read(length)
            if not looks_like_docx(body):
                self._send_error(HTTPStatus.UNPROCESSABLE_ENTITY, "the body is not a DOCX document")
                return
            try:
                pdf = pool.convert(body)
            except Busy as busy:
                self._send_error(HTTPStatus.SERVICE_UNAVAILABLE, str(busy), {"Retry-After": "1"})
            except ConversionOverran:
                self._send_error(
                    HTTPStatus.GATEWAY_TIMEOUT,
                    f"the conversion took over {pool.conversion_timeout:g} s: its worker was restarted",
                )
            except UnreadableDocument as error:
                self._send_error(HTTPStatus.UNPROCESSABLE_ENTITY, f"LibreOffice cannot read it: {error}")
            except WorkerFailed as error:
                self._send_error(HTTPStatus.BAD_GATEWAY, f"LibreOffice failed: {error}")
            except Exception:
                logger.exception("unexpected failure of a conversion")
                self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "unexpected failure of the converter")
            else:
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(pdf)))
                self.end_headers()
                self.wfile.write(pdf)

    return ConverterHandler


def default_profiles_dir() -> Path:
    """CNUM_VAR_DIR/converter, as every process of `make run` keeps its files under CNUM_VAR_DIR (the rule of
    cnum_shared.framework.config, which this standalone program, run by Debian's Python, cannot import)."""
    return Path(os.environ.get("CNUM_VAR_DIR") or "var") / "converter"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="cnum's PDF converter: a pool of warm LibreOffice workers.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2002, help="HTTP port (default 2002)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="LibreOffice processes (default: one per core)",
    )
    parser.add_argument(
        "--queue-size", type=int, default=None, help="requests that may wait (default 4 × workers)"
    )
    parser.add_argument(
        "--queue-timeout",
        type=float,
        default=30.0,
        help="seconds a request may wait for a worker (default 30)",
    )
    parser.add_argument(
        "--conversion-timeout", type=float, default=60.0, help="seconds one conversion may take (default 60)"
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        default=default_profiles_dir(),
        help="one LibreOffice profile per worker (default: CNUM_VAR_DIR/converter)",
    )
    parser.add_argument(
        "--soffice", default="/usr/lib/libreoffice/program/soffice.bin", help="the LibreOffice program"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG logs every HTTP request")
    parser.add_argument(
        "--plain-pdf",
        action="store_true",
        help="export plain PDF 1.7, neither PDF/A nor tagged: only for `make bench`'s baseline",
    )
    arguments = parser.parse_args(argv)
    if arguments.workers < 1:
        parser.error("--workers must be at least 1")
    if arguments.queue_size is None:
        arguments.queue_size = 4 * arguments.workers
    if arguments.queue_size < 0 or arguments.queue_timeout < 0 or arguments.conversion_timeout <= 0:
        parser.error("--queue-size, --queue-timeout and --conversion-timeout must be positive")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=arguments.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    soffice = _soffice_binary(arguments.soffice)
    filter_data = PLAIN_PDF_FILTER_DATA if arguments.plain_pdf else PDFA_2B_FILTER_DATA
    profiles_dir = arguments.profiles_dir.resolve()
    profiles_dir.mkdir(parents=True, exist_ok=True)
    pool = Pool(
        [Worker(index, soffice, profiles_dir, filter_data) for index in range(arguments.workers)],
        queue_size=arguments.queue_size,
        queue_timeout=arguments.queue_timeout,
        conversion_timeout=arguments.conversion_timeout,
    )
    server = ConverterServer((arguments.host, arguments.port), make_handler(pool))

    def stop_on_signal(signum: int, frame: object) -> None:
        logger.info("stopping (%s)", signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return: it cannot run in the thread that serves.
        threading.Thread(target=server.shutdown, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        pool.start()
        logger.info(
            "listening on http://%s:%d: %d workers, queue of %d, waits ≤ %g s, conversions ≤ %g s, %s",
            arguments.host,
            arguments.port,
            len(pool.workers),
            pool.queue_size,
            pool.queue_timeout,
            pool.conversion_timeout,
            "plain PDF (benchmark baseline)" if arguments.plain_pdf else "PDF/A-2b, tagged",
        )
        server.serve_forever()
    finally:
        server.server_close()
        pool.stop()
        logger.info("stopped: no LibreOffice left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
