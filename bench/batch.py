"""One measure of `make bench`: a document batch of the whole programme (4,000 signed conventions) to PDF.

The conventions service runs as in infra/Procfile: gunicorn with 2 workers for the HTTP API, the scheduler
(`python -m conventions.jobs serve`, whose `run_document_batches` job renders the batch) and the warm
LibreOffice converter with one worker per core. The conventions are seeded through the service layer in
this process before anything starts, then ONE batch of all of them is requested, followed and downloaded
over HTTP, as a legal officer would.

Meanwhile a sampler thread reads the resident memory (VmRSS) of every process involved twice a second
and keeps the peak of each: a batch must not make a process grow with the number of documents.

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
from pathlib import Path

import requests
from common import Result, free_port

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
    from cnum_shared.core.errors import ConcurrentWrite
    from cnum_shared.core.legal import Wave
    from cnum_shared.core.parameters import parameters
    from conventions.adapters.files import LocalFiles
    from conventions.adapters.unit_of_work import ConventionsDatabase
    from conventions.demo import DEMO_CONVENTIONS, DEMO_REGISTERED_ON, DEMO_STRUCTURES
    from conventions.service_layer.commands import CreateConvention, CreateStructure, SignConvention
    from conventions.service_layer.conventions import create_convention, sign_convention
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
            for _attempt in range(3):
                try:
                    with database.unit_of_work() as uow:
                        convention = create_convention(uow, command)
                    break
                except ConcurrentWrite:
                    # The reference is the start year and 8 hex digits of a random id: among 4,000,
                    # two may meet (about once in 500 runs); the service would answer 409, we draw again.
                    continue
            else:
                raise RuntimeError("could not draw a free convention reference three times in a row")
            with database.unit_of_work() as uow:
                sign_convention(uow, SignConvention(convention.id, fields["signed_on"]))
    finally:
        database.dispose()


def _wait_for_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} at start")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _mb(value: int | None) -> float:
    return (value or 0) / MB


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
        _wait_for_http(f"{api_url}/healthz", api, "gunicorn")
        # Both workers booted: the sampler would otherwise miss one that is not forked yet.
        for _ in range(100):
            if len(_descendants(api.pid, _parents())) >= 2:
                break
            time.sleep(0.1)

        sampler = MemorySampler({"gunicorn": api.pid, "scheduler": scheduler.pid, "converter": converter.pid})
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
                if batch["status"] in ("done", "failed"):
                    break
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
        failed = False
    finally:
        for process in reversed(processes):
            _stop(process)
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
    results = [
        Result(
            f"Batch of {conventions} conventions to PDF (s)",
            f"{elapsed:.0f}",
            f"{elapsed * 1000 / max(completed, 1):.0f} ms/doc",
            float(failures),
            "0 failures",
            holds,
        )
    ]
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
