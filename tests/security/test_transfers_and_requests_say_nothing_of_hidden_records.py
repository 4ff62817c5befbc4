"""Findings 11 and 12: a transfer listed a 绝密 item's record id to an archivist cleared 内部; deciding an access request
on a record above the decider answered `no record <id>` where an unknown request answered `no accessrequest …`."""

from __future__ import annotations

from uuid import uuid4

from application.bootstrap import Services
from domain.users import Role
from tests.integration.webclient import Browser, caller
from tests.security.world import INTERNAL, PUBLIC, TOP, answer, build
from web.app import create_app


def test_a_transfer_shows_a_record_above_the_viewer_as_received_without_its_id(services: Services) -> None:
    world = build(services)
    app = create_app(services)
    low = caller(services, app, "low", [Role.ARCHIVIST], INTERNAL)
    assert low.get(f"/transfers/{world.transfer}").get_json()["received"] == {"1": None}
    browser = Browser(app)
    browser.login("low")
    page = browser.get(f"/transfers/{world.transfer}").get_data(as_text=True)
    assert str(world.declared) not in page and "received" in page or "已接收" in page
    high = caller(services, app, "high", [Role.ARCHIVIST], TOP)
    assert high.get(f"/transfers/{world.transfer}").get_json()["received"] == {"1": str(world.declared)}


def test_deciding_a_request_on_a_hidden_record_answers_as_a_request_that_does_not_exist(services: Services) -> None:
    world = build(services)
    app = create_app(services)
    reader = caller(services, app, "reader", [Role.READER], TOP)
    asked = reader.post("/access-requests", {"record_id": str(world.declared), "purpose": "编研"}).get_json()["request_id"]
    decider = caller(services, app, "decider", [Role.ARCHIVIST], PUBLIC)
    unknown = str(uuid4())
    hidden = decider.post(f"/access-requests/{asked}/decision", {"approve": True})
    nothing = decider.post(f"/access-requests/{unknown}/decision", {"approve": True})
    assert hidden.status_code == nothing.status_code == 404
    assert answer(hidden, asked) == answer(nothing, unknown)
