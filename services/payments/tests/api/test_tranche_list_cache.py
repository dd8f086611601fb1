"""The tranche list's read cache (decision 0040): the same answers as without it, byte for byte, and every
write, whoever makes it, seen by the very next request."""

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import text

from cnum_shared.framework.db import create_database_engine
from cnum_shared.testing import bearer, service_app
from payments import create_app

#: What the list's callers send: defaults, pages, sizes, filters, and input it must refuse.
QUERIES = (
    "",
    "?page=2&page_size=5",
    "?page_size=5&page=2",
    "?status=due",
    "?status=scheduled&page_size=100",
    "?due_before=2026-06-30",
    "?page=99",
    "?status=bogus",
    "?page=0",
    "?page_size=101",
    "?due_before=demain",
    "?structure_id=not-a-uuid",
    "?status=due&status=paid",
    "?status=paid&status=due",
)


@pytest.fixture
def listed(feed):
    """Two structures with a renewal convention each, their first tranches due on 10 January 2026."""
    conventions = []
    for department in ("974", "15"):
        structure = feed.structure(department)
        conventions.append(
            feed.convention(
                structure, wave="renewal", start=date(2024, 9, 1), months=36, signed_on=date(2024, 9, 1)
            )
        )
    feed.on(date(2026, 1, 10))
    return conventions


def answer(client, path, role="finance", **claims):
    response = client.get(f"/api/v1{path}", headers=bearer(role, **claims))
    return response.status_code, sorted(response.headers.items()), response.get_data()


def test_cached_answers_are_the_computed_ones_byte_for_byte(app, feed, listed, database_url, tmp_path):
    assert app.extensions["cnum"].settings.read_cache_size > 0
    structure_ids = sorted({convention["structure_id"] for convention in listed})
    queries = [*QUERIES, *(f"?structure_id={structure_id}" for structure_id in structure_ids)]
    with service_app(create_app, database_url, tmp_path / "uncached", read_cache_size=0) as uncached:
        assert uncached.extensions["cnum"].read_cache.enabled is False
        computed = {query: answer(uncached.test_client(), f"/tranches{query}") for query in queries}
    client = app.test_client()
    for _ in range(2):  # the first fills the cache, the second is served from it
        for query in queries:
            assert answer(client, f"/tranches{query}") == computed[query], query
    # Every page answered 200 came from the cache the second time; errors are never kept.
    pages = [query for query in queries if computed[query][0] == 200]
    assert app.extensions["cnum"].read_cache.hits >= len(pages) and len(pages) < len(queries)
    assert computed["?status=bogus"][0] == 422 and computed["?page=0"][0] == 422
    status, headers, body = computed["?page=2&page_size=5"]
    assert status == 200 and len(json.loads(body)) == 5
    assert json.loads(dict(headers)["X-Pagination"])["page"] == 2
    # Each structure's filter answers its own tranches only, cached or not.
    for structure_id in structure_ids:
        rows = json.loads(answer(client, f"/tranches?structure_id={structure_id}")[2])
        assert rows and {row["structure_id"] for row in rows} == {structure_id}


def test_a_cached_page_is_never_served_without_a_valid_token_and_an_allowed_role(app, feed, listed):
    client = app.test_client()
    assert answer(client, "/tranches")[0] == 200
    assert answer(client, "/tranches")[0] == 200  # now in the cache

    assert client.get("/api/v1/tranches").status_code == 401
    assert client.get("/api/v1/tranches", headers={"Authorization": "Bearer abc"}).status_code == 401
    structure_id = listed[0]["structure_id"]
    assert answer(client, "/tranches", role="structure", structure_id=structure_id)[0] == 403
    assert answer(client, "/tranches", role="legal")[0] == 403
    # Readers see what finance sees, from their own entries.
    assert answer(client, "/tranches", role="auditor")[2] == answer(client, "/tranches")[2]


def statuses(client, convention):
    rows = json.loads(answer(client, f"/tranches?convention_id={convention['convention_id']}")[2])
    return [row["status"] for row in rows]


def test_a_job_on_its_own_unit_of_work_is_seen_by_the_next_request(app, feed, listed):
    client = app.test_client()
    before = statuses(client, listed[0])
    assert before[0] == "scheduled" and statuses(client, listed[0]) == before

    feed.run("mark_due", date(2026, 1, 10))

    assert statuses(client, listed[0])[0] == "due"


def test_an_approval_through_the_api_is_seen_by_the_next_request(app, feed, listed):
    client = app.test_client()
    feed.run("mark_due", date(2026, 1, 10))
    first = feed.tranches(listed[0])[0]
    feed.standing(listed[0]["structure_id"])
    assert statuses(client, listed[0])[0] == "due"
    assert statuses(client, listed[0])[0] == "due"  # cached

    feed.call("POST", f"/tranches/{first['id']}/approve", 200, {}, sub="alice")

    assert statuses(client, listed[0])[0] == "approved"


def test_writes_by_another_connection_are_seen_and_unwatched_columns_keep_the_pages(
    app, feed, listed, database_url
):
    client = app.test_client()
    structure_id = listed[0]["structure_id"]
    versions = app.extensions["cnum"].read_model_versions

    def names():
        rows = json.loads(answer(client, f"/tranches?structure_id={structure_id}")[2])
        return {row["structure_name"] for row in rows}

    assert names() == {listed[0]["structure"]["name"]}
    engine = create_database_engine(database_url)
    try:
        uuid_value = structure_id if engine.dialect.name == "postgresql" else structure_id.replace("-", "")
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE structures SET name = 'Renommée' WHERE structure_id = :id"), {"id": uuid_value}
            )
        assert names() == {"Renommée"}

        # A column the list does not show moves nothing: the pages stay.
        version = versions.current("tranches")
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE structures SET department = '976' WHERE structure_id = :id"), {"id": uuid_value}
            )
        assert versions.current("tranches") == version

        # Nor does a write rolled back.
        with engine.connect() as connection:
            connection.execute(text("UPDATE tranches SET status = 'blocked'"))
            connection.rollback()
        assert versions.current("tranches") == version

        # A raw insert, then its delete, each seen at once.
        convention_id = listed[0]["convention_id"]
        new_id = uuid.uuid4()
        ids = (str(new_id), convention_id)
        if engine.dialect.name != "postgresql":
            ids = (new_id.hex, convention_id.replace("-", ""))
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tranches (id, convention_id, structure_id, number, amount, due_on, status,"
                    " approved_by, approved_at, updated_at, kind, regularises, amendment_number)"
                    " SELECT :id, convention_id, structure_id, 99, amount, due_on, status, approved_by,"
                    " approved_at, updated_at, kind, regularises, amendment_number FROM tranches"
                    " WHERE convention_id = :convention AND number = 1"
                ),
                {"id": ids[0], "convention": ids[1]},
            )
        path = f"/tranches?convention_id={convention_id}&page_size=100"
        assert 99 in {row["number"] for row in json.loads(answer(client, path)[2])}
        assert versions.current("tranches") > version
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM tranches WHERE number = 99"))
        assert 99 not in {row["number"] for row in json.loads(answer(client, path)[2])}
    finally:
        engine.dispose()


def test_a_cache_of_size_zero_keeps_nothing(feed, listed, database_url, tmp_path):
    with service_app(create_app, database_url, tmp_path / "uncached", read_cache_size=0) as uncached:
        client = uncached.test_client()
        assert answer(client, "/tranches")[0] == 200
        assert answer(client, "/tranches")[0] == 200
        cache = uncached.extensions["cnum"].read_cache
        assert len(cache) == 0 and cache.hits == 0
