"""Finding 2: the 密级 the originating office declares grades the record from its first event (DA/T: the office marks
it, appraisal confirms or changes it). Before, a record declared 绝密 stayed 公开 until appraised — indefinitely under
double appraisal — and showed on its page, in the API and in search to anyone."""

from __future__ import annotations

import json

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.records import Record
from domain.users import Role
from domain.values import SecurityLevel
from tests.integration import scenario
from tests.integration.clirunner import archive
from tests.integration.webclient import Browser, caller, make_user
from tests.security.world import PUBLIC, TOP
from web.app import create_app


def _hidden_from_the_low(services: Services, app, record_id, title: str) -> None:  # type: ignore[no-untyped-def]
    services.catalogue.refresh()
    low = caller(services, app, f"low.{record_id.hex[:6]}", [Role.ARCHIVIST], PUBLIC)
    assert low.get(f"/records/{record_id}").status_code == 404
    assert title not in low.get("/search", q=title).get_data(as_text=True)
    assert low.get("/catalogue").get_json()["total"] == 0


def test_a_record_registered_in_the_browser_as_top_secret_is_top_secret_at_once(services: Services) -> None:
    app = create_app(services)
    make_user(services, "wang", [Role.ARCHIVIST], TOP)
    browser = Browser(app)
    browser.login("wang")
    created = browser.submit("/records/new", "/records/new", {"title": "绝密登记件", "source": "办公室", "security": "4"})
    record_id = __import__("uuid").UUID(created.headers["Location"].rsplit("/", 1)[-1])
    assert services.archive.load(Record, record_id).security is SecurityLevel.TOP_SECRET
    _hidden_from_the_low(services, app, record_id, "绝密登记件")


def test_a_record_registered_through_the_api_and_a_transfer_list_carry_their_declared_level(services: Services, tmp_path) -> None:
    app = create_app(services)
    top = caller(services, app, "top", [Role.ARCHIVIST], TOP)
    created = top.post("/records", {"title": "接口绝密件", "source": "办公室", "security": "绝密"})
    assert created.status_code == 201
    _hidden_from_the_low(services, app, __import__("uuid").UUID(created.get_json()["record_id"]), "接口绝密件")
    listing = tmp_path / "list.csv"
    listing.write_text("item,title,密级\n1,移交机密件,机密\n2,移交公开件,\n", encoding="utf-8")
    out = archive("transfer", "import", str(listing), "--department", "办公室").out.split()
    levels = {services.archive.load(Record, __import__("uuid").UUID(r)).title: r for r in out[1:]}
    assert services.archive.load(Record, __import__("uuid").UUID(levels["移交机密件"])).security is SecurityLevel.CONFIDENTIAL
    assert services.archive.load(Record, __import__("uuid").UUID(levels["移交公开件"])).security is SecurityLevel.PUBLIC
    bad = tmp_path / "bad.csv"
    bad.write_text("item,title,密级\n1,件,很秘密\n", encoding="utf-8")
    refused = archive("transfer", "import", str(bad), "--department", "办公室")
    assert refused.code == 2 and "unknown security level" in refused.err


def test_a_manifest_row_declared_top_secret_stays_hidden_while_it_waits_for_a_second_appraiser(services: Services) -> None:
    story = scenario.build(services, records=0)
    services.archive.edit_scheme(SYSTEM, "Z109", lambda s: s.set_double_appraisal(True, actor="system"))
    record_id = scenario.reviewed(services, story, "待复核的绝密件")  # collected 公开: nothing declared
    services.archive.appraise(story.appraiser, record_id, retention=__import__("domain.values").values.Retention("D30"), security=TOP)
    assert services.archive.load(Record, record_id).state.value == "reviewed"  # a proposal only
    _hidden_from_the_low(services, create_app(services), record_id, "待复核的绝密件")  # graded by the proposal already


def test_a_collected_event_stored_before_levels_were_declared_reads_as_public(services: Services) -> None:
    record = Record.collect(title="旧件", source="办公室", actor="system")
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    mapper = Mapper(transcoder=transcoder)
    stored = mapper.to_stored_event(record.collect_events()[0])
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2 and state.pop("security") == 0
    old = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())
    assert mapper.to_domain_event(old).mutate(None).security is SecurityLevel.PUBLIC
