"""Identity: password hashing (Argon2id), JWTs (HS256), and the request role they imply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ANONYMOUS_ROLE = "gql_anonymous"
USER_ROLE = "gql_user"
ADMIN_ROLE = "gql_admin"

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200

_hasher = PasswordHasher()  # Argon2id with the library's maintained defaults
# Checked when an e-mail is unknown, so a failed sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class InvalidToken(Exception):
    """A token was given but cannot be trusted; the message says why (never which key)."""


@dataclass(frozen=True)
class Identity:
    user_id: UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    expires_at: datetime | None = None
    session_id: UUID | None = None
    """The signed-in device's session (gql/resolvers/sessions.py); tokens made by tools have none."""
    api_key_id: UUID | None = None
    scopes: frozenset[str] | None = None
    """An API key's scopes (None: a user's own token, which may do all its user may)."""
    business_ids: tuple[UUID, ...] | None = None
    """The businesses an API key acts for (None: all of its user's)."""
    key_hash: bytes | None = field(default=None, repr=False)
    """An API key not yet looked up (TokenHolders.current resolves it)."""

    @property
    def reads_as_user(self) -> bool:
        """Does it read as its user? An API key only with the READ scope; without it the
        database reads for it as for an anonymous caller (api.claims)."""
        return self.scopes is None or "read" in self.scopes

    def sees_as(self) -> tuple[Any, ...]:
        """What decides what this identity may read: its user, roles and (for a key limited to
        some businesses) those businesses; for a key without the read scope, no one's but its
        database role's (the database reads for it as for the public). Answers are shared only
        between equal ones."""
        if not self.reads_as_user:
            return (None, frozenset(), None, self.database_role)
        return (self.user_id, self.roles, self.business_ids)

    def lapsed(self, now: datetime) -> bool:
        """May an open socket no longer be served as this identity? When its token has expired;
        but a signed-in device's socket follows its session instead (TokenHolders checks it),
        so that it does not drop with every 15-minute access token."""
        return self.session_id is None and self.expires_at is not None and self.expires_at <= now

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def database_role(self) -> str:
        """The PostgreSQL role the request runs as; RLS policies are written for these."""
        if self.key_hash is not None and self.user_id is None:
            raise RuntimeError("an API key must be looked up (TokenHolders.current) before it is used")
        if self.user_id is None:
            return ANONYMOUS_ROLE
        return ADMIN_ROLE if "admin" in self.roles else USER_ROLE

    def claims(self) -> dict[str, Any]:
        """What SQL sees through current_setting('request.jwt.claims')."""
        if self.user_id is None:
            return {}
        claims: dict[str, Any] = {"sub": str(self.user_id), "roles": sorted(self.roles)}
        if self.session_id is not None:
            claims["sid"] = str(self.session_id)
        if self.api_key_id is not None:  # the database enforces these (api.require_writer)
            claims["key"] = str(self.api_key_id)
            claims["scopes"] = sorted(self.scopes or ())
            if self.business_ids is not None:
                claims["businesses"] = [str(b) for b in self.business_ids]
        return claims


ANONYMOUS = Identity()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_token(user_id: UUID, roles: list[str], secret: str, ttl_seconds: int,
                session_id: UUID | None = None) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=ttl_seconds)
    claims: dict[str, Any] = {"sub": str(user_id), "roles": sorted(roles), "iat": now, "exp": expires,
                              "jti": uuid4().hex}  # (two tokens of one second differ)
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm="HS256"), expires


API_KEY_PREFIX = "gk_"
"""API keys begin so (gql/resolvers/api_keys.py); JWTs cannot."""


def api_key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def identity_from_token(token: str, secret: str) -> Identity:
    if token.startswith(API_KEY_PREFIX):
        if len(token) > 200:
            raise InvalidToken("the API key is not valid")
        return Identity(key_hash=api_key_hash(token))
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; sign in again") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("the token's signature is not valid") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("the token is malformed") from None
    try:
        user_id = UUID(str(claims["sub"]))
        roles = frozenset(str(r) for r in claims.get("roles") or [])
        session_id = UUID(str(claims["sid"])) if claims.get("sid") is not None else None
    except (ValueError, TypeError):
        raise InvalidToken("the token is malformed") from None
    return Identity(user_id=user_id, roles=roles, session_id=session_id,
                    expires_at=datetime.fromtimestamp(claims["exp"], UTC))


def identity_from_authorization(header: str | None, secret: str) -> Identity:
    """`Authorization: Bearer <token>`; no header means anonymous."""
    if header is None or not header.strip():
        return ANONYMOUS
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken('the Authorization header must be "Bearer <token>"')
    return identity_from_token(token.strip(), secret)
