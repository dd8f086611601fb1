"""Sign-in through the OpenID provider (decision 0042): what the web front believes and what it refuses.

Most tests run against the local provider as `make run` starts it (oidc-provider-mock, its own process).
Two things that provider never does are ProConnect's or an attacker's: answering userinfo as a signed JWT
(`application/jwt`, as ProConnect does) and handing out an ID token signed by a key that is not its own.
For those, the same provider runs in this process on its own port, with a hook that rewrites its answers
on the way out; everything else about it (its pages, codes, tokens and keys) is the provider's own.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import flask
import pytest
import yaml
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from cnum_shared.framework.auth import decode_token
from cnum_shared.testing import REPOSITORY, TEST_SIGNING_KEY, authorize_at_provider

CLAIRE_ID = "859cfd1c-ebfb-493f-a608-543eb8a8a595"


def _principal(client):
    with client.session_transaction() as session:
        token = session.get("token")
    return decode_token(token, TEST_SIGNING_KEY.verification_keys()) if token else None


def _page(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def app(web_app):
    return web_app()


@pytest.fixture
def browser(app, browser_of):
    return browser_of(app.test_client())


# --------------------------------------------------------------------------------- state and nonce
def test_an_answer_whose_state_is_not_the_browsers_is_refused_with_a_400(browser):
    callback = authorize_at_provider(browser.start_sign_in(), "claire.martin@agence.example")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["forged-state"]

    response = browser.come_back(urlunsplit(parts._replace(query=urlencode(query, doseq=True))))

    assert response.status_code == 400
    assert "ne correspond à aucune connexion en cours" in _page(response)
    assert _principal(browser.client) is None


def test_an_answer_brought_to_another_browser_signs_no_one_in(app, browser, browser_of):
    callback = authorize_at_provider(browser.start_sign_in(), "claire.martin@agence.example")
    other = browser_of(app.test_client())

    response = other.come_back(callback)

    assert response.status_code == 400
    assert _principal(other.client) is None


def test_the_same_answer_twice_signs_in_once(browser):
    callback = authorize_at_provider(browser.start_sign_in(), "claire.martin@agence.example")
    assert browser.come_back(callback).status_code == 302
    browser.sign_out()

    replayed = browser.come_back(callback)

    assert replayed.status_code == 400
    assert _principal(browser.client) is None


def test_an_id_token_issued_for_another_sign_in_is_refused_by_its_nonce(browser):
    # The browser's sign-in sent nonce N; the provider is made to issue its ID token for another nonce
    # (one an attacker obtained for an earlier sign-in), under the browser's own state.
    started = urlsplit(browser.start_sign_in())
    query = parse_qs(started.query)
    assert query["nonce"][0]
    query["nonce"] = ["nonce-of-an-earlier-sign-in"]
    callback = authorize_at_provider(
        urlunsplit(started._replace(query=urlencode(query, doseq=True))), "claire.martin@agence.example"
    )

    response = browser.come_back(callback)

    assert response.status_code == 400
    assert "nonce" in _page(response)
    assert _principal(browser.client) is None


def test_a_refusal_at_the_provider_signs_no_one_in(browser):
    started = browser.start_sign_in()
    parts = urlsplit(started)
    state = parse_qs(parts.query)["state"][0]

    response = browser.client.get(
        "/connexion/retour", query_string={"error": "access_denied", "state": state}
    )

    assert response.status_code == 401
    assert "annulée ou refusée" in _page(response)
    assert _principal(browser.client) is None


# ---------------------------------------------------------------------------------- the directory
def test_an_officer_is_found_by_the_address_the_provider_asserts_whatever_its_case(browser):
    response = browser.sign_in("Claire.Martin@Agence.EXAMPLE")

    assert response.status_code == 302
    principal = _principal(browser.client)
    assert (principal.sub, principal.role.value, principal.name) == (CLAIRE_ID, "legal", "Claire Martin")


def test_a_deactivated_officer_is_refused_and_nothing_is_signed(browser):
    response = browser.sign_in("paul.bernard")

    assert response.status_code == 403
    page = _page(response)
    assert "Connexion refusée" in page and "paul.bernard@agence.example" in page and "désactivé" in page
    assert _principal(browser.client) is None


def test_an_address_the_directory_does_not_know_is_refused(browser):
    response = browser.sign_in("quelquun@ailleurs.example")

    assert response.status_code == 403
    assert "n'est pas dans l'annuaire des agents" in _page(response)
    assert _principal(browser.client) is None


def test_a_structure_agent_is_signed_in_to_the_structure_of_their_siret(browser, directory):
    from cnum_shared.testing import bearer

    listed = directory.test_client().get(
        "/api/v1/structures", query_string={"q": "21150187900012"}, headers=bearer("legal")
    )
    (saint_flour,) = listed.get_json()

    response = browser.sign_in("saint-flour")

    assert response.status_code == 302
    principal = _principal(browser.client)
    # Not in the directory: the provider's own subject is the account, the structure is the SIRET's.
    assert (principal.role.value, str(principal.structure_id), principal.sub) == (
        "structure",
        saint_flour["id"],
        "agent@saint-flour.example",
    )
    # The local provider gives `given_name` only with the standard `profile` scope, which ProConnect's
    # scopes (asked for here) do not include: the agent is named by `usual_name`.
    assert principal.name == "Vidal"
    assert browser.client.get("/").headers["Location"] == "/ma-structure"


def test_an_agent_whose_siret_is_no_structures_is_refused(browser):
    response = browser.sign_in("agent@inconnue.example")

    assert response.status_code == 403
    assert "SIRET 35600000000048" in _page(response)
    assert _principal(browser.client) is None


# ------------------------------------------------- a provider that answers as ProConnect, or lies
@pytest.fixture(scope="module")
def provider_in_process() -> Iterator[dict]:
    """The provider as a WSGI app of this process, whose answers `tamper` rewrites on the way out:
    `pkce` (discovery offers S256), `jwt_userinfo` (userinfo as a JWT signed by its own key),
    `foreign_userinfo` (signed by another key), `foreign_id_token` (the ID token signed by another key,
    under the provider's key id)."""
    import oidc_provider_mock

    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # what the provider's own command sets (plain HTTP)
    people = yaml.safe_load((REPOSITORY / "infra" / "oidc-users.yaml").read_text(encoding="utf-8"))
    users = [
        oidc_provider_mock.User(sub=person["sub"], claims={k: v for k, v in person.items() if k != "sub"})
        for person in people
    ]
    provider = oidc_provider_mock.app(user_claims=users)
    foreign = RSAKey.generate_key(2048, private=True)
    state: dict = {"tamper": set(), "kid": None}

    def own_key() -> RSAKey:
        key = flask.g.oidc_provider_mock_storage.jwk
        try:
            exported = key.as_dict(is_private=True)
        except TypeError:
            exported = key.as_dict(private=True)
        return RSAKey.import_key(exported)

    @provider.after_request
    def tamper_with(response):
        path, tamper = flask.request.path, state["tamper"]
        if path.endswith("/openid-configuration") and "pkce" in tamper:
            metadata = json.loads(response.get_data())
            metadata["code_challenge_methods_supported"] = ["S256"]
            response.set_data(json.dumps(metadata))
        elif path.endswith("/token") and response.status_code == 200:
            answer = json.loads(response.get_data())
            header_segment, payload_segment, _ = answer["id_token"].split(".")
            header = json.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
            state["kid"] = header.get("kid")
            if "foreign_id_token" in tamper:
                claims = json.loads(
                    base64.urlsafe_b64decode(payload_segment + "=" * (-len(payload_segment) % 4))
                )
                answer["id_token"] = jwt.encode(
                    {k: v for k, v in header.items() if k in ("alg", "kid")}, claims, foreign
                )
                response.set_data(json.dumps(answer))
        elif (
            path == "/userinfo"
            and response.status_code == 200
            and tamper & {"jwt_userinfo", "foreign_userinfo"}
        ):
            claims = json.loads(response.get_data())
            claims.update(iss=flask.request.host_url.rstrip("/"), aud="cnum-local")
            key = foreign if "foreign_userinfo" in tamper else own_key()
            header = {"alg": "RS256", **({"kid": state["kid"]} if state["kid"] else {})}
            response.set_data(jwt.encode(header, claims, key))
            response.headers["Content-Type"] = "application/jwt"
        return response

    server = make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state["issuer"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(5)
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


@pytest.fixture
def proconnect_like(provider_in_process, web_app, browser_of):
    """`proconnect_like(*tampering)`: a browser on a web front whose provider answers so."""

    def browser_for(*tamper: str):
        provider_in_process["tamper"] = set(tamper)
        return browser_of(web_app(oidc_issuer=provider_in_process["issuer"]).test_client())

    yield browser_for
    provider_in_process["tamper"] = set()


def test_a_userinfo_answered_as_a_jwt_signed_by_the_provider_is_believed(proconnect_like):
    browser = proconnect_like("jwt_userinfo")

    response = browser.sign_in("claire.martin")

    assert response.status_code == 302, _page(response)[:1000]
    assert _principal(browser.client).sub == CLAIRE_ID


def test_a_userinfo_jwt_signed_by_another_key_is_refused(proconnect_like):
    browser = proconnect_like("foreign_userinfo")

    response = browser.sign_in("claire.martin")

    assert response.status_code == 400
    assert "n'est pas valable" in _page(response)
    assert _principal(browser.client) is None


def test_an_id_token_signed_by_another_key_is_refused(proconnect_like):
    browser = proconnect_like("foreign_id_token")

    response = browser.sign_in("claire.martin")

    assert response.status_code == 400
    assert "n'est pas valable" in _page(response)
    assert _principal(browser.client) is None


def test_pkce_is_used_when_the_provider_offers_it(proconnect_like):
    browser = proconnect_like("pkce")

    started = browser.start_sign_in()

    query = parse_qs(urlsplit(started).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert (
        browser.come_back(authorize_at_provider(started, "claire.martin@agence.example")).status_code == 302
    )
