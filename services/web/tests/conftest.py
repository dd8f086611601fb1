"""Fixtures of the web front's tests: the app with its sessions under the test's directory, its forms, and
the services' real apps reached through the web front's HTTP client (no network, no mock)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import TestResponse

from cnum_shared.testing import TEST_KEY_SETTINGS
from web import create_app


@pytest.fixture
def web_app(tmp_path: Path) -> Callable[..., Flask]:
    """`web_app(**settings)`: the web front in the test environment, its sessions under `tmp_path`."""

    def build(**settings: Any) -> Flask:
        return create_app(
            {
                "environment": "test",
                "jwt_private_key_file": TEST_KEY_SETTINGS["jwt_private_key_file"],
                "var_dir": tmp_path,
                # A port nothing listens on (discard): a test never reaches a service that `make run`
                # may be running on this machine, whose keys would turn its token away.
                "conventions_url": "http://127.0.0.1:9",
                "payments_url": "http://127.0.0.1:9",
                "compliance_url": "http://127.0.0.1:9",
                **settings,
            }
        )

    return build


@pytest.fixture
def production(tmp_path: Path) -> dict[str, Any]:
    """The settings a production web front needs: its own (unmarked) private key, the shared PostgreSQL
    revocation list, its own session secret, no demo accounts."""
    from cnum_shared.framework.auth import SigningKey

    private = tmp_path / "issuer-private.pem"
    private.write_bytes(SigningKey.generate(development=False).private_pem())
    return {
        "environment": "production",
        "demo_accounts": False,
        "jwt_private_key_file": private,
        "revocation_database_url": "postgresql://cnum@db.internal:5432/revocations",
        "secret_key": "y" * 40,
    }


class Browser:
    """An officer's browser on the web front (a test client): signs in and out through the forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/connexion") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None, page[:500]
        return found.group(1)

    def sign_in(self, login: str, password: str = "cnum-demo", **query: str) -> TestResponse:
        return self.client.post(
            "/connexion",
            query_string=query,
            data={"login": login, "password": password, "csrf_token": self.csrf_token()},
        )

    def sign_out(self) -> TestResponse:
        return self.client.post("/deconnexion", data={"csrf_token": self.csrf_token()})

    def session_cookie(self) -> str | None:
        cookie = self.client.get_cookie("session")
        return cookie.value if cookie is not None else None


class AppAdapter(BaseAdapter):
    """The web front's HTTP client, pointed at a service's real Flask app: each call reaches the app as
    if it came over the network from `remote_addr` (the web front's address, as the service sees it)."""

    def __init__(self, app: Flask, remote_addr: str) -> None:
        super().__init__()
        self.app = app
        self.remote_addr = remote_addr

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        answer = self.app.test_client().open(
            url.path,
            query_string=url.query,
            method=request.method,
            headers=dict(request.headers),
            data=request.body or b"",
            environ_base={"REMOTE_ADDR": self.remote_addr},
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = io.BytesIO(answer.get_data())
        response.url = request.url
        response.request = request
        response.reason = answer.status
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def web_to() -> Callable[[Flask, str, Flask, str], None]:
    """`web_to(web, url, service, address)`: route the web front's calls to `url` into the service's
    app, arriving from `address` (the web front's address as the service sees it)."""

    def connect(web: Flask, service_url: str, service: Flask, web_address: str) -> None:
        web.extensions["cnum_web_http"].mount(service_url, AppAdapter(service, web_address))

    return connect


@pytest.fixture
def browser_of() -> Callable[[FlaskClient], Browser]:
    """`browser_of(app.test_client())`: an officer's browser on that client."""
    return Browser
