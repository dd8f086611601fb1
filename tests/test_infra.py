"""The production-like deployment (infra/compose.yaml, issue 15 point 9): only the web front is published;
the APIs, the converter and PostgreSQL sit on an internal network; each side believes the client's
address only from the one hop in front of it. (`docker compose config` is not available here: the YAML
is read as compose reads it, anchors and merge keys included.) And the development one (`make run`,
infra/Procfile): one variable, CNUM_VAR_DIR, moves everything its processes write."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shlex
import smtplib
import socket
import subprocess
import sys
import time
import types
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from cnum_shared.core.addresses import parse_networks
from cnum_shared.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
APIS = ("conventions", "payments", "compliance")
BACKEND_ONLY = (
    *APIS,
    "conventions-scheduler",
    "payments-scheduler",
    "compliance-scheduler",
    "conventions-worker",
    "converter",
    "postgres",
    "rabbitmq",
)


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def networks_of(service):
    return set(service.get("networks", []))  # a list of names, or a mapping of names to settings


def env_file():
    lines = (INFRA / "production.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_only_the_web_front_publishes_a_port_and_only_on_the_hosts_loopback(compose):
    published = {
        name: service["ports"] for name, service in compose["services"].items() if "ports" in service
    }

    assert published == {"web": ["127.0.0.1:5000:5000"]}
    assert all("expose" not in service for service in compose["services"].values())


def test_the_apis_the_converter_and_postgresql_are_only_on_the_internal_network(compose):
    internal = {name for name, network in compose["networks"].items() if network.get("internal") is True}
    assert internal == {"backend"}

    for name in BACKEND_ONLY:
        assert networks_of(compose["services"][name]) == {"backend"}, name
    assert networks_of(compose["services"]["web"]) == {"edge", "backend"}


def test_the_services_believe_the_forwarded_address_from_the_web_front_only(compose):
    web_address = compose["services"]["web"]["networks"]["backend"]["ipv4_address"]
    backend = ipaddress.ip_network(compose["networks"]["backend"]["ipam"]["config"][0]["subnet"])
    trusted = parse_networks(env_file()["CNUM_TRUSTED_PROXIES"])

    assert ipaddress.ip_address(web_address) in backend
    assert trusted == (ipaddress.ip_network(web_address),)


def test_the_web_front_believes_the_forwarded_address_from_the_tls_proxy_only(compose):
    gateway = compose["networks"]["edge"]["ipam"]["config"][0]["gateway"]
    assert compose["services"]["web"]["environment"]["WEB_TRUSTED_PROXIES"] == gateway


def test_production_settings_ask_for_secure_cookies_and_the_agencys_identity_provider(compose):
    settings = env_file()
    assert settings["CNUM_ENVIRONMENT"] == "production"
    assert settings["WEB_COOKIE_SECURE"] == "true" and "WEB_DEMO_ACCOUNTS" not in settings
    assert settings["WEB_OIDC_ISSUER"].startswith("https://") and settings["WEB_BASE_URL"].startswith(
        "https://"
    )
    assert (
        compose["services"]["conventions"]["environment"]["CONVENTIONS_CONVERTER_URL"]
        == "http://converter:2002"
    )


def test_the_readme_says_how_tls_is_terminated_and_what_the_proxy_passes():
    readme = (INFRA / "README.md").read_text()
    for words in ("Strict-Transport-Security", "X-Forwarded-For", "X-Forwarded-Proto", "CNUM_TRUSTED_PROXIES",
                  "WEB_TRUSTED_PROXIES", "internal: true", "reverse_proxy 127.0.0.1:5000"):  # fmt: skip
        assert words in readme, words


# --- make run: one CNUM_VAR_DIR ---------------------------------------------------------------------------


def procfile():
    lines = (INFRA / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


def test_no_process_of_make_run_names_a_directory_of_its_own():
    # A directory on a command line would not follow CNUM_VAR_DIR: each process reads the variable itself.
    commands = procfile()
    assert {"smtp_sink", "converter"} <= set(commands)
    for name, command in commands.items():
        assert not any(word.startswith(("var/", "var")) and "/" in word for word in shlex.split(command)), (
            name
        )
        assert "--directory" not in command and "--profiles-dir" not in command, name


@pytest.mark.parametrize("service", ["conventions", "payments", "compliance"])
def test_a_services_databases_keys_and_revocation_list_follow_cnum_var_dir(service, tmp_path, monkeypatch):
    config = importlib.import_module(f"{service}.config")
    monkeypatch.setenv("CNUM_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CNUM_ENVIRONMENT", "development")
    for name in ("DATABASE_URL", "REVOCATION_DATABASE_URL", "JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(f"{service.upper()}_{name}", raising=False)
        monkeypatch.delenv(f"CNUM_{name}", raising=False)
    settings = config.settings_from_environment()
    assert settings.var_dir == tmp_path  # documents and uploads are stored under it
    assert settings.database_url == f"sqlite:///{tmp_path / f'{service}.sqlite3'}"
    assert settings.revocation_database_url == f"sqlite:///{tmp_path / 'revocations.sqlite3'}"
    assert settings.jwt_public_key_file.parent == settings.jwt_private_key_file.parent == tmp_path / "keys"


def test_the_web_fronts_sessions_follow_cnum_var_dir(tmp_path, monkeypatch):
    from web.config import settings_from_environment

    monkeypatch.setenv("CNUM_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CNUM_ENVIRONMENT", "development")
    monkeypatch.delenv("WEB_SESSION_REDIS_URL", raising=False)
    settings = settings_from_environment()
    assert settings.session_directory == (tmp_path / "web-sessions").resolve()
    assert settings.jwt_private_key_file.parent == tmp_path / "keys"


def test_the_converter_keeps_its_libreoffice_profiles_under_cnum_var_dir(tmp_path, monkeypatch):
    # The converter runs on Debian's Python, with LibreOffice's `uno`: stand-ins let this Python load it.
    beans = types.ModuleType("com.sun.star.beans")
    beans.PropertyValue = object
    for name in ("uno", "com", "com.sun", "com.sun.star"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "com.sun.star.beans", beans)
    path = ROOT / "services" / "conventions" / "converter" / "cnum_converter.py"
    spec = importlib.util.spec_from_file_location("cnum_converter_under_test", path)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)

    monkeypatch.setenv("CNUM_VAR_DIR", str(tmp_path))
    assert converter.parse_arguments([]).profiles_dir == tmp_path / "converter"
    monkeypatch.delenv("CNUM_VAR_DIR")
    assert converter.parse_arguments([]).profiles_dir == Path("var") / "converter"


@pytest.mark.slow
def test_the_mail_sink_of_make_run_stores_its_messages_under_cnum_var_dir(tmp_path):
    var_dir, elsewhere, port = tmp_path / "state", tmp_path / "cwd", free_port()
    elsewhere.mkdir()
    # As infra/Procfile starts it: no directory on the command line, run from another directory.
    process = subprocess.Popen(
        [sys.executable, "-m", "cnum_shared.framework.mailsink", "--host", "127.0.0.1", "--port", str(port)],
        cwd=elsewhere,
        env={**os.environ, "CNUM_VAR_DIR": str(var_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the mail sink did not start"
                time.sleep(0.1)
        message = EmailMessage()
        message["From"] = "ne-pas-repondre@conseiller-numerique.example"
        message["To"] = "mairie@saint-flour.example"
        message["Subject"] = "Relance"
        message.set_content("Bonjour.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(list((var_dir / "mail").glob("*.eml"))) == 1
    assert not (elsewhere / "var").exists()


def test_every_scheduler_has_a_standby_and_the_document_workers_share_a_broker(compose):
    services = compose["services"]
    for name in ("conventions-scheduler", "payments-scheduler", "compliance-scheduler"):
        assert services[name]["deploy"]["replicas"] == 2, name
    broker = services["conventions-worker"]["environment"]["CNUM_BROKER_URL"]
    assert broker.startswith("amqp://") and broker.endswith("@rabbitmq:5672/")
    assert services["conventions-scheduler"]["environment"]["CNUM_BROKER_URL"] == broker
