"""Double appraisal through the real application, web pages, API and command line (DESIGN §6, separation of duties:
"an appraisal needs two appraisers where the scheme says so")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.authorisation import SYSTEM
from application.bootstrap import Services
from application.search import SearchQuery
from domain.errors import SecondAppraiserNeeded
from domain.records import Record, RecordState
from domain.users import Role
from domain.values import Retention, SecurityLevel
from tests import pages
from tests.integration import scenario
from tests.integration.clirunner import archive
from tests.integration.test_digitisation import row, write_manifest
from tests.integration.webclient import Browser, make_user
from web.app import create_app

S = RecordState
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def double(services: Services) -> tuple[scenario.Scenario, scenario.Actor]:
    """Fonds Z109 asking for two appraisers; the story's appraiser (li) and a second one (chen)."""
    story = scenario.build(services, records=0)
    services.archive.edit_scheme(SYSTEM, "Z109", lambda s: s.set_double_appraisal(True, actor=SYSTEM.id))
    return story, scenario.staff(services, "chen.appraiser", Role.APPRAISER)


def test_the_item_number_is_allocated_once_at_confirmation_when_retention_changes(services) -> None:
    story, chen = double(services)
    first = scenario.reviewed(services, story, "甲")  # Z109-WS·2011-D30-BGS-0001
    a = services.archive
    proposal = a.appraise(story.appraiser, first, retention=Retention("Y"), security=SecurityLevel.INTERNAL)
    assert proposal.awaiting_second_appraiser and proposal.code is None and proposal.proposed_by == "li.appraiser"
    assert str(a.load(Record, first).code) == "Z109-WS·2011-D30-BGS-0001"  # a proposal takes no number
    # chen gives other values: they replace li's proposal, and still no number is taken
    assert a.appraise(chen, first, retention=Retention("D10"), security=SecurityLevel.INTERNAL).awaiting_second_appraiser
    done = a.appraise(story.appraiser, first, retention=Retention("D10"), security=SecurityLevel.INTERNAL)
    assert not done.awaiting_second_appraiser and str(done.code) == "Z109-WS·2011-D10-BGS-0001"
    assert done.proposed_by == "chen.appraiser"
    record = a.load(Record, first)
    assert record.state is S.APPRAISED and str(record.code) == "Z109-WS·2011-D10-BGS-0001"
    # The Y proposal took no number of the Y class: the first record appraised Y there gets 0001.
    second = scenario.reviewed(services, story, "乙")
    a.appraise(chen, second, retention=Retention("Y"), security=SecurityLevel.PUBLIC)
    assert str(a.appraise(story.appraiser, second, retention=Retention("Y"), security=SecurityLevel.PUBLIC).code) == (
        "Z109-WS·2011-Y-BGS-0001"
    )


def test_the_proposer_is_refused_by_name_and_one_appraiser_suffices_without_the_rule(services) -> None:
    story, chen = double(services)
    record_id = scenario.reviewed(services, story, "甲")
    a = services.archive
    a.appraise(story.appraiser, record_id, retention=Retention("D30"), security=SecurityLevel.INTERNAL)
    with pytest.raises(SecondAppraiserNeeded, match="an appraisal needs a second appraiser: li.appraiser proposed it"):
        a.appraise(story.appraiser, record_id, retention=Retention("D30"), security=SecurityLevel.INTERNAL)
    a.edit_scheme(SYSTEM, "Z109", lambda s: s.set_double_appraisal(False, actor=SYSTEM.id))
    alone = a.appraise(story.appraiser, record_id, retention=Retention("D30"), security=SecurityLevel.INTERNAL)
    assert str(alone.code) == "Z109-WS·2011-D30-BGS-0001" and alone.proposed_by is None
    assert a.load(Record, record_id).state is S.APPRAISED


def test_a_proposed_record_stays_in_the_appraisal_queue_and_the_projections_follow_it(services) -> None:
    story, chen = double(services)
    record_id = scenario.reviewed(services, story, "关于双人鉴定的通知")
    a, catalogue = services.archive, services.catalogue
    a.appraise(story.appraiser, record_id, retention=Retention("D30"), security=SecurityLevel.SECRET)
    catalogue.refresh()
    queues = catalogue.queues(SYSTEM)
    assert (queues["to_appraise"], queues["to_scan"]) == (1, 0)
    row_ = next(r for r in catalogue.everything(SYSTEM) if r["record_id"] == str(record_id))
    # The record stays reviewed, but is graded by the proposed 秘密 already (DESIGN §6: the higher level known grades
    # it, so it is not shown as 公开 while it waits for the second appraiser).
    assert row_["state"] == "reviewed" and row_["security"] == int(SecurityLevel.SECRET)
    hits = services.search.search(SYSTEM, SearchQuery(text="双人鉴定")).hits  # the search projection took it too
    assert [(h.record_id, h.security) for h in hits] == [(str(record_id), int(SecurityLevel.SECRET))]
    a.appraise(chen, record_id, retention=Retention("D30"), security=SecurityLevel.SECRET)
    catalogue.refresh()
    queues = catalogue.queues(SYSTEM)
    assert (queues["to_appraise"], queues["to_scan"]) == (0, 1)
    # The proposal is no workflow step: the service timings go reviewed → appraised once.
    timings = {(t["from"], t["to"]): t["count"] for t in catalogue.service_timings(SYSTEM)}
    assert timings[("reviewed", "appraised")] == 1 and ("reviewed", "reviewed") not in timings
    # The catalogue as of now, replayed from the events, reads the new event too.
    replayed = next(r for r in catalogue.as_of(SYSTEM, datetime.now(UTC)) if r["record_id"] == str(record_id))
    assert replayed["state"] == "appraised" and replayed["security"] == int(SecurityLevel.SECRET)


# -- the web pages and the API -----------------------------------------------------------------------------------


@SQLITE
def test_two_appraisers_through_the_record_page(services) -> None:
    app = create_app(services)
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    services.archive.edit_scheme(SYSTEM, "Z109", lambda s: s.set_double_appraisal(True, actor=SYSTEM.id))
    wang = make_user(services, "wang", [Role.ARCHIVIST], SecurityLevel.SECRET)
    make_user(services, "li", [Role.APPRAISER], SecurityLevel.SECRET)
    make_user(services, "chen", [Role.APPRAISER], SecurityLevel.SECRET)
    story = scenario.Scenario(wang, wang)
    record_id = scenario.reviewed(services, story, "关于档案数字化工作的通知")
    page = f"/records/{record_id}"
    li, chen = Browser(app), Browser(app)
    li.login("li")
    chen.login("chen")

    first = li.submit(page, f"{page}/appraise", {"retention": "D30", "security": "1", "reason": "初审"}, follow_redirects=True)
    shown = first.get_data(as_text=True)
    assert first.status_code == 200 and "已记录为鉴定提议，须由另一位鉴定人员确认。" in shown
    assert 'id="appraisal-proposal"' in shown and "li 提议：保管期限 D30，密级 内部" in shown
    assert "提出鉴定意见" in shown  # the new event in the history timeline, in Chinese
    assert "Appraisal proposed" in li.get(f"{page}?lang=en").get_data(as_text=True)

    again = li.submit(page, f"{page}/appraise", {"retention": "D30", "security": "1"})
    assert again.status_code == 422 and "an appraisal needs a second appraiser: li proposed it" in again.get_data(as_text=True)

    seen_by_chen = chen.get(page).get_data(as_text=True)
    assert "li 提议" in seen_by_chen and '<option value="1" selected>' in seen_by_chen  # what chen confirms
    confirmed = chen.submit(page, f"{page}/appraise", {"retention": "D30", "security": "1"}, follow_redirects=True)
    assert confirmed.status_code == 200 and "已记录为鉴定提议" not in confirmed.get_data(as_text=True)
    assert services.archive.load(Record, record_id).state is S.APPRAISED


@SQLITE
def test_the_api_answers_the_proposal_state(services) -> None:
    app = create_app(services)
    story, _chen = double(services)
    make_user(services, "li", [Role.APPRAISER], SecurityLevel.SECRET)
    make_user(services, "chen", [Role.APPRAISER], SecurityLevel.SECRET)
    record_id = scenario.reviewed(services, story, "甲")
    client = app.test_client()
    tokens = {name: services.accounts.issue_token(SYSTEM, name, "test")[1] for name in ("li", "chen")}
    path, body = f"/api/v1/records/{record_id}/appraise", {"retention": "D30", "security": "内部"}

    def post(name: str):  # type: ignore[no-untyped-def]
        return client.post(path, json=body, headers={"Authorization": f"Bearer {tokens[name]}"})

    assert post("li").get_json() == {"code": None, "awaiting_second_appraiser": True, "proposed_by": "li"}
    refused = post("li")
    assert refused.status_code == 422 and "li proposed it" in refused.get_json()["error"]["message"]
    assert post("chen").get_json() == {
        "code": "Z109-WS·2011-D30-BGS-0001",
        "awaiting_second_appraiser": False,
        "proposed_by": "li",
    }
    schema = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/records/{record_id}/appraise"]["post"]
    answer = schema["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["awaiting_second_appraiser"]["type"] == "boolean"


@SQLITE
def test_the_admin_turns_double_appraisal_on_and_off_in_the_scheme_page(services) -> None:
    app = create_app(services)
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    make_user(services, "boss", [Role.ADMIN])
    admin = Browser(app)
    admin.login("boss")
    page = "/admin/scheme?fonds=Z109"
    assert 'id="double-appraisal-required" >' in admin.get(page).get_data(as_text=True)  # off by default
    on = admin.submit(page, page, {"action": "double_appraisal", "fonds": "Z109", "double_appraisal": "on"})
    assert on.status_code == 200 and 'id="double-appraisal-required" checked' in on.get_data(as_text=True)
    assert services.archive.scheme_for("Z109").double_appraisal is True
    assert admin.submit(page, page, {"action": "double_appraisal", "fonds": "Z109"}).status_code == 200  # unchecked
    assert services.archive.scheme_for("Z109").double_appraisal is False


# -- the command line: the scheme switch and the batch import ---------------------------------------------------


@SQLITE
def test_the_command_line_switches_it_and_an_import_leaves_its_rows_as_proposals(services, tmp_path) -> None:
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    switched = archive("scheme", "double-appraisal", "z109", "on")
    assert switched.code == 0 and services.archive.scheme_for("Z109").double_appraisal is True
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "p1.png").write_bytes(pages.encode(pages.render_page(pages.LINES * 2), "png"))
    manifest = write_manifest(folder, [row("关于档案工作的通知", "p1.png")])

    first = [json.loads(line) for line in archive("import", str(folder), "--manifest", str(manifest), "--json").out.splitlines()]
    assert first[0]["outcome"] == "awaiting second appraiser" and "qc" not in first[0]
    record_id = UUID(first[0]["record_id"])
    assert services.archive.load(Record, record_id).state is S.REVIEWED
    again = archive("import", str(folder), "--manifest", str(manifest), "--json")
    assert again.code == 0 and json.loads(again.out)["outcome"] == "awaiting second appraiser"  # not an error

    li = scenario.staff(services, "li.appraiser", Role.APPRAISER)
    services.archive.appraise(li, record_id, retention=Retention("D30"), security=SecurityLevel.INTERNAL)
    resumed = json.loads(archive("import", str(folder), "--manifest", str(manifest), "--json").out)
    assert resumed["outcome"] == "imported" and resumed["qc"] == "passed"
    assert archive("scheme", "double-appraisal", "Z109", "maybe").code == 2
