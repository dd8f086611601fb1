"""The production-like deployment (infra/compose.yaml, issue 15 point 9): only the web front is published;
the APIs, the converter and PostgreSQL sit on an internal network; each side believes the client's
address only from the one hop in front of it. (`docker compose config` is not available here: the YAML
is read as compose reads it, anchors and merge keys included.)"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from cnum_shared.core.addresses import parse_networks

INFRA = Path(__file__).resolve().parents[1] / "infra"
APIS = ("conventions", "payments", "compliance")
BACKEND_ONLY = (
    *APIS,
    "conventions-scheduler",
    "payments-scheduler",
    "compliance-scheduler",
    "converter",
    "postgres",
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


def test_production_settings_ask_for_secure_cookies_and_no_demo_accounts(compose):
    settings = env_file()
    assert settings["CNUM_ENVIRONMENT"] == "production"
    assert settings["WEB_COOKIE_SECURE"] == "true" and settings["WEB_DEMO_ACCOUNTS"] == "false"
    assert (
        compose["services"]["conventions"]["environment"]["CONVENTIONS_CONVERTER_URL"]
        == "http://converter:2002"
    )


def test_the_readme_says_how_tls_is_terminated_and_what_the_proxy_passes():
    readme = (INFRA / "README.md").read_text()
    for words in ("Strict-Transport-Security", "X-Forwarded-For", "X-Forwarded-Proto", "CNUM_TRUSTED_PROXIES",
                  "WEB_TRUSTED_PROXIES", "internal: true", "reverse_proxy 127.0.0.1:5000"):  # fmt: skip
        assert words in readme, words
