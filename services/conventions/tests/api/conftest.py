"""Helpers of the conventions API tests: demo structures and signed conventions made over HTTP."""

from __future__ import annotations

import pytest

from cnum_shared.testing import bearer
from conventions.demo import DEMO_STRUCTURES

#: The demo structures by department: 15 and 974 public, 94 private, 971 and 976 public (976, 15: QPV/ZRR).
BY_DEPARTMENT = {structure["department"]: structure for structure in DEMO_STRUCTURES}


class Api:
    """A legal officer's calls, each asserting its status code."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, expected, json=None, role="legal", **claims):
        response = self.client.open(
            f"/api/v1{path}", method=method, json=json, headers=bearer(role, **claims)
        )
        assert response.status_code == expected, response.get_json()
        return response.get_json()

    def structure(self, department):
        return self.call("POST", "/structures", 201, BY_DEPARTMENT[department])

    def convention(
        self,
        structure,
        *,
        wave="initial",
        posts=2,
        start="2021-03-01",
        months=24,
        signed_on=None,
        predecessor=True,
    ):
        """A convention (signed when `signed_on` is given). A renewal continues an initial-wave
        convention of the same structure (DESIGN §3): one is signed first unless `predecessor=False`."""
        if wave == "renewal" and predecessor:
            initial_months = 24 if structure["kind"] == "public" else 18
            self.convention(
                structure, posts=posts, start="2021-03-01", months=initial_months, signed_on="2021-03-15"
            )
        body = {
            "structure_id": structure["id"],
            "wave": wave,
            "posts": posts,
            "start_date": start,
            "duration_months": months,
        }
        convention = self.call("POST", "/conventions", 201, body)
        if signed_on:
            convention = self.call(
                "POST", f"/conventions/{convention['id']}/sign", 200, {"signed_on": signed_on}
            )
        return convention


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def documents_api(documents_app):
    """The same calls, on an app wired to the session's PDF converter."""
    return Api(documents_app.test_client())


@pytest.fixture
def api_for():
    """`api_for(client)`: the same helper for an app a test builds itself."""
    return Api
