"""The resolver Twisted connects with: one lookup per connection, judged before use.

DNS rebinding is the world answering the same name differently from one lookup to the
next, so the fake here is only the answer to ``getaddrinfo`` (the resolver's boundary);
Twisted's own HostnameEndpoint does the connecting, on a memory reactor that records which
address each connection attempt targets instead of sending packets to the internet.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.error import DNSLookupError
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from crawler.safe_resolver import PrivateNetworkGrants, SafeResolver

PUBLIC = "93.184.216.34"


class _InlineThreads:
    """A thread pool that runs the lookup at once: the test needs no threads to wait for."""

    def callInThreadWithCallback(
        self, on_result: Callable[[bool, Any], None], func: Callable[..., Any], *args: Any
    ) -> None:
        try:
            result = func(*args)
        except Exception:
            on_result(False, Failure())
            return
        on_result(True, result)


class _Reactor(MemoryReactorClock):
    def callFromThread(self, func: Callable[..., Any], *args: Any) -> None:
        func(*args)


def _answer(*addresses: str) -> list[tuple[Any, Any, int, str, Any]]:
    return [
        (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443))
        for a in addresses
    ]


class _RebindingDns:
    """Answers each lookup with the next answer of its script, and counts the lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers: Iterator[list[str]] = iter(answers)
        self.lookups: list[str] = []

    def __call__(self, host: str, port: Any, *_args: Any) -> list[tuple[Any, Any, int, str, Any]]:
        self.lookups.append(host)
        return _answer(*next(self.answers))


def _setup(
    dns: Callable[..., Any], grants: PrivateNetworkGrants | None = None
) -> tuple[_Reactor, SafeResolver]:
    reactor = _Reactor()
    resolver = SafeResolver(
        reactor, grants or PrivateNetworkGrants(), dns, getThreadPool=_InlineThreads
    )
    reactor.installNameResolver(resolver)
    return reactor, resolver


def _connect(reactor: _Reactor, host: str) -> list[Failure]:
    failures: list[Failure] = []
    endpoint = HostnameEndpoint(reactor, host.encode(), 443)
    endpoint.connect(Factory.forProtocol(Protocol)).addErrback(failures.append)
    return failures


def _targets(reactor: _Reactor) -> list[str]:
    return [str(client[0]) for client in reactor.tcpClients]


def test_rebinding_public_then_private_never_connects_to_the_private_address() -> None:
    dns = _RebindingDns([PUBLIC], ["127.0.0.1"])
    reactor, resolver = _setup(dns)

    assert _connect(reactor, "rebind.example") == []
    second = _connect(reactor, "rebind.example")

    assert _targets(reactor) == [PUBLIC]  # the checked address, and only it
    assert dns.lookups == ["rebind.example", "rebind.example"]  # one lookup per connection
    assert len(second) == 1
    assert second[0].check(DNSLookupError)
    assert resolver.refusal("rebind.example") == (
        "rebind.example resolves to 127.0.0.1, a loopback address"
    )


def test_a_later_public_answer_clears_the_refusal() -> None:
    dns = _RebindingDns(["169.254.169.254"], [PUBLIC])
    reactor, resolver = _setup(dns)
    _connect(reactor, "flip.example")
    assert "link-local" in (resolver.refusal("flip.example") or "")
    _connect(reactor, "flip.example")
    assert resolver.refusal("flip.example") is None
    assert _targets(reactor) == [PUBLIC]


def test_one_forbidden_address_among_public_ones_refuses_the_name() -> None:
    reactor, resolver = _setup(_RebindingDns([PUBLIC, "10.0.0.7"]))
    failures = _connect(reactor, "mixed.example")
    assert _targets(reactor) == []
    assert failures
    assert failures[0].check(DNSLookupError)
    assert "10.0.0.7, a private address" in (resolver.refusal("mixed.example") or "")


@pytest.mark.parametrize(
    "address", ["100.64.0.9", "fd00::1", "fe80::1", "::ffff:169.254.169.254", "224.0.0.251"]
)
def test_special_answers_are_never_connected_to(address: str) -> None:
    reactor, resolver = _setup(_RebindingDns([address]))
    _connect(reactor, "inside.example")
    assert _targets(reactor) == []
    assert address in (resolver.refusal("inside.example") or "")


def test_a_granted_host_may_resolve_privately_until_released() -> None:
    grants = PrivateNetworkGrants()
    dns = _RebindingDns(["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"])
    reactor, _resolver = _setup(dns, grants)
    grants.grant(["Intranet.example"])
    grants.grant(["intranet.example"])  # a second crawl naming the same host
    _connect(reactor, "intranet.example")
    grants.release(["intranet.example"])  # the first crawl ends; the second still runs
    _connect(reactor, "intranet.example")
    grants.release(["intranet.example"])
    _connect(reactor, "intranet.example")
    assert _targets(reactor) == ["127.0.0.1", "127.0.0.1"]


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "127.1", "localhost"])
def test_odd_spellings_of_loopback_are_refused_by_the_real_lookup(spelling: str) -> None:
    try:
        socket.getaddrinfo(spelling, 443)
    except socket.gaierror:
        pytest.skip(f"this system's getaddrinfo does not read {spelling!r}")
    reactor, resolver = _setup(socket.getaddrinfo)
    _connect(reactor, spelling)
    assert _targets(reactor) == []
    assert "a loopback address" in (resolver.refusal(spelling) or "")
