"""Tokens as DESIGN §5 has them: verified with the issuers' public key, revocable, with a role-bound
lifetime. Every check goes through a real service's HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import jwt
import pytest

from cnum_shared.framework.auth import SigningKey
from cnum_shared.testing import TEST_SIGNING_KEY, TestDatabases, bearer, service_app, sign_claims
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS


@pytest.fixture
def client(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("payments", db_backend, PAYMENTS_MIGRATIONS)
    with service_app(create_payments, url, tmp_path) as app:
        yield app.test_client()


def _tranches(client, headers):
    return client.get("/api/v1/tranches", headers=headers)


def test_a_token_revoked_by_an_administrator_is_refused_at_once(client):
    officer = bearer("finance", sub="acct-7f3c")
    assert _tranches(client, officer).status_code == 200
    jti = jwt.decode(officer["Authorization"].split()[1], options={"verify_signature": False})["jti"]
    answer = client.post(
        "/api/v1/revocations",
        json={"jti": jti, "reason": "poste quitté"},
        headers=bearer("admin", sub="acct-adm"),
    )
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["jti"], answer.get_json()["revoked_by"]) == (jti, "acct-adm")
    refused = _tranches(client, officer)
    assert refused.status_code == 401
    assert "révoqué" in refused.get_json()["message"]
    # Another token of the same officer still works: only that one token was revoked.
    assert _tranches(client, bearer("finance", sub="acct-7f3c")).status_code == 200


def test_revoking_an_account_ends_every_token_it_holds_but_not_later_ones(client):
    first, second = bearer("finance", sub="acct-leaver"), bearer("finance", sub="acct-leaver")
    answer = client.post(
        "/api/v1/revocations",
        json={"sub": "acct-leaver", "reason": "compte compromis"},
        headers=bearer("admin", sub="acct-adm"),
    )
    assert answer.status_code == 201
    assert _tranches(client, first).status_code == 401
    assert _tranches(client, second).status_code == 401
    assert _tranches(client, bearer("finance", sub="acct-other")).status_code == 200
    # Tokens carry whole seconds: one issued in a later second than the revocation is valid again.
    time.sleep(1.05)
    assert _tranches(client, bearer("finance", sub="acct-leaver")).status_code == 200
    listed = client.get("/api/v1/revocations", headers=bearer("auditor")).get_json()
    assert [(entry["sub"], entry["reason"]) for entry in listed] == [("acct-leaver", "compte compromis")]


@pytest.mark.parametrize("role", ["finance", "legal", "auditor", "structure", "service", "reporter"])
def test_only_an_administrator_revokes(client, role):
    extra = {"structure_id": uuid.uuid4()} if role == "structure" else {}
    answer = client.post(
        "/api/v1/revocations", json={"sub": "acct-x", "reason": "essai"}, headers=bearer(role, **extra)
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "body", [{"reason": "ni jeton ni compte"}, {"jti": "a", "sub": "b", "reason": "les deux"}, {"jti": "a"}]
)
def test_a_revocation_names_one_token_or_one_account_with_a_reason(client, body):
    answer = client.post("/api/v1/revocations", json=body, headers=bearer("admin"))
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["json"]


def test_a_token_minted_with_the_public_key_or_another_key_is_refused(client):
    # The services hold only the public key: whoever reads it cannot sign, whatever the algorithm named.
    now = int(time.time())
    claims = {"sub": "mallory", "role": "finance", "jti": "x", "iat": now, "exp": now + 600}
    stranger = SigningKey.generate()
    forged = sign_claims(claims, stranger, kid=TEST_SIGNING_KEY.kid)
    assert _tranches(client, {"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_hundred_year_token_is_refused_though_well_signed(client):
    now = int(time.time())
    claims = {"sub": "acct-1", "role": "finance", "jti": "y", "iat": now, "exp": now + 100 * 365 * 86400}
    token = sign_claims(claims)
    answer = _tranches(client, {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert "durée de vie" in answer.get_json()["message"]
