"""The warm LibreOffice pool as a real process: converts, survives a killed worker, refuses what it cannot
take, stops clean.

One converter with 2 workers serves the module; the tests that hurt a converter on purpose (a hung worker,
a full queue) share a second one with 1 worker and a queue of 1; the shutdown test starts its own.
"""

import io
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import docx
import pytest
import requests
from pypdf import PdfReader

from cnum_shared.testing import free_port
from conventions.adapters.converter import (
    DOCX_MEDIA_TYPE,
    ConversionFailed,
    ConverterBusy,
    ConverterUnavailable,
    PdfConverter,
    libreoffice_available,
    start_converter,
    stop_converter,
    wait_until_ready,
)

pytestmark = pytest.mark.slow

PARAGRAPH = "Convention de subvention – 67 500,00 €"


@pytest.fixture(scope="module", autouse=True)
def _libreoffice_or_skip():
    if not libreoffice_available():
        reason = "LibreOffice and Debian's python3-uno are not installed (make libreoffice)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: required under CI")
        pytest.skip(reason)


def a_docx(paragraphs=1):
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"{PARAGRAPH} ({number})" if number else PARAGRAPH)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def text_of(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def health_of(url):
    return requests.get(f"{url}/healthz", timeout=5).json()


def wait_for_health(url, condition, seconds=60):
    deadline = time.monotonic() + seconds
    health = None
    while time.monotonic() < deadline:
        health = health_of(url)
        if condition(health):
            return health
        time.sleep(0.2)
    raise AssertionError(f"the converter did not reach the expected state in {seconds} s: {health}")


def profiles_processes(profiles):
    """The pids of the processes whose command line names this converter's profiles directory."""
    found = subprocess.run(["pgrep", "-f", str(profiles)], capture_output=True, text=True, check=False)
    return found.stdout.split()


def running_converter(directory, workers, **options):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_converter(port, workers, directory / "profiles", directory / "converter.log", **options)
    try:
        wait_until_ready(url, 120, process=process)
    except RuntimeError:
        stop_converter(process)
        raise
    return url, process


@pytest.fixture(scope="module")
def pool_url(tmp_path_factory):
    """The module's converter: 2 warm workers, default queue (8) and timeouts."""
    url, process = running_converter(tmp_path_factory.mktemp("converter"), 2)
    yield url
    stop_converter(process)


@pytest.fixture(scope="module")
def small_pool_url(tmp_path_factory):
    """A converter to hurt: 1 worker, a queue of 1 waiting ≤ 0.5 s, conversions ≤ 3 s."""
    url, process = running_converter(
        tmp_path_factory.mktemp("small-converter"), 1, queue_size=1, queue_timeout=0.5, conversion_timeout=3
    )
    yield url
    stop_converter(process)


def test_a_docx_becomes_a_pdf_with_its_text(pool_url):
    response = requests.post(
        f"{pool_url}/convert", data=a_docx(), headers={"Content-Type": DOCX_MEDIA_TYPE}, timeout=60
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert PARAGRAPH in text_of(response.content)


def test_concurrent_conversions_all_succeed(pool_url):
    converter = PdfConverter(pool_url, 120)
    with ThreadPoolExecutor(max_workers=6) as clients:
        pdfs = list(clients.map(lambda _: converter.convert(a_docx()), range(6)))

    assert len(pdfs) == 6
    assert all(PARAGRAPH in text_of(pdf) for pdf in pdfs)


def test_a_body_that_is_not_a_docx_gets_a_422(pool_url):
    response = requests.post(
        f"{pool_url}/convert",
        data=b"%PDF-1.4 not a docx",
        headers={"Content-Type": DOCX_MEDIA_TYPE},
        timeout=30,
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": "the body is not a DOCX document",
    }
    with pytest.raises(ConversionFailed):
        PdfConverter(pool_url, 30).convert(b"PK not a zip either")


def test_health_counts_the_workers(pool_url):
    health = health_of(pool_url)

    assert health["workers"] == 2
    assert health["alive"] == 2
    assert health["queued"] == 0
    assert len(set(health["pids"])) == 2


def test_a_killed_worker_is_restarted_and_the_pool_heals(pool_url):
    before = wait_for_health(pool_url, lambda health: health["alive"] == 2)
    killed = before["pids"][0]

    os.kill(killed, signal.SIGKILL)
    converter = PdfConverter(pool_url, 60)
    pdfs = [converter.convert(a_docx()) for _ in range(3)]  # whichever worker each lands on
    after = wait_for_health(pool_url, lambda health: health["alive"] == 2 and killed not in health["pids"])

    assert all(PARAGRAPH in text_of(pdf) for pdf in pdfs)
    assert after["restarts"] >= before["restarts"] + 1
    assert after["pids"][1] == before["pids"][1]  # the other worker stayed warm


def test_a_worker_killed_during_a_conversion_finishes_it_on_its_restart_or_says_so(small_pool_url):
    before = wait_for_health(small_pool_url, lambda health: health["alive"] == 1 and health["busy"] == 0)
    big = a_docx(paragraphs=4000)
    outcome = {}

    def convert():
        try:
            outcome["pdf"] = PdfConverter(small_pool_url, 60).convert(big)
        except (ConverterBusy, ConverterUnavailable) as error:
            outcome["refused"] = error

    request = threading.Thread(target=convert)
    request.start()
    busy = wait_for_health(small_pool_url, lambda health: health["busy"] == 1, seconds=30)
    os.kill(busy["pids"][0], signal.SIGKILL)
    request.join(timeout=60)
    healed = wait_for_health(small_pool_url, lambda health: health["alive"] == 1 and health["busy"] == 0)

    assert not request.is_alive()
    assert ("pdf" in outcome and outcome["pdf"].startswith(b"%PDF-")) or "refused" in outcome
    assert healed["restarts"] >= before["restarts"] + 1
    assert PARAGRAPH in text_of(PdfConverter(small_pool_url, 60).convert(a_docx()))


def test_a_hung_worker_is_killed_after_the_conversion_timeout_and_replaced(small_pool_url):
    before = wait_for_health(small_pool_url, lambda health: health["alive"] == 1)

    os.kill(before["pids"][0], signal.SIGSTOP)  # the worker stops answering, as a hung LibreOffice does
    started = time.monotonic()
    hung = requests.post(f"{small_pool_url}/convert", data=a_docx(), timeout=30)
    waited = time.monotonic() - started
    after = wait_for_health(small_pool_url, lambda health: health["alive"] == 1)

    assert hung.status_code == 504
    assert hung.json()["code"] == 504
    assert 3 <= waited < 15
    assert after["pids"] != before["pids"]
    assert PARAGRAPH in text_of(PdfConverter(small_pool_url, 60).convert(a_docx()))


def test_more_requests_than_the_worker_and_its_queue_get_a_503_with_retry_after(small_pool_url):
    wait_for_health(small_pool_url, lambda health: health["alive"] == 1)
    big = a_docx(paragraphs=3000)  # long enough that the worker stays busy while the others arrive

    def attempt(_):
        response = requests.post(f"{small_pool_url}/convert", data=big, timeout=60)
        return response.status_code, response.headers.get("Retry-After")

    with ThreadPoolExecutor(max_workers=8) as clients:
        outcomes = list(clients.map(attempt, range(8)))

    assert (200, None) in outcomes
    assert (503, "1") in outcomes
    assert {status for status, _ in outcomes} <= {200, 503}
    wait_for_health(small_pool_url, lambda health: health["alive"] == 1 and health["queued"] == 0)


def test_the_client_turns_a_503_into_converter_busy(small_pool_url):
    wait_for_health(small_pool_url, lambda health: health["alive"] == 1 and health["queued"] == 0)
    big = a_docx(paragraphs=3000)

    def attempt(_):
        try:
            PdfConverter(small_pool_url, 60).convert(big)
        except ConverterBusy as busy:
            return f"busy, retry after {busy.retry_after} s"
        return "converted"

    with ThreadPoolExecutor(max_workers=8) as clients:
        outcomes = list(clients.map(attempt, range(8)))

    assert "converted" in outcomes
    assert "busy, retry after 1 s" in outcomes


def test_stopping_the_converter_leaves_no_libreoffice_behind(tmp_path):
    url, process = running_converter(tmp_path, 2)
    workers = set(profiles_processes(tmp_path / "profiles")) - {str(process.pid)}
    assert len(workers) == 2  # the two LibreOffice workers, found by their profiles
    assert PARAGRAPH in text_of(PdfConverter(url, 60).convert(a_docx()))

    stop_converter(process)

    assert process.returncode == 0
    assert profiles_processes(tmp_path / "profiles") == []


def test_a_converter_killed_outright_takes_its_workers_with_it(tmp_path):
    _, process = running_converter(tmp_path, 1)
    workers = set(profiles_processes(tmp_path / "profiles")) - {str(process.pid)}
    assert len(workers) == 1

    process.kill()  # no chance to stop its workers: the kernel's parent-death signal does it
    process.wait(timeout=10)

    deadline = time.monotonic() + 10
    while profiles_processes(tmp_path / "profiles") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert profiles_processes(tmp_path / "profiles") == []


def test_without_a_profiles_directory_the_converter_keeps_its_profiles_under_cnum_var_dir(
    tmp_path, monkeypatch
):
    var_dir = tmp_path / "elsewhere"
    monkeypatch.setenv("CNUM_VAR_DIR", str(var_dir))
    port = free_port()
    process = start_converter(port, 1, None, tmp_path / "converter.log")
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process=process)
        workers = set(profiles_processes(var_dir / "converter")) - {str(process.pid)}

        assert (var_dir / "converter" / "worker-0").is_dir()
        assert len(workers) == 1  # its LibreOffice runs on the profile under CNUM_VAR_DIR
    finally:
        stop_converter(process)
