"""Ed25519 keys and per-event signatures (DESIGN §4).

Keys live under `ARCHIVE_HOME/keys`: `keys.json` lists every public key ever used (rotation only adds keys, so old
signatures stay verifiable) and names the active one; each private seed sits beside it in `<key_id>.ed25519`
(base64, mode 0600). `ARCHIVE_SIGNING_KEY` (a base64 seed) replaces the active key file for deployments that
inject secrets; its public key is registered like any other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey


class KeyRingError(Exception):
    """A key is missing, unreadable or unknown."""


def key_id_of(public_key: bytes) -> str:
    """DESIGN §4: key id = first 16 hex characters of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def log_id_of(public_key: bytes) -> str:
    """DESIGN §4: log id = hex SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(public_key).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: bytes
    created: str

    def as_json(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "algorithm": "ed25519",
            "public_key": base64.b64encode(self.public_key).decode("ascii"),
            "created": self.created,
        }


# Signatures a serving process has checked, remembered: a record's history is verified on every view of its page
# (tamper evidence on read), and an Ed25519 check is ~70 µs. Only exact (key, message, signature) triples that
# verified are kept, and the message holds the SHA-256 of the event's bytes: changed bytes are a new triple and
# are checked in full. About 300 bytes an entry.
VERIFIED_MEMO = 50_000


class KeyRing:
    """The installation's signing key and every public key it has used."""

    def __init__(self, directory: Path, env_seed: str | None = None) -> None:
        self.directory = directory
        self._registry_path = directory / "keys.json"
        self._public: dict[str, PublicKey] = {}
        self._verifiers: dict[str, VerifyKey] = {}
        self._verified: dict[tuple[str, bytes, bytes], None] = {}  # insertion-ordered: the oldest is dropped first
        self._signer: SigningKey | None = None
        self._active: str | None = None
        self._env_seed = env_seed
        self._load()

    # -- creation and rotation --------------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, env_seed: str | None = None) -> KeyRing:
        """Create the key directory and a first key unless one exists (idempotent: `archive init` runs it)."""
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        ring = cls(directory, env_seed)
        if ring._active is None:
            ring._add(SigningKey.generate() if env_seed is None else _seed_key(env_seed), activate=True)
        elif env_seed is not None and key_id_of(bytes(_seed_key(env_seed).verify_key)) not in ring._public:
            ring._add(_seed_key(env_seed), activate=True)
        return cls(directory, env_seed)

    def rotate(self) -> str:
        """Make a new active key; earlier keys stay listed so their signatures still verify."""
        if self._env_seed is not None:
            raise KeyRingError("the signing key comes from ARCHIVE_SIGNING_KEY: rotate it there, then run `archive init`")
        return self._add(SigningKey.generate(), activate=True)

    def _add(self, signing_key: SigningKey, *, activate: bool) -> str:
        public = bytes(signing_key.verify_key)
        key_id = key_id_of(public)
        if self._env_seed is None:
            seed_path = self.directory / f"{key_id}.ed25519"
            fd = os.open(seed_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(bytes(signing_key)).decode("ascii") + "\n")
        self._public.setdefault(key_id, PublicKey(key_id, public, _now()))
        if activate:
            self._active = key_id
        self._save_registry()
        self._load()
        return key_id

    def _save_registry(self) -> None:
        document = {"active": self._active, "keys": [k.as_json() for k in self._public.values()]}
        tmp = self._registry_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self._registry_path)

    # -- loading ------------------------------------------------------------------------------------------------

    def _load(self) -> None:
        if not self._registry_path.exists():
            return
        try:
            document = json.loads(self._registry_path.read_text(encoding="utf-8"))
            for item in document["keys"]:
                public = base64.b64decode(item["public_key"], validate=True)
                self._public[item["key_id"]] = PublicKey(item["key_id"], public, item["created"])
            self._active = document.get("active")
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise KeyRingError(f"{self._registry_path} is damaged: {error}") from None
        self._verifiers = {k: VerifyKey(v.public_key) for k, v in self._public.items()}
        self._verified = {}  # the keys may have changed: nothing checked before counts
        if self._env_seed is not None:
            self._signer = _seed_key(self._env_seed)
            self._active = key_id_of(bytes(self._signer.verify_key))
        elif self._active is not None:
            self._signer = self._read_seed(self._active)

    def _read_seed(self, key_id: str) -> SigningKey:
        path = self.directory / f"{key_id}.ed25519"
        try:
            return _seed_key(path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            raise KeyRingError(f"the private key {path} is missing") from None

    # -- use ------------------------------------------------------------------------------------------------------

    @property
    def active_key_id(self) -> str:
        if self._active is None or self._signer is None:
            raise KeyRingError(f"no signing key in {self.directory}: run `archive init`")
        return self._active

    @property
    def active_public_key(self) -> bytes:
        return self._public[self.active_key_id].public_key

    def sign(self, message: bytes) -> tuple[str, bytes]:
        key_id = self.active_key_id
        assert self._signer is not None
        signature = self._signer.sign(message).signature
        self._remember((key_id, message, signature))  # our own fresh signature: it verifies
        return key_id, signature

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        triple = (key_id, bytes(message), bytes(signature))
        if triple in self._verified:
            return True
        verifier = self._verifiers.get(key_id)
        if verifier is None:
            return False
        try:
            verifier.verify(message, signature)
        except (BadSignatureError, ValueError, TypeError):
            return False
        self._remember(triple)
        return True

    def _remember(self, triple: tuple[str, bytes, bytes]) -> None:
        verified = self._verified
        verified[triple] = None
        if len(verified) > VERIFIED_MEMO:
            verified.pop(next(iter(verified)), None)

    def public_key(self, key_id: str) -> bytes | None:
        found = self._public.get(key_id)
        return found.public_key if found else None

    def public_keys(self) -> list[dict[str, str]]:
        """The `keys.json` document of an export (DESIGN §4), oldest first."""
        return [k.as_json() for k in sorted(self._public.values(), key=lambda k: k.created)]


def _seed_key(seed_b64: str) -> SigningKey:
    try:
        seed = base64.b64decode(seed_b64, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError("a signing key must be a base64-encoded 32-byte Ed25519 seed") from None
    if len(seed) != 32:
        raise KeyRingError("a signing key must be a base64-encoded 32-byte Ed25519 seed")
    return SigningKey(seed)
