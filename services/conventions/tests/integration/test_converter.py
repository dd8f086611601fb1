"""The warm LibreOffice pool: converts, survives a killed worker, refuses what it cannot take, stops clean."""

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
    ConversionFailed,
    ConverterBusy,
    ConverterUnavailable,
    PdfConverter,
    start_converter,
    stop_converter,
    wait_until_ready,
)

PARAGRAPH = "Convention de subvention – 67 500,00 €"


def a_docx(paragraphs=1):
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"{PARAGRAPH} ({number})" if number else PARAGRAPH)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def text_of(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_docx_becomes_a_pdf_with_its_text(converter_url):
    pdf = PdfConverter(converter_url, 60).convert(a_docx())

    assert pdf.startswith(b"%PDF-")
    assert PARAGRAPH in text_of(pdf)


def test_concurrent_conversions_all_succeed(converter_url):
    converter = PdfConverter(converter_url, 120)
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda _: converter.convert(a_docx()), range(6)))

    assert all(PARAGRAPH in text_of(pdf) for pdf in pdfs)


def test_a_body_that_is_not_a_docx_is_refused(converter_url):
    with pytest.raises(ConversionFailed):
        PdfConverter(converter_url, 30).convert(b"%PDF-1.4 not a docx")


def wait_for_health(url, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = requests.get(f"{url}/healthz", timeout=5).json()
        if condition(health):
            return health
        time.sleep(0.2)
    raise AssertionError(f"the converter did not reach the expected state: {health}")


@pytest.fixture
def own_converter(tmp_path):
    """A converter of its own (1 worker, a queue of 1, 3 s per conversion) for the tests that hurt it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_converter(
        port, 1, tmp_path / "profiles", queue_size=1, queue_timeout=0.5, conversion_timeout=3
    )
    try:
        wait_until_ready(url, process=process)
        yield url, process, tmp_path / "profiles"
    finally:
        stop_converter(process)


def test_a_killed_worker_is_restarted_and_the_pool_heals(own_converter):
    url, _, _ = own_converter
    converter = PdfConverter(url, 60)
    before = requests.get(f"{url}/healthz", timeout=5).json()

    os.kill(before["pids"][0], signal.SIGKILL)
    pdf = converter.convert(a_docx())
    after = wait_for_health(url, lambda health: health["alive"] == 1 and health["restarts"] >= 1)

    assert PARAGRAPH in text_of(pdf)
    assert after["pids"] != before["pids"]


def test_a_worker_killed_during_a_conversion_finishes_it_on_its_restart_or_says_503(own_converter):
    url, _, _ = own_converter
    big = a_docx(paragraphs=4000)
    outcome = {}

    def convert():
        try:
            outcome["pdf"] = PdfConverter(url, 60).convert(big)
        except (ConverterBusy, ConverterUnavailable) as error:
            outcome["refused"] = error

    request = threading.Thread(target=convert)
    request.start()
    busy = wait_for_health(url, lambda health: health["busy"] == 1, seconds=30)
    os.kill(busy["pids"][0], signal.SIGKILL)
    request.join(timeout=60)
    healed = wait_for_health(url, lambda health: health["alive"] == 1 and health["busy"] == 0)

    assert not request.is_alive()
    assert ("pdf" in outcome and outcome["pdf"].startswith(b"%PDF-")) or "refused" in outcome
    assert healed["restarts"] >= 1
    assert PARAGRAPH in text_of(PdfConverter(url, 60).convert(a_docx()))


def test_a_hung_worker_is_killed_after_the_conversion_timeout_and_replaced(own_converter):
    url, _, _ = own_converter
    before = requests.get(f"{url}/healthz", timeout=5).json()

    os.kill(before["pids"][0], signal.SIGSTOP)  # the worker stops answering, as a hung LibreOffice does
    started = time.monotonic()
    hung = requests.post(f"{url}/convert", data=a_docx(), timeout=30)
    waited = time.monotonic() - started
    after = wait_for_health(url, lambda health: health["alive"] == 1 and health["restarts"] >= 1)

    assert hung.status_code == 504
    assert 3 <= waited < 15
    assert after["pids"] != before["pids"]
    assert PARAGRAPH in text_of(PdfConverter(url, 60).convert(a_docx()))


def test_more_requests_than_the_worker_and_its_queue_get_a_503_with_retry_after(own_converter):
    url, _, _ = own_converter
    big = a_docx(paragraphs=3000)  # long enough that the worker stays busy while the others arrive

    def attempt(_):
        try:
            PdfConverter(url, 60).convert(big)
            return "converted"
        except ConverterBusy as busy:
            return f"busy {busy.retry_after}"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))

    assert "converted" in outcomes
    assert "busy 1" in outcomes
    wait_for_health(url, lambda health: health["alive"] == 1 and health["queued"] == 0)


def test_stopping_the_converter_leaves_no_libreoffice_behind(tmp_path):
    port = free_port()
    profiles = tmp_path / "profiles"
    process = start_converter(port, 2, profiles)
    wait_until_ready(f"http://127.0.0.1:{port}", process=process)

    stop_converter(process)

    assert process.returncode == 0
    left = subprocess.run(["pgrep", "-f", str(profiles)], capture_output=True, text=True, check=False)
    assert left.stdout.strip() == ""
