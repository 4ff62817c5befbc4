"""Read models are projections of the event stream: exactly once, resumable, rebuildable, and clearance-filtered."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from application.archive import NotFound
from application.authorisation import SYSTEM, Forbidden
from application.bootstrap import Services
from domain.users import Role
from domain.values import SecurityLevel
from infrastructure.readmodels.catalogue import CatalogueProjection
from infrastructure.readmodels.queries import CatalogueFilter
from infrastructure.readmodels.tables import access_log, catalogue, catalogue_pages, record_steps, search_log
from tests.integration import scenario

EVERYTHING = CatalogueFilter()


def snapshot(services: Services) -> dict[str, list[dict[str, Any]]]:
    """The read-model tables' contents, for comparisons."""
    tables = {"catalogue": catalogue, "pages": catalogue_pages, "steps": record_steps, "access": access_log, "search": search_log}
    with services.engine.connect() as conn:
        return {name: sorted((dict(r) for r in conn.execute(select(t)).mappings()), key=repr) for name, t in tables.items()}


def test_the_catalogue_follows_the_commands(services: Services) -> None:
    story = scenario.build(services, records=2)
    services.catalogue.refresh()
    total, rows = services.catalogue.browse(story.archivist, EVERYTHING)
    assert total == 2 and [r["code"] for r in rows] == ["Z109-WS·2011-D30-BGS-0001", "Z109-WS·2011-D30-BGS-0002"]
    assert rows[0]["state"] == "appraised" and rows[0]["security"] == int(SecurityLevel.INTERNAL)
    assert services.catalogue.queues(story.archivist)["to_scan"] == 2
    services.archive.annotate(story.archivist, story.records[0], {"responsible": "市政府办公室", "date": "2011-05-04"})
    services.catalogue.refresh()
    row = services.catalogue.record(story.archivist, story.records[0])
    assert row["responsible"] == "市政府办公室" and str(row["date"]) == "2011-05-04" and row["version"] == 5
    tree = services.catalogue.tree(story.archivist)
    assert tree["children"]["Z109"]["children"]["WS"]["children"]["2011"]["children"]["BGS"]["count"] == 2


def test_nothing_above_a_users_clearance_shows_in_lists_counts_queues_or_the_tree(services: Services) -> None:
    story = scenario.build(services, records=0)
    scenario.graded_records(services, story)
    services.catalogue.refresh()
    reader = scenario.staff(services, "reader.internal", Role.READER, SecurityLevel.INTERNAL)
    secret_reader = scenario.staff(services, "reader.secret", Role.READER, SecurityLevel.SECRET)
    archivist = scenario.staff(services, "arch.secret", Role.ARCHIVIST, SecurityLevel.SECRET)
    for actor, expected in ((reader, 2), (secret_reader, 2), (archivist, 3)):
        total, rows = services.catalogue.browse(actor, EVERYTHING)
        assert total == len(rows) == expected, actor.username
        assert max(r["security"] for r in rows) == expected - 1
        assert sum(services.catalogue.queues(actor).values()) == expected
        assert services.catalogue.tree(actor)["count"] == expected
        assert services.catalogue.browse(actor, CatalogueFilter(security=int(SecurityLevel.TOP_SECRET)))[0] == 0


def test_a_record_above_clearance_is_not_found_and_the_attempt_is_logged(services: Services) -> None:
    story = scenario.build(services, records=0)
    ids = scenario.graded_records(services, story)
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.INTERNAL)
    services.catalogue.refresh()
    with pytest.raises(NotFound) as hidden:
        services.catalogue.record(reader, ids[SecurityLevel.CONFIDENTIAL])
    with pytest.raises(NotFound) as absent:
        services.catalogue.record(reader, __import__("uuid").uuid4())
    assert str(hidden.value).split()[:2] == str(absent.value).split()[:2]  # the same answer as for nothing at all
    services.catalogue.record(reader, ids[SecurityLevel.PUBLIC])
    services.catalogue.refresh()
    log = services.catalogue.access_log(SYSTEM)
    actions = {(r["record_id"], r["action"]) for r in log}
    assert (str(ids[SecurityLevel.CONFIDENTIAL]), "denied") in actions
    assert (str(ids[SecurityLevel.PUBLIC]), "viewed") in actions
    assert {r["purpose"] for r in log if r["action"] == "viewed"} == {None}  # no access request stated one
    with pytest.raises(Forbidden):
        services.catalogue.access_log(reader)
    # Both denials count for an officer cleared as high as the refused 机密 record (DESIGN §6: no higher record counts).
    usage = services.catalogue.usage(scenario.staff(services, "compliance", Role.COMPLIANCE, SecurityLevel.CONFIDENTIAL))
    assert {"user_group": "reader", "action": "denied", "count": 2} in usage["accesses_per_group"]


def test_a_batch_that_fails_half_way_is_rolled_back_and_applied_once_on_resume(services: Services, monkeypatch) -> None:
    scenario.build(services, records=4)
    original = CatalogueProjection.write
    calls = {"n": 0}

    def crash_once(conn, records):  # type: ignore[no-untyped-def]
        original(conn, records)  # rows are written…
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")  # …and the transaction dies before its position is stored

    monkeypatch.setattr(CatalogueProjection, "write", staticmethod(crash_once))
    runner = services.projections
    catalogue_projection = next(p for p in runner.projections if p.name == "catalogue")
    assert runner.step(catalogue_projection, limit=5) == 5
    with pytest.raises(RuntimeError):
        runner.step(catalogue_projection, limit=5)
    monkeypatch.setattr(CatalogueProjection, "write", staticmethod(original))
    runner.run(limit=5)
    incremental = snapshot(services)
    runner.rebuild(["catalogue", "logs"])
    assert snapshot(services) == incremental


def test_rebuilding_gives_exactly_the_incrementally_built_model(services: Services) -> None:
    story = scenario.build(services, records=6)
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.INTERNAL)
    services.catalogue.refresh()
    services.catalogue.record(reader, story.records[0])
    for n, record_id in enumerate(story.records[:3]):
        services.archive.correct(story.archivist, record_id, {"title": f"更正题名 {n}"}, reason="题名有误")
    services.catalogue.refresh()
    incremental = snapshot(services)
    assert len(incremental["catalogue"]) == 6 and len(incremental["access"]) == 1
    services.projections.rebuild(["catalogue", "logs"])
    assert snapshot(services) == incremental


def test_the_catalogue_as_of_a_moment_shows_what_it_said_then(services: Services) -> None:
    story = scenario.build(services, records=2)
    time.sleep(0.01)
    first_moment = datetime.now(UTC)
    time.sleep(0.01)
    services.archive.correct(story.archivist, story.records[0], {"title": "新题名"}, reason="更正")
    late = services.archive.collect(story.archivist, title="后来收集的文件", source="办公室")
    compliance = scenario.staff(services, "compliance", Role.COMPLIANCE, SecurityLevel.SECRET)
    then = services.catalogue.as_of(compliance, first_moment)
    assert sorted(r["title"] for r in then) == ["关于2011年档案工作的通知（0）", "关于2011年档案工作的通知（1）"]
    now = services.catalogue.as_of(compliance, datetime.now(UTC))
    assert {r["record_id"] for r in now} == {str(story.records[0]), str(story.records[1]), str(late)}
    assert "新题名" in {r["title"] for r in now}
    assert services.catalogue.as_of(compliance, datetime(2000, 1, 1, tzinfo=UTC)) == []
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.PUBLIC)
    with pytest.raises(Forbidden):
        services.catalogue.as_of(reader, first_moment)


def test_a_diff_names_each_changed_field_with_who_when_and_why(services: Services) -> None:
    story = scenario.build(services, records=1)
    record = story.records[0]
    services.archive.correct(story.archivist, record, {"title": "更正后的题名"}, reason="原题名有误")
    changes = services.history.diff(record, 3, 5)
    by_field = {c.field: c for c in changes}
    assert by_field["title"].old == "关于2011年档案工作的通知（0）" and by_field["title"].new == "更正后的题名"
    assert by_field["title"].reason == "原题名有误" and by_field["title"].actor == story.archivist.id
    assert by_field["state"].old == "reviewed" and by_field["state"].new == "appraised"
    assert by_field["security"].new == "internal" and by_field["security"].version == 4


def test_a_list_is_paged_in_reference_code_order_after_clearance_is_applied(services: Services) -> None:
    story = scenario.build(services, records=0)
    levels = [SecurityLevel.PUBLIC, SecurityLevel.INTERNAL, SecurityLevel.SECRET] * 4
    for n, level in enumerate(levels):
        scenario.appraised(services, story, f"第{n}号文件", security=level, year=2012, retention="Y")
    services.catalogue.refresh()
    reader = scenario.staff(services, "reader.internal", Role.READER, SecurityLevel.INTERNAL)
    total, everything = services.catalogue.browse(reader, EVERYTHING, limit=100)
    assert total == len(everything) == 8 and all(r["security"] <= int(SecurityLevel.INTERNAL) for r in everything)
    codes = [r["code"] for r in everything]
    assert codes == sorted(codes)
    pages = [services.catalogue.browse(reader, EVERYTHING, offset=start, limit=3)[1] for start in (0, 3, 6)]
    assert [r["code"] for page in pages for r in page] == codes  # no row twice, none skipped, the order kept
    assert services.catalogue.browse(reader, EVERYTHING, offset=8, limit=3) == (8, [])


def test_the_list_total_counts_records_not_catalogued_yet_and_the_tree_leaves_them_out(services: Services) -> None:
    story = scenario.build(services, records=1)
    collected = services.archive.collect(story.archivist, title="尚未编目的来文", source="办公室")
    services.catalogue.refresh()
    total, rows = services.catalogue.browse(story.archivist, EVERYTHING, limit=100)
    assert total == len(rows) == 2 and str(collected) in {r["record_id"] for r in rows}
    tree = services.catalogue.tree(story.archivist)
    assert tree["count"] == 2 and list(tree["children"]) == ["Z109"] and tree["children"]["Z109"]["count"] == 1
