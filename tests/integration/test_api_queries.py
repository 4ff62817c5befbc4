"""The JSON API offers what the pages offer: the catalogue list and tree, a record's past and its diffs, the
compliance logs, transfers and access requests. Each through the real stores, with clearance holding as on the pages
(DESIGN §6): a record above a caller's clearance is not listed, not counted, and answered as one that never existed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask import Flask

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.users import Role
from domain.values import Retention, SecurityLevel
from tests.integration import scenario
from tests.integration.webclient import Browser, caller
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services)


def error(response: Any) -> dict[str, str]:
    """The JSON error every refusal carries (never an HTML page, never a 500)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["error"]


@pytest.fixture
def graded(services: Services) -> dict[SecurityLevel, UUID]:
    """One appraised record per security level (Z109 · WS · 2012 · BGS), titled "<level>级 会议纪要"."""
    ids = scenario.graded_records(services, scenario.build(services, records=0), title=" 会议纪要")
    services.catalogue.refresh()
    return ids


# -- the catalogue ------------------------------------------------------------------------------------------------


def test_the_catalogue_list_through_the_api_counts_and_lists_only_what_the_caller_may_see(services, app, graded) -> None:
    internal = caller(services, app, "internal.archivist", [Role.ARCHIVIST], SecurityLevel.INTERNAL)
    confidential = caller(services, app, "confidential.archivist", [Role.ARCHIVIST], SecurityLevel.CONFIDENTIAL)
    reader = caller(services, app, "secret.reader", [Role.READER], SecurityLevel.SECRET)  # no approved request

    listed = internal.get("/catalogue").get_json()
    assert listed["total"] == 2
    assert {r["record_id"] for r in listed["records"]} == {str(graded[SecurityLevel.PUBLIC]), str(graded[SecurityLevel.INTERNAL])}
    assert confidential.get("/catalogue").get_json()["total"] == 4
    assert {r["security"] for r in confidential.get("/catalogue").get_json()["records"]} == {0, 1, 2, 3}
    assert reader.get("/catalogue").get_json()["total"] == 2  # 秘密 needs an approved request, clearance or not

    # Filters and paging as on the browse page; the total stays the caller's whole visible list.
    assert internal.get("/catalogue", fonds="Z109", category="WS", year=2012, org="BGS").get_json()["total"] == 2
    assert internal.get("/catalogue", year=2011).get_json() == {"total": 0, "records": []}
    assert internal.get("/catalogue", state="appraised").get_json()["total"] == 2
    second = internal.get("/catalogue", offset=1, limit=1).get_json()
    assert second["total"] == 2 and len(second["records"]) == 1
    assert second["records"][0]["record_id"] != internal.get("/catalogue", limit=1).get_json()["records"][0]["record_id"]

    assert error(internal.get("/catalogue", limit="many"))["message"] == "limit must be a whole number, not 'many'"
    assert error(internal.get("/catalogue", year="二〇一二"))["code"] == "refused"
    auditor = caller(services, app, "auditor", [Role.AUDITOR], SecurityLevel.TOP_SECRET)
    assert error(auditor.get("/catalogue"))["code"] == "forbidden"  # auditors read the ledger, not the records


def test_the_classification_tree_through_the_api_counts_only_what_the_caller_may_see(services, app, graded) -> None:
    internal = caller(services, app, "internal.archivist", [Role.ARCHIVIST], SecurityLevel.INTERNAL)
    top = caller(services, app, "top.archivist", [Role.ARCHIVIST], SecurityLevel.TOP_SECRET)

    tree = internal.get("/catalogue/tree").get_json()
    assert tree["count"] == 2
    assert tree["children"]["Z109"]["children"]["WS"]["children"]["2012"]["children"]["BGS"]["count"] == 2
    assert top.get("/catalogue/tree").get_json()["children"]["Z109"]["count"] == 5


# -- a record's past (time travel, diffs) -----------------------------------------------------------------------


def _collected_then_catalogued(services: Services) -> tuple[scenario.Scenario, UUID, datetime]:
    """A record collected, then (after the returned moment) catalogued, reviewed, appraised and corrected."""
    story = scenario.build(services, records=0)
    record_id = services.archive.collect(story.archivist, title="关于档案工作的通知", source="办公室")
    between = datetime.now(UTC)
    services.archive.catalogue(
        story.archivist,
        record_id,
        fonds="Z109",
        category="WS",
        year=2011,
        org="BGS",
        classification="办公室/通知",
        retention=Retention("D30"),
    )
    services.archive.review(story.archivist, record_id, passed=True)
    services.archive.appraise(story.appraiser, record_id, retention=Retention("D30"), security=SecurityLevel.INTERNAL)
    services.archive.correct(story.archivist, record_id, {"responsible": "市政府办公室"}, reason="著录有误")
    return story, record_id, between


def test_a_record_at_a_past_version_or_moment_through_the_api_is_what_it_was_then(services, app) -> None:
    _story, record_id, between = _collected_then_catalogued(services)
    officer = caller(services, app, "officer", [Role.COMPLIANCE], SecurityLevel.INTERNAL)

    first = officer.get(f"/records/{record_id}/versions/1").get_json()
    assert (first["version"], first["state"], first["code"]) == (1, "collected", None)
    second = officer.get(f"/records/{record_id}/versions/2").get_json()
    assert (second["state"], second["code"]) == ("catalogued", "Z109-WS·2011-D30-BGS-0001")

    then = officer.get(f"/records/{record_id}/as-of", time=between.isoformat()).get_json()
    assert (then["version"], then["state"]) == (1, "collected")
    now = officer.get(f"/records/{record_id}/as-of", time=datetime.now(UTC).isoformat()).get_json()
    assert (now["version"], now["state"], now["metadata"]) == (5, "appraised", {"responsible": "市政府办公室"})
    assert error(officer.get(f"/records/{record_id}/as-of", time="2001-01-01"))["code"] == "not_found"  # not yet collected

    assert "not an ISO 8601 time" in error(officer.get(f"/records/{record_id}/as-of", time="last Tuesday"))["message"]
    assert error(officer.get(f"/records/{record_id}/as-of"))["message"].startswith("the query parameter time is required")
    assert error(officer.get(f"/records/{record_id}/versions/0"))["message"] == "versions count from 1"
    beyond = officer.get(f"/records/{record_id}/versions/99")  # not the last version passed off as the 99th
    assert beyond.status_code == 422 and error(beyond)["message"] == f"{record_id} has only 5 versions"
    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.INTERNAL)
    assert error(reader.get(f"/records/{record_id}/versions/1"))["code"] == "forbidden"  # history is for compliance


def test_a_record_diff_through_the_api_names_field_old_new_who_when(services, app) -> None:
    story, record_id, between = _collected_then_catalogued(services)
    officer = caller(services, app, "officer", [Role.COMPLIANCE], SecurityLevel.INTERNAL)

    catalogued = officer.get(f"/records/{record_id}/diff", **{"from": 1, "to": 2}).get_json()["changes"]
    by_field = {c["field"]: c for c in catalogued}
    assert set(by_field) == {"classification", "code", "state"}
    state = by_field["state"]
    assert (state["old"], state["new"], state["version"], state["type"]) == ("collected", "catalogued", 2, "Record.Catalogued")
    assert state["actor"] == story.archivist.id
    assert between <= datetime.fromisoformat(state["at"]) <= datetime.now(UTC)

    corrected = officer.get(f"/records/{record_id}/diff", **{"from": 4, "to": 5}).get_json()["changes"]
    assert [(c["field"], c["old"], c["new"], c["reason"]) for c in corrected] == [
        ("metadata", {}, {"responsible": "市政府办公室"}, "著录有误")
    ]

    assert "1 <= from < to" in error(officer.get(f"/records/{record_id}/diff", **{"from": 3, "to": 2}))["message"]
    assert error(officer.get(f"/records/{record_id}/diff", **{"from": 1, "to": 9}))["message"].endswith("has only 5 versions")
    assert error(officer.get(f"/records/{record_id}/diff", **{"from": 1}))["message"] == "the query parameter to is required"


def test_a_record_above_the_callers_clearance_is_answered_as_if_it_did_not_exist(services, app, graded) -> None:
    """Version, moment, diff and the record itself: the same 404 and the same words, but for the id, as for an id
    nothing was ever recorded under — and the pending requests do not show it to a decider cleared lower."""
    officer = caller(services, app, "officer", [Role.COMPLIANCE, Role.ARCHIVIST], SecurityLevel.INTERNAL)
    secret, nothing = graded[SecurityLevel.SECRET], uuid.uuid4()
    for suffix, query in (("/versions/1", {}), ("/as-of", {"time": "2100-01-01"}), ("/diff", {"from": 1, "to": 2}), ("", {})):
        hidden, missing = officer.get(f"/records/{secret}{suffix}", **query), officer.get(f"/records/{nothing}{suffix}", **query)
        assert hidden.status_code == missing.status_code == 404, suffix
        assert error(hidden)["message"].replace(str(secret), "ID") == error(missing)["message"].replace(str(nothing), "ID")
        assert "会议纪要" not in hidden.get_data(as_text=True)
    visible = officer.get(f"/records/{graded[SecurityLevel.INTERNAL]}/versions/1")
    assert visible.status_code == 200 and visible.get_json()["title"] == "内部级 会议纪要"  # the rule is clearance

    secret_reader = caller(services, app, "secret.reader", [Role.READER], SecurityLevel.SECRET)
    assert secret_reader.post("/access-requests", {"record_id": str(secret), "purpose": "编史修志"}).status_code == 201
    assert officer.get("/access-requests/pending").get_json() == {"requests": []}


def test_the_catalogue_as_of_a_moment_through_the_api_is_what_it_held_then(services, app) -> None:
    _story, record_id, between = _collected_then_catalogued(services)
    services.archive.collect(SYSTEM, title="后来收集的文件", source="办公室")
    officer = caller(services, app, "officer", [Role.COMPLIANCE], SecurityLevel.INTERNAL)

    then = officer.get("/catalogue/as-of", time=between.isoformat()).get_json()
    assert then["total"] == 1
    assert [(r["record_id"], r["state"], r["code"]) for r in then["records"]] == [(str(record_id), "collected", None)]
    now = officer.get("/catalogue/as-of", time=datetime.now(UTC).isoformat(), limit=1).get_json()
    assert now["total"] == 2 and len(now["records"]) == 1
    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.INTERNAL)
    assert error(reader.get("/catalogue/as-of", time=between.isoformat()))["code"] == "forbidden"


# -- compliance logs ----------------------------------------------------------------------------------------------


def test_the_compliance_logs_through_the_api_show_views_searches_and_denials_to_compliance_only(services, app, graded) -> None:
    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.INTERNAL)
    internal, secret = graded[SecurityLevel.INTERNAL], graded[SecurityLevel.SECRET]
    assert reader.get(f"/records/{internal}", purpose="编史修志").status_code == 200
    assert reader.get(f"/records/{secret}").status_code == 404
    assert reader.get("/search", q="会议纪要").get_json()["total"] == 2
    reader_id = services.archive.find_user("reader").id
    # Cleared 秘密: the refused 秘密 record shows to them (to an officer cleared lower it would not: DESIGN §6).
    officer = caller(services, app, "officer", [Role.COMPLIANCE], SecurityLevel.SECRET)

    accesses = officer.get("/compliance/access-log", user_id=str(reader_id)).get_json()["entries"]
    assert {(e["action"], e["record_id"]) for e in accesses} == {("viewed", str(internal)), ("denied", str(secret))}
    # A purpose is stated by an access request (a POST), never by a link's query: this view relied on none.
    assert [e["purpose"] for e in accesses if e["action"] == "viewed"] == [None]
    about = officer.get("/compliance/access-log", record_id=str(internal)).get_json()["entries"]
    assert [(e["action"], e["user_id"]) for e in about] == [("viewed", str(reader_id))]
    searches = officer.get("/compliance/search-log", user_id=str(reader_id)).get_json()["entries"]
    assert [(e["query"], e["hits"]) for e in searches] == [("会议纪要", 2)]  # hits counted within the reader's clearance
    usage = officer.get("/compliance/usage").get_json()
    assert {"action": "viewed", "category": "WS", "count": 1} in usage["accesses_per_category"]
    assert {"user_group": "reader", "count": 1} in usage["searches_per_group"]
    # The logs name who and which record id, never a record's title or content.
    assert "会议纪要" not in officer.get("/compliance/access-log").get_data(as_text=True)

    archivist = caller(services, app, "archivist", [Role.ARCHIVIST], SecurityLevel.TOP_SECRET)
    for path in ("/compliance/access-log", "/compliance/search-log", "/compliance/usage"):
        assert error(archivist.get(path))["code"] == "forbidden"  # logs are for compliance (DESIGN §6)
        assert error(reader.get(path))["code"] == "forbidden"


def test_the_logs_through_the_api_show_no_view_of_a_record_above_the_officers_clearance(services, app, graded) -> None:
    top = caller(services, app, "top.archivist", [Role.ARCHIVIST], SecurityLevel.TOP_SECRET)
    assert top.get(f"/records/{graded[SecurityLevel.TOP_SECRET]}").status_code == 200
    officer = caller(services, app, "public.officer", [Role.COMPLIANCE], SecurityLevel.PUBLIC)
    assert str(graded[SecurityLevel.TOP_SECRET]) not in officer.get("/compliance/access-log").get_data(as_text=True)
    assert officer.get("/compliance/usage").get_json()["accesses_per_category"] == []
    # A search whose hits could include 绝密 records: its query shows, its count is null.
    assert top.get("/search", q="会议纪要").get_json()["total"] == 5
    assert [(e["query"], e["hits"]) for e in officer.get("/compliance/search-log").get_json()["entries"]] == [("会议纪要", None)]


# -- transfers ------------------------------------------------------------------------------------------------------


def test_a_transfer_is_registered_received_and_checked_through_the_api(services, app) -> None:
    archivist = caller(services, app, "wang", [Role.ARCHIVIST], SecurityLevel.INTERNAL)
    created = archivist.post("/transfers", {"department": "财务处", "expected": ["A-1", "A-2", "A-3"]})
    assert created.status_code == 201
    path = f"/transfers/{created.get_json()['transfer_id']}"

    received = archivist.post(f"{path}/receive", {"items": [{"item": "A-1", "title": "凭证一"}, {"item": "A-3"}]})
    assert len(received.get_json()["record_ids"]) == 2
    shown = archivist.get(path).get_json()
    assert (shown["department"], shown["state"], set(shown["received"])) == ("财务处", "open", {"A-1", "A-3"})
    assert "not on the transfer list" in error(archivist.post(f"{path}/receive", {"items": [{"item": "B-9"}]}))["message"]

    assert archivist.post(f"{path}/check").get_json() == {"missing": ["A-2"], "complete": False}
    checked = archivist.get(path).get_json()
    assert (checked["state"], checked["missing"], checked["complete"]) == ("checked", ["A-2"], False)
    assert "already checked" in error(archivist.post(f"{path}/receive", {"items": [{"item": "A-2"}]}))["message"]

    collected = archivist.get("/catalogue", state="collected").get_json()["records"]
    assert {(r["title"], r["source"]) for r in collected} == {("凭证一", "财务处"), ("A-3", "财务处")}


def test_transfers_through_the_api_refuse_bad_input_other_roles_and_browser_sessions(services, app) -> None:
    archivist = caller(services, app, "wang", [Role.ARCHIVIST], SecurityLevel.INTERNAL)
    assert error(archivist.post("/transfers", {"department": "财务处", "expected": "A-1"}))["message"] == (
        "expected is a list of strings"
    )
    assert "lists the items" in error(archivist.post("/transfers", {"department": "财务处", "expected": []}))["message"]
    assert error(archivist.get(f"/transfers/{uuid.uuid4()}"))["code"] == "not_found"
    assert error(archivist.get("/transfers/not-an-id"))["message"] == "'not-an-id' is not a transfer id"
    transfer_id = archivist.post("/transfers", {"department": "财务处", "expected": ["A-1"]}).get_json()["transfer_id"]
    assert error(archivist.post(f"/transfers/{transfer_id}/receive", {"items": ["A-1"]}))["code"] == "refused"

    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.INTERNAL)
    assert error(reader.get(f"/transfers/{transfer_id}"))["code"] == "forbidden"
    assert error(reader.post("/transfers", {"department": "财务处", "expected": ["X"]}))["code"] == "forbidden"
    browser = Browser(app)
    browser.login("wang")
    assert browser.client.post(f"/api/v1/transfers/{transfer_id}/check").status_code == 403  # a cookie cannot write here
    assert archivist.get(f"/transfers/{transfer_id}").get_json()["state"] == "open"


# -- access requests (DESIGN §6) ----------------------------------------------------------------------------------


def test_an_access_request_is_asked_and_decided_through_the_api_and_then_the_record_opens(services, app, graded) -> None:
    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.SECRET)
    archivist = caller(services, app, "decider", [Role.ARCHIVIST], SecurityLevel.SECRET)
    secret = graded[SecurityLevel.SECRET]
    assert reader.get(f"/records/{secret}").status_code == 404

    asked = reader.post("/access-requests", {"record_id": str(secret), "purpose": "编史修志"})
    assert asked.status_code == 201
    request_id = asked.get_json()["request_id"]
    pending = archivist.get("/access-requests/pending").get_json()["requests"]
    assert [(p["request_id"], p["record_id"], p["purpose"], p["title"]) for p in pending] == [
        (request_id, str(secret), "编史修志", "秘密级 会议纪要")
    ]
    assert error(reader.get("/access-requests/pending"))["code"] == "forbidden"
    assert error(reader.post(f"/access-requests/{request_id}/decision", {"approve": True}))["code"] == "forbidden"
    assert "reason" in error(archivist.post(f"/access-requests/{request_id}/decision", {"approve": False}))["message"]
    assert error(archivist.post(f"/access-requests/{request_id}/decision", {"approve": "yes"}))["message"] == (
        "approve is true or false"
    )

    decided = archivist.post(f"/access-requests/{request_id}/decision", {"approve": True, "reason": "符合利用规定"})
    assert decided.get_json() == {"status": "approved"}
    assert archivist.get("/access-requests/pending").get_json() == {"requests": []}
    opened = reader.get(f"/records/{secret}")
    assert opened.status_code == 200 and opened.get_json()["title"] == "秘密级 会议纪要"
    assert reader.get("/catalogue").get_json()["total"] == 3  # the grant counts in the lists too
    assert "already approved" in error(archivist.post(f"/access-requests/{request_id}/decision", {"approve": True}))["message"]


def test_access_requests_through_the_api_refuse_bad_input_and_say_nothing_about_unknown_records(services, app) -> None:
    reader = caller(services, app, "reader", [Role.READER], SecurityLevel.SECRET)
    archivist = caller(services, app, "decider", [Role.ARCHIVIST], SecurityLevel.SECRET)
    # A request for a record that does not exist is taken like any other: the answer reveals nothing.
    assert reader.post("/access-requests", {"record_id": str(uuid.uuid4()), "purpose": "查考"}).status_code == 201
    assert "purpose" in error(reader.post("/access-requests", {"record_id": str(uuid.uuid4()), "purpose": " "}))["message"]
    assert error(reader.post("/access-requests", {"record_id": "42", "purpose": "查考"}))["message"] == "'42' is not a record id"
    assert error(archivist.post(f"/access-requests/{uuid.uuid4()}/decision", {"approve": True}))["code"] == "not_found"
    assert error(archivist.post("/access-requests/nope/decision", {"approve": True}))["message"] == "'nope' is not a request id"
    not_json = archivist.client.post("/api/v1/access-requests", data="record_id=1", headers=archivist.headers)
    assert error(not_json)["message"].startswith("send a JSON object")
