"""Digitisation (DESIGN §3; DA/T 31-2017): scan intake, image processing, automatic QC with rework, and OCR.

Every step is one event on the record. Images are checked before anything is stored; originals are kept as they
came (content-addressed), and every derivative names its source and the parameters that made it, so the result can
be reproduced. The automatic QC acts as its own actor, so the rule "who scanned does not pass QC" (DESIGN §6) holds
for machines too; a person may override a failed check with a reason, which is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.archive import Archive
from application.authorisation import Action, Actor
from application.ports import BlobStore, Imaging, TextRecogniser
from domain.errors import InvalidValue
from domain.quality import judge_record, profile_with_defaults
from domain.records import Record, RecordState
from domain.users import Role
from domain.values import SecurityLevel

AUTOMATIC_QC = Actor("system:qc", "automatic-qc", frozenset({Role.DIGITISER}), SecurityLevel.TOP_SECRET)
# Long side of the web view; RESEARCH.md: OCR read a ~2000 px page better and faster than the full 300 dpi master.
WEB_LONG_SIDE = 2000
# The pixels one scan request (one record's pages, or one manifest row) may hold, over all its files, counted from the
# headers before any frame is decoded. A 件 of a few hundred pages is ordinary: 450 A4 pages at 300 dpi (8.7 MP each)
# or 55 A3 pages at 600 dpi fit, in some seconds of decoding; more is not one 件 but work a small upload of blank
# frames would otherwise buy (issue 11 finding 10). The same figure caps one file (infrastructure/imaging/intake.py).
MAX_SCAN_PIXELS = 4_000_000_000
_SCAN_FIELDS = ("width", "height", "dpi", "colour", "pixels_sha256")
_MEASURED = ("skew_degrees", "residual_skew_degrees", "clarity", "ink_per_mille", "border_ink_per_mille", "phash")


@dataclass(frozen=True)
class Upload:
    name: str  # a label only; never a path
    data: bytes


class Digitisation:
    def __init__(self, archive: Archive, blobs: BlobStore, imaging: Imaging, ocr: TextRecogniser | None = None) -> None:
        self.archive = archive
        self.blobs = blobs
        self.imaging = imaging
        self.ocr = ocr

    # -- scanning -------------------------------------------------------------------------------------------------

    def check_uploads(self, uploads: Sequence[Upload]) -> list[tuple[Upload, str, list[Any]]]:
        """Decode every file fully, one frame at a time, once their headers showed the whole request within bounds;
        raises (RejectedImage, an InvalidValue) before anything is stored."""
        if not uploads:
            raise InvalidValue("no page images were given")
        self._check_total(uploads)
        return [(upload, *self.imaging.read(upload.data, upload.name)) for upload in uploads]

    def _check_total(self, uploads: Sequence[Upload]) -> None:
        total = 0
        for upload in uploads:
            total += self.imaging.measure(upload.data, upload.name)[2]
            if total > MAX_SCAN_PIXELS:
                raise InvalidValue(
                    f"{_label(upload.name)}: with it the page images come to {total:,} pixels, more than the "
                    f"{MAX_SCAN_PIXELS:,} allowed in one scan (a few hundred pages); nothing was decoded"
                )

    def scan(self, actor: Actor, record_id: UUID, uploads: Sequence[Upload], batch_id: str | None = None) -> list[dict]:
        """Take the page images of a record (or, in rework, the replacements for the pages asked for)."""
        record = self.archive.record_for(actor, record_id, Action.SCAN)
        checked = self.check_uploads(uploads)
        frames = [(upload, media_type, page) for upload, media_type, pages in checked for page in pages]
        numbers = self._page_numbers(record, len(frames))
        pages = []
        for no, (upload, media_type, page) in zip(numbers, frames, strict=True):
            pages.append(
                {
                    "no": no,
                    "sha256": self.blobs.put(upload.data),
                    "frame": page.frame,
                    "name": _label(upload.name),
                    "media_type": media_type,
                    **{field: getattr(page, field) for field in _SCAN_FIELDS},
                }
            )
        self.archive.scan(actor, record_id, pages, batch_id=batch_id)
        return pages

    @staticmethod
    def _page_numbers(record: Record, count: int) -> list[int]:
        if record.state is not RecordState.REWORK:
            return list(range(1, count + 1))
        wanted = list(record.rework_pages)
        if count != len(wanted):
            asked = ", ".join(str(n) for n in wanted)
            raise InvalidValue(f"the rework asks for page(s) {asked}: deliver {len(wanted)} page image(s), not {count}")
        return wanted

    # -- processing -----------------------------------------------------------------------------------------------

    def process(self, actor: Actor, record_id: UUID) -> dict[str, Any]:
        """Deskew, denoise, sharpen and crop the pages not processed yet; make web views, thumbnails, the access PDF."""
        record = self.archive.record_for(actor, record_id, Action.PROCESS)
        parameters = self.parameters_for(record)
        todo = [page for page in record.pages.values() if "web_sha256" not in page]
        originals = {sha256: self.blobs.get(sha256) for sha256 in {p["sha256"] for p in todo}}  # a file once, not per frame
        results = self.imaging.process([(originals[p["sha256"]], int(p.get("frame", 0))) for p in todo], parameters)
        processed = {int(page["no"]): self._derivatives(page, result) for page, result in zip(todo, results, strict=True)}
        webs = [
            self.blobs.get(processed[int(n)]["web_sha256"] if int(n) in processed else p["web_sha256"])
            for n, p in record.pages.items()
        ]
        parameters["access_pdf_sha256"] = self.blobs.put(self.imaging.access_pdf(webs))
        self.archive.process(actor, record_id, list(processed.values()), parameters)
        return parameters

    def parameters_for(self, record: Record) -> dict[str, Any]:
        profile = profile_with_defaults(self.archive.scheme_for(record.code.fonds).qc_profile if record.code else {})
        return {"binarise": bool(profile["binarise"]), "web_long_side": WEB_LONG_SIDE}

    def _derivatives(self, page: dict, result: Any) -> dict[str, Any]:
        metrics = result.metrics.as_dict()
        derived = {
            "no": int(page["no"]),
            "source_sha256": page["sha256"],
            "source_frame": int(page.get("frame", 0)),
            "web_sha256": self.blobs.put(result.web_jpeg),
            "thumbnail_sha256": self.blobs.put(result.thumbnail_jpeg),
            "skew_degrees": metrics["skew_degrees"],
            "crop_box": list(metrics["crop_box"]),
            "processed": metrics,
        }
        if result.bitonal_tiff:
            derived["bitonal_sha256"] = self.blobs.put(result.bitonal_tiff)
        return derived

    # -- quality check --------------------------------------------------------------------------------------------

    def check(self, record_id: UUID, declared_pages: int | None = None) -> dict[str, list[str]]:
        """The automatic QC: QCPassed, or QCFailed with the reasons per page (failed pages go to rework)."""
        record = self.archive.record_for(AUTOMATIC_QC, record_id, Action.QC)
        metrics = self.metrics_of(record)
        profile = self.archive.scheme_for(record.code.fonds).qc_profile if record.code else {}
        declared = declared_pages if declared_pages is not None else _declared(record)
        failures = judge_record(metrics, profile, declared)
        if failures:
            self.archive.fail_qc(AUTOMATIC_QC, record_id, failures, metrics=metrics)
        else:
            self.archive.pass_qc(AUTOMATIC_QC, record_id, metrics=metrics)
        return failures

    @staticmethod
    def metrics_of(record: Record) -> dict[str, dict[str, Any]]:
        out = {}
        for no, page in record.pages.items():
            measured = page.get("processed") or {}
            out[no] = {**{f: page.get(f) for f in _SCAN_FIELDS}, **{f: measured.get(f) for f in _MEASURED}}
        return out

    def override(self, actor: Actor, record_id: UUID, reason: str) -> None:
        """A person passes a failed check, with the reason on record (never the one who scanned)."""
        record = self.archive.record_for(actor, record_id, Action.QC)
        self.archive.pass_qc(actor, record_id, metrics=self.metrics_of(record), override_reason=reason)

    def rework(self, actor: Actor, record_id: UUID, pages: Sequence[int] | None = None, reason: str | None = None) -> list[int]:
        """Send pages back for rescanning: by default every page that failed."""
        record = self.archive.record_for(actor, record_id, Action.QC)
        chosen = sorted(int(n) for n in (pages or [n for n in record.qc_failures if n.isdigit()]))
        if not chosen:
            raise InvalidValue("name the pages to rescan (only the page count failed, which a rescan of pages cannot fix)")
        self.archive.request_rework(actor, record_id, chosen, reason=reason)
        return chosen

    # -- ingest ---------------------------------------------------------------------------------------------------

    def ingest(self, actor: Actor, record_id: UUID) -> str:
        """Seal the record's content into an archival package (a manifest of every blob with its SHA-256, PREMIS
        style: object, its source, its fixity) stored content-addressed like the rest."""
        record = self.archive.record_for(actor, record_id, Action.INGEST)
        files = [{"role": "original", "page": no, "sha256": p["sha256"]} for no, p in record.pages.items()]
        files += [
            {"role": "web", "page": no, "sha256": p["web_sha256"], "source": p["sha256"]}
            for no, p in record.pages.items()
            if p.get("web_sha256")
        ]
        files += [{"role": "original", "sha256": o["sha256"], "name": o.get("name")} for o in record.originals or []]
        if record.text_sha256:
            files.append({"role": "ocr_text", "sha256": record.text_sha256})
        if (record.processing or {}).get("access_pdf_sha256"):
            files.append({"role": "access_pdf", "sha256": record.processing["access_pdf_sha256"]})
        missing = [f["sha256"] for f in files if not self.blobs.verify(f["sha256"])]
        if missing:
            raise InvalidValue(f"content {missing[0]} fails its fixity check; repair it before ingest")
        manifest = {"record_id": str(record_id), "code": str(record.code) if record.code else None, "files": files}
        package = self.blobs.put(json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        self.archive.ingest(actor, record_id, package=package, locations=["local:blobs"])
        return package

    # -- OCR ------------------------------------------------------------------------------------------------------

    def recognise(self, actor: Actor, record_id: UUID) -> str:
        """OCR every page (the web view); the text is stored as a blob, pages separated by form feeds."""
        if self.ocr is None:
            raise InvalidValue("no OCR engine is configured")
        record = self.archive.record_for(actor, record_id, Action.OCR)
        texts, confidence = [], {}
        for no, page in record.pages.items():
            text, score = self.ocr.recognise_jpeg(self.blobs.get(page["web_sha256"]))
            texts.append(text)
            confidence[no] = round(score, 4)
        full = "\f".join(texts)
        sha256 = self.blobs.put(full.encode("utf-8"))
        self.archive.recognise_text(actor, record_id, text_sha256=sha256, confidence=confidence, engine=self.ocr.name)
        return full

    def text_of(self, record: Record) -> str:
        """The recognised text of a record, for the search index."""
        sha256 = getattr(record, "text_sha256", None)
        return self.blobs.get(sha256).decode("utf-8") if sha256 else ""


def _declared(record: Record) -> int | None:
    value = (record.metadata or {}).get("page_count") or (record.metadata or {}).get("页数")
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _label(name: str) -> str:
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "unnamed"
