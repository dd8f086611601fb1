"""`Blueprint.cached` and `ReadCache` (decision 0040): pages kept per data version and per caller's scope,
never served past the token check and the role check, never kept when refused or failed."""

import uuid
from typing import ClassVar

import pytest
from flask import request
from flask.views import MethodView
from pydantic_settings import SettingsConfigDict
from sqlalchemy import MetaData, text

from cnum_shared.framework.auth import Role
from cnum_shared.framework.config import ServiceSettings, load_settings
from cnum_shared.framework.db import Database
from cnum_shared.framework.read_cache import CachedAnswer, ReadCache, define_read_model_versions_table
from cnum_shared.framework.web import Blueprint, ServiceContext, abort, build_app, current_principal
from cnum_shared.testing import TEST_KEY_SETTINGS, bearer


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


STRUCTURE_A, STRUCTURE_B = uuid.uuid4(), uuid.uuid4()


def _blueprint(computed: list[str]) -> Blueprint:
    blp = Blueprint("pages", __name__, url_prefix="/pages")

    @blp.route("")
    class Pages(MethodView):
        @blp.roles(Role.FINANCE, Role.STRUCTURE)
        @blp.cached("pages")
        @blp.response(200)
        def get(self):
            principal = current_principal()
            computed.append(principal.sub)
            if request.args.get("refuse"):
                abort(422, "Refusée.")
            return {"structure_id": str(principal.structure_id), "sub": principal.sub}

    return blp


@pytest.fixture
def demo(tmp_path):
    settings = load_settings(
        DemoSettings,
        {
            "database_url": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "var_dir": tmp_path,
            **TEST_KEY_SETTINGS,
            "environment": "test",
        },
    )
    database = Database(settings.database_url)
    metadata = MetaData()
    define_read_model_versions_table(metadata)
    metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO read_model_versions (name, version) VALUES ('pages', 1)"))
    context = ServiceContext("demo", settings, database)
    computed: list[str] = []
    app = build_app(
        __name__, context=context, title="demo", description="demo", blueprints=[_blueprint(computed)]
    )
    yield app.test_client(), database, computed
    context.dispose()


def get(client, **claims):
    return client.get("/api/v1/pages", headers=bearer(**claims))


def test_each_structure_gets_its_own_pages_and_never_another_s(demo):
    client, _, computed = demo
    for _ in range(3):
        a = get(client, role="structure", structure_id=STRUCTURE_A, sub="a")
        b = get(client, role="structure", structure_id=STRUCTURE_B, sub="b")
        assert a.get_json()["structure_id"] == str(STRUCTURE_A)
        assert b.get_json()["structure_id"] == str(STRUCTURE_B)
    assert computed == ["a", "b"]  # once each, then from the cache
    # Finance has its own entry too.
    assert get(client, role="finance").get_json()["structure_id"] == "None"


def test_a_cached_page_needs_a_valid_token_and_an_allowed_role(demo):
    client, _, computed = demo
    assert get(client, role="finance").status_code == 200
    assert client.get("/api/v1/pages").status_code == 401
    assert get(client, role="legal").status_code == 403
    assert len(computed) == 1


def test_a_new_version_is_computed_again_and_refusals_are_never_kept(demo):
    client, database, computed = demo
    get(client, role="finance")
    get(client, role="finance")
    assert len(computed) == 1
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE read_model_versions SET version = 2"))
    get(client, role="finance")
    assert len(computed) == 2
    for _ in range(2):
        assert client.get("/api/v1/pages?refuse=1", headers=bearer("finance")).status_code == 422
    assert len(computed) == 4
    # Without its version row, a read model is not cached at all.
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM read_model_versions"))
    get(client, role="finance")
    get(client, role="finance")
    assert len(computed) == 6


def test_the_cache_is_bounded_least_recently_used_first():
    cache = ReadCache(2)
    answer = CachedAnswer(200, (), b"[]")
    cache.put("a", answer)
    cache.put("b", answer)
    assert cache.get("a") is answer  # "b" is now the least recently used
    cache.put("c", answer)
    assert cache.get("b") is None and cache.get("a") is answer and cache.get("c") is answer
    assert len(cache) == 2

    off = ReadCache(0)
    off.put("a", answer)
    assert not off.enabled and len(off) == 0 and off.get("a") is None


def test_a_database_that_cannot_answer_the_version_is_a_503_as_for_any_read(demo):
    client, database, _ = demo
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE read_model_versions"))
    response = get(client, role="finance")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["code"] == 503
    # The connection that failed went back to no one: the next request fails the same way, cleanly.
    assert get(client, role="finance").status_code == 503
