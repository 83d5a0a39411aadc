"""History keys: the secret that signs every case's hash chain, kept outside the database.

Each event is hashed with HMAC-SHA256 under the current key, and the key's id is recorded in the
event, so someone who can write to the database but does not hold the key cannot rewrite an event
and recompute the chain. A keyring holds several keys for rotation: the first signs new events,
all of them verify older ones.

Written as text: `id:secret` entries separated by commas or new lines (`#` starts a comment), or a
single bare secret, whose id is then its fingerprint. A secret is hex (e.g. `openssl rand -hex 32`)
or base64 (`openssl rand -base64 32`), at least 16 bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass

MIN_BYTES = 16
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")
HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


class KeyringError(ValueError):
    """A keyring that cannot be used as written (the message says why, never the secret)."""


@dataclass(frozen=True)
class Keyring:
    """History keys by id; the first one signs new events."""

    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError("the history keyring is empty")
        ids = [key_id for key_id, _ in self.keys]
        if len(set(ids)) != len(ids):
            raise KeyringError("the history keyring names a key id twice")

    @property
    def signing_id(self) -> str:
        """The id of the key that signs new events."""
        return self.keys[0][0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.keys)

    def sign(self, data: bytes, key_id: str | None = None) -> str:
        """HMAC-SHA256 of `data` (hex) under the key `key_id` (default: the signing key)."""
        wanted = key_id or self.signing_id
        keyed = self._macs.get(wanted)
        if keyed is None:
            raise KeyringError(f"no history key '{wanted}' in the keyring")
        mac = keyed.copy()  # the key's pads are hashed once per keyring, not once per event
        mac.update(data)
        return mac.hexdigest()

    @functools.cached_property
    def _macs(self) -> dict[str, hmac.HMAC]:
        return {key_id: hmac.new(secret, digestmod=hashlib.sha256) for key_id, secret in self.keys}


def parse(text: str) -> Keyring:
    """A keyring from its text form (see the module docstring); raises KeyringError."""
    lines = (line.partition("#")[0] for line in text.splitlines())
    entries = [entry for line in lines for entry in re.split(r"[,\s]+", line) if entry]
    if len(entries) == 1 and ":" not in entries[0]:
        secret = _secret(entries[0], "the history key")
        return Keyring(((fingerprint(secret), secret),))
    keys = []
    for entry in entries:
        key_id, sep, value = entry.partition(":")
        if not sep or not KEY_ID.fullmatch(key_id):
            raise KeyringError("write each history key as id:secret (id: letters, digits, '.', '_', '-')")
        keys.append((key_id, _secret(value, f"history key '{key_id}'")))
    return Keyring(tuple(keys))


def fingerprint(secret: bytes) -> str:
    """The id of a key given without one: derived from it, so the same key always has the same id."""
    return "k" + hashlib.sha256(b"complaints history key id\0" + secret).hexdigest()[:10]


def _secret(value: str, name: str) -> bytes:
    try:
        secret = bytes.fromhex(value) if HEX.fullmatch(value) else _base64(value)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{name} is neither hex nor base64") from None
    if len(secret) < MIN_BYTES:
        raise KeyringError(f"{name} is {len(secret)} bytes; it needs at least {MIN_BYTES} (32 recommended)")
    return secret


def _base64(value: str) -> bytes:
    padded = value + "=" * (-len(value) % 4)
    return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
