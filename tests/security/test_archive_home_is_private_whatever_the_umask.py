"""Finding 18 (DESIGN §5): files under ARCHIVE_HOME were 0644, and events.sqlite holds 绝密 titles in clear. Whatever
the umask the archive is started with, its folders are 0700, its files 0600 and its blobs 0400; `archive init`
repairs an installation made before."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.bootstrap import Services
from tests import pages
from tests.integration.clirunner import archive
from tests.integration.scenario import appraised, build

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    found = {}
    for folder, _dirs, files in os.walk(root):
        found[folder] = stat.S_IMODE(os.stat(folder).st_mode)
        for name in files:
            found[os.path.join(folder, name)] = stat.S_IMODE(os.lstat(os.path.join(folder, name)).st_mode)
    return found


def wrong(root: Path) -> dict[str, str]:
    blobs = str(root / "blobs")
    expected = {
        path: 0o700 if os.path.isdir(path) else (0o400 if path.startswith(blobs + "/") else 0o600) for path in modes(root)
    }
    return {p: f"{m:o}" for p, m in modes(root).items() if m != expected[p]}


def test_everything_the_archive_writes_is_its_owners_alone(settings, loose_umask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert archive("init").code == 0
    services = Services(settings)
    try:
        story = build(services, records=0)
        record = appraised(services, story, "绝密件", retention="Y")
        scan = tmp_path / "page.png"
        scan.write_bytes(pages.encode(pages.render_page(pages.LINES), "png"))
    finally:
        services.close()
    assert archive("scan", str(record), str(scan)).code == 0
    assert archive("ledger", "checkpoint").code == 0
    assert archive("rebuild", "search").code == 0
    assert (settings.home / "blobs").is_dir() and (settings.home / "search").is_dir()
    assert wrong(settings.home) == {}


def test_archive_init_repairs_an_installation_made_with_a_loose_umask(settings, loose_umask) -> None:  # type: ignore[no-untyped-def]
    assert archive("init").code == 0
    for path in modes(settings.home):
        os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    assert wrong(settings.home) != {}
    assert archive("init").code == 0
    assert wrong(settings.home) == {}
