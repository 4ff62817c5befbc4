"""ARCHIVE_HOME is private to the account that runs the archive (DESIGN §5 "ARCHIVE_HOME 0700, files 0600").

events.sqlite holds titles of 绝密 records in clear, keys/ the signing seeds, blobs/ the scans: nobody else on the
machine may read them, whatever the umask of the shell or service manager that started us (issue 11 finding 18).

Not every file is ours to open: SQLite makes its -wal and -shm files, tantivy its index segments, Babel nothing
but what we write. So the rule is kept by the process umask, set at the entry points before anything under
ARCHIVE_HOME is created, and inherited by forked server workers; `archive init` repairs an installation made
before (or by hand): directories 0700, files 0600, blobs 0400 (read-only, content-addressed, never rewritten).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE_UMASK = 0o077  # group and others get nothing
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
BLOB_MODE = 0o400


def keep_private() -> None:
    """From now on this process creates files for its owner only. A stricter umask already set is kept."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def private_directory(path: Path) -> Path:
    """Create the folder (and its parents) owner-only, or make an existing one so."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIRECTORY_MODE)  # mkdir's mode passes through the umask, and an existing folder keeps its own
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a small file that is owner-only from the first byte (no window in which it is 0644)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def repair(roots: Iterable[Path], blobs: Path) -> int:
    """Give every folder and file under the roots its private mode; returns how many were changed.
    Symbolic links are left alone (chmod would follow them out of the tree)."""
    changed = 0
    for root in roots:
        if not root.is_dir() or root.is_symlink():
            continue
        changed += _set_mode(root, DIRECTORY_MODE)
        for folder, directories, files in os.walk(root):
            here = Path(folder)
            for name in directories:
                if not (here / name).is_symlink():
                    changed += _set_mode(here / name, DIRECTORY_MODE)
            for name in files:
                path = here / name
                if not path.is_symlink():
                    changed += _set_mode(path, BLOB_MODE if path.is_relative_to(blobs) else FILE_MODE)
    return changed


def _set_mode(path: Path, mode: int) -> int:
    if stat.S_IMODE(path.lstat().st_mode) == mode:
        return 0
    os.chmod(path, mode)
    return 1
