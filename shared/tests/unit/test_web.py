"""The HTTP behaviour every service shares: one JSON error shape, probes, docs, authentication."""

import json
import uuid
from typing import ClassVar

import pytest
from flask.views import MethodView
from marshmallow import Schema, fields
from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.auth import READERS, Role
from cnum_shared.framework.config import ServiceSettings, load_settings
from cnum_shared.framework.db import Database
from cnum_shared.framework.web import (
    Blueprint,
    ServiceContext,
    build_app,
    current_principal,
    ensure_structure_visible,
)
from cnum_shared.testing import TEST_KEY_SETTINGS, bearer


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


class ThingSchema(Schema):
    name = fields.String(required=True)
    amount = fields.Decimal(required=True, as_string=True, places=2)


STRUCTURE_A = uuid.uuid4()


def _blueprint() -> Blueprint:
    blp = Blueprint("things", __name__, url_prefix="/things")

    @blp.route("")
    class Things(MethodView):
        @blp.roles(Role.LEGAL, *READERS)
        @blp.response(200)
        def get(self):
            return {"sub": current_principal().sub}

        @blp.roles(Role.LEGAL)
        @blp.arguments(ThingSchema)
        @blp.response(201, ThingSchema)
        def post(self, thing):
            return thing

    @blp.route("/boom")
    class Boom(MethodView):
        @blp.roles(Role.LEGAL)
        def get(self):
            raise RuntimeError("secret detail that must not leak")

    @blp.route("/of/<uuid:structure_id>")
    class OfStructure(MethodView):
        @blp.roles(Role.LEGAL, Role.STRUCTURE)
        @blp.response(200)
        def get(self, structure_id):
            ensure_structure_visible(structure_id)
            return {"structure_id": str(structure_id)}

    return blp


@pytest.fixture
def client(tmp_path):
    settings = load_settings(
        DemoSettings,
        {
            "database_url": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "var_dir": tmp_path,
            **TEST_KEY_SETTINGS,
            "environment": "test",
            "max_content_length": 2048,
        },
    )
    context = ServiceContext("demo", settings, Database(settings.database_url))
    app = build_app(__name__, context=context, title="demo", description="demo", blueprints=[_blueprint()])
    yield app.test_client()
    context.dispose()


def _assert_error_shape(response, code):
    assert response.status_code == code
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_healthz_and_readyz_answer_without_a_token(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "service": "demo"}
    assert client.get("/readyz").get_json() == {"status": "ready", "service": "demo"}


def test_readyz_is_503_when_the_database_cannot_answer(tmp_path):
    settings = load_settings(
        DemoSettings,
        {
            "database_url": f"sqlite:///{tmp_path}/missing-dir/../",
            "environment": "test",
            "var_dir": tmp_path,
            **TEST_KEY_SETTINGS,
        },
    )
    context = ServiceContext("demo", settings, Database(settings.database_url))
    app = build_app(__name__, context=context, title="demo", description="demo", blueprints=[])
    response = app.test_client().get("/readyz")
    _assert_error_shape(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/api/v1/things"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert operation["x-roles"] == ["legal"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200


def test_an_unknown_url_is_a_json_404(client):
    body = _assert_error_shape(client.get("/nowhere"), 404)
    assert body["message"] == "Ressource introuvable."


def test_a_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/healthz")
    _assert_error_shape(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_exception_is_a_json_500_without_details(client):
    response = client.get("/api/v1/things/boom", headers=bearer("legal"))
    body = _assert_error_shape(response, 500)
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in body["message"]


def test_a_body_over_the_limit_is_a_json_413(client):
    response = client.post(
        "/api/v1/things", data="x" * 5000, headers={**bearer("legal"), "Content-Type": "application/json"}
    )
    _assert_error_shape(response, 413)


def test_malformed_json_is_a_400(client):
    response = client.post(
        "/api/v1/things", data="{not json", headers={**bearer("legal"), "Content-Type": "application/json"}
    )
    _assert_error_shape(response, 400)


def test_invalid_fields_are_a_422_naming_each_field(client):
    response = client.post("/api/v1/things", json={"amount": "abc", "colour": "red"}, headers=bearer("legal"))
    body = _assert_error_shape(response, 422)
    assert set(body["errors"]["json"]) == {"name", "amount", "colour"}


def test_a_valid_request_passes(client):
    response = client.post("/api/v1/things", json={"name": "x", "amount": "12.5"}, headers=bearer("legal"))
    assert response.status_code == 201
    assert response.get_json() == {"name": "x", "amount": "12.50"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        bearer("legal", ttl_seconds=-10),
    ],
    ids=["none", "basic", "empty", "garbage", "expired"],
)
def test_without_a_valid_token_it_is_a_401(client, headers):
    response = client.get("/api/v1/things", headers=headers)
    _assert_error_shape(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_authentication_comes_before_validation(client):
    _assert_error_shape(client.post("/api/v1/things", json={}), 401)


def test_a_role_not_allowed_is_a_403(client):
    body = _assert_error_shape(
        client.post("/api/v1/things", json={"name": "x", "amount": "1"}, headers=bearer("finance")), 403
    )
    assert "finance" in body["message"]


def test_readers_may_read(client):
    assert client.get("/api/v1/things", headers=bearer("auditor", sub="a.martin")).get_json() == {
        "sub": "a.martin"
    }


def test_a_structure_user_sees_its_own_structure_and_not_another(client):
    own = client.get(
        f"/api/v1/things/of/{STRUCTURE_A}", headers=bearer("structure", structure_id=STRUCTURE_A)
    )
    assert own.status_code == 200
    other = client.get(
        f"/api/v1/things/of/{uuid.uuid4()}", headers=bearer("structure", structure_id=STRUCTURE_A)
    )
    _assert_error_shape(other, 404)


@pytest.mark.parametrize("page_size", [1, 7, 20, 100])
@pytest.mark.parametrize("item_count", [0, 1, 19, 20, 21, 12000])
def test_the_pagination_header_is_flask_smorests(page_size, item_count):
    """X-Pagination is built without flask-smorest's schema (decision 0039), to the same keys and values."""
    import flask_smorest

    original = flask_smorest.Blueprint._make_pagination_metadata
    for page in (1, 2, 3, (item_count - 1) // page_size + 1, (item_count - 1) // page_size + 2, 1_000_000):
        ours = Blueprint._make_pagination_metadata(page, page_size, item_count)
        assert json.dumps(ours) == json.dumps(original(page, page_size, item_count))
