"""Who is asking: the client address and scheme behind trusted reverse proxies only.

Every per-client limit (questions, hand-offs, feedback, admin-token guesses) keys on
``request.client.host``. Directly connected, that is the peer address and nothing a client
sends can change it. Behind a reverse proxy listed in TRUSTED_PROXIES, the peer is the proxy,
so the client is read from ``X-Forwarded-For``: walking from the right (the hop the proxy
appended itself) past every trusted address, the first address that is not trusted is the
client. Anything left of it was written by the client and is never believed. A peer outside
TRUSTED_PROXIES gets its headers ignored, 127.0.0.1 included.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network
# A forwarded entry longer than this is not an address; it is cut before it becomes a key.
MAX_HOST_CHARS = 64
# scope key set when the client address came from X-Forwarded-For (the request was proxied).
FORWARDED_KEY = "forwarded_by_proxy"


class TrustedProxies:
    """A set of networks whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    def __contains__(self, host: object) -> bool:
        if not self.networks or not isinstance(host, str):
            return False
        try:
            address = ip_address(host.strip().strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, forwarded_for: str) -> str | None:
        """The right-most address of an X-Forwarded-For chain that is not a trusted proxy."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if hop not in self:
                return _host_only(hop)[:MAX_HOST_CHARS]
        # Every hop is one of ours: the left-most is as far back as anyone can tell.
        return _host_only(hops[0])[:MAX_HOST_CHARS] if hops else None


def _host_only(hop: str) -> str:
    """An address without a port ("[::1]:80" -> "::1", "1.2.3.4:5" -> "1.2.3.4")."""
    if hop.startswith("["):
        return hop[1:].split("]", 1)[0]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


class ProxyHeadersMiddleware:
    """Rewrites ``scope["client"]`` and ``scope["scheme"]`` for requests from trusted proxies."""

    def __init__(self, app: ASGIApp, trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted.networks:
            peer = scope.get("client")
            if peer and peer[0] in self.trusted:
                self._apply(scope)
        await self.app(scope, receive, send)

    def _apply(self, scope: Scope) -> None:
        forwarded: list[str] = []
        proto: str | None = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1")
        if forwarded:
            client = self.trusted.client(",".join(forwarded))
            if client:
                scope["client"] = (client, 0)
                scope[FORWARDED_KEY] = True
        if proto is not None:
            # A proxy chain appends; the last value is what the nearest (trusted) proxy saw.
            last = proto.split(",")[-1].strip().lower()
            if last in ("http", "https"):
                scope["scheme"] = last


def internal_client(scope: Scope) -> bool:
    """A direct (not proxied) request from a loopback or private address: the internal network.

    A request a trusted proxy forwarded came from outside, whatever address it claims.
    """
    if scope.get(FORWARDED_KEY):
        return False
    for name, _value in scope.get("headers", ()):
        if name in (b"x-forwarded-for", b"forwarded"):
            return False  # sent through some proxy we do not know: not the internal network
    peer = scope.get("client")
    if not peer:
        return False
    try:
        address = ip_address(str(peer[0]))
    except ValueError:
        return False
    return address.is_loopback or address.is_private
