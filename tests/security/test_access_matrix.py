"""The access-control matrix, checked against a file of its own: tests/security/access_matrix.yaml, written
by hand from DESIGN §5 (never read back from the views' `x-roles`, so that a wrong declaration fails).

- Every operation of the three OpenAPI specs is in the file, and every operation of the file in a spec.
- Every operation, on a seeded programme (tests/conftest.py), for each of the eight roles of DESIGN §5: a
  role outside the file's list gets a 403; a role inside never gets a 401 or a 403 (nor a 5xx); with no
  token, an expired one, a forged one, one signed with `alg: none`, one whose claims were altered, or
  garbage: a 401.
- Own-structure scoping, where the file says it applies: the user of another structure gets a 404 for the
  seeded structure's resources (with valid bodies on writes, and nothing is changed), lists hold only its
  own items, while the seeded structure's own user reads its resources (200).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
import uuid
from pathlib import Path

import jwt
import pytest
import yaml
from pypdf import PdfWriter

from cnum_shared.framework.auth import Role, SigningKey
from cnum_shared.testing import TEST_SIGNING_KEY, TestDatabases, bearer, service_app, sign_claims
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

MATRIX = yaml.safe_load(Path(__file__).with_name("access_matrix.yaml").read_text(encoding="utf-8"))
#: The roles of DESIGN §5, written here by hand.
ROLES = ("admin", "legal", "finance", "compliance", "structure", "auditor", "service", "reporter")
#: The GETs that the file does not open to both readers, each with its comment in the file.
NOT_EVERY_READER = {
    ("GET", "/api/v1/payment-runs/{run_id}/sepa"),  # exports the run: a step of paying
    ("GET", "/api/v1/advisors/{advisor_id}"),  # personal data: not the auditor
    ("GET", "/api/v1/contracts/{contract_id}/amendment"),  # personal data: not the auditor
    ("GET", "/api/v1/advisors/{advisor_id}/personal-data"),  # personal data: not the auditor
}
#: Approving and paying (admin never does, DESIGN §5).
MONEY_MOVES = {
    ("POST", "/api/v1/tranches/{tranche_id}/approve"),
    ("POST", "/api/v1/tranches/{tranche_id}/pay"),
    ("POST", "/api/v1/payment-runs"),
    ("GET", "/api/v1/payment-runs/{run_id}/sepa"),
    ("POST", "/api/v1/payment-runs/{run_id}/confirm"),
}
SCOPES = {"path", "list", "body", "token"}
METHODS = {"get", "post", "put", "patch", "delete"}
#: Documents are asked as DOCX: the tests run without a PDF converter.
QUERIES = {
    "/api/v1/conventions/{convention_id}/document": "?format=docx",
    "/api/v1/conventions/{convention_id}/amendments/{amendment_id}/document": "?format=docx",
    "/api/v1/contracts/{contract_id}/amendment": "?format=docx",
    "/api/v1/conventions/{convention_id}/final-statement/document": "?format=docx",
    "/api/v1/recovery-orders/{recovery_id}/document": "?format=docx",
    # The exports of the lists (decision 0028): a CSV whose rows name their structure.
    **{
        f"/api/v1/{name}/export": "?format=csv"
        for name in ("tranches", "payments", "recoveries", "payment-runs", "obligations", "alerts")
    },
}
STRUCTURE_ID_HEADER = "Identifiant de la structure"


def _items(response) -> list[dict]:
    """The items of a list: its JSON, or the rows of its CSV export (`structure_id` from its column)."""
    if response.mimetype != "text/csv":
        return response.get_json()
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    column = rows[0].index(STRUCTURE_ID_HEADER)
    return [{"structure_id": row[column]} for row in rows[1:]]


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _entries(service: str) -> list[dict]:
    return MATRIX[service]


def _public(service: str) -> set[tuple[str, str]]:
    """The operations open without a token on the service: the probes everywhere, the others where named."""
    return {
        (entry["method"], entry["path"])
        for entry in MATRIX["public"]
        if service in entry.get("services", SERVICES)
    }


def _spec_operations(app) -> set[tuple[str, str]]:
    spec = app.test_client().get("/openapi.json").get_json()
    return {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method in METHODS
    }


def test_the_file_is_well_formed():
    assert set(ROLES) == {role.value for role in Role}, "DESIGN §5's roles and the code's differ"
    for entry in MATRIX["public"]:
        assert set(entry) <= {"method", "path", "services"}, entry
        assert set(entry.get("services", SERVICES)) <= set(SERVICES), entry
    for service in SERVICES:
        seen = set()
        for entry in _entries(service):
            key = (entry["method"], entry["path"])
            assert key not in seen, key
            seen.add(key)
            assert set(entry) <= {"method", "path", "roles", "structure"}, entry
            assert entry["roles"] and set(entry["roles"]) <= set(ROLES), entry
            assert ("structure" in entry["roles"]) == ("structure" in entry), entry
            assert entry.get("structure", "path") in SCOPES, entry
            # DESIGN §5: reporter posts activity reports and nothing else; admin never approves or pays.
            if "reporter" in entry["roles"]:
                assert key == ("POST", "/api/v1/activity-reports"), key
            if entry["method"] == "GET" and key not in NOT_EVERY_READER:
                assert {"admin", "auditor"} <= set(entry["roles"]), entry
            if key in MONEY_MOVES:
                assert entry["roles"] == ["finance"], entry


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_operation_of_the_spec_is_in_the_file_and_every_one_of_the_file_in_the_spec(
    service, test_databases: TestDatabases, tmp_path: Path
):
    create_app, migrations = SERVICES[service]
    url = test_databases.fresh(service, "sqlite", migrations)
    with service_app(create_app, url, tmp_path) as app:
        in_spec = _spec_operations(app)
    in_file = {(entry["method"], entry["path"]) for entry in _entries(service)}
    public = _public(service)
    assert in_spec - in_file - public == set(), "operations of the spec missing from access_matrix.yaml"
    assert in_file - in_spec == set(), "operations of access_matrix.yaml that the spec does not have"
    assert public <= in_spec


def _concrete(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if path == "/api/v1/contracts/{contract_id}/amendment":
            return ids["moved_contract_id"]  # the CDI employee moved to the post has the avenant
        if path == "/api/v1/conventions/{convention_id}/final-statement/document":
            return ids["closed_convention_id"]  # only a closed convention has its statement
        return ids.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", value, path) + QUERIES.get(path, "")


def _headers(role: str, structure_id: str) -> dict[str, str]:
    extra = {"structure_id": structure_id} if role == "structure" else {}
    return {**bearer(role, **extra), "Idempotency-Key": str(uuid.uuid4())}


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_tokens() -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {"sub": "mallory", "role": "admin", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600}
    other_key = SigningKey.generate()

    def signed(key: SigningKey, **overrides: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {sign_claims({**claims, **overrides}, key)}"}

    genuine = bearer("auditor")["Authorization"].removeprefix("Bearer ")
    header, payload, signature = genuine.split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    altered["role"] = "admin"
    return {
        "none": {},
        "expired": bearer(Role.ADMIN, ttl_seconds=0),
        "forged": signed(other_key),
        "hs256": {"Authorization": "Bearer " + jwt.encode(claims, "not-the-key-" * 4, algorithm="HS256")},
        "alg-none": {"Authorization": "Bearer " + jwt.encode(claims, None, algorithm="none")},
        "altered-claims": {"Authorization": f"Bearer {header}.{_segment(altered)}.{signature}"},
        "unknown-role": signed(TEST_SIGNING_KEY, role="mayor"),
        "hundred-years": signed(TEST_SIGNING_KEY, exp=now + 100 * 365 * 86400),
        "no-jti": signed(TEST_SIGNING_KEY, jti=None),
        "garbage": {"Authorization": "Bearer abc.def.ghi"},
    }


def test_every_operation_answers_every_role_as_the_file_says(programme):
    checked, wrong = 0, []
    bad_tokens = _bad_tokens()
    for service, app in programme.apps.items():
        client = app.test_client()
        for entry in _entries(service):
            method, target = entry["method"], _concrete(entry["path"], programme.ids)
            for role in ROLES:
                response = client.open(target, method=method, json={}, headers=_headers(role, programme.mine))
                where = (service, method, entry["path"], role, response.status_code)
                if role in entry["roles"]:
                    if response.status_code >= 500 or response.status_code in (401, 403):
                        wrong.append((*where, "allowed", response.get_json()))
                elif (response.status_code, (response.get_json() or {}).get("code")) != (403, 403):
                    wrong.append((*where, "not allowed: 403 expected"))
                checked += 1
            for name, headers in bad_tokens.items():
                response = client.open(target, method=method, json={}, headers=headers)
                if (response.status_code, (response.get_json() or {}).get("code")) != (401, 401):
                    wrong.append((service, method, entry["path"], name, response.status_code, "401 expected"))
                checked += 1
    # Every disagreement at once, so that a wrong declaration is named with all the others.
    assert wrong == []
    operations = sum(len(_entries(service)) for service in SERVICES)
    assert checked == operations * (len(ROLES) + len(bad_tokens))


def test_the_public_operations_answer_anyone_without_a_token(programme):
    # A public operation checks no token: none, a role's, or a bad one, the answer is the same 200.
    wrong = []
    for service, app in programme.apps.items():
        client = app.test_client()
        for method, path in sorted(_public(service)):
            for name, headers in {"none": {}, "auditor": bearer("auditor"), **_bad_tokens()}.items():
                response = client.open(path, method=method, headers=headers)
                if response.status_code != 200:
                    wrong.append((service, method, path, name, response.status_code))
    assert wrong == []


def _valid_writes(programme) -> dict[tuple[str, str], dict]:
    """Bodies that pass validation, for the writes a structure may make on its own resources: so that
    another structure's user reaches the scoping check (a 404) rather than a 422."""
    ids = programme.ids
    pdf = {"data": {"file": (io.BytesIO(blank_pdf()), "copie.pdf")}, "content_type": "multipart/form-data"}
    return {
        ("POST", "/api/v1/conventions/{convention_id}/candidates"): {
            "json": {"advisor_id": ids["advisor_id"], "presented_on": "2021-03-21"}
        },
        ("POST", "/api/v1/candidates/{candidate_id}/select"): {"json": {"selected_on": "2021-03-26"}},
        ("POST", "/api/v1/conventions/{convention_id}/contracts"): {
            "json": {
                "advisor_id": ids["advisor_id"],
                "contract_type": "cdd",
                "start_date": "2021-06-01",
                "end_date": "2022-11-30",
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": "2021-06-01",
            }
        },
        ("POST", "/api/v1/contracts/{contract_id}/end"): {
            "json": {"ended_on": "2022-01-31", "reason": "resignation"}
        },
        ("POST", "/api/v1/contracts/{contract_id}/salary"): {
            "json": {"gross_monthly_salary": "2100.00", "effective_on": "2022-01-01"}
        },
        ("POST", "/api/v1/conventions/{convention_id}/signed-copy"): pdf,
        ("POST", "/api/v1/obligations/{obligation_id}/evidence"): {
            "data": {"file": (io.BytesIO(blank_pdf()), "preuve.pdf")},
            "content_type": "multipart/form-data",
        },
    }


def test_a_structure_reads_its_own_resources_and_gets_a_404_for_another_structures(programme):
    writes = _valid_writes(programme)
    checked = set()
    for service, app in programme.apps.items():
        client = app.test_client()
        for entry in _entries(service):
            scope = entry.get("structure")
            key = (entry["method"], entry["path"])
            target = _concrete(entry["path"], programme.ids)
            if scope == "path" and entry["method"] == "GET":
                own = client.get(target, headers=_headers("structure", programme.mine))
                assert own.status_code == 200, (service, key, own.get_json())
                theirs = client.get(target, headers=_headers("structure", programme.theirs))
                assert theirs.status_code == 404, (service, key, theirs.status_code)
                assert theirs.get_json()["code"] == 404
                checked.add(key)
            elif scope == "path":
                theirs = client.open(
                    target,
                    method=entry["method"],
                    headers=_headers("structure", programme.theirs),
                    **writes[key],
                )
                assert theirs.status_code == 404, (service, key, theirs.get_json())
                checked.add(key)
            elif scope == "list":
                # Asking for the other structure's items by filter changes nothing.
                for query in (
                    "",
                    f"&structure_id={programme.mine}" if "?" in target else f"?structure_id={programme.mine}",
                ):
                    theirs = client.get(target + query, headers=_headers("structure", programme.theirs))
                    assert theirs.status_code == 200, (service, key, theirs.get_json())
                    assert {item["structure_id"] for item in _items(theirs)} <= {programme.theirs}
                own = _items(client.get(target, headers=_headers("structure", programme.mine)))
                if not key[1].startswith("/api/v1/alerts"):  # no digest was sent yet
                    assert {item["structure_id"] for item in own} == {programme.mine}, key
                checked.add(key)
    # A training record names its contract in the body: another structure's contract is answered as an
    # unknown one (the same 422 as for an id that does not exist, so that nothing tells them apart).
    response = (
        programme.apps["compliance"]
        .test_client()
        .post(
            "/api/v1/training-records",
            json={
                "contract_id": programme.ids["contract_id"],
                "kind": "training_entry",
                "date": "2021-04-10",
            },
            headers=_headers("structure", programme.theirs),
        )
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["json"]["contract_id"] == [
        "Contrat inconnu du suivi des obligations."
    ]

    # Nothing that the other structure tried was applied.
    ids = programme.ids
    contract = programme.call("conventions", "GET", f"/contracts/{ids['contract_id']}", 200)
    assert (contract["ended_on"], contract["gross_monthly_salary"]) == (None, "1900.00")
    assert (
        len(programme.call("conventions", "GET", f"/conventions/{ids['convention_id']}/contracts", 200)) == 2
    )
    assert (
        len(programme.call("conventions", "GET", f"/conventions/{ids['convention_id']}/signed-copies", 200))
        == 1
    )
    evidence = programme.call(
        "compliance", "GET", f"/obligations/{ids['obligation_id']}/evidence", 200, role="compliance"
    )
    assert evidence == []
    history = programme.call(
        "compliance", "GET", f"/obligations/{ids['obligation_id']}/history", 200, role="compliance"
    )
    assert all(row.get("actor") != "structure-demo" for row in history)
    # Every scoped operation of the file was tried.
    expected = {
        (e["method"], e["path"])
        for service in SERVICES
        for e in _entries(service)
        if e.get("structure") in ("path", "list")
    }
    assert checked == expected
