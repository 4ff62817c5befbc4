"""Batch import from a digitisation manifest: one CSV row per record, its page images in a folder.

Each row is checked completely (fields, scheme, every image decoded) before anything is written, so a bad row is
reported and skipped, never half-imported. A row's record id is derived from the row itself: running the same
manifest again skips finished rows and carries an interrupted one on from the step it had reached.

Where the fonds' scheme asks for two appraisers (DESIGN §6), the importer's appraisal is only a proposal: the row
stops there, reviewed, with the outcome "awaiting second appraiser" (not an error). Once a different appraiser has
confirmed it on the record's page, running the same manifest again scans, processes and checks its pages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from application.archive import Archive
from application.authorisation import Action, Actor
from application.digitisation import Digitisation, Upload
from domain.errors import DomainError, InvalidValue
from domain.records import Record, RecordState
from domain.values import Retention, SecurityLevel

REQUIRED = ("title", "category", "fonds", "year", "org", "retention", "security", "date", "pages")
# Columns with a meaning of their own; any other column becomes item-level metadata (DA/T 22 fields and more).
KNOWN = (*REQUIRED, "classification", "source", "page_count")
_NAMESPACE = uuid.UUID("8b1e43a6-0f0e-5a43-9a39-6a3f1f4b2c11")
STEPS = (Action.COLLECT, Action.CATALOGUE, Action.REVIEW, Action.APPRAISE, Action.SCAN, Action.PROCESS)
S = RecordState
AWAITING = "awaiting second appraiser"


@dataclass
class ManifestRow:
    row: int  # 1 for the first record after the header
    values: dict[str, str]

    @property
    def record_id(self) -> UUID:
        canonical = "\x1f".join(f"{k}={v}" for k, v in sorted(self.values.items()))
        return uuid.uuid5(_NAMESPACE, hashlib.sha256(canonical.encode()).hexdigest())

    @property
    def page_files(self) -> list[str]:
        return [p.strip() for p in self.values.get("pages", "").split(";") if p.strip()]


@dataclass
class Outcome:
    row: int
    record_id: str | None
    outcome: str  # "imported", "already imported", "awaiting second appraiser" or "error"
    code: str | None = None
    qc: str | None = None  # "passed" / "failed"
    failures: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, {})}


def read_manifest(raw: bytes) -> list[ManifestRow]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidValue(f"the manifest is not UTF-8 (byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidValue(f"the manifest header lacks the column(s) {', '.join(missing)}; needed: {', '.join(REQUIRED)}")
    rows = [ManifestRow(n, {k.strip(): (v or "").strip() for k, v in r.items() if k}) for n, r in enumerate(reader, start=1)]
    if not rows:
        raise InvalidValue("the manifest has no rows")
    return rows


class ManifestImport:
    def __init__(self, archive: Archive, digitisation: Digitisation) -> None:
        self.archive = archive
        self.digitisation = digitisation

    def run(self, actor: Actor, rows: list[ManifestRow], read: Callable[[str], bytes]) -> Iterator[Outcome]:
        # Every step of a row is done in the importer's name: check all of them before the first write, so no row
        # stops half-way for want of a role.
        # Checked when run() is called, not at the first row: a page streaming the outcomes is refused before it starts.
        lacking = [a.value for a in STEPS if not actor.may(a)]
        if lacking:
            raise self.archive.refuse(
                actor, "import", f"{actor.username} may not import: the import also does {', '.join(lacking)}"
            )
        return (self.import_row(actor, row, read) for row in rows)

    def import_row(self, actor: Actor, row: ManifestRow, read: Callable[[str], bytes]) -> Outcome:
        record_id = row.record_id
        try:
            fields = self._fields(row)
            if self.archive.exists(record_id) and self._state(record_id) not in (
                S.COLLECTED,
                S.CATALOGUED,
                S.REVIEWED,
                S.APPRAISED,
                S.SCANNED,
                S.PROCESSED,
            ):
                return self._outcome(row, record_id, "already imported")
            if self._awaits(record_id, actor):  # run again before a second appraiser confirmed
                return self._outcome(row, record_id, AWAITING)
            uploads = [Upload(name, read(name)) for name in row.page_files]
            self.digitisation.check_uploads(uploads)  # every image decoded before the first write
            self._advance(actor, record_id, fields, uploads)
            return self._outcome(row, record_id, AWAITING if self._awaits(record_id, actor) else "imported")
        except (DomainError, OSError) as error:
            return Outcome(row.row, str(record_id) if self.archive.exists(record_id) else None, "error", error=str(error))

    def _fields(self, row: ManifestRow) -> dict[str, Any]:
        v = row.values
        empty = [c for c in REQUIRED if not v.get(c)]
        if empty:
            raise InvalidValue(f"empty column(s): {', '.join(empty)}")
        try:
            year = int(v["year"])
            date.fromisoformat(v["date"])
        except ValueError:
            raise InvalidValue(f"year {v['year']!r} must be a number and date {v['date']!r} a date like 2011-03-05") from None
        if v.get("page_count") and not v["page_count"].isdigit():
            raise InvalidValue(f"page_count {v['page_count']!r} must be a whole number")
        for name in row.page_files:
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise InvalidValue(f"page file {name!r} must be a path inside the import folder")
        scheme = self.archive.scheme_for(v["fonds"].upper())
        scheme.check_classification(category=v["category"].upper(), org=v["org"].upper())
        metadata = {k: val for k, val in v.items() if k not in KNOWN and val} | {"date": v["date"]}
        if v.get("page_count"):
            metadata["page_count"] = v["page_count"]
        return {
            "title": v["title"],
            "source": v.get("source") or "数字化导入",
            "metadata": metadata,
            "fonds": v["fonds"].upper(),
            "category": v["category"].upper(),
            "year": year,
            "org": v["org"].upper(),
            "classification": v.get("classification") or v["org"].upper(),
            "retention": Retention.parse(v["retention"]),
            "security": SecurityLevel.parse(v["security"]),
        }

    def _state(self, record_id: UUID) -> RecordState:
        return self.archive.load(Record, record_id).state

    def _awaits(self, record_id: UUID, actor: Actor) -> bool:
        return self.archive.exists(record_id) and _waits_on(self.archive.load(Record, record_id), actor)

    def _advance(self, actor: Actor, record_id: UUID, f: dict[str, Any], uploads: list[Upload]) -> None:
        """Take the record from wherever it stands to its QC verdict, one event per step."""
        a, d = self.archive, self.digitisation
        if not a.exists(record_id):
            a.collect(actor, title=f["title"], source=f["source"], metadata=f["metadata"], record_id=record_id, security=f["security"])
        steps = {
            S.COLLECTED: lambda: a.catalogue(
                actor,
                record_id,
                fonds=f["fonds"],
                category=f["category"],
                year=f["year"],
                org=f["org"],
                classification=f["classification"],
                retention=f["retention"],
            ),
            S.CATALOGUED: lambda: a.review(actor, record_id, passed=True),
            S.REVIEWED: lambda: a.appraise(actor, record_id, retention=f["retention"], security=f["security"]),
            S.APPRAISED: lambda: d.scan(actor, record_id, uploads),
            S.SCANNED: lambda: d.process(actor, record_id),
            S.PROCESSED: lambda: d.check(record_id),
        }
        while (record := a.load(Record, record_id)).state in steps:
            if _waits_on(record, actor):
                return  # the importer's appraisal is a proposal: a second appraiser must confirm it (DESIGN §6)
            steps[record.state]()

    def _outcome(self, row: ManifestRow, record_id: UUID, outcome: str) -> Outcome:
        record = self.archive.load(Record, record_id)
        verdict: str | None = "passed" if record.state not in (S.QC_FAILED,) else "failed"
        if outcome == AWAITING:
            verdict = None  # not scanned yet: no quality check to report
        return Outcome(
            row.row,
            str(record_id),
            outcome,
            code=str(record.code) if record.code else None,
            qc=verdict,
            failures=dict(record.qc_failures or {}),
        )


def _waits_on(record: Record, actor: Actor) -> bool:
    """Whether the record is reviewed and waits on an appraisal this actor proposed (double appraisal)."""
    proposal = record.proposed_appraisal if record.state is S.REVIEWED else None
    return bool(proposal) and proposal["actor"] == actor.id
