"""Whose word about a client's address is believed (issue 15, point 6): X-Forwarded-For read from the
right, believed only from the trusted proxies."""

import pytest

from cnum_shared.core.addresses import forwarded_client, parse_networks

TRUSTED = parse_networks("10.0.0.2, 192.0.2.0/24, fd00::/64")


@pytest.mark.parametrize(
    ("remote", "header", "client"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.66", "203.0.113.7"),  # not a proxy: its header is not believed
        ("10.0.0.2", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.2", "198.51.100.66, 203.0.113.7", "203.0.113.7"),  # the client's own entry, left: ignored
        ("10.0.0.2", "198.51.100.66, 203.0.113.7, 192.0.2.10", "203.0.113.7"),  # two trusted hops
        ("10.0.0.2", "192.0.2.10", "192.0.2.10"),  # only trusted hops: the farthest one
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.66, 203.0.113.7:443", "10.0.0.2"),  # a proxy never writes a port
        ("fd00::5", " 2001:db8::7 ", "2001:db8::7"),
        ("10.0.0.3", "203.0.113.7", "10.0.0.3"),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_not_a_trusted_proxy(remote, header, client):
    assert forwarded_client(remote, header, TRUSTED) == client


def test_with_no_trusted_proxy_the_connecting_address_is_the_client():
    assert forwarded_client("127.0.0.1", "203.0.113.7", ()) == "127.0.0.1"


def test_trusted_proxies_are_addresses_or_networks():
    assert [str(network) for network in parse_networks("10.0.0.2 192.0.2.0/24,::1")] == [
        "10.0.0.2/32",
        "192.0.2.0/24",
        "::1/128",
    ]
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address or network"):
        parse_networks("10.0.0.2, proxy.internal")
