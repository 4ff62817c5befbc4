"""Tamper evidence (DESIGN §4), against the real SQLite and PostgreSQL stores.

An attacker with write access to the database changes a byte of an event or a snapshot, deletes an event, swaps
two, or truncates the tail of both the events and the ledger after a checkpoint was exported. Every case must be
caught by `archive ledger audit` or `archive ledger verify`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from eventsourcing.persistence import MapperDeserialisationError
from sqlalchemy import delete, func, select

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.users import Role
from domain.values import SecurityLevel
from infrastructure.ledger.ledger import LedgerError
from infrastructure.ledger.tables import ledger_nodes
from tests.integration import rawstore, scenario
from web.cli import main


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def flip_byte(services: Services, table: str, where: str, params: tuple) -> None:
    ph = rawstore.placeholder(services)
    with rawstore.raw_cursor(services) as cursor:
        cursor.execute(f"SELECT state FROM {table} WHERE {where}", params)
        row = cursor.fetchone()
        state = bytearray(row["state"] if isinstance(row, dict) else row[0])
        state[-5] ^= 0x01  # one bit of the JSON body
        cursor.execute(f"UPDATE {table} SET state = {ph} WHERE {where}", (bytes(state), *params))


def where_version(services: Services) -> str:
    ph = rawstore.placeholder(services)
    return f"originator_id = {ph} AND originator_version = {ph}"


def stream_param(services: Services, record_id):  # type: ignore[no-untyped-def]
    return record_id if services.settings.is_postgres else record_id.hex


@pytest.fixture
def sealed(services: Services) -> scenario.Scenario:
    story = scenario.build(services)
    services.ledger.checkpoint()
    return story


def test_an_untouched_archive_passes_audit_and_its_export_verifies(services: Services, sealed, tmp_path: Path) -> None:
    assert cli("ledger", "audit")[0] == 0
    code, out = cli("ledger", "export", str(tmp_path / "export"))
    assert code == 0, out
    code, out = cli("ledger", "verify", str(tmp_path / "export"))
    assert code == 0 and "OK:" in out, out


def test_a_changed_byte_in_a_stored_event_is_reported_by_audit_and_history(services: Services, sealed) -> None:
    events, _ = rawstore.tables(services)
    record = sealed.records[1]
    assert {item.signature for item in services.history.events(record)} == {"valid"}
    flip_byte(services, events, where_version(services), (stream_param(services, record), 2))
    code, out = cli("ledger", "audit")
    assert code == 1
    assert "CHANGED" in out and f"{record} v2" not in out.split("CHANGED")[0]
    expected_seq = services.ledger.sealed_versions(str(record))[2]
    assert f"CHANGED: seq {expected_seq}" in out
    code, out = cli("history", str(record))
    assert code == 1 and "INVALID" in out
    # The process that wrote and verified the event before remembers verdicts only for the exact bytes it checked.
    assert services.history.events(record)[1].signature == "INVALID: bad signature"


def test_a_changed_byte_in_a_snapshot_is_caught(services: Services, sealed) -> None:
    record_id = sealed.records[0]
    services.archive.take_snapshot(record_id)
    _, snapshots = rawstore.tables(services)
    flip_byte(services, snapshots, where_version(services), (stream_param(services, record_id), 4))
    code, out = cli("ledger", "audit")
    assert code == 1 and "SNAPSHOT" in out
    fresh = Services(services.settings)  # no cached aggregates: the snapshot is read from the store
    try:
        with pytest.raises(MapperDeserialisationError):
            fresh.archive.repository.get(record_id)
    finally:
        fresh.close()


def test_a_deleted_event_is_reported_missing(services: Services, sealed) -> None:
    events, _ = rawstore.tables(services)
    record = sealed.records[2]
    with rawstore.raw_cursor(services) as cursor:
        cursor.execute(f"DELETE FROM {events} WHERE {where_version(services)}", (stream_param(services, record), 3))
    code, out = cli("ledger", "audit")
    assert code == 1
    assert f"MISSING: seq {services.ledger.sealed_versions(str(record))[3]}" in out


def test_two_swapped_events_are_reported_reordered(services: Services, sealed) -> None:
    events, _ = rawstore.tables(services)
    idcol, ph = rawstore.id_column(services), rawstore.placeholder(services)
    with rawstore.raw_cursor(services) as cursor:
        # Give the first two events each other's position in the total order.
        cursor.execute(f"UPDATE {events} SET {idcol} = -1 WHERE {idcol} = 1")
        cursor.execute(f"UPDATE {events} SET {idcol} = 1 WHERE {idcol} = 2")
        cursor.execute(f"UPDATE {events} SET {idcol} = 2 WHERE {idcol} = -1")
    code, out = cli("ledger", "audit")
    assert code == 1 and "REORDERED" in out, out
    del ph


def test_a_truncated_tail_is_caught_by_the_witnessed_checkpoint(services: Services, sealed, tmp_path: Path) -> None:
    first = tmp_path / "first-export"
    assert cli("ledger", "export", str(first))[0] == 0
    size = services.ledger.size()
    truncate_everything_after(services, size - 3)

    second = tmp_path / "second-export"
    assert cli("ledger", "export", str(second))[0] == 0
    code, out = cli("ledger", "verify", str(second), "--witness", str(first / "checkpoints.jsonl"))
    assert code == 1 and "truncat" in out.lower(), out
    code, out = cli("ledger", "audit")
    assert code == 1 and "TRUNCATED" in out, out


def truncate_everything_after(services: Services, keep: int) -> None:
    """What a careful attacker does: drop the newest events, their ledger rows and the checkpoints covering them."""
    from infrastructure.ledger.tables import ledger_checkpoints, ledger_entries, projection_positions

    events, _ = rawstore.tables(services)
    with services.engine.begin() as conn:
        nid = conn.execute(ledger_entries.select().where(ledger_entries.c.seq == keep)).mappings().one()["notification_id"]
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq > keep))
        conn.execute(delete(ledger_nodes))  # rebuilt below from the remaining entries' positions
        conn.execute(delete(ledger_checkpoints))
        conn.execute(projection_positions.update().values(position=0))
        conn.execute(delete(ledger_entries))
    with rawstore.raw_cursor(services) as cursor:
        cursor.execute(f"DELETE FROM {events} WHERE {rawstore.id_column(services)} > {int(nid)}")
    fresh = Services(services.settings)
    try:
        fresh.ledger.catch_up()  # re-seal the shortened store, as the attacker's copy of the software would
    finally:
        fresh.close()


def test_a_deleted_tree_node_stops_sealing_with_a_clear_error_and_seals_nothing_half(services: Services, sealed) -> None:
    size = services.ledger.size()
    top = size.bit_length() - 1  # the root of the largest perfect subtree: every next leaf joins it
    with services.engine.begin() as conn:
        conn.execute(delete(ledger_nodes).where(ledger_nodes.c.level == top, ledger_nodes.c.idx == 0))
        nodes = conn.execute(select(func.count()).select_from(ledger_nodes)).scalar_one()
    services.archive.register_user(
        SYSTEM, username="late", roles=[Role.READER], clearance=SecurityLevel.PUBLIC, password_hash="x"
    )
    with pytest.raises(LedgerError, match=rf"tree node \({top}, 0\) is missing"):
        services.ledger.catch_up()
    assert services.ledger.size() == size  # nothing of the batch was written
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger_nodes)).scalar_one() == nodes
