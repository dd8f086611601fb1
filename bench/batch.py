"""One measure of `make bench`: a document batch of the whole programme (4,000 signed conventions) to PDF.

The conventions service runs as in infra/Procfile: gunicorn with 2 workers for the HTTP API, the scheduler
(`python -m conventions.jobs serve`, whose `run_document_batches` job renders the batch) and the warm
LibreOffice converter with one worker per core. The conventions are seeded through the service layer in
this process before anything starts, then ONE batch of all of them is requested, followed and downloaded
over HTTP, as a legal officer would.

Meanwhile a sampler thread reads the resident memory (VmRSS) of every process involved twice a second
and keeps the peak of each: a batch must not make a process grow with the number of documents. The memory
of the process that renders the batch is also read when a quarter of the documents are through (1,000 of
4,000) and at the end: flat means the end within 1.1 × the quarter.

The floor (DESIGN §7) is measured in the same run on the same converter: N × (a bare docxtpl rendering of
the convention template, as bench_docx's baseline + one warm conversion on the converter, alone) ÷ the
converter's workers. Beside it, not part of it, a conversion while every worker converts at once: what the
batch's conversions cost each other on this machine. The batch's time is the scheduler's own, from its
claim of the batch to its ZIP. Its parts per document are timed in this process, one document at a time
through the same use case (render_item) on a copy of the seeded database: rendering, conversion, the
provenance metadata and the seal (one incremental update, decision 0041), hashing, store write, and the
rest (queries and commits).

    .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); from batch import bench_batch; \
print(bench_batch(40))"
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
from common import Result, free_port, signed_convention, stop_process, timed, wait_for_http

#: How often the sampler reads the processes' memory, and how often the progress is printed.
SAMPLE_SECONDS = 0.5
PROGRESS_SECONDS = 10.0
MB = 1024 * 1024


# --- Memory of a process tree, from /proc (psutil is not in the virtualenv) ---------------------------


def _rss_bytes(pid: int) -> int | None:
    """Resident memory of a process, or None when it is gone (or a zombie, which has no VmRSS)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _parents() -> dict[int, int]:
    """pid → parent pid of every process (this kernel has no /proc/<pid>/task/<tid>/children)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                # The command name is in parentheses and may hold spaces: the fields follow the last ")".
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
        parents[int(entry)] = int(fields[1])
    return parents


def _descendants(root: int, parents: dict[int, int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "?"


@dataclass
class Peak:
    """What the sampler saw of one process: its memory when first seen, at the batch start, and at most."""

    label: str
    first: int
    start: int | None = None
    peak: int = 0


@dataclass
class MemorySampler:
    """Samples the RSS of each root process and all of its descendants every SAMPLE_SECONDS.

    `roots` maps a group name ("gunicorn", "scheduler", "converter") to the pid of its first process;
    each process gets its own Peak, and each group the peak of its total.
    """

    roots: dict[str, int]
    processes: dict[int, Peak] = field(default_factory=dict)
    group_peaks: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        parents = _parents()
        with self._lock:
            for group, root in self.roots.items():
                total = 0
                for pid in [root, *_descendants(root, parents)]:
                    rss = _rss_bytes(pid)
                    if rss is None:
                        continue
                    total += rss
                    if pid not in self.processes:
                        role = "master" if group == "gunicorn" and pid == root else _command_name(pid)
                        self.processes[pid] = Peak(f"{group} {role} (pid {pid})", rss)
                    peak = self.processes[pid]
                    peak.peak = max(peak.peak, rss)
                self.group_peaks[group] = max(self.group_peaks.get(group, 0), total)

    def mark_start(self) -> None:
        """Take the current memory of every process as its memory at the start of the batch."""
        self.sample()
        with self._lock:
            for pid, peak in self.processes.items():
                peak.start = _rss_bytes(pid)

    def largest(self, group: str, exclude_root: bool = False) -> Peak | None:
        """The process of the group whose peak was the highest (the gunicorn master is not a worker)."""
        with self._lock:
            candidates = [
                peak
                for pid, peak in self.processes.items()
                if peak.label.startswith(f"{group} ") and not (exclude_root and pid == self.roots[group])
            ]
        return max(candidates, key=lambda peak: peak.peak, default=None)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sample()


# --- Seeding and processes -----------------------------------------------------------------------------


def _seed(database_url: str, conventions: int) -> None:
    """The demo structures, then `conventions` signed conventions spread over them, through the use
    cases (create, then sign: the same rows, tranches and `convention.signed` events as over HTTP)."""
    from cnum_shared.core.legal import Wave
    from cnum_shared.core.parameters import parameters
    from conventions.adapters.files import LocalFiles
    from conventions.adapters.unit_of_work import ConventionsDatabase
    from conventions.demo import DEMO_CONVENTIONS, DEMO_REGISTERED_ON, DEMO_STRUCTURES
    from conventions.service_layer.commands import CreateConvention, CreateStructure
    from conventions.service_layer.structures import create_structure

    database = ConventionsDatabase(
        database_url, parameters=parameters(), files=LocalFiles(Path(tempfile.mkdtemp(prefix="cnum-bench-")))
    )
    try:
        structures = {}
        for fields in DEMO_STRUCTURES:
            with database.unit_of_work() as uow:
                structures[fields["siret"]] = create_structure(
                    uow, CreateStructure(**fields, on=DEMO_REGISTERED_ON)
                ).id
        for number in range(conventions):
            fields = DEMO_CONVENTIONS[number % len(DEMO_CONVENTIONS)]
            command = CreateConvention(
                structure_id=structures[fields["siret"]],
                wave=Wave(fields["wave"]),
                posts=fields["posts"],
                start_date=fields["start_date"],
                duration_months=fields["duration_months"],
            )
            signed_convention(database, command, fields["signed_on"])
    finally:
        database.dispose()


def _mb(value: int | None) -> float:
    return (value or 0) / MB


# --- The floor and the parts of a document ----------------------------------------------------------------

#: Documents timed for the floor's two terms (the best of three passes) and for the parts.
FLOOR_SAMPLE = 20
PARTS_SAMPLE = 30


@dataclass(frozen=True)
class FloorTerms:
    """Seconds per document of the floor's two terms, and beside them (reported, not part of the floor) a
    conversion while every converter worker converts at once, as in a batch."""

    render: float
    conversion: float
    conversion_all_workers: float


def _floor_terms(converter_url: str, workers: int) -> FloorTerms:
    """A bare docxtpl rendering of the convention template (bench_docx's baseline) and one warm conversion
    of it on the converter, nothing else running; then the same conversions on all workers at once."""
    import io
    from concurrent.futures import ThreadPoolExecutor

    from docxtpl import DocxTemplate
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from cnum_shared.core.parameters import parameters
    from conventions.adapters.converter import PdfConverter
    from conventions.adapters.document_adapters import built_in_template
    from conventions.adapters.document_context import SAMPLE_DATA, template_context
    from conventions.adapters.documents import render_docx

    template = built_in_template("convention")
    context = template_context("convention", SAMPLE_DATA["convention"], tree=parameters())

    def bare() -> None:
        for _ in range(FLOOR_SAMPLE):
            document = DocxTemplate(io.BytesIO(template))
            document.render(context, jinja_env=ImmutableSandboxedEnvironment(autoescape=True))
            document.save(io.BytesIO())

    render = timed(bare, 3) / FLOOR_SAMPLE
    docx = render_docx(template, context)
    converter = PdfConverter(converter_url, 120)
    converter.convert(docx)  # warm

    def convert_sample(_worker: int = 0) -> None:
        for _ in range(FLOOR_SAMPLE):
            converter.convert(docx)

    conversion = timed(convert_sample, 3) / FLOOR_SAMPLE
    with ThreadPoolExecutor(workers) as pool:
        # Each worker converts the sample at the same time: seconds per conversion on one worker.
        all_workers = timed(lambda: list(pool.map(convert_sample, range(workers))), 3) / FLOOR_SAMPLE
    return FloorTerms(render, conversion, all_workers)


class _Timed:
    """An adapter whose named methods add their time to `totals[part]`."""

    def __init__(self, adapter: object, parts: dict[str, str], totals: dict[str, float]) -> None:
        self._adapter, self._parts, self._totals = adapter, parts, totals

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._adapter, name)
        part = self._parts.get(name)
        if part is None:
            return attribute

        def timed_call(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                self._totals[part] = self._totals.get(part, 0.0) + time.perf_counter() - start

        return timed_call


class _TimedProvenance:
    """The PDF tools, whose provenance metadata change adds its time to `totals["provenance"]` when the
    seal runs it."""

    def __init__(self, tools: object, totals: dict[str, float]) -> None:
        self._tools, self._totals = tools, totals

    def __getattr__(self, name: str) -> object:
        return getattr(self._tools, name)

    def provenance(self, **provenance: str) -> object:
        update = self._tools.provenance(**provenance)  # type: ignore[attr-defined]

        def timed_update(*args: object) -> object:
            start = time.perf_counter()
            try:
                return update(*args)
            finally:
                self._totals["provenance"] = self._totals.get("provenance", 0.0) + time.perf_counter() - start

        return timed_update


#: The parts of a document, in the order they happen.
PARTS = ("render", "conversion", "provenance", "seal", "hashing", "store write", "queries and commits")


def _document_parts(database_url: str, converter_url: str, work: Path, documents: int) -> dict[str, float]:
    """Seconds per document of each part, `documents` conventions through render_item one at a time."""
    import dataclasses
    import hashlib
    import uuid
    from datetime import date

    from cnum_shared.testing import TEST_KEY_ENV
    from conventions.bootstrap import bootstrap
    from conventions.service_layer import batches
    from conventions.service_layer.documents import RequestBatch, generation

    # The test keys and seal, as the scheduler has them (bench_batch's environment), on the copy.
    os.environ.update(TEST_KEY_ENV)
    context = bootstrap(
        {"database_url": database_url, "converter_url": converter_url, "var_dir": work, "environment": "test"}
    )
    totals: dict[str, float] = {}
    adapters = context.adapters
    adapters = dataclasses.replace(
        adapters,
        renderer=_Timed(adapters.renderer, {"render": "render", "data_sha256": "hashing"}, totals),
        converter=_Timed(adapters.converter, {"convert": "conversion"}, totals),
        pdf=_TimedProvenance(adapters.pdf, totals),
        seal=_Timed(adapters.seal, {"seal": "seal"}, totals),
        store=_Timed(adapters.store, {"write": "store write"}, totals),
    )
    original_sha256 = generation.sha256_of

    def sha256_timed(content: bytes) -> str:
        start = time.perf_counter()
        try:
            return hashlib.sha256(content).hexdigest()
        finally:
            totals["hashing"] = totals.get("hashing", 0.0) + time.perf_counter() - start

    try:
        with context.unit_of_work() as uow:
            batch = batches.request_batch(
                uow, RequestBatch(convention_ids=None, format="pdf", requested_by="bench")
            )
            items: list[uuid.UUID] = uow.document_batches.pending_items(batch.id)[: documents + 1]
        generation.sha256_of = sha256_timed  # type: ignore[attr-defined]
        today = date.today()

        def one(item: uuid.UUID) -> None:
            with context.unit_of_work() as uow:
                batches.render_item(uow, item, "pdf", today, adapters)
                rendered = uow.document_batches.item(item)
                if rendered is None or rendered.error is not None:
                    raise RuntimeError(f"a document failed: {rendered and rendered.error}")

        one(items[0])  # warm: templates stored and prepared, connections open
        totals.clear()
        started = time.perf_counter()
        for item in items[1:]:
            one(item)
        elapsed = time.perf_counter() - started
    finally:
        generation.sha256_of = original_sha256  # type: ignore[attr-defined]
        context.database.dispose()
    measured = len(items) - 1
    # The seal's update runs the provenance's metadata change inside it: the seal's part is the rest.
    totals["seal"] = totals.get("seal", 0.0) - totals.get("provenance", 0.0)
    parts = {part: totals.get(part, 0.0) / measured for part in PARTS[:-1]}
    parts["queries and commits"] = elapsed / measured - sum(parts.values())
    return parts


# --- The measure ---------------------------------------------------------------------------------------


def bench_batch(conventions: int = 4000, deadline_seconds: float = 2 * 3600) -> list[Result]:
    """One batch of `conventions` signed conventions to PDF through the HTTP API, with the memory of
    every process of the service sampled while it runs."""
    from cnum_shared.framework.db import upgrade_database
    from cnum_shared.testing import TEST_KEY_ENV, bearer
    from conventions.adapters.converter import start_converter, stop_converter, wait_until_ready
    from conventions.manage import MIGRATIONS_DIR

    workers = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="cnum-bench-batch-"))
    var_dir = work / "var"
    database_url = f"sqlite:///{work}/conventions.sqlite3"
    upgrade_database(database_url, MIGRATIONS_DIR)
    started = time.perf_counter()
    _seed(database_url, conventions)
    print(f"  seeded {conventions} signed conventions in {time.perf_counter() - started:.1f} s", flush=True)
    # The parts of a document are timed after the batch on a copy, where nothing is rendered yet.
    parts_database = work / "parts.sqlite3"
    shutil.copy(work / "conventions.sqlite3", parts_database)

    converter_port, api_port = free_port(), free_port()
    converter_url = f"http://127.0.0.1:{converter_port}"
    api_url = f"http://127.0.0.1:{api_port}"
    env = {
        # The caller's own CNUM_*/CONVENTIONS_* settings must not reach the measured service.
        **{key: value for key, value in os.environ.items() if not key.startswith(("CNUM_", "CONVENTIONS_"))},
        "CONVENTIONS_DATABASE_URL": database_url,
        "CONVENTIONS_CONVERTER_URL": converter_url,
        "CNUM_VAR_DIR": str(var_dir),
        **TEST_KEY_ENV,
        "CNUM_ENVIRONMENT": "test",
        # Payments is not running: the outbox relay would only fail and back off; keep it out of the way.
        "CNUM_RELAY_INTERVAL_SECONDS": "3600",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    processes: list[subprocess.Popen[bytes]] = []
    converter = None
    failed = True
    try:
        converter = start_converter(converter_port, workers, work / "profiles", work / "converter.log")
        wait_until_ready(converter_url, process=converter)
        # As in infra/Procfile: the API under gunicorn with 2 workers, and the service's scheduler.
        api_command = [gunicorn, "--bind", f"127.0.0.1:{api_port}", "--workers", "2"]
        api_command += ["--access-logfile", "-", "conventions:create_app()"]
        with (work / "gunicorn.log").open("ab") as log:
            api = subprocess.Popen(api_command, env=env, stdout=log, stderr=log)
            processes.append(api)
        with (work / "scheduler.log").open("ab") as log:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "conventions.jobs", "serve"], env=env, stdout=log, stderr=log
            )
            processes.append(scheduler)
        wait_for_http(f"{api_url}/healthz", api, "gunicorn")
        # Both workers booted: the sampler would otherwise miss one that is not forked yet.
        for _ in range(100):
            if len(_descendants(api.pid, _parents())) >= 2:
                break
            time.sleep(0.1)

        terms = _floor_terms(converter_url, workers)
        render_seconds, conversion_seconds = terms.render, terms.conversion
        floor = conventions * (render_seconds + conversion_seconds) / workers
        print(
            f"  floor {floor:.1f} s = {conventions} × (bare docxtpl {render_seconds * 1000:.1f} ms + warm "
            f"conversion {conversion_seconds * 1000:.1f} ms) ÷ {workers} converter workers; a conversion "
            f"while all {workers} convert: {terms.conversion_all_workers * 1000:.1f} ms",
            flush=True,
        )
        sampler = MemorySampler({"gunicorn": api.pid, "scheduler": scheduler.pid, "converter": converter.pid})
        quarter, at_quarter, at_end = max(1, conventions // 4), None, None
        with sampler, requests.Session() as http:
            http.headers.update(bearer("legal"))
            sampler.mark_start()
            started = time.perf_counter()
            response = http.post(f"{api_url}/api/v1/document-batches", json={"format": "pdf"}, timeout=60)
            assert response.status_code == 202, f"{response.status_code}: {response.text[:500]}"
            batch = response.json()
            assert batch["total"] == conventions, batch
            last_print = started
            while True:
                time.sleep(1)
                response = http.get(f"{api_url}/api/v1/document-batches/{batch['id']}", timeout=30)
                assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
                batch = response.json()
                now = time.perf_counter()
                if at_quarter is None and batch["done"] + batch["failed"] >= quarter:
                    at_quarter = _rss_bytes(scheduler.pid)
                if batch["status"] in ("done", "failed"):
                    break
                at_end = _rss_bytes(scheduler.pid)
                if now - started > deadline_seconds:
                    raise TimeoutError(f"batch not finished after {deadline_seconds:g} s: {batch}")
                if scheduler.poll() is not None:
                    raise RuntimeError(f"the scheduler exited with code {scheduler.returncode}: {batch}")
                if now - last_print >= PROGRESS_SECONDS:
                    last_print = now
                    worker = sampler.largest("gunicorn", exclude_root=True)
                    print(
                        f"  batch {batch['status']}: {batch['done']}/{batch['total']} done, "
                        f"{batch['failed']} failed, {now - started:.0f} s; peak RSS: gunicorn worker "
                        f"{_mb(worker.peak if worker else 0):.0f} MB, scheduler "
                        f"{_mb(sampler.group_peaks.get('scheduler')):.0f} MB, converter tree "
                        f"{_mb(sampler.group_peaks.get('converter')):.0f} MB",
                        flush=True,
                    )
            elapsed = time.perf_counter() - started
            # The ZIP, streamed to disk: every document, each a PDF.
            archive = work / "batch.zip"
            with http.get(
                f"{api_url}/api/v1/document-batches/{batch['id']}/archive", stream=True, timeout=300
            ) as download:
                assert download.status_code == 200, f"{download.status_code}: {download.text[:500]}"
                with archive.open("wb") as target:
                    shutil.copyfileobj(download.raw, target, 1024 * 1024)
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
            in_zip = sum(name.endswith(".pdf") for name in names)
            first_is_pdf = bool(names) and opened.read(names[0]).startswith(b"%PDF")
        print(
            f"  batch {batch['status']}: {batch['done']} done, {batch['failed']} failed in {elapsed:.0f} s; "
            f"(scheduler: {batch['started_at']} → {batch['finished_at']}); "
            f"ZIP {archive.stat().st_size / MB:.0f} MB, {in_zip} PDFs",
            flush=True,
        )
        parts = _document_parts(
            f"sqlite:///{parts_database}", converter_url, work / "parts", min(PARTS_SAMPLE, conventions - 1)
        )
        failed = False
    finally:
        for process in reversed(processes):
            stop_process(process)
        if converter is not None:
            stop_converter(converter)
        if failed:
            print(f"  logs kept in {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)

    failures = int(batch["failed"])
    completed = int(batch["done"])
    holds = (
        batch["status"] == "done"
        and failures == 0
        and completed == conventions
        and in_zip == conventions
        and first_is_pdf
    )
    # The scheduler's own time, from its claim of the batch to its ZIP (the job looks every 5 s).
    batch_seconds = (
        datetime.fromisoformat(batch["finished_at"]) - datetime.fromisoformat(batch["started_at"])
    ).total_seconds()
    ratio = batch_seconds / floor
    described = ", ".join(f"{part} {seconds * 1000:.1f}" for part, seconds in parts.items())
    print(f"  a document's parts, one at a time (ms): {described}", flush=True)
    results = [
        Result(
            f"Batch of {conventions} conventions to PDF (s)",
            f"{elapsed:.0f}",
            f"{elapsed * 1000 / max(completed, 1):.0f} ms/doc",
            float(failures),
            "0 failures",
            holds,
        ),
        Result(
            f"Batch of {conventions} conventions to PDF against the floor (s)",
            f"{batch_seconds:.1f} ({batch_seconds * 1000 / conventions:.1f} ms/doc; parts of a document "
            f"alone, ms: {described})",
            f"{floor:.1f} = {conventions} × (bare docxtpl {render_seconds * 1000:.1f} ms + warm conversion "
            f"{conversion_seconds * 1000:.1f} ms) ÷ {workers} workers (a conversion while all {workers} "
            f"convert: {terms.conversion_all_workers * 1000:.1f} ms, not part of the floor)",
            ratio,
            "≤ 1.1",
            holds and ratio <= 1.1,
        ),
    ]
    if at_quarter and at_end:
        results.append(
            Result(
                f"Memory of the batch process at {conventions} documents against {quarter} (MB)",
                f"{_mb(at_end):.0f} (peak {_mb(sampler.processes[scheduler.pid].peak):.0f})",
                f"{_mb(at_quarter):.0f} at {quarter}",
                at_end / at_quarter,
                "flat (≤ 1.1)",
                at_end / at_quarter <= 1.1,
            )
        )
    rows = [
        ("a service process (gunicorn worker)", sampler.largest("gunicorn", exclude_root=True)),
        ("the batch scheduler", sampler.largest("scheduler")),
        ("a converter process", sampler.largest("converter")),
    ]
    for what, peak in rows:
        if peak is None:
            continue
        start = peak.start or peak.first
        results.append(
            Result(
                f"Peak memory of {what} during the batch (MB)",
                f"{_mb(peak.peak):.0f}",
                f"{_mb(start):.0f} at start",
                peak.peak / start,
                "reported",
                True,
            )
        )
    return results
