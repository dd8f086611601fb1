"""The access-control matrix, generated from each service's OpenAPI: every operation, for every role and
for a caller without a valid token.

An operation's roles are the `x-roles` its view declares (cnum_shared.web.Blueprint.roles). For each
operation and each role: a role outside `x-roles` gets a 403; a role inside never gets a 401 or a 403
(it may get a 404 for the made-up ids, a 422 or a 400 for the empty body, never a 5xx); no token, an
expired one, a forged one, one signed with `alg: none`, or one with an unknown role get a 401. An operation
without `x-roles` must be one of the public probes listed here, so that a new endpoint cannot escape.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import jwt
import pytest

from cnum_shared.auth import Role, SigningKey
from cnum_shared.testing import TEST_SIGNING_KEY, TestDatabases, bearer, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS

SERVICES = {
    "conventions": (create_conventions, CONVENTIONS_MIGRATIONS),
    "payments": (create_payments, PAYMENTS_MIGRATIONS),
    "compliance": (create_compliance, COMPLIANCE_MIGRATIONS),
}
PUBLIC = {("get", "/healthz"), ("get", "/readyz")}
STRUCTURE_ID = uuid.uuid4()


def _bad_tokens() -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {"sub": "mallory", "role": "admin", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600}
    other_key = SigningKey.generate()

    def signed(key: SigningKey, **overrides: object) -> dict[str, str]:
        token = jwt.encode(
            {**claims, **overrides}, key.private_key, algorithm="EdDSA", headers={"kid": key.kid}
        )
        return {"Authorization": f"Bearer {token}"}

    return {
        "none": {},
        "expired": bearer(Role.ADMIN, ttl_seconds=0),
        "forged": signed(other_key),
        "hs256": {"Authorization": "Bearer " + jwt.encode(claims, "not-the-secret-" * 4, algorithm="HS256")},
        "alg-none": {"Authorization": "Bearer " + jwt.encode(claims, None, algorithm="none")},
        "unknown-role": signed(TEST_SIGNING_KEY, role="mayor"),
        "hundred-years": signed(TEST_SIGNING_KEY, exp=now + 100 * 365 * 86400),
        "no-jti": signed(TEST_SIGNING_KEY, jti=None),
        "garbage": {"Authorization": "Bearer abc.def.ghi"},
    }


def _operations(app) -> list[tuple[str, str, list[str] | None]]:
    spec = app.test_client().get("/openapi.json").get_json()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, path, operation.get("x-roles")))
    return found


def _concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}",
        lambda match: "document" if match.group(0) == "{template_name}" else str(uuid.uuid4()),
        path,
    )


def _headers(role: str) -> dict[str, str]:
    extra = {"structure_id": STRUCTURE_ID} if role == "structure" else {}
    return {**bearer(role, **extra), "Idempotency-Key": str(uuid.uuid4())}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_operation_answers_each_role_as_its_declared_roles_say(
    service, db_backend: str, test_databases: TestDatabases, tmp_path: Path
):
    create_app, migrations = SERVICES[service]
    url = test_databases.fresh(service, db_backend, migrations)
    checked = 0
    with service_app(create_app, url, tmp_path) as app:
        client = app.test_client()
        operations = _operations(app)
        undeclared = [
            (method, path)
            for method, path, roles in operations
            if roles is None and (method, path) not in PUBLIC
        ]
        assert not [op for op in undeclared if not op[1].startswith(("/docs", "/openapi"))], undeclared
        for method, path, roles in operations:
            if roles is None:
                continue
            target = _concrete(path)
            for role in Role:
                response = client.open(target, method=method.upper(), json={}, headers=_headers(role.value))
                allowed = role.value in roles
                assert response.status_code < 500, (method, path, role, response.get_json())
                if allowed:
                    assert response.status_code not in (401, 403), (method, path, role, response.get_json())
                else:
                    assert response.status_code == 403, (method, path, role, response.status_code)
                assert response.is_json or response.status_code == 200, (method, path, role)
                checked += 1
            for name, headers in _bad_tokens().items():
                response = client.open(target, method=method.upper(), json={}, headers=headers)
                assert response.status_code == 401, (method, path, name, response.status_code)
                assert response.get_json()["code"] == 401
                checked += 1
    # Every service has its operations checked for the 8 roles and 6 kinds of bad token.
    assert checked >= 13 * 10


def test_a_structure_user_gets_a_404_for_another_structures_resources(
    test_databases: TestDatabases, tmp_path: Path
):
    from conventions.demo import DEMO_STRUCTURES

    url = test_databases.fresh("conventions", "sqlite", CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path) as app:
        client = app.test_client()
        mine = client.post("/api/v1/structures", json=DEMO_STRUCTURES[3], headers=bearer("legal")).get_json()
        theirs = client.post(
            "/api/v1/structures", json=DEMO_STRUCTURES[4], headers=bearer("legal")
        ).get_json()
        convention = client.post(
            "/api/v1/conventions",
            json={
                "structure_id": theirs["id"],
                "wave": "initial",
                "posts": 1,
                "start_date": "2021-03-01",
                "duration_months": 24,
            },
            headers=bearer("legal"),
        ).get_json()
        as_mine = bearer("structure", structure_id=mine["id"])
        paths = [
            f"/api/v1/structures/{theirs['id']}",
            f"/api/v1/conventions/{convention['id']}",
            f"/api/v1/conventions/{convention['id']}/amendments",
            f"/api/v1/conventions/{convention['id']}/document?format=docx",
        ]
        answers = {path: client.get(path, headers=as_mine).status_code for path in paths}
        own = client.get(f"/api/v1/structures/{mine['id']}", headers=as_mine).status_code

    assert set(answers.values()) == {404}, answers
    assert own == 200
