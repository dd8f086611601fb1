"""Bad input tried on the three services: each a clear 4xx in the JSON error shape, and nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cnum_shared.testing import TestDatabases, bearer, service_app
from conventions import create_app as create_conventions
from conventions.adapters.orm import Convention, Structure
from conventions.demo import DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS


@pytest.fixture
def conventions(db_backend: str, test_databases: TestDatabases, tmp_path: Path):
    url = test_databases.fresh("conventions", db_backend, CONVENTIONS_MIGRATIONS)
    with service_app(create_conventions, url, tmp_path, max_content_length=64 * 1024) as app:
        yield app


def count(app, table) -> int:
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def post(app, path, *, data=None, json=None, content_type=None, role="legal"):
    return app.test_client().post(path, data=data, json=json, content_type=content_type, headers=bearer(role))


def assert_error(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["code"] == status and body["message"], body
    assert "Traceback" not in response.get_data(as_text=True)


def test_malformed_json_is_a_400(conventions):
    assert_error(
        post(conventions, "/api/v1/structures", data=b'{"name": "x",', content_type="application/json"), 400
    )
    assert count(conventions, Structure) == 0


def test_a_body_that_is_not_json_is_refused(conventions):
    assert_error(post(conventions, "/api/v1/structures", data=b"name=x", content_type="text/plain"), 422)
    assert count(conventions, Structure) == 0


def test_an_oversized_body_is_a_413(conventions):
    huge = {**DEMO_STRUCTURES[0], "address": "x" * (128 * 1024)}
    assert_error(post(conventions, "/api/v1/structures", json=huge), 413)
    assert count(conventions, Structure) == 0


def test_unknown_fields_are_refused_by_name(conventions):
    response = post(conventions, "/api/v1/structures", json={**DEMO_STRUCTURES[0], "is_admin": True})
    assert_error(response, 422)
    assert "is_admin" in response.get_json()["errors"]["json"]
    assert count(conventions, Structure) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"posts": -3}, "posts"),
        ({"posts": 10**12}, "posts"),
        ({"posts": "deux"}, "posts"),
        ({"start_date": "2021-02-30"}, "start_date"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"duration_months": 0}, "duration_months"),
        ({"structure_id": "../../etc/passwd"}, "structure_id"),
    ],
)
def test_absurd_numbers_and_dates_are_refused(conventions, change, field):
    structure = post(conventions, "/api/v1/structures", json=DEMO_STRUCTURES[3]).get_json()
    body = {
        "structure_id": structure["id"],
        "wave": "initial",
        "posts": 2,
        "start_date": "2021-03-01",
        "duration_months": 24,
    }
    response = post(conventions, "/api/v1/conventions", json={**body, **change})
    assert_error(response, 422)
    assert field in response.get_json()["errors"]["json"]
    assert count(conventions, Convention) == 0


def test_negative_and_absurd_salaries_are_refused(conventions):
    structure = post(conventions, "/api/v1/structures", json=DEMO_STRUCTURES[3]).get_json()
    convention = post(
        conventions,
        "/api/v1/conventions",
        json={
            "structure_id": structure["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": "2022-09-01",
            "duration_months": 36,
        },
    ).get_json()
    post(conventions, f"/api/v1/conventions/{convention['id']}/sign", json={"signed_on": "2022-09-01"})
    advisor = post(
        conventions,
        "/api/v1/advisors",
        json={
            "first_name": "A",
            "last_name": "B",
            "birth_date": "1990-01-01",
            "email": "a@example.org",
            "structure_id": structure["id"],
        },
    ).get_json()
    for salary in ("-1800.00", "1e12", "NaN", "Infinity", "0"):
        response = post(
            conventions,
            f"/api/v1/conventions/{convention['id']}/contracts",
            json={
                "advisor_id": advisor["id"],
                "contract_type": "cdi",
                "start_date": "2023-01-05",
                "weekly_hours": "35",
                "gross_monthly_salary": salary,
                "signed_on": "2023-01-05",
            },
        )
        assert_error(response, 422)
        assert "gross_monthly_salary" in response.get_json()["errors"]["json"], salary


def test_a_template_that_is_a_zip_bomb_or_carries_an_entity_is_refused(conventions):
    import io
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (51 * 1024 * 1024) + b"</w:document>")
    xxe = io.BytesIO()
    with zipfile.ZipFile(xxe, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><w:document>&xxe;</w:document>',
        )
    for content in (bomb.getvalue(), xxe.getvalue()):
        response = conventions.test_client().post(
            "/api/v1/templates/convention/versions",
            data={"effective_from": "2026-01-01", "file": (io.BytesIO(content), "modele.docx")},
            headers=bearer("legal"),
            content_type="multipart/form-data",
        )
        assert_error(response, 422)
        assert "root:" not in response.get_data(as_text=True)
