"""What every measure of `make bench` shares: the result row, a timer, a free port."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from cnum_shared.testing import free_port as free_port  # the same free port as the tests
from cnum_shared.testing import postgres_admin_url

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    name: str
    measured: str
    baseline: str
    ratio: float
    target: str
    holds: bool


def timed(function: Callable[[], object], repeat: int = 1) -> float:
    """Best of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


#: The databases a measure runs on: the embedded one of `make run` and the production one.
BACKENDS = ("sqlite", "postgresql")


class Databases:
    """Migrated databases and identical copies of them, as SQLite files or on the local PostgreSQL
    (CNUM_TEST_POSTGRES_URL, as the test suite); everything made is removed by `close`."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.root = Path(tempfile.mkdtemp(prefix=f"cnum-bench-{backend}-"))
        self.created: list[str] = []

    def migrated(self, migrations_dir: Path) -> str:
        from cnum_shared.framework.db import upgrade_database

        url = self._new()
        upgrade_database(url, migrations_dir)
        return url

    def copy(self, url: str) -> str:
        """A copy of `url` (whose connections must be closed), row for row."""
        if self.backend == "sqlite":
            target = self.root / f"{uuid.uuid4().hex}.sqlite3"
            with sqlite3.connect(url.removeprefix("sqlite:///")) as origin, sqlite3.connect(target) as copy:
                origin.backup(copy)
            origin.close()
            copy.close()
            return f"sqlite:///{target}"
        return self._new(template=url.rsplit("/", 1)[1])

    def close(self) -> None:
        if self.created:
            with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
                for name in self.created:
                    connection.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                    )
        shutil.rmtree(self.root, ignore_errors=True)

    def _new(self, template: str | None = None) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / uuid.uuid4().hex}.sqlite3"
        name = f"cnum_bench_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            connection.execute(statement)
        self.created.append(name)
        return f"{postgres_admin_url().rsplit('/', 1)[0]}/{name}"


def available_backends() -> list[str]:
    """SQLite always; PostgreSQL when it answers (the bench says so when it does not)."""
    from cnum_shared.testing import postgres_unavailable_reason

    reason = postgres_unavailable_reason()
    if reason:
        print(f"PostgreSQL skipped: {reason}", flush=True)
        return ["sqlite"]
    return list(BACKENDS)


def judged_on_postgresql(backend: str, ratio: float) -> tuple[str, bool]:
    """The target and whether it holds for a bulk-work ratio: the 5 % of DESIGN §7 is judged on
    PostgreSQL, the production database; on SQLite the ratio is reported (docs/decisions/0010)."""
    if backend == "postgresql":
        return "≤ 0.05", ratio <= 0.05
    return "reported (0010)", True


def _first_line(command: list[str]) -> str:
    """What a tool says of its own version (its first line), or "absent"."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if lines else "absent"


def machine() -> str:
    """The machine a run was measured on, read off it: processor, cores, memory, system and the servers."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        if line.startswith("MemTotal:")
    )
    debian = Path("/etc/debian_version")
    system = f"Debian {debian.read_text().strip()}" if debian.exists() else platform.platform()
    postgres = _first_line(["psql", postgres_admin_url(), "-tAc", "SHOW server_version"])
    office = _first_line(["/usr/lib/libreoffice/program/soffice.bin", "--version"])
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB; {system}, Linux "
        f"{platform.release()}; Python {platform.python_version()}; PostgreSQL {postgres}; {office}; "
        f"{_first_line(['wrk', '-v']).split(' Copyright')[0]}; RabbitMQ "
        f"{_first_line(['dpkg-query', '-W', '-f', '${Version}', 'rabbitmq-server'])}"
    )


def signed_convention(conventions_db: Any, command: Any, signed_on: date) -> Any:
    """A convention created by `command` and signed on `signed_on`, through the use cases (the rows and
    events of HTTP). The reference is the start year and 8 hex digits of a random id: among thousands, two
    may meet (about once in 500 runs of 4,000); the service would answer 409, the bench draws again."""
    from cnum_shared.core.errors import ConcurrentWrite
    from conventions.service_layer.commands import SignConvention
    from conventions.service_layer.conventions import create_convention, sign_convention

    for _attempt in range(3):
        try:
            with conventions_db.unit_of_work() as uow:
                convention = create_convention(uow, command)
            break
        except ConcurrentWrite:
            continue
    else:
        raise RuntimeError("could not draw a free convention reference three times in a row")
    with conventions_db.unit_of_work() as uow:
        sign_convention(uow, SignConvention(convention.id, signed_on))
    return convention


def wait_for_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    """Until `url` answers 200 (bounded); RuntimeError when `process` exits first or it never does."""
    import requests

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


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 30 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
