"""Signing in and out of the web front (issue 15, points 2, 3 and 6): where the officer lands after
signing in, sessions kept on the server side so that signing out ends them everywhere, the cookie's
flags, and the account id the services receive."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
import redis

from cnum_shared.testing import free_port
from web.config import ConfigurationError

#: Where a `next=` pointing elsewhere leads: the officer's home page.
HOME = "/"


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",  # a tab the browser drops: //evil.example
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",  # a backslash the browser reads as a slash
        "\\\\evil.example",
        "/\\/evil.example",
        "//evil.example",
        "//evil.example/tranches",
        "///evil.example",
        "https://evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",  # //evil.example once decoded
        "/%2f/evil.example",
        "/%5Cevil.example",  # /\evil.example once decoded
        "/\x00/tranches",
        "/tranches\x7f",
        " //evil.example",
        "evil.example",
        "tranches",
    ],
)
def test_next_after_sign_in_never_leads_to_another_site(web_app, browser_of, target):
    browser = browser_of(web_app().test_client())

    response = browser.sign_in("alice.durand", next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == HOME


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/tranches", "/tranches"),
        ("/tranches?status=due&page=2", "/tranches?status=due&page=2"),
        (
            "/ordres-de-virement/5f1d7c1e-8c55-4a8e-9a8f-1f6f4e2b7c3d",
            "/ordres-de-virement/5f1d7c1e-8c55-4a8e-9a8f-1f6f4e2b7c3d",
        ),
        ("/tranches#approuvees", "/tranches"),
    ],
)
def test_next_after_sign_in_leads_to_a_page_of_this_site(web_app, browser_of, target, landing):
    browser = browser_of(web_app().test_client())

    assert browser.sign_in("alice.durand", next=target).headers["Location"] == landing


def test_a_copy_of_the_cookie_taken_before_sign_out_signs_no_one_in(web_app, browser_of):
    app = web_app()
    officer = browser_of(app.test_client())
    officer.sign_in("alice.durand")
    copied = officer.session_cookie()
    assert officer.client.get("/tranches?status=due").status_code != 302  # signed in

    officer.sign_out()
    thief = app.test_client()
    thief.set_cookie("session", copied)
    replayed = thief.get("/tranches?status=due")

    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/connexion?next=/tranches")
    assert officer.client.get("/tranches").status_code == 302


def test_signing_out_on_one_process_ends_the_session_on_every_other(web_app, browser_of):
    first, second = web_app(), web_app()  # two workers of the web front, sharing the sessions' store
    officer = browser_of(first.test_client())
    officer.sign_in("alice.durand")
    on_second = second.test_client()
    on_second.set_cookie("session", officer.session_cookie())
    assert on_second.get("/tranches").status_code != 302

    officer.sign_out()

    assert on_second.get("/tranches").status_code == 302


def test_the_cookie_holds_only_a_random_id_and_the_token_stays_on_the_server(web_app, browser_of):
    app = web_app()
    officer = browser_of(app.test_client())
    officer.sign_in("alice.durand")

    cookie = officer.session_cookie()
    with officer.client.session_transaction() as session:
        token = session["token"]
    assert token not in cookie and len(cookie) <= 64
    assert "." not in cookie  # not a signed, serialised session (Flask's default cookie)


def test_signing_in_gives_a_new_session_id_so_a_planted_one_signs_no_one_in(web_app, browser_of):
    app = web_app()
    officer = browser_of(app.test_client())
    officer.csrf_token()  # the sign-in page opens an anonymous session
    planted = officer.session_cookie()
    assert planted

    officer.sign_in("claire.martin")

    assert officer.session_cookie() != planted
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    assert attacker.get("/conventions").status_code == 302


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_in_production(
    web_app, browser_of, production
):
    officer = browser_of(web_app().test_client())
    response = officer.sign_in("alice.durand")

    (set_cookie,) = [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    flags = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite"} <= flags and "secure" not in flags  # development over plain HTTP
    assert "SameSite=Lax" in set_cookie

    secured = web_app(**production)
    assert secured.config["SESSION_COOKIE_SECURE"] is True
    assert secured.config["SESSION_COOKIE_HTTPONLY"] is True
    assert secured.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_to_start_with_cookies_sent_over_plain_http(web_app, production):
    with pytest.raises(ConfigurationError, match="WEB_COOKIE_SECURE must be true in production"):
        web_app(**{**production, "cookie_secure": False})


def test_a_session_store_that_is_not_redis_is_refused_at_start(web_app):
    with pytest.raises(ConfigurationError, match="session_redis_url"):
        web_app(session_redis_url="http://127.0.0.1:6379")


def test_each_account_signs_in_under_its_own_fixed_account_id(web_app, browser_of):
    from cnum_shared.framework.auth import decode_token
    from cnum_shared.testing import TEST_SIGNING_KEY

    expected = {
        "claire.martin": "859cfd1c-ebfb-493f-a608-543eb8a8a595",
        "alice.durand": "f48b36cd-368b-4c25-9c58-e6a6ef24db4c",
        "bruno.petit": "eb228ddc-dc96-4e76-89b4-91a8d60d12fe",
        "helene.robert": "e008aee0-6aab-4597-9408-4482fcf45d3d",
        "ines.girard": "0370939e-e381-48ad-a692-78eee0546c05",
    }
    app = web_app()
    subs = {}
    for login in expected:
        officer = browser_of(app.test_client())
        officer.sign_in(login)
        with officer.client.session_transaction() as session:
            subs[login] = decode_token(session["token"], TEST_SIGNING_KEY.verification_keys()).sub
            # The address the provider asserted stays with the web front, for display.
            assert session["email"] == f"{login}@agence.example"
    assert subs == expected
    assert all(uuid.UUID(sub).version == 4 for sub in subs.values())


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server of the test's own, on a free port (Debian's redis-server)."""
    server = shutil.which("redis-server")
    if server is None:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required under CI")
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_configured_the_sessions_live_there_and_sign_out_deletes_them(
    web_app, browser_of, redis_url, tmp_path
):
    first, second = web_app(session_redis_url=redis_url), web_app(session_redis_url=redis_url)
    officer = browser_of(first.test_client())
    officer.sign_in("alice.durand")
    cookie = officer.session_cookie()
    store = redis.Redis.from_url(redis_url)
    assert store.exists(f"cnum-web-session:{cookie}") == 1
    assert 0 < store.ttl(f"cnum-web-session:{cookie}") <= 8 * 3600  # expires with the sign-in
    assert not (tmp_path / "web-sessions").exists() or not any((tmp_path / "web-sessions").iterdir())
    elsewhere = second.test_client()
    elsewhere.set_cookie("session", cookie)
    assert elsewhere.get("/tranches").status_code != 302

    officer.sign_out()

    assert store.exists(f"cnum-web-session:{cookie}") == 0
    assert elsewhere.get("/tranches").status_code == 302
    store.close()


def test_signing_out_revokes_the_officers_token_at_every_service(
    web_app, browser_of, web_to, db_backend, test_databases, tmp_path
):
    # DESIGN §5: sign-out revokes the officer's token, so a token copied out of the session (or a
    # session store) is refused by the services too, not only by this web front.
    from cnum_shared.testing import service_app
    from payments import create_app as create_payments
    from payments.manage import MIGRATIONS_DIR

    with service_app(
        create_payments, test_databases.fresh("payments", db_backend, MIGRATIONS_DIR), tmp_path
    ) as payments:
        web = web_app(payments_url="http://payments.internal")  # the same var/: the same revocation list
        web_to(web, "http://payments.internal", payments, "10.0.0.2")
        officer = browser_of(web.test_client())
        officer.sign_in("alice.durand")
        with officer.client.session_transaction() as session:
            token = session["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert payments.test_client().get("/api/v1/tranches", headers=headers).status_code == 200
        officer.sign_out()
        refused = payments.test_client().get("/api/v1/tranches", headers=headers)
        assert refused.status_code == 401
        assert "révoqué" in refused.get_json()["message"]
