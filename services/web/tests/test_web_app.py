"""The web interface's own rules, without the services: sign-in, sessions, CSRF, roles, redirects and the
production settings. (The journeys against the running services are in tests/e2e/test_web_journeys.py;
the OpenID sign-in's refusals in test_oidc_sign_in.py.)"""

import html
import re

import pytest

from cnum_shared.framework.auth import SigningKey, decode_token
from cnum_shared.testing import TEST_KEY_SETTINGS, TEST_SIGNING_KEY
from web import create_app
from web.config import ConfigurationError


@pytest.fixture
def app(web_app):
    return web_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def browser(client, browser_of):
    return browser_of(client)


def csrf_token(client, path="/connexion"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_an_officer_signs_in_and_the_services_receive_a_token_in_their_name(client, browser):
    response = browser.sign_in("alice.durand")

    assert response.status_code == 302 and response.headers["Location"] == "/"
    with client.session_transaction() as session:
        principal = decode_token(session["token"], TEST_SIGNING_KEY.verification_keys())
    # The account's id in the directory, not the provider's subject: the services record it and the
    # four-eyes rules compare it.
    assert (principal.sub, principal.role.value) == ("f48b36cd-368b-4c25-9c58-e6a6ef24db4c", "finance")
    assert client.get("/").headers["Location"] == "/tranches"


def test_the_sign_in_page_has_no_password_field(client):
    page = client.get("/connexion").get_data(as_text=True)

    assert 'type="password"' not in page and "mot de passe" not in page.lower()
    assert "S'identifier avec ProConnect" in html.unescape(page)


def test_a_form_without_its_csrf_token_is_refused(client):
    response = client.post("/connexion")

    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)


def test_a_page_asks_for_sign_in_then_brings_the_officer_back_but_never_to_another_site(client, browser):
    response = client.get("/tranches?status=due")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/tranches")

    assert browser.sign_in("alice.durand", next="/tranches?status=due").headers["Location"] == (
        "/tranches?status=due"
    )
    assert browser.sign_in("alice.durand", next="//evil.example/x").headers["Location"] == "/"
    assert browser.sign_in("alice.durand", next="https://evil.example").headers["Location"] == "/"


def test_a_page_of_another_kind_of_officer_is_a_403_page(client, browser):
    browser.sign_in("claire.martin")

    response = client.get("/tranches")

    assert response.status_code == 403
    assert "Votre rôle ne permet pas d'ouvrir cette page." in html.unescape(response.get_data(as_text=True))


def test_a_service_that_does_not_answer_is_a_clear_503_page(client, browser):
    browser.sign_in("claire.martin")

    response = client.get("/conventions")

    assert response.status_code == 503
    assert "ne répond pas" in response.get_data(as_text=True)


def test_no_one_signs_in_while_the_directory_is_unreachable(web_app, browser_of):
    browser = browser_of(web_app(directory_reachable=False).test_client())

    response = browser.sign_in("claire.martin")

    assert response.status_code == 503
    assert "Connexion impossible" in response.get_data(as_text=True)
    with browser.client.session_transaction() as session:
        assert "token" not in session


def test_signing_out_forgets_the_token_and_ends_the_providers_session(client, browser, oidc_provider):
    browser.sign_in("alice.durand")
    response = browser.sign_out()

    # The provider's end-session endpoint, with the ID token as a hint and this site to come back to.
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{oidc_provider.issuer}/oauth2/end_session?")
    assert "id_token_hint=" in response.headers["Location"]
    assert (
        "post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fconnexion" in response.headers["Location"]
    )
    assert client.get("/tranches").status_code == 302
    with client.session_transaction() as session:
        assert "token" not in session


def test_pages_forbid_framing_and_foreign_scripts(client):
    headers = client.get("/connexion").headers

    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_production_refuses_the_development_secrets(production, tmp_path):
    with pytest.raises(ConfigurationError, match="WEB_SECRET_KEY"):
        create_app({**production, "secret_key": ""})
    with pytest.raises(ConfigurationError, match="WEB_SECRET_KEY"):
        create_app({**production, "secret_key": "short-secret"})
    with pytest.raises(ConfigurationError, match="CNUM_JWT_PRIVATE_KEY_FILE"):
        create_app({key: value for key, value in production.items() if key != "jwt_private_key_file"})
    with pytest.raises(ConfigurationError, match="development key"):
        create_app({**production, "jwt_private_key_file": TEST_KEY_SETTINGS["jwt_private_key_file"]})
    marked = tmp_path / "issuer-marked.pem"
    marked.write_bytes(SigningKey.generate(development=True).private_pem())
    with pytest.raises(ConfigurationError, match="development key"):
        create_app({**production, "jwt_private_key_file": marked})
    with pytest.raises(ConfigurationError, match="CNUM_REVOCATION_DATABASE_URL"):
        create_app({key: value for key, value in production.items() if key != "revocation_database_url"})
    assert create_app(production).config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "issuer",
    [
        "http://127.0.0.1:5004",
        "https://127.0.0.1:5004",
        "https://localhost:5004",
        "http://proconnect.example.gouv.fr/api/v2",
        "https://[::1]:5004",
    ],
)
def test_production_refuses_the_local_provider(production, issuer):
    with pytest.raises(ConfigurationError, match="WEB_OIDC_ISSUER"):
        create_app({**production, "oidc_issuer": issuer})


def test_production_refuses_to_start_without_a_provider_or_with_the_local_client(production):
    with pytest.raises(ConfigurationError, match="WEB_OIDC_ISSUER must be set"):
        create_app({key: value for key, value in production.items() if key != "oidc_issuer"})
    with pytest.raises(ConfigurationError, match="WEB_OIDC_CLIENT_ID"):
        create_app({**production, "oidc_client_id": "cnum-local"})
    with pytest.raises(ConfigurationError, match="WEB_OIDC_CLIENT_SECRET"):
        create_app({**production, "oidc_client_secret": "cnum-local-secret"})
    with pytest.raises(ConfigurationError, match="WEB_BASE_URL"):
        create_app({**production, "base_url": "http://cnum.example.gouv.fr"})


def test_outside_production_the_local_provider_is_the_default(tmp_path):
    app = create_app(
        {
            "environment": "development",
            "var_dir": tmp_path,
            "jwt_private_key_file": TEST_KEY_SETTINGS["jwt_private_key_file"],
        }
    )

    assert app.config["WEB_SETTINGS"].oidc_issuer == "http://127.0.0.1:5004"
    assert app.config["WEB_SETTINGS"].redirect_uri == "http://127.0.0.1:5000/connexion/retour"


def test_the_web_front_does_not_start_without_cnum_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CNUM_ENVIRONMENT", raising=False)
    with pytest.raises(ConfigurationError, match="CNUM_ENVIRONMENT must be set"):
        create_app({"var_dir": tmp_path, "jwt_private_key_file": TEST_KEY_SETTINGS["jwt_private_key_file"]})


def test_dates_and_times_are_written_the_french_way_in_paris_time():
    from web.views.filters import euros, french_date, label

    assert french_date("2026-01-01") == "1er janvier 2026"
    assert french_date("2026-11-25T09:39:00+00:00") == "25 novembre 2026 à 10:39"  # winter: UTC+1
    assert french_date("2026-07-01T22:30:00+00:00") == "2 juillet 2026 à 00:30"  # summer: UTC+2
    assert euros("35000.00").replace("\u202f", " ").replace("\xa0", " ") == "35 000,00 €"
    assert label("overdue") == "en retard"


def test_a_line_an_avenant_added_to_a_paid_tranche_is_named_after_the_tranche_it_completes():
    from web.views.filters import tranche_name

    assert tranche_name({"number": 2, "kind": "instalment", "regularises": None}) == "n° 2"
    assert (
        tranche_name({"number": 4, "kind": "regularisation", "regularises": 2})
        == "n° 4 (complément de la tranche 2)"
    )


@pytest.mark.parametrize(
    ("form", "refusal"),
    [
        ({}, "cochez au moins un virement"),
        ({"rejected": "RUN_LINE"}, "le motif donné par la banque"),
        ({"rejected": "RUN_LINE", "reason-RUN_LINE": "x" * 501}, "500 caractères au plus"),
    ],
    ids=["nothing-ticked", "no-reason", "reason-too-long"],
)
def test_bank_rejections_without_a_line_or_its_reason_are_refused_before_any_call(
    web_app, browser_of, form, refusal
):
    # The payments service is unreachable: a call would answer the 503 page, not this redirect.
    client = web_app(payments_url="http://127.0.0.1:9").test_client()
    browser_of(client).sign_in("bruno.petit")
    tranche_id, run_id = "0b7a4a57-3f0e-4c2f-9a57-5d1c2b9e8f10", "5f1d7c1e-8c55-4a8e-9a8f-1f6f4e2b7c3d"
    data = {
        key.replace("RUN_LINE", tranche_id): value.replace("RUN_LINE", tranche_id)
        for key, value in form.items()
    }
    response = client.post(
        f"/ordres-de-virement/{run_id}/rejets",
        data={**data, "csrf_token": csrf_token(client, "/connexion")},
    )

    assert response.status_code == 302 and response.headers["Location"] == f"/ordres-de-virement/{run_id}"
    with client.session_transaction() as session:
        messages = [message for _, message in session.get("_flashes", [])]
    assert any(refusal in message for message in messages), messages
