"""Every special range is refused with a name a person understands; public addresses pass."""

from __future__ import annotations

import pytest

from crawler.address_ranges import forbidden_reason, parse_address

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("192.0.2.1", "private"),
    ("198.18.0.1", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:100.64.0.1", "carrier-grade NAT"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::", "loopback"),
    ("2001:db8::1", "private"),
]

PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1",
          "2606:4700:4700::1111", "2a00:1450:4001:82a::200e"]  # fmt: skip


@pytest.mark.parametrize(("text", "words"), REFUSED)
def test_special_ranges_are_refused_in_words(text: str, words: str) -> None:
    address = parse_address(text)
    assert address is not None
    reason = forbidden_reason(address)
    assert reason is not None, text
    assert words in reason


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_pass(text: str) -> None:
    address = parse_address(text)
    assert address is not None
    assert forbidden_reason(address) is None


def test_an_embedded_address_is_named_with_its_wrapper() -> None:
    address = parse_address("::ffff:169.254.169.254")
    assert address is not None
    assert "169.254.169.254 inside IPv6" in (forbidden_reason(address) or "")


@pytest.mark.parametrize("text", ["localhost", "2130706433", "example.org", ""])
def test_names_are_not_addresses(text: str) -> None:
    assert parse_address(text) is None
