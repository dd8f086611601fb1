"""Fuzzing each service's HTTP contract with schemathesis, from its own /openapi.json.

Each operation is called with generated requests (derandomized, at most 25 examples each, DESIGN §6) by
a caller of a role it allows; no answer may be a 5xx, and every answer must match the schema the
operation declares for its status.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cnum_shared.db import upgrade_database
from cnum_shared.testing import TEST_KEY_SETTINGS, bearer
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

pytestmark = pytest.mark.slow
STRUCTURE_ID = str(uuid.uuid4())


def _app(create_app, migrations, name):
    """An app on its own migrated SQLite file, made when the module is collected (schemathesis needs it)."""
    directory = Path(tempfile.mkdtemp(prefix=f"cnum-fuzz-{name}-"))
    url = f"sqlite:///{directory / 'fuzz.sqlite3'}"
    upgrade_database(url, migrations)
    return create_app(
        {
            "database_url": url,
            "var_dir": directory,
            "environment": "test",
            **TEST_KEY_SETTINGS,
            "converter_url": "http://127.0.0.1:9",
        }
        if name == "conventions"
        else {"database_url": url, "var_dir": directory, "environment": "test", **TEST_KEY_SETTINGS}
    )


conventions = schemathesis.openapi.from_wsgi(
    "/openapi.json", _app(create_conventions, CONVENTIONS_MIGRATIONS, "conventions")
)
payments = schemathesis.openapi.from_wsgi(
    "/openapi.json", _app(create_payments, PAYMENTS_MIGRATIONS, "payments")
)
compliance = schemathesis.openapi.from_wsgi(
    "/openapi.json", _app(create_compliance, COMPLIANCE_MIGRATIONS, "compliance")
)

FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _headers(case) -> dict[str, str]:
    roles = case.operation.definition.raw.get("x-roles") or ["admin"]
    role = roles[0]
    extra = {"structure_id": STRUCTURE_ID} if role == "structure" else {}
    return {**bearer(role, **extra), "Idempotency-Key": str(uuid.uuid4())}


def _check(case) -> None:
    headers = {**(case.headers or {}), **_headers(case)}
    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])


@conventions.parametrize()
@FUZZ
def test_conventions_contract(case):
    _check(case)


@payments.parametrize()
@FUZZ
def test_payments_contract(case):
    _check(case)


@compliance.parametrize()
@FUZZ
def test_compliance_contract(case):
    _check(case)
