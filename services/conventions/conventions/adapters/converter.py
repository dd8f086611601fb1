"""The service's side of the PDF converter (services/conventions/converter): an HTTP client, and how to
start the converter process (for `make run`, the scheduler's batches and the tests)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import IO

import requests

#: The converter program, run by Debian's Python (the only one with LibreOffice's `uno` module).
CONVERTER_SCRIPT = Path(__file__).resolve().parents[2] / "converter" / "cnum_converter.py"
SYSTEM_PYTHON = "/usr/bin/python3"
SOFFICE = "/usr/lib/libreoffice/program/soffice.bin"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ConverterBusy(Exception):
    """Every worker is busy and the queue is full: retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"converter busy, retry after {retry_after} s")
        self.retry_after = retry_after


class ConverterUnavailable(Exception):
    """The converter cannot be reached, or failed (hung worker, crash)."""


class ConversionFailed(Exception):
    """LibreOffice cannot read the document."""


class PdfConverter:
    """Converts DOCX to PDF through the warm LibreOffice pool."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def convert(self, docx: bytes) -> bytes:
        try:
            response = requests.post(
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
            raise ConverterBusy(int(response.headers.get("Retry-After", "1") or 1))
        if response.status_code == 422:
            raise ConversionFailed(response.text[:500])
        raise ConverterUnavailable(f"converter answered {response.status_code}: {response.text[:200]}")

    def health(self) -> dict[str, object]:
        answer: dict[str, object] = requests.get(f"{self.base_url}/healthz", timeout=5).json()
        return answer


def libreoffice_available() -> bool:
    """Whether this machine can run the converter (LibreOffice and Debian's python3-uno)."""
    if not (Path(SOFFICE).exists() and Path(SYSTEM_PYTHON).exists()):
        return False
    probe = subprocess.run(  # noqa: S603 (Debian's interpreter, fixed arguments)
        [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False
    )
    return probe.returncode == 0


def start_converter(
    port: int,
    workers: int,
    profiles_dir: Path,
    *,
    queue_size: int | None = None,
    queue_timeout: float = 30.0,
    conversion_timeout: float = 60.0,
    log: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start the converter in the background on 127.0.0.1:`port` (wait_until_ready tells when it serves)."""
    arguments = [
        SYSTEM_PYTHON,
        str(CONVERTER_SCRIPT),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--profiles-dir",
        str(profiles_dir),
        "--queue-timeout",
        str(queue_timeout),
        "--conversion-timeout",
        str(conversion_timeout),
    ]
    if queue_size is not None:
        arguments += ["--queue-size", str(queue_size)]
    # A clean environment: the project's virtualenv must not leak into Debian's Python.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    return subprocess.Popen(  # noqa: S603 (our converter, arguments we build)
        arguments, stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL, env=environment
    )


def wait_until_ready(
    base_url: str, timeout_seconds: float = 90.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll /healthz until every worker is alive (bounded); RuntimeError when it does not come up."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the converter exited with code {process.returncode}")
        try:
            health = requests.get(f"{base_url}/healthz", timeout=2).json()
            if health["alive"] == health["workers"]:
                return
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the converter at {base_url} did not come up in {timeout_seconds:.0f} s")


def stop_converter(process: subprocess.Popen[bytes], timeout_seconds: float = 30.0) -> None:
    """SIGTERM, then wait: the converter stops its LibreOffice workers before it exits."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
