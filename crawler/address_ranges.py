"""Which IP addresses govwatch refuses to connect to, and how to say why in words.

A page, a feed link or a redirect must not be able to make govwatch reach the machine it
runs on, the local network or a cloud metadata endpoint. Only globally routable unicast
addresses are accepted; everything else gets a short name a person understands
("a loopback address", "a link-local address" …). An IPv6 address that carries an IPv4
address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) is
judged by the IPv4 address inside it too.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv6Address

_SHARED_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL_V6 = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an IP address (an IPv6 zone such as ``%eth0`` is kept), or None."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why ``address`` is refused (e.g. ``"a loopback address"``), or None if it is public.

    ``is_global`` alone is not enough: multicast addresses count as global in Python's
    tables, and the range lists differ between Python versions; so the named ranges are
    checked one by one and ``is_global`` is the final net.
    """
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = forbidden_reason(embedded)
        if inner is not None:
            return f"{inner} ({embedded} inside IPv6 {address})"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, IPv4Address) and address in _SHARED_CGNAT:
        return "a shared carrier-grade NAT address (100.64.0.0/10)"
    if isinstance(address, IPv6Address) and address in _UNIQUE_LOCAL_V6:
        return "a unique local IPv6 address (fc00::/7)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "an address that is not publicly routable"
    return None


def _embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour
