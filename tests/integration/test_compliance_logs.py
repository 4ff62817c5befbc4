"""The compliance logs are graded by the officer's own clearance (DESIGN §6: a user sees a record only at or below
their clearance; records above it never appear, not even in counts): views of a record above it are not in the access
log nor in the statistics, and a search whose hits could include such records shows its query but not its count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import insert, inspect, select

from application.accounts import LoginRefused
from application.archive import HIDDEN_OR_ABSENT, NotFound
from application.authorisation import Actor
from application.bootstrap import Services
from application.search import SearchQuery
from domain.activity import ActivityLog
from domain.users import Role
from domain.values import SecurityLevel
from infrastructure.readmodels.tables import search_log
from tests.integration import scenario
from tests.integration.test_migrations import run
from tests.integration.webclient import Browser, make_user
from web.app import create_app

PUBLIC, SECRET, TOP_SECRET = SecurityLevel.PUBLIC, SecurityLevel.SECRET, SecurityLevel.TOP_SECRET


@pytest.fixture
def graded(services: Services) -> dict[SecurityLevel, UUID]:
    """One appraised record per security level, titled "<level>级会议纪要"."""
    ids = scenario.graded_records(services, scenario.build(services, records=0), title="会议纪要")
    services.catalogue.refresh()
    return ids


def officer(services: Services, clearance: SecurityLevel) -> Actor:
    return scenario.staff(services, f"officer.{clearance.name.lower()}", Role.COMPLIANCE, clearance)


def logged(services: Services, of: Actor) -> dict[str, Any]:
    services.catalogue.refresh()
    return {
        "access": services.catalogue.access_log(of),
        "searches": services.catalogue.search_log(of),
        "usage": services.catalogue.usage(of),
    }


def viewed(log: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(row["record_id"], row["action"]) for row in log["access"]}


def test_an_officer_cleared_public_sees_no_view_of_a_top_secret_record_in_the_log_or_the_counts_and_one_cleared_top_secret_does(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    top = scenario.staff(services, "top.archivist", Role.ARCHIVIST, TOP_SECRET)
    services.catalogue.record(top, graded[TOP_SECRET])
    services.catalogue.record(top, graded[PUBLIC])

    low = logged(services, officer(services, PUBLIC))
    assert viewed(low) == {(str(graded[PUBLIC]), "viewed")}
    assert str(graded[TOP_SECRET]) not in repr(low)
    assert low["usage"]["accesses_per_category"] == [{"category": "WS", "action": "viewed", "count": 1}]
    assert [row["count"] for row in low["usage"]["accesses_per_day"]] == [1]
    assert low["usage"]["accesses_per_group"] == [{"user_group": "archivist", "action": "viewed", "count": 1}]
    assert services.catalogue.access_log(officer(services, SECRET), record_id=str(graded[TOP_SECRET])) == []

    high = logged(services, officer(services, TOP_SECRET))
    assert viewed(high) == {(str(graded[PUBLIC]), "viewed"), (str(graded[TOP_SECRET]), "viewed")}
    assert high["usage"]["accesses_per_category"] == [{"category": "WS", "action": "viewed", "count": 2}]


def test_a_record_is_graded_in_the_log_at_its_current_level(services: Services, graded: dict[SecurityLevel, UUID]) -> None:
    """A view made while the record was 公开 disappears from a 公开 officer's log once the record is 绝密 (graded: the
    scheme and a few other records)."""
    story = scenario.Scenario(
        scenario.staff(services, "arch.top", Role.ARCHIVIST, TOP_SECRET),
        scenario.staff(services, "appr.top", Role.APPRAISER, TOP_SECRET),
    )
    record_id = scenario.appraised(services, story, "后来升密的文件", security=PUBLIC)
    services.catalogue.refresh()
    services.catalogue.record(story.archivist, record_id)
    low = officer(services, PUBLIC)
    assert (str(record_id), "viewed") in viewed(logged(services, low))
    services.archive.reclassify(story.appraiser, record_id, security=TOP_SECRET, reason="升密")
    assert (str(record_id), "viewed") not in viewed(logged(services, low))


def test_a_refused_login_and_probes_for_a_hidden_and_a_never_existing_id_show_alike_to_the_officer_cleared_low(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    make_user(services, "wang", [Role.READER], PUBLIC)
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.INTERNAL)
    with pytest.raises(LoginRefused):
        services.accounts.login("wang", "not the password", "127.0.0.1")
    never = uuid4()
    for record_id in (never, graded[TOP_SECRET]):
        with pytest.raises(NotFound):
            services.catalogue.record(reader, record_id)

    low = logged(services, officer(services, PUBLIC))
    # Every refusal shows, but neither probed id does: a hidden record's and one that never existed look alike.
    assert viewed(low) == {(None, "denied")}
    probes = [row for row in low["access"] if row["names_a_record"]]
    assert len(probes) == 2 and {row["purpose"] for row in probes} == {HIDDEN_OR_ABSENT}
    assert {"user_group": "reader", "action": "denied", "count": 3} in low["usage"]["accesses_per_group"]
    top = viewed(logged(services, officer(services, TOP_SECRET)))
    assert (str(graded[TOP_SECRET]), "denied") in top and (str(never), "denied") not in top


def search(services: Services, actor: Actor, text: str, approved: frozenset[str] | None = None) -> int:
    services.catalogue.refresh()
    return services.search.search(actor, SearchQuery(text=text), approved=approved).total


def hits_of(services: Services, of: Actor, query: str) -> list[int | None]:
    return [row["hits"] for row in logged(services, of)["searches"] if row["query"] == query]


def test_a_search_by_a_top_secret_archivist_shows_its_query_but_no_count_to_an_officer_cleared_public(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    top = scenario.staff(services, "top.archivist", Role.ARCHIVIST, TOP_SECRET)
    assert search(services, top, "会议纪要") == 5
    public_reader = scenario.staff(services, "reader.public", Role.READER, PUBLIC)
    assert search(services, public_reader, "纪要") == 1

    low = officer(services, PUBLIC)
    assert hits_of(services, low, "会议纪要") == [None]  # the query shows, the count over 绝密 records does not
    assert hits_of(services, low, "纪要") == [1]  # counted within 公开: nothing above the officer in it
    assert {"user_group": "archivist", "count": 1} in logged(services, low)["usage"]["searches_per_group"]  # a search
    assert hits_of(services, officer(services, SECRET), "会议纪要") == [None]
    assert hits_of(services, officer(services, TOP_SECRET), "会议纪要") == [5]


def test_a_readers_search_widened_by_an_approved_request_is_counted_up_to_the_readers_clearance(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    reader = scenario.staff(services, "reader.secret", Role.READER, SECRET)
    assert search(services, reader, "会议纪要", approved=frozenset({str(graded[SECRET])})) == 3
    assert search(services, reader, "纪要") == 2  # no approved request: 公开 and 内部 only
    internal = officer(services, SecurityLevel.INTERNAL)
    assert hits_of(services, internal, "会议纪要") == [None] and hits_of(services, internal, "纪要") == [2]
    assert hits_of(services, officer(services, SECRET), "会议纪要") == [3]


def store_search_without_a_ceiling(services: Services, actor: Actor, query: str, hits: int) -> UUID:
    """A Searched event as stored before it had a ceiling: its state has no such field at all."""
    log = ActivityLog(user_id=actor.id, day=datetime.now(UTC).date().isoformat())
    searched = ActivityLog.Searched(
        originator_id=log.id,
        originator_version=2,
        timestamp=ActivityLog.Searched.create_timestamp(),
        actor=actor.id,
        group=actor.group,
        query=query,
        filters={},
        hits=hits,
    )
    object.__setattr__(searched, "__dict__", {k: v for k, v in vars(searched).items() if k != "ceiling"})
    services.archive.save(*log.collect_events(), searched)
    return log.id


def test_a_search_stored_before_ceilings_decodes_and_shows_its_count_only_to_an_officer_cleared_top_secret(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    archivist = scenario.staff(services, "old.archivist", Role.ARCHIVIST, PUBLIC)
    log_id = store_search_without_a_ceiling(services, archivist, "旧检索", 7)
    [stored] = services.archive.recorder.select_events(log_id, gt=1)
    assert b"ceiling" not in stored.state and b"hits" in stored.state
    decoded = services.archive.mapper.to_domain_event(stored)
    assert (decoded.query, decoded.hits, decoded.ceiling) == ("旧检索", 7, None)

    assert hits_of(services, officer(services, SECRET), "旧检索") == [None]  # its scope is unknown
    assert hits_of(services, officer(services, TOP_SECRET), "旧检索") == [7]  # nothing is above 绝密


def test_the_migration_upgrades_a_search_log_made_before_it_and_its_old_counts_are_hidden_below_the_top_level(
    services: Services,
) -> None:
    run(services, "0005_sign_in_state", "downgrade")
    assert "ceiling" not in {c["name"] for c in inspect(services.engine).get_columns("search_log")}
    old = {"log_id": str(uuid4()), "version": 2, "at": "2026-01-05T08:00:00+00:00", "day": "2026-01-05", "user_id": "u1"}
    old |= {"user_group": "archivist", "query": "旧检索", "filters": {}, "hits": 4}
    with services.engine.begin() as conn:
        conn.execute(insert(search_log).values(old))  # only the columns it had then

    run(services, "head", "upgrade")
    assert "ix_search_log_day" in {i["name"] for i in inspect(services.engine).get_indexes("search_log")}
    with services.engine.connect() as conn:
        assert conn.execute(select(search_log.c.hits, search_log.c.ceiling)).all() == [(4, None)]
    assert hits_of(services, officer(services, SECRET), "旧检索") == [None]
    assert hits_of(services, officer(services, TOP_SECRET), "旧检索") == [4]


# -- the compliance page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_compliance_page_shows_the_officer_cleared_public_no_id_of_a_top_secret_record_nor_a_count_over_it(
    services: Services, graded: dict[SecurityLevel, UUID]
) -> None:
    top = scenario.staff(services, "top.archivist", Role.ARCHIVIST, TOP_SECRET)
    services.catalogue.record(top, graded[TOP_SECRET])
    assert search(services, top, "会议纪要") == 5
    services.catalogue.refresh()  # the page reads the logs as the projections have them
    make_user(services, "low.officer", [Role.COMPLIANCE], PUBLIC)
    make_user(services, "top.officer", [Role.COMPLIANCE], TOP_SECRET)
    app = create_app(services)

    def page(username: str) -> str:
        browser = Browser(app)
        assert browser.login(username).status_code == 302
        return browser.get("/compliance").get_data(as_text=True)

    low, high = page("low.officer"), page("top.officer")
    assert str(graded[TOP_SECRET]) not in low and str(graded[TOP_SECRET]) in high
    assert "<td>会议纪要</td><td title=" in low and ">—</td>" in low  # the query, and a dash for its count
    assert "<td>会议纪要</td><td>5</td>" in high
