"""The ledger projection seals every event exactly once, in order, whoever runs it and however often."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from application.authorisation import SYSTEM
from application.bootstrap import Services


def collect(services: Services, count: int) -> None:
    for n in range(count):
        services.archive.collect(SYSTEM, title=f"记录 {n}", source="办公室")


def test_two_workers_sealing_at_once_never_seal_an_event_twice(services: Services) -> None:
    collect(services, 120)
    workers = [Services(services.settings) for _ in range(2)]
    try:
        threads = [threading.Thread(target=w.ledger.catch_up, kwargs={"batch_size": 7}) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for worker in workers:
            worker.close()
    assert services.ledger.size() == services.archive.recorder.max_notification_id()
    report = services.audit()
    assert report.ok, report.findings
    assert report.sealed == report.events == 121  # the administrator created by init, and 120 records


def test_sealing_resumes_where_it_stopped(services: Services) -> None:
    collect(services, 10)
    services.ledger.catch_up()
    first_root = services.ledger.root()
    collect(services, 5)
    assert services.ledger.catch_up() == 5
    proof = services.ledger.consistency_proof(11, 16)
    from infrastructure.ledger import merkle

    assert merkle.verify_consistency(11, 16, first_root, services.ledger.root(), [bytes.fromhex(h) for h in proof["path"]])


def test_a_serving_process_seals_and_checkpoints_on_a_schedule(services: Services) -> None:
    from dataclasses import replace

    scheduled = Services(replace(services.settings, checkpoint_interval=1))
    scheduler = scheduled.start_background()
    try:
        collect(services, 3)
        witness = services.settings.witness_path
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            latest = services.ledger.latest_checkpoint()
            # The checkpoint is stored first and then witnessed (a crash between leaves it unwitnessed, never a
            # witnessed head the database lacks): wait for both.
            if latest and latest["size"] == 4 and witness.exists() and witness.read_text().count("\n") >= 1:
                break
            time.sleep(0.2)
        assert latest and latest["size"] == 4
        assert witness.read_text().count("\n") >= 1
    finally:
        scheduler.shutdown(wait=True)
        scheduled.close()


def test_proofs_served_from_the_stored_tree_verify_against_signed_roots(services: Services) -> None:
    import random

    from infrastructure.ledger import merkle
    from infrastructure.ledger.canonical import canonical_json

    collect(services, 40)
    services.ledger.catch_up()
    size = services.ledger.size()
    entries = list(services.ledger.entries())
    root = services.ledger.root(size)
    rng = random.Random(7)
    for _ in range(60):
        seq = rng.randint(1, size)
        tree_size = rng.randint(seq, size)
        proof = services.ledger.inclusion_proof(seq, tree_size)
        leaf = merkle.leaf_hash(canonical_json({k: v for k, v in entries[seq - 1].items() if k != "sig"}))
        path = [bytes.fromhex(h) for h in proof["path"]]
        assert merkle.verify_inclusion(seq - 1, tree_size, leaf, path, services.ledger.root(tree_size))
        first = rng.randint(1, size)
        consistency = services.ledger.consistency_proof(first, size)
        path = [bytes.fromhex(h) for h in consistency["path"]]
        assert merkle.verify_consistency(first, size, services.ledger.root(first), root, path)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sealing_and_proofs_look_tree_nodes_up_by_key_and_never_scan_the_node_table(services: Services) -> None:
    """SQLite answers a row-value IN list over (level, idx) with a scan of every node: at 570,000 entries that
    was 67 ms for each batch sealed and each proof. Every statement on ledger_nodes must search its index."""
    collect(services, 40)
    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM ledger_nodes" in statement and not executemany:
            statements.append((statement, parameters))

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        services.ledger.catch_up(batch_size=7)
        size = services.ledger.size()
        services.ledger.inclusion_proof(13, size)
        services.ledger.consistency_proof(9, size)
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)
    assert len(statements) >= 3
    with services.engine.connect() as conn:
        for statement, parameters in statements:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "SCAN ledger_nodes" not in plan and "SEARCH ledger_nodes" in plan, (statement, plan)


def test_a_followers_turn_seals_up_to_the_tail_and_leaves_what_arrives_meanwhile_to_the_next_turn(services: Services) -> None:
    """Under load events arrive while a batch is sealed; chasing them sealed batch after batch of a few events, each
    paying a batch's whole fixed cost. A turn seals full batches, then the partial one at the tail, and stops."""
    services.ledger.catch_up()
    collect(services, 6)
    seal, arrivals = services.ledger._seal_batch, iter(range(5))

    def sealing_while_views_arrive(limit: int) -> int:
        count = seal(limit)
        if next(arrivals, None) is not None:
            collect(services, 1)  # a page view recorded while this batch was sealed
        return count

    services.ledger._seal_batch = sealing_while_views_arrive  # type: ignore[method-assign]
    assert services.ledger.follow(batch_size=4) == 7  # a full batch of 4, then the tail (2 + 1 that arrived): stop
    assert services.ledger.pending() == 1  # arrived during the last batch: the next turn's
    services.ledger._seal_batch = seal  # type: ignore[method-assign]
    assert services.ledger.follow(batch_size=4) == 1 and services.ledger.pending() == 0
    services.projections.follow(limit=4)
    assert set(services.projections.positions().values()) == {services.archive.recorder.max_notification_id()}
