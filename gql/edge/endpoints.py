"""Whether this server may call an endpoint a user gave it (a webhook's): an http(s) address
whose host resolves to public addresses only, so that the server cannot be turned against its
own network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from gql.edge.http_urls import http_url_problem

RESOLVE_SECONDS = 5.0


async def url_problem(url: str, allow_private: bool) -> str | None:
    """Why this endpoint may not be called, or None: an http(s) address (gql/edge/http_urls.py),
    and (unless allowed) none of its host's addresses on loopback, private, link-local or
    reserved networks - the server must not be turned against its own network. Checked at
    registration and before every delivery."""
    problem = http_url_problem(url)
    if problem:
        return f"url {problem}"
    parts = urlsplit(url)
    if allow_private:
        return None
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                                 type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, TimeoutError):  # (UnicodeError: a name IDNA cannot encode)
        return "url's host does not resolve"
    for *_, address in found:
        if not public_address(ipaddress.ip_address(str(address[0]).split("%", 1)[0])):
            return "url points into a private network; such endpoints are refused"
    return None


# IPv6 prefixes whose last 32 bits are an IPv4 address the packet goes on to: IPv4-compatible
# (deprecated), SIIT's IPv4-translated, and NAT64's well-known prefix (RFC 6052).
_CARRYING_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# NAT64 prefixes a network chooses itself (RFC 8215 local use): their IPv4 is internal.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routed address; for an IPv6 form that carries an IPv4 address (mapped,
    compatible, translated, NAT64, 6to4, Teredo), the IPv4 address must be one too."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        carried = next((ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
                        for n in _CARRYING_IPV4 if ip in n), None)
        for inner in (carried, ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if inner is not None and not public_address(inner):
                return False
        if carried is not None:
            return True  # (Python counts these prefixes as not global whatever they carry)
    return ip.is_global and not ip.is_multicast
