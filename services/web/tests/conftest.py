"""Fixtures of the web front's tests: the app with its sessions under the test's directory, its forms, and
the services' real apps reached through the web front's HTTP client (no network, no mock).

Officers sign in as in production (decision 0042): at a real OpenID provider (the local one of `make run`,
a process started once per test session), then found in the officers' directory of a real conventions
app (on SQLite, with the demo officers and two demo structures), which every web front of the tests
reaches for `/api/v1/officers` (and `/api/v1/structures` while the test points at no conventions app of
its own)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
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

from cnum_shared.testing import (
    TEST_KEY_SETTINGS,
    OidcProviderProcess,
    TestDatabases,
    authorize_at_provider,
    bearer,
    service_app,
)
from conventions import create_app as create_conventions
from conventions.demo import DEMO_OFFICERS, DEMO_STRUCTURES
from conventions.manage import MIGRATIONS_DIR
from conventions.service_layer.commands import CreateOfficer
from conventions.service_layer.officers import create_officer
from web import create_app

#: Where the web front's tests find conventions when they do not run one of their own: a port nothing
#: listens on (discard), so that a test never reaches a service `make run` may be running on this machine.
UNREACHABLE = "http://127.0.0.1:9"
#: The demo people the tests sign in as, by the short names the tests use (infra/oidc-users.yaml).
PEOPLE = {
    "claire.martin": "claire.martin@agence.example",
    "alice.durand": "alice.durand@agence.example",
    "bruno.petit": "bruno.petit@agence.example",
    "helene.robert": "helene.robert@agence.example",
    "ines.girard": "ines.girard@agence.example",
    "nadia.lefevre": "nadia.lefevre@agence.example",
    "paul.bernard": "paul.bernard@agence.example",
    "saint-flour": "agent@saint-flour.example",
    "le-tampon": "agent@le-tampon.example",
}


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProviderProcess]:
    """The local OpenID provider, as a process, for the whole test session."""
    provider = OidcProviderProcess().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def directory(test_databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A conventions app with the demo officers (their demo account ids) and the two structures whose
    agents sign in (Saint-Flour, Le Tampon): what the sign-in reads. Tests do not change it."""
    database_url = test_databases.fresh("conventions", "sqlite", MIGRATIONS_DIR)
    with service_app(create_conventions, database_url, tmp_path_factory.mktemp("directory")) as app:
        for fields in DEMO_OFFICERS:
            with app.extensions["cnum"].database.unit_of_work() as uow:
                create_officer(uow, CreateOfficer(**fields))
        for structure in DEMO_STRUCTURES:
            if structure["siret"] in ("21150187900012", "21974222800014"):
                response = app.test_client().post(
                    "/api/v1/structures", json=structure, headers=bearer("legal")
                )
                assert response.status_code == 201, response.get_json()
        yield app


@pytest.fixture
def web_app(tmp_path: Path, oidc_provider: OidcProviderProcess, directory: Flask) -> Callable[..., Flask]:
    """`web_app(**settings)`: the web front in the test environment, its sessions under `tmp_path`, signing
    in at the local provider. `directory_reachable=False`: the officers' directory does not answer either."""

    def build(*, directory_reachable: bool = True, **settings: Any) -> Flask:
        conventions_url = settings.pop("conventions_url", UNREACHABLE)
        app = create_app(
            {
                "environment": "test",
                "jwt_private_key_file": TEST_KEY_SETTINGS["jwt_private_key_file"],
                "var_dir": tmp_path,
                "oidc_issuer": oidc_provider.issuer,
                "conventions_url": conventions_url,
                "payments_url": UNREACHABLE,
                "compliance_url": UNREACHABLE,
                **settings,
            }
        )
        if directory_reachable:
            http = app.extensions["cnum_web_http"]
            # The longest prefix wins: these reach the directory even where a test mounts its own
            # conventions app on `conventions_url`.
            http.mount(f"{conventions_url}/api/v1/officers", AppAdapter(directory, "127.0.0.1"))
            if conventions_url == UNREACHABLE:
                http.mount(f"{conventions_url}/api/v1/structures", AppAdapter(directory, "127.0.0.1"))
        return app

    return build


@pytest.fixture
def production(tmp_path: Path) -> dict[str, Any]:
    """The settings a production web front needs: its own (unmarked) private key, the shared PostgreSQL
    revocation list, its own session secret, the agency's OpenID provider over HTTPS."""
    from cnum_shared.framework.auth import SigningKey

    private = tmp_path / "issuer-private.pem"
    private.write_bytes(SigningKey.generate(development=False).private_pem())
    return {
        "environment": "production",
        "jwt_private_key_file": private,
        "revocation_database_url": "postgresql://cnum@db.internal:5432/revocations",
        "secret_key": "y" * 40,
        "base_url": "https://cnum.example.gouv.fr",
        "oidc_issuer": "https://proconnect.example.gouv.fr/api/v2",
        "oidc_client_id": "cnum-production-client",
        "oidc_client_secret": "z" * 40,
    }


class Browser:
    """An officer's browser on the web front (a test client): signs in at the provider and out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/connexion") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None, page[:500]
        return found.group(1)

    def start_sign_in(self, **query: str) -> str:
        """Press the sign-in button: the provider's address the web front sends the browser to."""
        started = self.client.post("/connexion", query_string=query, data={"csrf_token": self.csrf_token()})
        assert started.status_code == 302, started.get_data(as_text=True)[:500]
        return str(started.headers["Location"])

    def come_back(self, callback_url: str) -> TestResponse:
        """The browser arriving at the address the provider sent it back to."""
        parts = urlsplit(callback_url)
        return self.client.get(parts.path, query_string=parts.query)

    def sign_in(self, login: str, **query: str) -> TestResponse:
        """Sign in at the provider as a demo person (a short name of PEOPLE, or an address); the web
        front's answer to the provider's return."""
        callback = authorize_at_provider(self.start_sign_in(**query), PEOPLE.get(login, login))
        return self.come_back(callback)

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
