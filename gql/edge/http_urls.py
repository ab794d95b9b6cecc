"""What an address this server stores or calls must be: an absolute http(s) URL that parses,
with a host, and without spaces or invisible characters (a right-to-left override would show a
reader another address than the one stored). Every URL a client gives goes through here: the
listing's addresses and a webhook's endpoint."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http(s) address, or None (said after the field's name)."""
    if len(url) > MAX_URL_LENGTH:
        return f"has at most {MAX_URL_LENGTH} characters"
    # Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned
    # characters, and every kind of space.
    if any(unicodedata.category(c)[0] in "CZ" for c in url):
        return "must not contain spaces or invisible characters"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # (an unclosed [ or a port out of range raise)
    except ValueError:
        return "is not a valid address"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "must be an http(s) address"
    if not _host_name_fits(host):
        return "has a host name that is not valid"
    return None


def _host_name_fits(host: str) -> bool:
    """DNS's limits (RFC 1035): labels of 1 to 63 characters, 253 in all (IP literals pass)."""
    if ":" in host:  # an IPv6 literal, which urlsplit has checked
        return True
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(0 < len(label) <= 63 for label in labels)
