"""The access matrix (DESIGN §6): every role at three clearances against records declared 绝密 at intake, raised,
lowered and open, through the API's views of the present and the past, the command line's --as, transfers and the
compliance log. A record above a caller's clearance answers exactly as an id that never existed; a view of a past
moment is graded by the higher of the record's level then and now."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from application.authorisation import Action, Actor
from application.bootstrap import Services
from domain.users import Role
from tests.integration.clirunner import archive
from tests.integration.webclient import caller
from tests.security.world import LOWERED_FIRST_TITLE, PUBLIC, SECRET, TOP, World, answer, build
from web.app import create_app

ROLES = [
    Role.READER,
    Role.ARCHIVIST,
    Role.APPRAISER,
    Role.DIGITISER,
    Role.COMPLIANCE,
    Role.AUDITOR,
    Role.ADMIN,
    Role.SECURITY_OFFICER,
    Role.SECURITY_AUDITOR,
]
CLEARANCES = [PUBLIC, SECRET, TOP]


def limit_of(role: Role, clearance: int) -> int:
    """The highest level the caller sees now: readers see 公开/内部 without a request (DESIGN §6); -1: nothing."""
    if not Actor("x", "x", frozenset({role}), clearance).may(Action.READ):
        return -1
    return min(clearance, 1) if role is Role.READER else clearance


@pytest.mark.parametrize("role", ROLES)
def test_a_caller_sees_a_record_now_or_then_only_within_their_clearance_and_a_hidden_one_looks_never_made(
    services: Services, role: Role, tmp_path: Path
) -> None:
    world = build(services)
    app = create_app(services)
    for clearance in CLEARANCES:
        name = f"{role.value}.{int(clearance)}"
        api = caller(services, app, name, [role], clearance)
        limit = limit_of(role, int(clearance))
        history = Actor("x", "x", frozenset({role}), clearance).may(Action.READ_HISTORY)
        check_present(world, api, limit)
        if history:
            check_past(world, api, limit)
            check_catalogue_as_of(world, api, name, limit, tmp_path / f"{name}.csv")
        else:
            for path in ("/history", "/versions/1", "/diff?from=1&to=2"):
                assert api.get(f"/records/{world.open}{path.split('?')[0]}").status_code in (403, 422)
        if role is Role.ARCHIVIST:
            check_transfer(world, api, limit)
        if role is Role.COMPLIANCE:
            check_access_log(world, api, limit)


def check_present(world: World, api, limit: int) -> None:  # type: ignore[no-untyped-def]
    for record_id, level in world.levels_now().items():
        shown = api.get(f"/records/{record_id}")
        if level <= limit:
            assert shown.status_code == 200, (record_id, level, limit)
        else:
            assert answer(shown, record_id) == answer(api.get(f"/records/{world.never}"), world.never)
    found = api.get("/search", q="件").get_json() or {}
    text = json.dumps(found, ensure_ascii=False)
    for record_id, level in world.levels_now().items():
        assert (str(record_id) in text) == (0 <= level <= limit), (record_id, level, limit)


def check_past(world: World, api, limit: int) -> None:  # type: ignore[no-untyped-def]
    now, then, ever = world.levels_now(), world.levels_then(), world.highest_ever()
    for record_id in now:
        views = {
            "history": f"/records/{record_id}/history",
            "version 1": f"/records/{record_id}/versions/1",
            "as of the middle": f"/records/{record_id}/as-of?time={quote(world.middle.isoformat())}",
            "whole diff": f"/records/{record_id}/diff?from=1&to=3",
        }
        for what, path in views.items():
            got = api.client.get(f"/api/v1{path}", headers=api.headers)
            if now[record_id] > limit:  # hidden today: answered exactly as an id that never existed
                never = api.client.get(f"/api/v1{path.replace(str(record_id), str(world.never))}", headers=api.headers)
                assert answer(got, record_id) == answer(never, world.never), (what, record_id)
                assert got.status_code == 404, (what, got.get_data(as_text=True))
                continue
            graded = {"history": now[record_id], "version 1": ever[record_id], "as of the middle": then[record_id]}
            needed = max(now[record_id], graded.get(what, ever[record_id]))
            if what == "history":
                assert got.status_code == 200
            else:
                assert got.status_code == (200 if needed <= limit else 403), (what, record_id, limit, got.get_data(as_text=True))
            if max(ever[record_id], now[record_id]) > limit:  # the lowered record's first title was 绝密
                assert LOWERED_FIRST_TITLE not in got.get_data(as_text=True), (what, limit)


def check_catalogue_as_of(world: World, api, name: str, limit: int, out: Path) -> None:  # type: ignore[no-untyped-def]
    now, then = world.levels_now(), world.levels_then()
    expected = {str(r) for r in now if max(now[r], then[r]) <= limit}
    listed = api.get("/catalogue/as-of", time=world.middle.isoformat(), limit=100).get_json()
    assert {row["record_id"] for row in listed["records"]} == expected
    assert listed["total"] == len(expected)
    written = archive("catalogue", "--as", name, "--as-of", world.middle.isoformat(), "--out", str(out))
    assert written.code == 0, written.err
    with open(out, encoding="utf-8-sig") as handle:
        assert {row["record_id"] for row in csv.DictReader(handle)} == expected
    for record_id in now:
        shown = archive("show", str(record_id), "--as", name, "--version", "1", "--json")
        never = archive("show", str(world.never), "--as", name, "--version", "1", "--json")
        if now[record_id] > limit:
            assert (shown.code, shown.err.replace(str(record_id), "<id>")) == (never.code, never.err.replace(str(world.never), "<id>"))
            assert shown.code == 1
        elif max(now[record_id], world.highest_ever()[record_id]) > limit:
            assert shown.code == 1 and "classified above your clearance" in shown.err
            assert LOWERED_FIRST_TITLE not in shown.out + shown.err
        else:
            assert shown.code == 0, shown.err


def check_transfer(world: World, api, limit: int) -> None:  # type: ignore[no-untyped-def]
    received = api.get(f"/transfers/{world.transfer}").get_json()["received"]
    assert received == {"1": str(world.declared) if TOP <= limit else None}


def check_access_log(world: World, api, limit: int) -> None:  # type: ignore[no-untyped-def]
    entries = api.get("/compliance/access-log").get_json()["entries"]
    shown = {e["record_id"] for e in entries if e["record_id"]}
    for record_id, level in world.levels_now().items():
        if level > limit:
            assert str(record_id) not in shown
    assert str(world.never) not in shown  # probes for ids that never existed look like probes for hidden ones
