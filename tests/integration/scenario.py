"""A small, realistic history to audit: a fonds, staff, and records moved through the first workflow steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.authorisation import SYSTEM, Actor
from application.bootstrap import Services
from domain.users import Role
from domain.values import Retention, SecurityLevel


@dataclass
class Scenario:
    archivist: Actor
    appraiser: Actor
    records: list[UUID] = field(default_factory=list)


def staff(services: Services, username: str, role: Role, clearance: SecurityLevel = SecurityLevel.SECRET) -> Actor:
    user_id = services.archive.register_user(
        SYSTEM, username=username, roles=[role], clearance=clearance, password_hash="not-a-real-hash"
    )
    return Actor(str(user_id), username, frozenset({role}), clearance)


def build(services: Services, records: int = 3) -> Scenario:
    archive = services.archive
    archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    scenario = Scenario(staff(services, "wang.archivist", Role.ARCHIVIST), staff(services, "li.appraiser", Role.APPRAISER))
    for n in range(records):
        record_id = archive.collect(scenario.archivist, title=f"关于2011年档案工作的通知（{n}）", source="办公室")
        archive.catalogue(
            scenario.archivist,
            record_id,
            fonds="Z109",
            category="WS",
            year=2011,
            org="BGS",
            classification="办公室/通知",
            retention=Retention.parse("D30"),
        )
        archive.review(scenario.archivist, record_id, passed=True)
        archive.appraise(scenario.appraiser, record_id, retention=Retention.parse("D30"), security=SecurityLevel.INTERNAL)
        scenario.records.append(record_id)
    return scenario


def reviewed(
    services: Services,
    story: Scenario,
    title: str,
    *,
    year: int = 2011,
    category: str = "WS",
    retention: str = "D30",
    metadata: dict[str, str] | None = None,
) -> UUID:
    """One paper record collected, catalogued (its 档号 carries `retention`) and reviewed: waiting to be appraised."""
    record_id = services.archive.collect(story.archivist, title=title, source="办公室", metadata=metadata or {})
    return catalogue_and_review(services, story, record_id, year=year, category=category, retention=retention)


def catalogue_and_review(
    services: Services, story: Scenario, record_id: UUID, *, year: int = 2011, category: str = "WS", retention: str = "D30"
) -> UUID:
    """A collected record catalogued in Z109 · BGS and reviewed."""
    archive = services.archive
    archive.catalogue(
        story.archivist,
        record_id,
        fonds="Z109",
        category=category,
        year=year,
        org="BGS",
        classification="办公室",
        retention=Retention(retention),
    )
    archive.review(story.archivist, record_id, passed=True)
    return record_id


def appraised(
    services: Services,
    story: Scenario,
    title: str,
    *,
    security: SecurityLevel = SecurityLevel.INTERNAL,
    year: int = 2011,
    category: str = "WS",
    retention: str = "D30",
    metadata: dict[str, str] | None = None,
) -> UUID:
    """One paper record collected, catalogued, reviewed and appraised."""
    record_id = reviewed(services, story, title, year=year, category=category, retention=retention, metadata=metadata)
    services.archive.appraise(story.appraiser, record_id, retention=Retention(retention), security=security)
    return record_id


def graded_records(services: Services, story: Scenario, title: str = "文件") -> dict[SecurityLevel, UUID]:
    """One appraised record per security level, titled "<level>级<title>"."""
    return {
        level: appraised(services, story, f"{level.chinese}级{title}", security=level, year=2012, retention="Y")
        for level in SecurityLevel
    }
