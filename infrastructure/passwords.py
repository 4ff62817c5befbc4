"""Argon2id password hashes (DESIGN §6), via libsodium."""

from __future__ import annotations

from nacl import pwhash
from nacl.exceptions import InvalidkeyError


class Argon2idHasher:
    # OPSLIMIT/MEMLIMIT_INTERACTIVE: 64 MiB, ~66 ms a hash on these machines; above the OWASP minimum (19 MiB, t=2)
    # and fast enough for a rate-limited login form.
    def hash(self, password: str) -> str:
        return pwhash.argon2id.str(
            password.encode("utf-8"),
            opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE,
            memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE,
        ).decode("ascii")

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return pwhash.verify(password_hash.encode("ascii"), password.encode("utf-8"))
        except (InvalidkeyError, ValueError):
            return False
