"""Finding 1: a view of a past moment is graded by the higher of the record's level then and now (DESIGN §6). Before,
every record was 公开 until appraised, so the catalogue as of any earlier moment showed 绝密 titles to officers
cleared 公开; and a declassified record's versions showed what was secret before."""

from __future__ import annotations

from urllib.parse import quote

from application.bootstrap import Services
from domain.users import Role
from tests.integration.clirunner import archive
from tests.integration.webclient import caller
from tests.security.world import (
    DECLARED_TITLE,
    LOWERED_FIRST_TITLE,
    LOWERED_TITLE,
    OPEN_TITLE,
    PUBLIC,
    RAISED_TITLE,
    TOP,
    build,
)
from web.app import create_app


def test_the_catalogue_as_of_a_past_moment_shows_no_record_the_officer_may_not_see_now_or_then(services: Services, tmp_path) -> None:
    world = build(services)
    officer = caller(services, create_app(services), "officer", [Role.COMPLIANCE], PUBLIC)
    then = officer.get("/catalogue/as-of", time=world.middle.isoformat()).get_json()
    assert [row["title"] for row in then["records"]] == [OPEN_TITLE]  # raised is 机密 now, lowered was 绝密 then
    written = archive("catalogue", "--as", "officer", "--as-of", world.middle.isoformat(), "--out", str(tmp_path / "c.csv"))
    text = (tmp_path / "c.csv").read_text(encoding="utf-8-sig")
    assert written.code == 0 and OPEN_TITLE in text
    assert not any(title in text for title in (DECLARED_TITLE, RAISED_TITLE, LOWERED_TITLE, LOWERED_FIRST_TITLE))
    top = caller(services, create_app(services), "top.officer", [Role.COMPLIANCE], TOP)
    everything = top.get("/catalogue/as-of", time=world.middle.isoformat()).get_json()
    assert {row["title"] for row in everything["records"]} == {OPEN_TITLE, DECLARED_TITLE, RAISED_TITLE, LOWERED_TITLE}


def test_a_declassified_record_keeps_its_secret_past_hidden_from_those_cleared_only_for_its_present(services: Services) -> None:
    world = build(services)
    officer = caller(services, create_app(services), "officer", [Role.COMPLIANCE], PUBLIC)
    assert officer.get(f"/records/{world.lowered}").get_json()["title"] == LOWERED_TITLE  # 公开 now: seen
    history = officer.get(f"/records/{world.lowered}/history").get_json()["events"]
    assert LOWERED_FIRST_TITLE not in str(history)
    withheld = [event for event in history if event["withheld"]]
    assert [e["type"] for e in withheld] == ["Record.Collected", "Record.Catalogued", "Record.Reviewed", "Record.Appraised", "Record.MetadataCorrected", "Record.Reclassified"]
    assert all(e["fields"] == {} and e["reason"] is None and e["signature"] == "valid" for e in withheld)
    for path in ("/versions/1", f"/as-of?time={quote(world.middle.isoformat())}", "/diff?from=1&to=6"):
        refused = officer.client.get(f"/api/v1/records/{world.lowered}{path}", headers=officer.headers)
        assert refused.status_code == 403 and LOWERED_FIRST_TITLE not in refused.get_data(as_text=True)
        assert "classified above your clearance" in refused.get_json()["error"]["message"]
    assert officer.get(f"/records/{world.lowered}/versions/6").get_json()["title"] == LOWERED_TITLE  # after it: shown


def test_a_record_raised_since_a_moment_is_hidden_in_that_moment_too(services: Services) -> None:
    world = build(services)
    officer = caller(services, create_app(services), "officer", [Role.COMPLIANCE], PUBLIC)
    then = officer.get(f"/records/{world.raised}/as-of", time=world.middle.isoformat())
    never = officer.get(f"/records/{world.never}/as-of", time=world.middle.isoformat())
    assert then.status_code == never.status_code == 404
    assert then.get_json()["error"]["message"].replace(str(world.raised), "") == never.get_json()["error"]["message"].replace(
        str(world.never), ""
    )
    assert RAISED_TITLE not in then.get_data(as_text=True)
