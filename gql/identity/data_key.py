"""Personal data sealed at rest: users' email addresses and the client addresses in
security_events are stored encrypted (AES-256-GCM), and the lookups that need equality
(sign-in by email, throttling by email or address) use a keyed hash (HMAC-SHA256) with an
index. The key never enters the database: it is GQL_DATA_KEY, or else generated once into
`<data dir>/data-key` (mode 0600) beside the generated JWT secret. A dump of the database
(`backup`) holds ciphertext and hashes only.

The server, not PostgreSQL, encrypts: the embedded PostgreSQL is built without OpenSSL, so
pgcrypto is not there to use; and this way the key is never a statement parameter that a
server log could record."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gql.identity.secret_files import generated_secret

KEY_FILE = "data-key"
KEY_BYTES = 32
FORMAT = b"\x01"  # first byte of every sealed value: the layout below (nonce, ciphertext+tag)
NONCE_BYTES = 12


class DataKeyError(Exception):
    """The key is malformed, or is not the key this database's data was sealed with."""


class DataKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise DataKeyError(f"a data key is {KEY_BYTES} bytes (base64url-encoded), not {len(key)}")
        self._sealing = AESGCM(_derived(key, b"seal"))
        self._hashing = _derived(key, b"lookup")
        self.fingerprint = _derived(key, b"fingerprint")[:16]
        """Identifies the key without revealing it: kept in the database to catch a wrong key."""

    @classmethod
    def parse(cls, text: str) -> DataKey:
        try:
            key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        except ValueError as exc:
            raise DataKeyError("a data key is base64url-encoded") from exc
        return cls(key)

    @staticmethod
    def new_text() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")

    def seal(self, text: str, purpose: str) -> bytes:
        """Encrypt `text`; `purpose` (the column) binds it, so it cannot be moved elsewhere."""
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._sealing.encrypt(nonce, text.encode(), purpose.encode())

    def open(self, sealed: bytes, purpose: str) -> str:
        if sealed[:1] != FORMAT:
            raise DataKeyError("not a sealed value of this format")
        nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        try:
            return self._sealing.decrypt(nonce, body, purpose.encode()).decode()
        except InvalidTag as exc:
            raise DataKeyError("sealed with another key, or altered") from exc

    def lookup(self, text: str, purpose: str) -> bytes:
        """Equal texts give equal hashes under one key; without the key it tells nothing."""
        return hmac.new(self._hashing, purpose.encode() + b"\x00" + text.encode(), hashlib.sha256).digest()


def _derived(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, b"directory-gql " + label, hashlib.sha256).digest()


def data_key_of(data_dir: Path) -> str:
    return generated_secret(data_dir / KEY_FILE, DataKey.new_text, 43)


def normalized_email(email: str) -> str:
    return email.strip().lower()
