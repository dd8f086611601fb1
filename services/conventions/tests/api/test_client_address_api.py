"""The client's address in the audit and download logs (issue 15, point 6): `X-Forwarded-For` is believed
only from the proxies of CNUM_TRUSTED_PROXIES (the web front), never from any other caller."""

import pytest

from cnum_shared.framework.config import ConfigurationError
from cnum_shared.testing import bearer, service_app
from conventions import create_app

WEB_FRONT = "10.0.0.2"  # the web front, as the service sees it
BROWSER = "203.0.113.7"  # the officer's browser, which the web front names
FORGED = "198.51.100.66"  # what a caller would like the logs to say


@pytest.fixture
def behind_web_front(database_url, tmp_path):
    with service_app(create_app, database_url, tmp_path, trusted_proxies=f"{WEB_FRONT}, 192.0.2.0/24") as app:
        yield app


def write_and_download(app, remote_addr, forwarded_for, sub):
    """A structure registered, a convention drafted and its DOCX downloaded by `sub`, from `remote_addr`
    with this `X-Forwarded-For`; the audit and download logs' addresses for them."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": remote_addr}
    headers = {**bearer("legal", sub=sub), **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
    structure = client.post(
        "/api/v1/structures",
        json={
            "name": "Commune du Tampon",
            "siret": "21974222800014",
            "kind": "public",
            "structure_type": "commune",
            "department": "974",
            "address": "256 rue Hubert Delisle",
            "postcode": "97430",
            "city": "Le Tampon",
            "email": "inclusion-numerique@letampon.example",
            "qpv_zrr": False,
            "iban": "FR7630004000031234567890143",
            "bic": "BNPAFRPPXXX",
        },
        headers=headers,
        environ_base=environ,
    )
    assert structure.status_code == 201, structure.get_json()
    convention = client.post(
        "/api/v1/conventions",
        json={
            "structure_id": structure.get_json()["id"],
            "wave": "initial",
            "posts": 1,
            "start_date": "2021-03-01",
            "duration_months": 24,
        },
        headers=headers,
        environ_base=environ,
    ).get_json()
    path = f"/api/v1/conventions/{convention['id']}"
    assert (
        client.post(
            f"{path}/sign", json={"signed_on": "2021-03-15"}, headers=headers, environ_base=environ
        ).status_code
        == 200
    )
    assert (
        client.get(f"{path}/document?format=docx", headers=headers, environ_base=environ).status_code == 200
    )
    audit = client.get(f"/api/v1/audit?actor={sub}", headers=bearer("auditor")).get_json()
    downloads = client.get(f"{path}/downloads", headers=bearer("auditor")).get_json()
    return (
        [(entry["actor"], entry["client_address"]) for entry in audit],
        [(entry["downloaded_by"], entry["client_address"]) for entry in downloads],
    )


def test_the_address_the_web_front_forwards_is_logged_as_the_client(behind_web_front):
    audit, downloads = write_and_download(behind_web_front, WEB_FRONT, BROWSER, "officer-1")

    assert audit == [("officer-1", BROWSER)] * 3
    assert downloads == [("officer-1", BROWSER)]


def test_a_chain_is_read_from_the_right_and_what_the_client_wrote_itself_is_not_believed(behind_web_front):
    # The browser sent "X-Forwarded-For: FORGED"; the TLS proxy (192.0.2.10) appended the browser's
    # address; the web front (trusted) appended the proxy's.
    audit, downloads = write_and_download(
        behind_web_front, WEB_FRONT, f"{FORGED}, {BROWSER}, 192.0.2.10", "officer-2"
    )

    assert audit == [("officer-2", BROWSER)] * 3
    assert downloads == [("officer-2", BROWSER)]


def test_a_caller_that_is_not_a_trusted_proxy_is_logged_under_its_own_address_whatever_it_forwards(
    behind_web_front,
):
    audit, downloads = write_and_download(behind_web_front, "10.0.0.99", FORGED, "officer-3")

    assert audit == [("officer-3", "10.0.0.99")] * 3
    assert downloads == [("officer-3", "10.0.0.99")]


def test_without_trusted_proxies_no_forwarded_address_is_believed(app):
    audit, downloads = write_and_download(app, WEB_FRONT, FORGED, "officer-4")

    assert audit == [("officer-4", WEB_FRONT)] * 3
    assert downloads == [("officer-4", WEB_FRONT)]


def test_a_forwarded_address_that_is_not_an_address_is_not_logged(behind_web_front):
    audit, _ = write_and_download(behind_web_front, WEB_FRONT, "<script>", "officer-5")

    assert audit == [("officer-5", WEB_FRONT)] * 3


def test_trusted_proxies_that_are_not_addresses_stop_the_service_at_start(database_url, tmp_path):
    with pytest.raises(ConfigurationError, match="'web-front' is not an IP address or network"):
        create_app({"database_url": database_url, "var_dir": tmp_path, "environment": "test",
                    "trusted_proxies": "10.0.0.2, web-front"})  # fmt: skip
