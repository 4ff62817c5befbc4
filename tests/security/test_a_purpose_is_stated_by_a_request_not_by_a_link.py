"""Finding 17: `GET /records/<id>?purpose=…` wrote a caller-chosen purpose into the access log, so a link someone
else sent could put words in a reader's mouth. A view's purpose is the one stated in the access request (a POST)."""

from __future__ import annotations

from application.bootstrap import Services
from domain.users import Role
from tests.integration.webclient import Browser, caller
from tests.security.world import SECRET, TOP, build
from web.app import create_app


def test_the_access_log_records_the_purpose_of_the_approved_request_and_never_one_from_the_query(services: Services) -> None:
    world = build(services)
    app = create_app(services)
    reader = caller(services, app, "reader", [Role.READER], TOP)
    archivist = caller(services, app, "decider", [Role.ARCHIVIST], TOP)
    services.archive.reclassify(world.appraiser, world.raised, reason="改为秘密", security=SECRET)
    asked = reader.post("/access-requests", {"record_id": str(world.raised), "purpose": "编史修志"}).get_json()["request_id"]
    assert archivist.post(f"/access-requests/{asked}/decision", {"approve": True}).status_code == 200
    services.catalogue.refresh()
    assert reader.get(f"/records/{world.raised}", purpose="被人塞进来的目的").status_code == 200
    assert reader.get(f"/records/{world.open}", purpose="被人塞进来的目的").status_code == 200
    browser = Browser(app)
    browser.login("reader")
    assert browser.get(f"/records/{world.open}?purpose=被人塞进来的目的").status_code == 200
    services.catalogue.refresh()
    officer = caller(services, app, "officer", [Role.COMPLIANCE], TOP)
    views = [e for e in officer.get("/compliance/access-log").get_json()["entries"] if e["action"] == "viewed"]
    purposes = {(e["record_id"], e["purpose"]) for e in views}
    assert (str(world.raised), "编史修志") in purposes
    assert (str(world.open), None) in purposes
    assert all(e["purpose"] != "被人塞进来的目的" for e in views)
