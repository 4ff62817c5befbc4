"""A Mapper that signs every stored event and snapshot, and refuses any that does not verify.

Why here and not in a Cipher: a cipher sees only the state bytes, so its signature could be replayed onto another
aggregate. The Mapper sees stream id, version and topic, and the signature binds all of them to the bytes
(DESIGN §4). It cannot see deletions or order; the Merkle ledger covers those.

Stored state layout: b"ES1" | key id (8 raw bytes) | Ed25519 signature (64 bytes) | transcoded body.
Signed message: b"archive-event-v1" NUL stream NUL version NUL topic NUL SHA-256(body).
"""

from __future__ import annotations

import hashlib
from typing import Any

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder

from infrastructure.signing import KeyRing

MAGIC = b"ES1"
_HEADER = len(MAGIC) + 8 + 64


class TamperedEvent(MapperDeserialisationError):
    """A stored event or snapshot whose signature does not verify: it was changed after it was written."""

    def __init__(self, stream: Any, version: int, topic: str, why: str) -> None:
        self.stream, self.version, self.topic, self.why = str(stream), version, topic, why
        super().__init__(f"event {self.stream} v{version} ({topic.split(':')[-1]}) fails verification: {why}")


def signed_message(stream: Any, version: int, topic: str, body: bytes) -> bytes:
    return b"\0".join(
        (b"archive-event-v1", str(stream).encode(), str(version).encode(), topic.encode(), hashlib.sha256(body).digest())
    )


def open_envelope(keyring: KeyRing, stored: StoredEvent) -> bytes:
    """Return the body of a stored event after checking its signature; raise TamperedEvent otherwise."""
    state = stored.state
    if len(state) < _HEADER or state[:3] != MAGIC:
        raise TamperedEvent(stored.originator_id, stored.originator_version, stored.topic, "no signature envelope")
    key_id, signature, body = state[3:11].hex(), state[11:_HEADER], state[_HEADER:]
    message = signed_message(stored.originator_id, stored.originator_version, stored.topic, body)
    if not keyring.verify(key_id, message, signature):
        why = "unknown key " + key_id if keyring.public_key(key_id) is None else "bad signature"
        raise TamperedEvent(stored.originator_id, stored.originator_version, stored.topic, why)
    return body


class SigningMapper(Mapper):
    def __init__(self, transcoder: Transcoder, keyring: KeyRing) -> None:
        super().__init__(transcoder)
        self.keyring = keyring

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        plain = super().to_stored_event(domain_event)
        message = signed_message(plain.originator_id, plain.originator_version, plain.topic, plain.state)
        key_id, signature = self.keyring.sign(message)
        return StoredEvent(
            originator_id=plain.originator_id,
            originator_version=plain.originator_version,
            topic=plain.topic,
            state=MAGIC + bytes.fromhex(key_id) + signature + plain.state,
        )

    def decode_sealed(self, stored_event: StoredEvent) -> Any:
        """Decode without checking the signature again: only for events whose bytes the caller has matched with
        the payload_sha256 of their (signed) ledger entry, which was sealed after the signature was verified."""
        state = stored_event.state
        if len(state) < _HEADER or state[:3] != MAGIC:
            raise TamperedEvent(
                stored_event.originator_id, stored_event.originator_version, stored_event.topic, "no signature envelope"
            )
        return super().to_domain_event(
            StoredEvent(stored_event.originator_id, stored_event.originator_version, stored_event.topic, state[_HEADER:])
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        body = open_envelope(self.keyring, stored_event)
        return super().to_domain_event(
            StoredEvent(stored_event.originator_id, stored_event.originator_version, stored_event.topic, body)
        )
