"""pytest plugin shared by every test suite of the repository (loaded by the root conftest.py).

Databases: every test that asks for `db_backend` runs twice, on SQLite and on PostgreSQL. Each service
database is migrated once per session into a template; each test gets a fresh copy of it (a file copy on
SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL, about 20 ms), so tests never see each other's rows and
may start real processes against their database.

PostgreSQL is `CNUM_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test). When it is
unreachable its half of the suite is skipped, unless `CNUM_REQUIRE_POSTGRES=1` (set by `make test` under
CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql
from sqlalchemy import select
from werkzeug.test import TestResponse

from cnum_shared.framework.auth import ALGORITHM, Role, SigningKey, issue_token
from cnum_shared.framework.db import upgrade_database
from cnum_shared.framework.events.relay import envelope_of
from cnum_shared.framework.events.tables import EventTables
from cnum_shared.framework.mailsink import free_port
from cnum_shared.framework.seal import write_test_authority

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: The tests' own key pair, made once per test process (DESIGN §5: the tests generate their own): the
#: tests sign with the private key, every test app and test process verifies with the public one.
TEST_SIGNING_KEY = SigningKey.generate(development=True)
_KEY_DIR = Path(tempfile.mkdtemp(prefix="cnum-test-keys-"))
TEST_PRIVATE_KEY_FILE = _KEY_DIR / "development-jwt-private.pem"
TEST_PUBLIC_KEY_FILE = _KEY_DIR / "development-jwt-public.pem"
TEST_PRIVATE_KEY_FILE.write_bytes(TEST_SIGNING_KEY.private_pem())
TEST_PRIVATE_KEY_FILE.chmod(0o600)
TEST_PUBLIC_KEY_FILE.write_bytes(TEST_SIGNING_KEY.public_pem())
#: The agency's seal of the tests: one local test authority per test process (decision 0023), whose
#: files every test app and test process is pointed at, like the key pair.
TEST_SEAL_KEY_FILE, TEST_SEAL_CERTIFICATE_FILE, TEST_SEAL_ROOTS_FILE = write_test_authority(_KEY_DIR / "seal")
#: The settings (by field name) and the environment variables that point an app or a process at them.
TEST_KEY_SETTINGS: dict[str, Any] = {
    "jwt_public_key_file": TEST_PUBLIC_KEY_FILE,
    "jwt_private_key_file": TEST_PRIVATE_KEY_FILE,
    "seal_key_file": TEST_SEAL_KEY_FILE,
    "seal_certificate_file": TEST_SEAL_CERTIFICATE_FILE,
    "seal_trust_roots_file": TEST_SEAL_ROOTS_FILE,
}
TEST_KEY_ENV: dict[str, str] = {
    "CNUM_JWT_PUBLIC_KEY_FILE": str(TEST_PUBLIC_KEY_FILE),
    "CNUM_JWT_PRIVATE_KEY_FILE": str(TEST_PRIVATE_KEY_FILE),
    "CNUM_SEAL_KEY_FILE": str(TEST_SEAL_KEY_FILE),
    "CNUM_SEAL_CERTIFICATE_FILE": str(TEST_SEAL_CERTIFICATE_FILE),
    "CNUM_SEAL_TRUST_ROOTS_FILE": str(TEST_SEAL_ROOTS_FILE),
}


def postgres_admin_url() -> str:
    return os.environ.get("CNUM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("CNUM_REQUIRE_POSTGRES", "") in ("1", "true", "yes")


@cache
def postgres_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(postgres_admin_url(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {postgres_admin_url()}: {error}".strip()
    return None


def _database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@dataclass
class TestDatabases:
    """Migrated templates per (service, backend), and fresh databases cloned from them."""

    root: Path
    run_id: str
    _templates: dict[tuple[str, str], str] = field(default_factory=dict)
    _created: list[str] = field(default_factory=list)

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def fresh(self, service: str, backend: str, migrations_dir: Path) -> str:
        """The URL of a new, migrated, empty database of `service` on `backend`."""
        template = self._template(service, backend, migrations_dir)
        name = f"cnum_{self.run_id}_{service}_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            target = self.root / f"{name}.sqlite3"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        self._created.append(name)
        return _database_url(postgres_admin_url(), name)

    def empty(self, backend: str) -> str:
        """The URL of a new database with no table at all (for the shared kernel's own tests)."""
        name = f"cnum_{self.run_id}_empty_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.root / f'{name}.sqlite3'}"
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._created.append(name)
        return _database_url(postgres_admin_url(), name)

    def _template(self, service: str, backend: str, migrations_dir: Path) -> str:
        key = (service, backend)
        if key in self._templates:
            return self._templates[key]
        if backend == "sqlite":
            path = self.root / f"template_{service}.sqlite3"
            upgrade_database(f"sqlite:///{path}", migrations_dir)
            self._templates[key] = str(path)
            return str(path)
        name = f"cnum_{self.run_id}_{service}_template"
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._created.append(name)
        upgrade_database(_database_url(postgres_admin_url(), name), migrations_dir)
        self._templates[key] = name
        return name

    def drop_all(self) -> None:
        if not self._created:
            return
        with psycopg.connect(postgres_admin_url(), autocommit=True) as connection:
            # Clones first, templates last: a template cannot be dropped while it is being copied.
            for name in sorted(self._created, key=lambda n: n.endswith("_template")):
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    # xdist's worker id keeps the databases of parallel workers apart.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    databases = TestDatabases(
        root=tmp_path_factory.mktemp("databases"), run_id=f"{worker}_{uuid.uuid4().hex[:6]}"
    )
    yield databases
    databases.drop_all()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """The database a test runs on: every test using it runs once per backend."""
    backend: str = request.param
    if backend == "postgresql":
        reason = postgres_unavailable_reason()
        if reason is not None:
            if postgres_required():
                pytest.fail(f"{reason} (required: CNUM_REQUIRE_POSTGRES is set)")
            pytest.skip(reason)
    return backend


def bearer(
    role: Role | str,
    *,
    structure_id: Any = None,
    sub: str | None = None,
    ttl_seconds: int = 3600,
    **claims: Any,
) -> dict[str, str]:
    """Authorization header for a role, signed with the tests' private key."""
    token = issue_token(
        TEST_SIGNING_KEY, role, sub=sub, structure_id=structure_id, ttl_seconds=ttl_seconds, **claims
    )
    return {"Authorization": f"Bearer {token}"}


def sign_claims(
    claims: Mapping[str, Any], key: SigningKey = TEST_SIGNING_KEY, *, kid: str | None = None
) -> str:
    """A token of exactly these claims, signed with `key` (and naming `kid`, another key's id if told):
    the tokens `issue_token` will not make, for tests of what the services refuse."""
    return jwt.encode(dict(claims), key.private_key, algorithm=ALGORITHM, headers={"kid": kid or key.kid})


def relay_bearer(producer: str) -> dict[str, str]:
    """Authorization header of a service's relay: role `service` and `sub` the producer's own name, the
    only identity a consumer believes that producer's events from (DESIGN §2)."""
    return bearer(Role.SERVICE, sub=producer)


def post_event(client: FlaskClient, envelope: Mapping[str, Any]) -> TestResponse:
    """Post an envelope to a consumer's `POST /api/v1/events` as its producer's relay does."""
    return client.post("/api/v1/events", json=dict(envelope), headers=relay_bearer(envelope["producer"]))


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """`auth("legal")` or `auth("structure", structure_id=…)`: headers with a valid token."""
    return bearer


def outbox_envelopes(app: Flask, tables: EventTables) -> list[dict[str, Any]]:
    """The envelopes a service's relay would post from its outbox, in order, as JSON over the wire."""
    with app.extensions["cnum"].database.session() as session:
        rows = session.execute(select(tables.outbox).order_by(tables.outbox.c.sequence)).mappings()
        return [json.loads(json.dumps(envelope_of(row))) for row in rows]


@contextmanager
def service_app(
    create_app: Callable[[dict[str, Any]], Flask], database_url: str, var_dir: Path, **settings: Any
) -> Iterator[Flask]:
    """A service's app on a test database, with the test secret; its connections closed afterwards."""
    app = create_app(
        {
            "database_url": database_url,
            "var_dir": var_dir,
            "environment": "test",
            **TEST_KEY_SETTINGS,
            # Revocations take effect at once in tests (a few seconds' cache in production).
            "revocation_cache_seconds": 0,
            **settings,
        }
    )
    try:
        yield app
    finally:
        app.extensions["cnum"].dispose()


@dataclass
class ServiceProcess:
    """A service running as a real gunicorn process on 127.0.0.1, for tests across processes."""

    service: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 30.0) -> ServiceProcess:
        if self.process is not None:
            raise RuntimeError(f"{self.service} is already running")
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", "1",
            "--graceful-timeout", "5",
            f"{self.service}:create_app()",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 (our own executable and arguments)
            command, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                _, stderr = self.process.communicate()
                raise RuntimeError(
                    f"{self.service} exited at start: {stderr.decode(errors='replace')[-3000:]}"
                )
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or the worker is still booting
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.service} did not answer /healthz within {timeout_seconds} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None


def run_command(*arguments: str, env: dict[str, str], timeout_seconds: float = 120) -> str:
    """Run a project command (`python -m …`) with the test environment; fail with its output if it fails."""
    completed = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_seconds,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"{' '.join(arguments)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


#: The repository (shared/ is installed in place): where infra/ holds the local OpenID provider.
REPOSITORY = Path(__file__).resolve().parents[3]


@dataclass
class OidcProviderProcess:
    """The local OpenID provider of `make run` (infra/oidc_provider.py: oidc-provider-mock with the demo
    people of infra/oidc-users.yaml) as a real process on a free port of 127.0.0.1 (decision 0042)."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    #: Where its log goes (a file: a pipe nobody reads would fill up and stop it).
    log: Any = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 30.0) -> OidcProviderProcess:
        script = REPOSITORY / "infra" / "oidc_provider.py"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop(), after the process)
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, str(script), "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                output = self.log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"the OpenID provider exited: {output}")
            try:
                discovery = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1)
                if discovery.status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not answer within {timeout_seconds} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.log is not None:
            self.log.close()
        self.process = None


def authorize_at_provider(authorization_url: str, sub: str) -> str:
    """What a person does on the local provider's page: sign in as `sub` (an address of
    infra/oidc-users.yaml, or any other); the address the provider sends the browser back to."""
    answer = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
    return str(answer.headers["Location"])
