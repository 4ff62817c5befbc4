"""Finding 16: six inputs gave a 500 (numbers too large for the database, JSON of the wrong type). Every number a
caller sends is bounded at the boundary (web/forms.py) and every JSON field typed; siblings on the pages and the
command line too."""

from __future__ import annotations

import pytest

from application.bootstrap import Services
from domain.users import Role
from tests.integration.clirunner import archive
from tests.integration.webclient import Browser, caller
from tests.security.world import TOP, build
from web.app import create_app

HUGE = "9" * 30


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_huge_numbers_and_wrongly_typed_json_are_refused_with_a_message(services: Services) -> None:
    world = build(services)
    app = create_app(services)
    api = caller(services, app, "api", [Role.ARCHIVIST, Role.AUDITOR, Role.COMPLIANCE], TOP)
    rid = world.open
    for path, query in [
        ("/catalogue", {"year": HUGE}),
        ("/catalogue", {"offset": HUGE}),
        (f"/records/{rid}/diff", {"from": 1, "to": HUGE}),
        ("/ledger/entries", {"start": HUGE}),
        ("/search", {"q": "件", "year": HUGE}),
        ("/search", {"q": "件", "offset": HUGE}),
        (f"/records/{rid}/versions/{HUGE}", {}),
        (f"/records/{rid}/versions/2147483648", {}),
    ]:
        got = api.get(path, **query)
        assert 400 <= got.status_code < 500 and got.get_json()["error"]["message"], (path, query, got.status_code)
    for path, body in [
        ("/records", {"title": "x", "metadata": ["not", "an", "object"]}),
        ("/records", {"title": "x", "metadata": "text"}),
        ("/records", {"title": ["x"]}),
        ("/records", {"title": "x", "security": {"level": 4}}),
        (f"/records/{rid}/review", {"passed": True, "findings": "a string"}),
        (f"/records/{rid}/review", {"passed": "yes"}),
        (f"/records/{rid}/catalogue", {"fonds": "Z109", "year": 10**30}),
        (f"/records/{rid}/qc", {"decision": "rework", "pages": "1,2"}),
        ("/transfers", {"department": "办公室", "expected": "1"}),
    ]:
        got = api.post(path, body)
        assert got.status_code == 422 and got.get_json()["error"]["message"], (path, body, got.status_code)
    browser = Browser(app)
    browser.login("api")
    for page in ("/browse?page=" + HUGE, "/browse?year=" + HUGE, "/search?q=件&page=" + HUGE, "/search?q=件&security=" + HUGE):
        assert browser.get(page).status_code == 422, page
    assert browser.get(f"/records/{rid}/versions/{HUGE}").status_code == 422
    shown = archive("show", str(rid), "--version", HUGE)
    assert shown.code in (1, 2) and "Traceback" not in shown.err
    diffed = archive("diff", str(rid), "--from", "1", "--to", HUGE)
    assert diffed.code in (1, 2) and "Traceback" not in diffed.err
