"""Access requests (DESIGN §6): 秘密 and above are read only with an approved request, everywhere at once."""

from __future__ import annotations

import uuid

import pytest

from application.archive import NotFound
from application.bootstrap import Services
from application.search import SearchQuery
from domain.errors import DomainError
from domain.users import Role
from domain.values import SecurityLevel
from tests.integration import scenario
from tests.integration.webclient import Browser, make_user
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def visible_levels(services: Services, actor) -> set[int]:  # type: ignore[no-untyped-def]
    services.catalogue.refresh()
    found = services.search.search(actor, SearchQuery(text="会议纪要"))
    return {hit.security for hit in found.hits}


def test_an_approved_request_opens_one_secret_record_to_one_reader(services: Services) -> None:
    story = scenario.build(services, records=0)
    graded = scenario.graded_records(services, story, title=" 会议纪要")
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.SECRET)
    archivist = scenario.staff(services, "arch", Role.ARCHIVIST, SecurityLevel.SECRET)
    secret = graded[SecurityLevel.SECRET]
    assert visible_levels(services, reader) == {0, 1}
    with pytest.raises(NotFound):
        services.desk.record(reader, secret)

    request_id = services.access.ask(reader, secret, "编史修志")
    assert [r.id for r, _ in services.access.pending(archivist)] == [request_id]
    services.access.decide(archivist, request_id, approve=True, reason="符合利用规定")

    assert visible_levels(services, reader) == {0, 1, 2}
    assert services.desk.record(reader, secret).id == secret
    total, _rows = services.catalogue.browse(reader, services.catalogue_filter())
    assert total == 3
    other = scenario.staff(services, "other.reader", Role.READER, SecurityLevel.SECRET)
    assert visible_levels(services, other) == {0, 1}  # the grant is the requester's alone
    assert services.access.pending(archivist) == []


def test_a_request_never_reveals_whether_a_record_exists(services: Services) -> None:
    make_user(services, "reader", [Role.READER], SecurityLevel.SECRET)
    app = create_app(services)
    browser = Browser(app)
    browser.login("reader")
    answer = browser.submit("/access", "/access", {"action": "ask", "record_id": str(uuid.uuid4()), "purpose": "查考"})
    assert answer.status_code == 200 and 'id="access-done"' in answer.get_data(as_text=True)
    missing_purpose = browser.submit("/access", "/access", {"action": "ask", "record_id": str(uuid.uuid4()), "purpose": ""})
    assert missing_purpose.status_code == 422


def test_refusals_need_a_reason_and_the_asker_cannot_decide(services: Services) -> None:
    story = scenario.build(services, records=0)
    secret = scenario.graded_records(services, story)[SecurityLevel.SECRET]
    asker = scenario.staff(services, "asker", Role.ARCHIVIST, SecurityLevel.SECRET)
    request_id = services.access.ask(asker, secret, "工作查考")
    with pytest.raises(DomainError, match="cannot decide"):
        services.access.decide(asker, request_id, True)
    with pytest.raises(DomainError, match="reason"):
        services.access.decide(story.archivist, request_id, False)
    services.access.decide(story.archivist, request_id, False, reason="不属于工作需要")
    with pytest.raises(DomainError, match="already refused"):
        services.access.decide(story.archivist, request_id, True)
