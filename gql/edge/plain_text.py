"""Text PostgreSQL can store and UTF-8 can carry: no NUL character, no lone UTF-16 surrogate
(JSON can carry both, so a client can send them)."""

from __future__ import annotations


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored or sent as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")  # fails on a lone surrogate, at C speed
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate"
    return None
