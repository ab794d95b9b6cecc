"""Who the client is, network-wise: the peer's address, unless the peer is a trusted proxy
(GQL_TRUSTED_PROXIES: addresses or networks, comma-separated), in which case the nearest
address in X-Forwarded-For that is not itself a trusted proxy. Without trusted proxies the
header is ignored (a client could write anything there to dodge its sign-in throttle); behind
a proxy that is not listed, every client shares the proxy's address (and its throttle)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted(setting: str | None) -> tuple[Network, ...]:
    if not setting:
        return ()
    parts = [part.strip() for part in setting.split(",") if part.strip()]
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts)
    except ValueError as exc:
        raise ValueError(f"GQL_TRUSTED_PROXIES: {exc}") from None


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    if peer is None or not forwarded_for or not _trusted(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: fall back to what is certain
    return peer
