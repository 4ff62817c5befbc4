"""Finding 8 (DESIGN §6: every denial is an event): 14 of 17 clearance refusals and a failed CSRF check wrote no
AccessDenied event. Every refusal now is one, written in one place (Archive.deny), alike for a hidden id and for an
id that never existed."""

from __future__ import annotations

from application.bootstrap import Services
from domain.activity import ActivityLog
from domain.users import Role
from tests.integration.webclient import Browser, caller
from tests.security.world import PUBLIC, answer, build
from web.app import create_app


def denials(services: Services) -> list[tuple[str, str | None, str]]:
    topic = f"{ActivityLog.AccessDenied.__module__}:{ActivityLog.AccessDenied.__qualname__}"
    notes = services.archive.recorder.select_notifications(start=1, limit=100_000, topics=[topic])
    events = [services.archive.mapper.to_domain_event(n) for n in notes]
    return [(e.action, e.record_id, e.reason) for e in events]


def test_each_refused_view_of_a_hidden_record_writes_one_denial_like_one_of_an_id_that_never_existed(services: Services) -> None:
    world = build(services)
    app = create_app(services)
    api = caller(services, app, "low", [Role.ARCHIVIST, Role.DIGITISER], PUBLIC)
    browser = Browser(app)
    browser.login("low")
    views = [
        lambda rid: api.get(f"/records/{rid}"),
        lambda rid: api.get(f"/records/{rid}/history"),
        lambda rid: api.get(f"/records/{rid}/versions/1"),
        lambda rid: api.get(f"/records/{rid}/as-of", time=world.middle.isoformat()),
        lambda rid: api.get(f"/records/{rid}/diff", **{"from": 1, "to": 2}),
        lambda rid: api.post(f"/records/{rid}/review", {"passed": True}),
        lambda rid: api.post(f"/records/{rid}/ocr"),
        lambda rid: browser.get(f"/records/{rid}"),
        lambda rid: browser.get(f"/records/{rid}/versions/1"),
        lambda rid: browser.get(f"/records/{rid}/pages/1/web.jpg"),
        lambda rid: browser.get(f"/records/{rid}/pages/1/original.jpg"),
        lambda rid: browser.get(f"/records/{rid}/access.pdf"),
    ]
    for n, view in enumerate(views):
        before = len(denials(services))
        hidden = view(world.declared)
        after_hidden = denials(services)
        never = view(world.never)
        after_never = denials(services)
        assert len(after_hidden) == before + 1 and len(after_never) == before + 2, n
        (action, hidden_id, reason), (action_never, never_id, reason_never) = after_hidden[-1], after_never[-1]
        assert (hidden_id, never_id) == (str(world.declared), str(world.never))
        assert (action, reason) == (action_never, reason_never), n
        assert answer(hidden, world.declared) == answer(never, world.never), n


def test_a_forged_form_and_a_forbidden_page_are_refusals_on_record(services: Services) -> None:
    build(services)
    app = create_app(services)
    caller(services, app, "reader", [Role.READER], PUBLIC)
    browser = Browser(app)
    browser.login("reader")
    before = len(denials(services))
    assert browser.client.post("/records/new", data={"title": "伪造"}).status_code == 400
    assert browser.get("/transfers").status_code == 403
    anonymous = create_app(services).test_client()
    assert anonymous.post("/login", data={"username": "x", "password": "y"}).status_code == 400
    recorded = denials(services)[before:]
    assert [action for action, _rid, _why in recorded] == ["csrf", "collect", "csrf"]
