"""A small archive with a past worth attacking, and the callers who attack it (tests/security).

Records, each titled with a marker that must never reach someone who may not see it:
- OPEN: 公开 from intake on.
- DECLARED: declared 绝密 by its office on the transfer list, catalogued and reviewed, never appraised.
- RAISED: 公开 until `middle`, then reclassified up to 机密.
- LOWERED: declared 绝密 at intake, its title redacted, then declassified to 公开 after `middle`. Its first title
  stays secret in every version before the declassification.
`middle` lies after every record was created and before the two reclassifications.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from application.authorisation import SYSTEM, Actor
from application.bootstrap import Services
from domain.users import Role
from domain.values import Retention, SecurityLevel
from tests.integration import scenario

PUBLIC, INTERNAL, SECRET, CONFIDENTIAL, TOP = list(SecurityLevel)
OPEN_TITLE, DECLARED_TITLE, RAISED_TITLE = "公开件甲", "绝密申报件乙", "升密件丙"
LOWERED_FIRST_TITLE, LOWERED_TITLE = "降密件原题丁", "降密件丁"
MARKERS = (DECLARED_TITLE, RAISED_TITLE, LOWERED_FIRST_TITLE)


@dataclass
class World:
    archivist: Actor
    appraiser: Actor
    transfer: UUID
    open: UUID
    declared: UUID
    raised: UUID
    lowered: UUID
    middle: datetime
    never: UUID  # an id that never existed

    def levels_now(self) -> dict[UUID, SecurityLevel]:
        return {self.open: PUBLIC, self.declared: TOP, self.raised: CONFIDENTIAL, self.lowered: PUBLIC}

    def levels_then(self) -> dict[UUID, SecurityLevel]:
        """At `middle`."""
        return {self.open: PUBLIC, self.declared: TOP, self.raised: PUBLIC, self.lowered: TOP}

    def highest_ever(self) -> dict[UUID, SecurityLevel]:
        return {self.open: PUBLIC, self.declared: TOP, self.raised: CONFIDENTIAL, self.lowered: TOP}

    def titles_then(self) -> dict[UUID, str]:
        return {self.open: OPEN_TITLE, self.declared: DECLARED_TITLE, self.raised: RAISED_TITLE, self.lowered: LOWERED_TITLE}


def build(services: Services) -> World:
    archive = services.archive
    archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    archivist = scenario.staff(services, "world.archivist", Role.ARCHIVIST, TOP)
    appraiser = scenario.staff(services, "world.appraiser", Role.APPRAISER, TOP)
    story = scenario.Scenario(archivist, appraiser)
    transfer = archive.register_transfer(archivist, department="办公室", expected=["1"])
    (declared,) = archive.receive_batch(
        archivist, transfer, [("1", uuid4(), {"title": DECLARED_TITLE, "source": "办公室", "security": TOP})]
    )
    scenario.catalogue_and_review(services, story, declared)
    open_ = scenario.appraised(services, story, OPEN_TITLE, security=PUBLIC)
    raised = scenario.appraised(services, story, RAISED_TITLE, security=PUBLIC)
    lowered = archive.collect(archivist, title=LOWERED_FIRST_TITLE, source="办公室", security=TOP)
    scenario.catalogue_and_review(services, story, lowered)
    archive.appraise(appraiser, lowered, retention=Retention("D30"), security=TOP)
    archive.correct(archivist, lowered, {"title": LOWERED_TITLE}, reason="题名涉密，解密前改写")
    time.sleep(0.02)
    middle = datetime.now(UTC)
    time.sleep(0.02)
    archive.reclassify(appraiser, raised, reason="内容升密", security=CONFIDENTIAL)
    archive.reclassify(appraiser, lowered, reason="到期解密", security=PUBLIC)
    services.catalogue.refresh()
    services.ledger.checkpoint()
    return World(archivist, appraiser, transfer, open_, declared, raised, lowered, middle, uuid4())


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def answer(response: Any, *ids: UUID) -> tuple[int, str]:
    """A response as a caller sees it, with the ids it was asked about blanked: a hidden record's answer and a
    never-existed one's must then be equal."""
    body = response.get_data(as_text=True)
    for record_id in ids:
        body = body.replace(str(record_id), "<id>")
    return response.status_code, body


def blank_ids(text: str) -> str:
    return _UUID.sub("<id>", text)
