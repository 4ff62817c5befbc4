"""What the web pages and the API ask about one record, with the reader's rights checked here, not in the views:
the record above a user's clearance does not exist for them — not its page images, not its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.archive import Archive
from application.authorisation import Action, Actor
from application.catalogue import Catalogue
from application.history import Change, History, HistoryItem, PastState
from application.ports import BlobStore, Imaging
from domain.activity import ActivityLog
from domain.errors import InvalidValue
from domain.records import Record

IMAGE_KINDS = {"web": "web_sha256", "thumbnail": "thumbnail_sha256"}


@dataclass(frozen=True)
class RecordPage:
    record: Record
    timeline: list[HistoryItem]
    text: str


class RecordDesk:
    def __init__(self, archive: Archive, catalogue: Catalogue, history: History, blobs: BlobStore, imaging: Imaging) -> None:
        self.imaging = imaging
        self.archive = archive
        self.catalogue = catalogue
        self.history = history
        self.blobs = blobs

    def record(self, actor: Actor, record_id: UUID) -> Record:
        """The record itself (its pages, QC, processing); the view is logged, a refusal too (by readable)."""
        record = self.readable(actor, record_id)
        self.catalogue.note_view(actor, record_id, record.code.category if record.code else None)
        return record

    def page(self, actor: Actor, record_id: UUID) -> RecordPage:
        """What the record page shows, with the rights checked and the record loaded once: the record, its history
        for those who may read it (each event graded by the record's level then), and its OCR text."""
        record = self.record(actor, record_id)
        timeline = self._graded(actor, record, self.history.events(record_id)) if actor.may(Action.READ_HISTORY) else []
        return RecordPage(record, timeline, self._text(record))

    def timeline(self, actor: Actor, record_id: UUID) -> list[HistoryItem]:
        record = self._may_read_history(actor, record_id)
        return self._graded(actor, record, self.history.events(record_id))

    def state_at(self, actor: Actor, record_id: UUID, version: int | None) -> dict[str, Any]:
        """The record after `version` (None: now), graded by its level then and now."""
        record = self._may_read_history(actor, record_id)
        return self._shown_then(actor, record, self.history.past(record_id, version=version), f"at version {version}")

    def state_as_of(self, actor: Actor, record_id: UUID, moment: datetime) -> dict[str, Any]:
        """The record as it stood at a moment (`archive show --as-of` for people), rights checked as for a version."""
        record = self._may_read_history(actor, record_id)
        return self._shown_then(actor, record, self.history.past(record_id, as_of=moment), f"as of {moment.isoformat()}")

    def diff(self, actor: Actor, record_id: UUID, first: int, second: int) -> list[Change]:
        record = self._may_read_history(actor, record_id)
        changes, highest = self.history.graded_diff(record_id, first, second)
        if not self.catalogue.visibility(actor).allows_then(highest, int(record.security), str(record_id)):
            raise self._classified_then(actor, record_id, f"versions {first}-{second}")
        return changes

    def _may_read_history(self, actor: Actor, record_id: UUID) -> Record:
        """Permission and clearance now first, without replaying the history just to check them."""
        return self.archive.record_for(actor, record_id, Action.READ_HISTORY, reading=True)

    def _graded(self, actor: Actor, record: Record, items: list[HistoryItem]) -> list[HistoryItem]:
        """DESIGN §6: each event shows its content only to one cleared for the record's level around it."""
        v, now, rid = self.catalogue.visibility(actor), int(record.security), str(record.id)
        return [item if v.allows_then(item.level, now, rid) else item.without_content() for item in items]

    def _shown_then(self, actor: Actor, record: Record, past: PastState, when: str) -> dict[str, Any]:
        if not self.catalogue.visibility(actor).allows_then(past.level, int(record.security), str(record.id)):
            raise self._classified_then(actor, record.id, when)
        return past.state

    def _classified_then(self, actor: Actor, record_id: UUID, when: str) -> Exception:
        """The record is visible now but was graded above the actor at that point of its past. Saying so tells
        nothing new: the reader sees the record and its timeline (with that event's content withheld)."""
        return self.archive.refuse(
            actor, Action.READ_HISTORY.value, f"the record {when} was classified above your clearance", str(record_id)
        )

    def readable(self, actor: Actor, record_id: UUID) -> Record:
        """The record if the actor may read it: within clearance, and for 秘密 and above with an approved request.
        Otherwise NotFound, recorded as a refusal, the same for a record that never existed."""
        v = self.catalogue.visibility(actor)
        return self.archive.record_for(
            actor, record_id, Action.READ, reading=True, allows=lambda r: v.allows(int(r.security), str(r.id))
        )

    def image(self, actor: Actor, record_id: UUID, page: str, kind: str) -> bytes:
        if kind not in IMAGE_KINDS:
            raise InvalidValue(f"no image kind {kind!r}")
        record = self.readable(actor, record_id)
        found = (record.pages or {}).get(str(page), {}).get(IMAGE_KINDS[kind])
        if not found:
            raise InvalidValue(f"page {page} has no {kind} image yet")
        return self.blobs.get(found)

    def original_preview(self, actor: Actor, record_id: UUID, page: str) -> bytes:
        """The page before processing, for the QC desk's side-by-side view."""
        record = self.readable(actor, record_id)
        found = (record.pages or {}).get(str(page))
        if not found:
            raise InvalidValue(f"there is no page {page}")
        return self.imaging.preview(self.blobs.get(found["sha256"]), int(found.get("frame", 0)), 1600)

    def qc_desk(self, actor: Actor, record_ids: list[str]) -> list[Record]:
        """The records waiting for a person's QC decision, as far as the actor may see them."""
        self.archive.authorise(actor, Action.QC)
        return [self.archive.record_for(actor, UUID(r), Action.QC, reading=True) for r in record_ids]

    def text(self, actor: Actor, record_id: UUID) -> str:
        return self._text(self.readable(actor, record_id))

    def _text(self, record: Record) -> str:
        return self.blobs.get(record.text_sha256).decode("utf-8") if record.text_sha256 else ""

    def access_pdf(self, actor: Actor, record_id: UUID) -> bytes:
        record = self.readable(actor, record_id)
        sha256 = (getattr(record, "processing", {}) or {}).get("access_pdf_sha256")
        if not sha256:
            raise InvalidValue("the record has no access copy yet")
        self.archive.record_activity(
            actor,
            ActivityLog.RecordDownloaded,
            record_id=str(record_id),
            purpose=self.catalogue.purpose_of(actor, record_id),
            category=record.code.category if record.code else None,
        )
        return self.blobs.get(sha256)
