"""The local content-addressed blob store under ARCHIVE_HOME/blobs (DESIGN §5).

A blob lives at blobs/ab/cd/abcd…(64 hex): the name is its SHA-256, never a user's file name. Writes go to a
temporary file in the same folder, are fsynced and renamed into place, so a crash leaves either nothing or the
whole blob; stored blobs are made read-only (0400). Every read re-checks the hash (fixity, PREMIS "fixity check"):
a changed byte is reported, never served. More locations, replication and encryption sit behind the same port.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(LookupError):
    pass


class BlobCorrupted(RuntimeError):
    """The stored bytes no longer hash to their address."""


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise BlobNotFound(f"not a blob address: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256  # same bytes, same address: nothing to write
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o400)  # read-only, and the owner's alone (DESIGN §5)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobCorrupted(f"blob {sha256} fails its fixity check: the stored bytes have changed")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def verify(self, sha256: str) -> bool:
        try:
            self.get(sha256)
        except (BlobNotFound, BlobCorrupted):
            return False
        return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
