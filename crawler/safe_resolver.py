"""The one name resolver of every crawl: it refuses forbidden addresses as it resolves.

Checking a host name and then letting Twisted resolve it again to connect leaves a window:
a DNS server may answer the check with a public address and the connection with a private
one (DNS rebinding). So the check sits inside the resolver Twisted connects with:
:class:`SafeResolver` calls ``getaddrinfo`` once per connection, judges every address
(:func:`crawler.address_ranges.forbidden_reason`) and hands Twisted only a result that
passed; a name with any forbidden address gets no address at all, so the connection
cannot be made. IP literals go through the same path (Twisted resolves them too), and so
do odd spellings such as ``2130706433`` or ``0x7f.1`` that ``getaddrinfo`` turns into
127.0.0.1.

The resolver knows host names, not sources. :data:`GRANTS` holds the hosts that may
resolve to private addresses for now: the hosts of the configured ``urls`` of sources with
``allow_private_network: true`` in a crawl that is running (tests, the demo, ``check
--url http://127.0.0.1…``); :class:`crawler.middlewares.safety.SafetyMiddleware` grants and
releases them. Why a resolution was refused is kept per host in
:attr:`SafeResolver.refusals`, so the run can say it in words instead of "DNS lookup failed".
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from twisted.internet._resolver import ComplexResolverSimplifier, GAIResolver
from twisted.internet.interfaces import IReactorPluggableNameResolver

from crawler.address_ranges import forbidden_reason, parse_address

AddrInfo = list[tuple[Any, Any, int, str, Any]]
Lookup = Callable[..., Sequence[tuple[Any, Any, int, str, Any]]]


class PrivateNetworkGrants:
    """Hosts allowed to resolve to private addresses while the crawls naming them run.

    Counted, because two crawls in one process may grant the same host and the first to end
    must not take it from the other. Read from resolver threads, hence the lock.
    """

    def __init__(self) -> None:
        self._hosts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def grant(self, hosts: Iterable[str]) -> None:
        with self._lock:
            self._hosts.update(host.lower() for host in hosts)

    def release(self, hosts: Iterable[str]) -> None:
        with self._lock:
            self._hosts.subtract(host.lower() for host in hosts)
            self._hosts = +self._hosts

    def allows(self, host: str) -> bool:
        with self._lock:
            return self._hosts[host.lower().strip("[]")] > 0


GRANTS = PrivateNetworkGrants()


class SafeResolver(GAIResolver):
    """Twisted's getaddrinfo resolver, with every answer checked before it is handed over."""

    def __init__(
        self,
        reactor: Any,
        grants: PrivateNetworkGrants = GRANTS,
        lookup: Lookup = socket.getaddrinfo,
        getThreadPool: Callable[[], Any] | None = None,
    ) -> None:
        # Twisted's getaddrinfo protocol is narrower than what a test's fake DNS returns.
        super().__init__(reactor, getThreadPool, cast(Any, self._checked_lookup))
        self.grants = grants
        self.lookup = lookup  # the world's DNS; replaced only in tests
        self.refusals: dict[str, str] = {}

    def refusal(self, host: str) -> str | None:
        """Why the last resolution of ``host`` was refused, if it was."""
        return self.refusals.get(host.lower().strip("[]"))

    def _checked_lookup(self, host: str, port: Any, *args: Any) -> AddrInfo:
        """Runs in a resolver thread: one lookup, judged, and either all of it or nothing."""
        key = host.lower().strip("[]")
        try:
            answers = list(self.lookup(host, port, *args))
        except OSError:
            self.refusals.pop(key, None)
            raise
        if self.grants.allows(key):
            self.refusals.pop(key, None)
            return answers
        for answer in answers:
            address_text = str(answer[4][0])
            address = parse_address(address_text)
            reason = "not an IP address" if address is None else forbidden_reason(address)
            if reason is not None:
                self.refusals[key] = _describe(key, address_text, reason)
                return []
        self.refusals.pop(key, None)
        return answers


def _describe(host: str, address: str, reason: str) -> str:
    if parse_address(host) is not None:
        return f"{address} is {reason}"
    return f"{host} resolves to {address}, {reason}"


_install_lock = threading.Lock()


def install_safe_resolver(reactor: Any | None = None) -> SafeResolver:
    """Make :class:`SafeResolver` the reactor's resolver (once) and return it.

    Both of Twisted's resolver slots get it: the host-name resolver that HTTP connections
    use and the simple one behind ``connectTCP(host)`` (proxy tunnels).
    """
    if reactor is None:
        from twisted.internet import reactor as installed

        reactor = installed
    if not IReactorPluggableNameResolver.providedBy(reactor):
        raise RuntimeError("the reactor does not accept a name resolver")
    with _install_lock:
        current = reactor.nameResolver
        if isinstance(current, SafeResolver):
            return current
        resolver = SafeResolver(reactor)
        reactor.installResolver(ComplexResolverSimplifier(cast(Any, resolver)))
        reactor.installNameResolver(resolver)
        return resolver
