"""Errors answered in one place: a view that lets a DomainError out gets DESIGN §5's JSON shape
(`{"code", "status", "message", "errors"?}`) with the status its class says, without a try of its own."""

from typing import ClassVar

import pytest
from flask.views import MethodView
from pydantic_settings import SettingsConfigDict

from cnum_shared.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from cnum_shared.core.state_machine import TransitionRefused
from cnum_shared.framework.auth import Role
from cnum_shared.framework.config import ServiceSettings, load_settings
from cnum_shared.framework.db import Database
from cnum_shared.framework.web import Blueprint, ServiceContext, build_app
from cnum_shared.testing import TEST_KEY_SETTINGS, bearer


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


class TrancheNotFound(NotFound):
    """A service's own error: a subclass keeping its French message."""

    def __init__(self) -> None:
        super().__init__("Tranche introuvable.")


#: What each view raises, by name.
RAISED = {
    "not-found": lambda: TrancheNotFound(),
    "conflict": lambda: Conflict(
        "La tranche est déjà payée.",
        code="already_paid",
        errors={"reasons": [{"code": "already_paid", "message": "La tranche est déjà payée."}]},
    ),
    "invalid": lambda: Invalid(errors={"posts": ["Au moins un poste."]}),
    "forbidden": lambda: Forbidden("Cette structure n'est pas la vôtre.", headers={"X-Reason": "scope"}),
    "domain": lambda: DomainError(),
    "refused": lambda: TransitionRefused("invalid_transition", "Action impossible."),
}


def _blueprint() -> Blueprint:
    blp = Blueprint("refusals", __name__, url_prefix="/refusals")

    @blp.route("/<name>")
    class Refusal(MethodView):
        @blp.roles(Role.LEGAL)
        def post(self, name):
            raise RAISED[name]()

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
        },
    )
    context = ServiceContext("demo", settings, Database(settings.database_url))
    app = build_app(__name__, context=context, title="demo", description="demo", blueprints=[_blueprint()])
    yield app.test_client()
    context.dispose()


def _post(client, name):
    response = client.post(f"/api/v1/refusals/{name}", headers=bearer(Role.LEGAL))
    assert response.content_type == "application/json"
    return response


def test_not_found_is_a_404_with_the_services_own_message(client):
    response = _post(client, "not-found")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": "Tranche introuvable."}


def test_conflict_is_a_409_with_its_errors(client):
    response = _post(client, "conflict")
    assert response.status_code == 409
    assert response.get_json() == {
        "code": 409,
        "status": "Conflict",
        "message": "La tranche est déjà payée.",
        "errors": {"reasons": [{"code": "already_paid", "message": "La tranche est déjà payée."}]},
    }


def test_invalid_is_a_422_with_its_default_message_and_the_fields_at_fault(client):
    response = _post(client, "invalid")
    assert response.status_code == 422
    assert response.get_json() == {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": "Données invalides.",
        "errors": {"posts": ["Au moins un poste."]},
    }


def test_forbidden_is_a_403_and_carries_its_headers(client):
    response = _post(client, "forbidden")
    assert response.status_code == 403
    assert response.headers["X-Reason"] == "scope"
    assert response.get_json() == {
        "code": 403,
        "status": "Forbidden",
        "message": "Cette structure n'est pas la vôtre.",
    }


def test_any_other_domain_error_is_a_422_never_a_500(client):
    response = _post(client, "domain")
    assert response.status_code == 422
    assert response.get_json() == {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": "Demande refusée.",
    }


def test_a_refused_transition_is_a_409_naming_its_reason(client):
    response = _post(client, "refused")
    assert response.status_code == 409
    assert response.get_json() == {
        "code": 409,
        "status": "Conflict",
        "message": "Action impossible.",
        "errors": {"reasons": [{"code": "invalid_transition", "message": "Action impossible."}]},
    }


def test_each_kind_of_refusal_says_its_status():
    assert [kind.status for kind in (DomainError, Invalid, NotFound, Conflict, Forbidden)] == [
        422,
        422,
        404,
        409,
        403,
    ]
    error = NotFound()
    assert (error.message, str(error), error.code, error.errors, error.headers) == (
        "Ressource introuvable.",
        "Ressource introuvable.",
        None,
        None,
        None,
    )
