"""What the web pages and the API ask about one record, with the reader's rights checked here, not in the views:
the record above a user's clearance does not exist for them — not its page images, not its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import Action, Actor, authorise
from application.catalogue import Catalogue
from application.history import Change, History, HistoryItem
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

    def record(self, actor: Actor, record_id: UUID, purpose: str | None = None) -> Record:
        """The record itself (its pages, QC, processing); the view is logged, a refusal too."""
        authorise(actor, Action.READ)
        try:
            record = self.readable(actor, record_id)
        except NotFound:
            self.catalogue.refuse_view(actor, record_id)
        self.catalogue.note_view(actor, record_id, purpose, record.code.category if record.code else None)
        return record

    def page(self, actor: Actor, record_id: UUID, purpose: str | None = None) -> RecordPage:
        """What the record page shows, with the rights checked and the record loaded once: the record, its history
        for those who may read it, and its OCR text."""
        record = self.record(actor, record_id, purpose=purpose)
        timeline = self.history.events(record_id) if actor.may(Action.READ_HISTORY) else []
        return RecordPage(record, timeline, self._text(record))

    def timeline(self, actor: Actor, record_id: UUID) -> list[HistoryItem]:
        self._may_read_history(actor, record_id)
        return self.history.events(record_id)

    def state_at(self, actor: Actor, record_id: UUID, version: int) -> dict[str, Any]:
        self._may_read_history(actor, record_id)
        return self.history.state(record_id, version=version)

    def state_as_of(self, actor: Actor, record_id: UUID, moment: datetime) -> dict[str, Any]:
        """The record as it stood at a moment (`archive show --as-of` for people), rights checked as for a version."""
        self._may_read_history(actor, record_id)
        return self.history.state(record_id, as_of=moment)

    def diff(self, actor: Actor, record_id: UUID, first: int, second: int) -> list[Change]:
        self._may_read_history(actor, record_id)
        return self.history.diff(record_id, first, second)

    def _may_read_history(self, actor: Actor, record_id: UUID) -> None:
        """Permission and clearance first, without replaying the history just to check them."""
        self.archive.record_for(actor, record_id, Action.READ_HISTORY, reading=True)

    def readable(self, actor: Actor, record_id: UUID) -> Record:
        """The record if the actor may read it: within clearance, and for 秘密 and above with an approved request."""
        record = self.archive.record_for(actor, record_id, Action.READ, reading=True)
        if not self.catalogue.visibility(actor).allows(int(record.security), str(record_id)):
            raise NotFound(f"no record {record_id}")
        return record

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
        authorise(actor, Action.QC)
        return [self.archive.record_for(actor, UUID(r), Action.QC, reading=True) for r in record_ids]

    def text(self, actor: Actor, record_id: UUID) -> str:
        return self._text(self.readable(actor, record_id))

    def _text(self, record: Record) -> str:
        return self.blobs.get(record.text_sha256).decode("utf-8") if record.text_sha256 else ""

    def access_pdf(self, actor: Actor, record_id: UUID, purpose: str | None = None) -> bytes:
        record = self.readable(actor, record_id)
        sha256 = (getattr(record, "processing", {}) or {}).get("access_pdf_sha256")
        if not sha256:
            raise InvalidValue("the record has no access copy yet")
        self.archive.record_activity(
            actor,
            ActivityLog.RecordDownloaded,
            record_id=str(record_id),
            purpose=purpose,
            category=record.code.category if record.code else None,
        )
        return self.blobs.get(sha256)
