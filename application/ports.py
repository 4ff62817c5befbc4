"""Ports: the few things the application needs from infrastructure, as small Protocols."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class PasswordPolicy(Protocol):
    """Which passwords are acceptable (NIST SP 800-63B-4), and the one form they are hashed and compared in."""

    def normalised(self, password: str) -> str: ...

    def check(self, password: str, username: str = "") -> str: ...


class Sessions(Protocol):
    """Signed-in browsers: a random id per login, mapped to the user (shared by all serving processes)."""

    def open(self, user_id: str) -> str: ...

    def user(self, sid: str | None) -> str | None: ...

    def close(self, sid: str | None) -> None: ...

    def close_all(self, user_id: str) -> None: ...


class FailureLog(Protocol):
    """Failed sign-ins per key within a sliding window (login rate limiting)."""

    def wait(self, key: str) -> int: ...

    def fail(self, key: str) -> None: ...

    def clear(self, key: str) -> None: ...


class SealIndex(Protocol):
    """Where an event sits in the Merkle ledger."""

    def sealed_versions(self, stream: str) -> dict[int, int]: ...


class Ledger(SealIndex, Protocol):
    def catch_up(self, batch_size: int = 500, progress: Any = None) -> int: ...
    def follow(self, batch_size: int = 500) -> int: ...

    def checkpoint(self, *, force: bool = False) -> dict[str, Any]: ...

    def latest_checkpoint(self) -> dict[str, Any] | None: ...

    def export(self, directory: Path, progress: Any = None) -> dict[str, Any]: ...

    def size(self) -> int: ...

    def inclusion_proof(self, seq: int, size: int) -> dict[str, Any]: ...

    def consistency_proof(self, first: int, second: int) -> dict[str, Any]: ...


class BlobStore(Protocol):
    """Content-addressed storage (SHA-256) for page images, derivatives and OCR text (DESIGN §5). Blobs are
    immutable: the same bytes always have the same address, and nothing stored is ever rewritten."""

    def put(self, data: bytes) -> str: ...

    def get(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def verify(self, sha256: str) -> bool: ...


class Imaging(Protocol):
    """Reading, processing and rendering page images (OpenCV / Pillow behind it)."""

    def measure(self, data: bytes, name: str) -> tuple[str, int, int]: ...  # media type, frames, pixels: headers only

    def read(self, data: bytes, name: str) -> tuple[str, list[Any]]: ...

    def process(self, items: list[tuple[bytes, int]], parameters: dict[str, Any]) -> list[Any]: ...

    def access_pdf(self, jpegs: list[bytes]) -> bytes: ...

    def preview(self, data: bytes, frame: int, long_side: int) -> bytes: ...


class TextRecogniser(Protocol):
    name: str

    def recognise_jpeg(self, jpeg: bytes) -> tuple[str, float]: ...
