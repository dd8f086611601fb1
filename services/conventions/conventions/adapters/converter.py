"""The service's side of the PDF converter (services/conventions/converter): an HTTP client, and how to start
the converter process (for `make run`-style launching, the scheduler's batches and the tests).

The converter is a separate program run by Debian's /usr/bin/python3, the only interpreter with LibreOffice's
`uno` module; this module never imports `uno` and only speaks HTTP to it.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO

import requests

from conventions.domain.documents import ConversionFailed, ConverterBusy, ConverterUnavailable

__all__ = [
    "ConversionFailed",
    "ConverterBusy",
    "ConverterUnavailable",
    "PdfConverter",
    "libreoffice_available",
    "start_converter",
    "stop_converter",
    "wait_until_ready",
]

#: The converter program, run by Debian's Python (the only one with LibreOffice's `uno` module).
CONVERTER_SCRIPT = Path(__file__).resolve().parents[2] / "converter" / "cnum_converter.py"
SYSTEM_PYTHON = "/usr/bin/python3"
SOFFICE = "/usr/lib/libreoffice/program/soffice.bin"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: What the converter's own docstring promises when it is busy; used when Retry-After cannot be read.
DEFAULT_RETRY_AFTER_SECONDS = 1


def _retry_after_seconds(header: str | None) -> int:
    """Retry-After is seconds or an HTTP date; anything unreadable means the converter's default."""
    if not header:
        return DEFAULT_RETRY_AFTER_SECONDS
    if header.strip().isdigit():
        return max(int(header), 0)
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(int(moment.timestamp() - time.time()), 0)


class PdfConverter:
    """Converts DOCX to PDF through the warm LibreOffice pool, and turns its answers into exceptions."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url.rstrip("/")
        #: Covers the converter's queue wait and its conversion: keep it above both of the converter's.
        self.timeout_seconds = timeout_seconds
        # One HTTP session per thread (a requests.Session is not thread-safe): its connection is kept
        # alive between conversions, and a batch does not build a session and a connection per document.
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def convert(self, docx: bytes) -> bytes:
        try:
            response = self._session().post(
                f"{self.base_url}/convert",
                data=docx,
                headers={"Content-Type": DOCX_MEDIA_TYPE},
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as error:
            raise ConverterUnavailable(f"converter unreachable at {self.base_url}: {error}") from None
        if response.status_code == 200:
            return response.content
        if response.status_code == 503:
            raise ConverterBusy(_retry_after_seconds(response.headers.get("Retry-After")))
        if response.status_code == 422:
            raise ConversionFailed(_message_of(response))
        raise ConverterUnavailable(f"converter answered {response.status_code}: {_message_of(response)}")


def _message_of(response: requests.Response) -> str:
    """The `message` of the converter's JSON error, else the start of whatever it answered."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200]


def libreoffice_available() -> bool:
    """Whether this machine can run the converter (LibreOffice and Debian's python3-uno)."""
    if not (Path(SOFFICE).exists() and Path(SYSTEM_PYTHON).exists()):
        return False
    probe = subprocess.run(  # noqa: S603 (Debian's interpreter, fixed arguments)
        [SYSTEM_PYTHON, "-c", "import uno"],
        capture_output=True,
        check=False,
        env=_system_python_environment(),
    )
    return probe.returncode == 0


def _system_python_environment() -> dict[str, str]:
    """This environment without the project's virtualenv, which must not leak into Debian's Python."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }


def start_converter(
    port: int,
    workers: int,
    profiles_dir: Path | None,
    log_path: Path | None = None,
    *,
    queue_size: int | None = None,
    queue_timeout: float = 30.0,
    conversion_timeout: float = 60.0,
    log: IO[bytes] | None = None,
    plain_pdf: bool = False,
) -> subprocess.Popen[bytes]:
    """Start the converter in the background on 127.0.0.1:`port`; wait_until_ready tells when it serves.

    Its workers' LibreOffice profiles go under `profiles_dir`, or, when None, under `converter/` of the
    var directory (CNUM_VAR_DIR, as every process of `make run`).

    Its log (stderr: one line per conversion) goes to `log_path` (appended), or to the open file `log`,
    or nowhere. Stop it with stop_converter: SIGTERM, after which it stops its LibreOffice workers.

    Its PDFs are PDF/A-2b and tagged; `plain_pdf` exports plain PDF instead, for the benchmark's baseline
    only (bench/run.py measures what PDF/A costs).
    """
    arguments = [
        SYSTEM_PYTHON,
        str(CONVERTER_SCRIPT),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--queue-timeout",
        str(queue_timeout),
        "--conversion-timeout",
        str(conversion_timeout),
    ]
    if queue_size is not None:
        arguments += ["--queue-size", str(queue_size)]
    if profiles_dir is not None:
        arguments += ["--profiles-dir", str(profiles_dir)]
    if plain_pdf:
        arguments.append("--plain-pdf")
    if log_path is None:
        return subprocess.Popen(  # noqa: S603 (our converter, arguments we build)
            arguments,
            stdout=log or subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL,
            env=_system_python_environment(),
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The child keeps its own copy of the descriptor: ours can close at once.
    with log_path.open("ab") as log_file:
        return subprocess.Popen(  # noqa: S603 (our converter, arguments we build)
            arguments, stdout=log_file, stderr=log_file, env=_system_python_environment()
        )


def wait_until_ready(
    base_url: str, timeout: float = 90.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll /healthz until every worker is alive (bounded); RuntimeError when it does not come up, or
    at once when `process` (the converter) exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the converter exited with code {process.returncode}")
        try:
            health = requests.get(f"{base_url}/healthz", timeout=2).json()
            if health["workers"] and health["alive"] == health["workers"]:
                return
        except (requests.RequestException, ValueError, KeyError, TypeError):
            pass  # not listening yet: its workers start before its HTTP server does
        time.sleep(0.2)
    raise RuntimeError(f"the converter at {base_url} did not come up in {timeout:g} s")


def stop_converter(process: subprocess.Popen[bytes], timeout_seconds: float = 30.0) -> None:
    """SIGTERM, then wait: the converter stops its LibreOffice workers before it exits. SIGKILL only as a
    last resort, since it would leave those workers running."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
