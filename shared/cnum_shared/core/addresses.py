"""Whose word about a client's address is believed: `X-Forwarded-For` read from the right, believed only
from the trusted proxies (issue 15; infra/README.md). Framework-free: the services (through
`cnum_shared.framework.web.client_address`) and the web front use it alike."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`CNUM_TRUSTED_PROXIES`: addresses or CIDR networks separated by commas or spaces."""
    networks: list[IPNetwork] = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(networks)


def forwarded_client(
    remote_addr: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str | None:
    """The address of the client behind the trusted proxies, from `X-Forwarded-For`.

    The header is read from the right: each proxy appends the address it received the request from, so
    an entry is believed only while the hop that wrote it is one of `trusted`. The first address that is
    not a trusted proxy is the client; what a client wrote itself (left of it) is never believed. A
    request that did not come from a trusted proxy is its own client, whatever its header says.
    """
    address = _ip(remote_addr)
    if address is None:
        return remote_addr or None
    for entry in reversed((forwarded_for or "").split(",")):
        if not _trusted(address, trusted):
            break
        hop = _ip(entry)
        if hop is None:  # not written by a proxy we know: stop at the last hop we believe
            break
        address = hop
    return str(address)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
