"""Crash safety: SIGKILL during a bulk import, several times; no acknowledged event is lost, the ledger catches up
and verifies. An import prints a record id only after the transaction that stored it has committed, so every
printed id is an acknowledgement.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from application.bootstrap import Services, initialise
from domain.records import Record
from domain.transfers import Transfer
from infrastructure.config import Settings

ARCHIVE = [sys.executable, "-m", "web.cli"]


def write_listing(path: Path, rows: int) -> None:
    lines = ["item,title,date"]
    lines += [f"WS-{n:05d},关于第{n}号文件的归档说明 report {n},2011-03-{n % 28 + 1:02d}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_until_killed(listing: Path, env: dict[str, str], kill_after: int) -> list[str]:
    """Start an import, read acknowledged ids, SIGKILL it after `kill_after` of them; return what it acknowledged."""
    process = subprocess.Popen(
        [*ARCHIVE, "transfer", "import", str(listing), "--department", "办公室", "--batch", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    acknowledged: list[str] = []
    process.stdout.readline()  # the transfer id
    for line in process.stdout:
        acknowledged.append(line.strip())
        if len(acknowledged) >= kill_after:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    return acknowledged


@pytest.mark.slow
def test_no_acknowledged_event_is_lost_when_an_import_is_killed(settings: Settings, tmp_path: Path) -> None:
    initialise(settings)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    listing = tmp_path / "listing.csv"
    write_listing(listing, 3000)

    acknowledged: list[str] = []
    for kill_after in (250, 420, 800):
        acknowledged += import_until_killed(listing, env, kill_after)

    # A ledger catch-up killed half way must not seal anything twice either.
    sealer = subprocess.Popen([*ARCHIVE, "ledger", "checkpoint"], env=env, stdout=subprocess.DEVNULL)
    try:
        sealer.wait(timeout=0.8)
    except subprocess.TimeoutExpired:
        sealer.kill()
        sealer.wait()

    finished = subprocess.run(
        [*ARCHIVE, "transfer", "import", str(listing), "--department", "办公室"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    transfer_id = UUID(finished.stdout.split()[0])
    acknowledged += finished.stdout.split()[1:]

    services = Services(settings)
    try:
        transfer = services.archive.load(Transfer, transfer_id)
        stored = set(transfer.received.values())
        assert len(transfer.received) == 3000 and len(stored) == 3000  # every item once, none twice
        assert set(acknowledged) <= stored  # nothing acknowledged was lost
        for record_id in acknowledged[::97]:
            assert services.archive.load(Record, UUID(record_id)).title
        checkpoint = services.ledger.checkpoint()
        assert checkpoint["size"] == services.archive.recorder.max_notification_id() or services.settings.is_postgres
        assert services.audit().ok
        report = services.verify_export(services.ledger.export(tmp_path / "export") and tmp_path / "export")
        assert report.ok, report.reason
        assert report.entries == checkpoint["size"]
    finally:
        services.close()
