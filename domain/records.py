"""The Record aggregate (one archival item, 件) and its lifecycle (DESIGN §3).

Collected → Catalogued → Reviewed → Appraised → PagesScanned → ImagesProcessed → QCPassed | QCFailed
→ (ReworkRequested → PagesScanned …) → TextRecognised → Ingested → RetentionReviewed → DisposalApproved → Destroyed.
Born-digital records skip scanning. Where the fonds' scheme asks for double appraisal, a first appraiser's word is an
AppraisalProposed and only a second, different appraiser's same word makes the record Appraised (DESIGN §6).
Each public method checks its guards once, then emits one event whose
method body only changes state (it is replayed every time the record is loaded). Attributes are primitives so
snapshots transcode; value objects are exposed through properties.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.archival_code import ArchivalCode
from domain.errors import DomainError, IllegalTransition, InvalidValue, SecondAppraiserNeeded
from domain.values import Retention, SecurityLevel


class RecordState(str, enum.Enum):
    COLLECTED = "collected"
    CATALOGUED = "catalogued"
    REVIEWED = "reviewed"
    APPRAISED = "appraised"
    SCANNED = "scanned"
    PROCESSED = "processed"
    QC_PASSED = "qc_passed"
    QC_FAILED = "qc_failed"
    REWORK = "rework"
    TEXT_RECOGNISED = "text_recognised"
    INGESTED = "ingested"
    DISPOSAL_PROPOSED = "disposal_proposed"
    DISPOSAL_APPROVED = "disposal_approved"
    DESTROYED = "destroyed"


class Medium(str, enum.Enum):
    PAPER = "paper"
    DIGITAL = "digital"


class RetentionDecision(str, enum.Enum):
    KEEP = "keep"
    EXTEND = "extend"
    DISPOSE = "dispose"


S = RecordState
_BEFORE_DISPOSAL = frozenset(S) - {S.DISPOSAL_APPROVED, S.DESTROYED}
_APPRAISED_ON = frozenset(
    {S.APPRAISED, S.SCANNED, S.PROCESSED, S.QC_PASSED, S.QC_FAILED, S.REWORK, S.TEXT_RECOGNISED, S.INGESTED, S.DISPOSAL_PROPOSED}
)

# action -> states it may start from. The one table of the lifecycle: guards and tests both read it.
TRANSITIONS: dict[str, frozenset[RecordState]] = {
    "catalogue": frozenset({S.COLLECTED}),
    "annotate": _BEFORE_DISPOSAL,
    "correct": _BEFORE_DISPOSAL,
    "review": frozenset({S.CATALOGUED}),
    "appraise": frozenset({S.REVIEWED}),
    "scan": frozenset({S.APPRAISED, S.REWORK}),
    "process": frozenset({S.SCANNED}),
    "pass_qc": frozenset({S.PROCESSED, S.QC_FAILED}),
    "fail_qc": frozenset({S.PROCESSED}),
    "request_rework": frozenset({S.QC_FAILED}),
    "recognise_text": frozenset({S.QC_PASSED, S.APPRAISED, S.TEXT_RECOGNISED}),
    "ingest": frozenset({S.QC_PASSED, S.APPRAISED, S.TEXT_RECOGNISED}),
    "reclassify": _APPRAISED_ON,
    "review_retention": frozenset({S.INGESTED}),
    "approve_disposal": frozenset({S.DISPOSAL_PROPOSED}),
    "destroy": frozenset({S.DISPOSAL_APPROVED}),
}
# Paper records must go through scanning and QC; born-digital ones never do.
_PAPER_ONLY = {"scan", "process", "pass_qc", "fail_qc", "request_rework"}
_DIGITAL_FROM = {"recognise_text": {S.APPRAISED, S.TEXT_RECOGNISED}, "ingest": {S.APPRAISED, S.TEXT_RECOGNISED}}
_PAPER_FROM = {"recognise_text": {S.QC_PASSED, S.TEXT_RECOGNISED}, "ingest": {S.QC_PASSED, S.TEXT_RECOGNISED}}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@lru_cache(maxsize=65536)
def _parsed_code(text: str) -> ArchivalCode:
    """Codes are immutable values and projections read them for every event: parse each text once."""
    return ArchivalCode.parse(text)


def allowed_from(action: str, medium: Medium) -> frozenset[RecordState]:
    """The states a record of this medium may take `action` from."""
    if medium is Medium.DIGITAL:
        return frozenset() if action in _PAPER_ONLY else TRANSITIONS[action] & _DIGITAL_FROM.get(action, TRANSITIONS[action])
    return TRANSITIONS[action] & _PAPER_FROM.get(action, TRANSITIONS[action])


def _required(text: str | None, what: str) -> str:
    if not text or not str(text).strip():
        raise InvalidValue(f"{what} is required")
    return str(text).strip()


class Record(Aggregate):
    # The appraisal waiting for a second appraiser: {"retention", "security", "actor", "reason"}. A class default too,
    # so a record restored from a snapshot taken before double appraisal existed reads None, not AttributeError.
    proposed_appraisal = None

    # -- collection -----------------------------------------------------------------------------------------------

    @classmethod
    def collect(
        cls,
        *,
        title: str,
        source: str,
        medium: Medium | str = Medium.PAPER,
        actor: str,
        originals: Sequence[dict] = (),
        transfer_id: UUID | None = None,
        metadata: dict[str, str] | None = None,
        reason: str | None = None,
        record_id: UUID | None = None,
        security: SecurityLevel = SecurityLevel.PUBLIC,
    ) -> Record:
        """`security`: the 密级 the originating office marked on the record (DA/T 18: the office declares it at
        hand-over; appraisal confirms or changes it). It grades the record from its first event (DESIGN §6)."""
        medium = Medium(medium)
        originals = [dict(o) for o in originals]
        if medium is Medium.DIGITAL and not originals:
            raise InvalidValue("a born-digital record is collected with its original files (name, sha256, size)")
        if medium is Medium.PAPER and originals:
            raise InvalidValue("a paper record has no original files; its pages are scanned later")
        for original in originals:
            if (
                not _SHA256.fullmatch(str(original.get("sha256", "")))
                or int(original.get("size", -1)) < 0
                or not original.get("name")
            ):
                raise InvalidValue("each original file needs a name, a 64-hex sha256 and a size")
        return cls._create(
            cls.Collected,
            id=record_id or uuid4(),
            title=_required(title, "a title"),
            source=str(source or "").strip(),
            medium=medium.value,
            actor=actor,
            originals=originals,
            transfer_id=transfer_id,
            metadata={str(k): str(v) for k, v in (metadata or {}).items()},
            reason=reason,
            security=int(SecurityLevel(security)),
        )

    class Collected(Aggregate.Created):
        """Version 2 carries the declared 密级 (`security`). Version 1 events, stored when every record was 公开
        until appraised, are upcast with 公开: that is the level they had (events are immutable: never rewritten)."""

        title: str
        source: str
        medium: str
        actor: str
        originals: list[dict]
        transfer_id: UUID | None
        metadata: dict[str, str]
        reason: str | None
        security: int
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["security"] = int(SecurityLevel.PUBLIC)

    @event(Collected)
    def __init__(
        self,
        title: str,
        source: str,
        medium: str,
        actor: str,
        originals: list[dict],
        transfer_id: UUID | None,
        metadata: dict[str, str],
        reason: str | None,
        security: int,
    ) -> None:
        self.title, self.source, self.medium_code = title, source, medium
        self.originals, self.transfer_id, self.metadata = originals, transfer_id, dict(metadata)
        self.state_code = S.COLLECTED.value
        self.code_text: str | None = None
        self.classification: str | None = None
        self.findings: list[str] = []
        self.retention_code: str | None = None
        self.security_level = int(security)
        self.pages: dict[str, dict] = {}
        self.scanned_by: str | None = None
        self.qc_failures: dict[str, list[str]] = {}
        self.processing: dict[str, Any] = {}  # the latest ImagesProcessed parameters (to reproduce the derivatives)
        self.qc: dict[str, Any] = {}  # the latest QC verdict with its per-page metrics
        self.text_sha256: str | None = None
        self.package: str | None = None
        self.locations: list[str] = []
        self.disposal_proposed_by: str | None = None
        self.proposed_appraisal: dict[str, Any] | None = None
        self.rework_pages: list[int] = []

    # -- value objects ------------------------------------------------------------------------------------------

    @property
    def state(self) -> RecordState:
        return RecordState(self.state_code)

    @property
    def medium(self) -> Medium:
        return Medium(self.medium_code)

    @property
    def code(self) -> ArchivalCode | None:
        return _parsed_code(self.code_text) if self.code_text else None

    @property
    def security(self) -> SecurityLevel:
        """The level that grades the record (DESIGN §6): its 密级, or a pending appraisal proposal's if higher, so
        a record a first appraiser judged 机密 is not shown as 公开 while it waits for the second appraiser."""
        proposal = self.proposed_appraisal
        proposed = int(proposal["security"]) if proposal else 0
        return SecurityLevel(max(self.security_level, proposed))

    @property
    def retention(self) -> Retention | None:
        return Retention(self.retention_code) if self.retention_code else None

    def _require(self, action: str) -> None:
        if self.medium is Medium.DIGITAL and action in _PAPER_ONLY:
            raise DomainError(f"born-digital records are not scanned: cannot {action.replace('_', ' ')}")
        if self.state not in allowed_from(action, self.medium):
            raise IllegalTransition(self.state.value, action)

    # -- cataloguing, review, appraisal ---------------------------------------------------------------------------

    def catalogue(
        self,
        code: ArchivalCode,
        classification: str,
        actor: str,
        metadata: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        self._require("catalogue")
        self._catalogued(
            code=str(code),
            classification=_required(classification, "a classification"),
            actor=actor,
            metadata={str(k): str(v) for k, v in (metadata or {}).items()},
            reason=reason,
        )

    @event("Catalogued")
    def _catalogued(self, code: str, classification: str, actor: str, metadata: dict[str, str], reason: str | None) -> None:
        self.code_text, self.classification = code, classification
        self.metadata.update(metadata)
        self.state_code = S.CATALOGUED.value

    def annotate(self, fields: dict[str, str], actor: str, reason: str | None = None) -> None:
        self._require("annotate")
        if not fields:
            raise InvalidValue("nothing to annotate: give at least one field")
        self._annotated(fields={str(k): str(v) for k, v in fields.items()}, actor=actor, reason=reason)

    @event("MetadataAnnotated")
    def _annotated(self, fields: dict[str, str], actor: str, reason: str | None) -> None:
        self.metadata.update(fields)

    def correct(self, fields: dict[str, str], actor: str, reason: str | None) -> None:
        self._require("correct")
        if not fields:
            raise InvalidValue("nothing to correct: give at least one field")
        self._corrected(
            fields={str(k): str(v) for k, v in fields.items()},
            actor=actor,
            reason=_required(reason, "a reason for the correction"),
        )

    @event("MetadataCorrected")
    def _corrected(self, fields: dict[str, str], actor: str, reason: str) -> None:
        self.metadata.update(fields)
        if "title" in fields:
            self.title = fields["title"]

    def review(self, passed: bool, actor: str, findings: Sequence[str] = (), reason: str | None = None) -> None:
        self._require("review")
        findings = [str(f).strip() for f in findings if str(f).strip()]
        if not passed and not findings:
            raise InvalidValue("a review that does not pass must say what was found")
        self._reviewed(passed=bool(passed), findings=findings, actor=actor, reason=reason)

    @event("Reviewed")
    def _reviewed(self, passed: bool, findings: list[str], actor: str, reason: str | None) -> None:
        self.findings = [] if passed else list(findings)
        if passed:
            self.state_code = S.REVIEWED.value

    def appraise(
        self,
        retention: Retention,
        security: SecurityLevel,
        actor: str,
        code: ArchivalCode | None = None,
        reason: str | None = None,
        double: bool = False,
    ) -> None:
        """Set retention and 密级. With `double` (the scheme asks for two appraisers, DESIGN §6 separation of duties)
        the first appraiser's word is only a proposal and the record stays reviewed. It takes effect when a
        different appraiser gives the same retention and security level; the Appraised event then names both.
        The proposer cannot confirm their own proposal (they may revise it with other values). A different
        appraiser who gives other values replaces the proposal with theirs, which then waits for yet another,
        different appraiser. A new 档号 (`code`) belongs to the appraisal that takes effect, never to a proposal."""
        self._require("appraise")
        proposal = self.proposed_appraisal
        if double and proposal and proposal["actor"] == actor and self._same_appraisal(proposal, retention, security):
            raise SecondAppraiserNeeded(actor)
        if not self.appraisal_takes_effect(retention, security, actor, double):
            if code is not None:
                raise InvalidValue("a proposed appraisal allocates no item number: the confirming appraisal does")
            self._appraisal_proposed(retention=retention.code, security=int(security), actor=actor, reason=reason)
            return
        if code is not None and code.retention != retention.code:
            raise InvalidValue(f"the new 档号 {code} does not carry the appraised retention {retention}")
        current = self.code
        if code is None and current is not None and current.retention != retention.code:
            raise InvalidValue(f"retention {retention} differs from the 档号 {current}: the record needs a new item number")
        self._appraised(
            retention=retention.code,
            security=int(security),
            code=str(code) if code else None,
            actor=actor,
            reason=reason,
            proposed_by=proposal["actor"] if double and proposal else None,
        )

    def appraisal_takes_effect(self, retention: Retention, security: SecurityLevel, actor: str, double: bool) -> bool:
        """Whether this appraisal would make the record appraised (and so needs its item number now), rather than
        be recorded as a proposal: always with one appraiser; with two, when it confirms another's proposal."""
        proposal = self.proposed_appraisal
        if not double:
            return True
        return bool(proposal) and proposal["actor"] != actor and self._same_appraisal(proposal, retention, security)

    @staticmethod
    def _same_appraisal(proposal: dict[str, Any], retention: Retention, security: SecurityLevel) -> bool:
        return proposal["retention"] == retention.code and int(proposal["security"]) == int(security)

    @event("AppraisalProposed")
    def _appraisal_proposed(self, retention: str, security: int, actor: str, reason: str | None) -> None:
        self.proposed_appraisal = {"retention": retention, "security": security, "actor": actor, "reason": reason}

    class Appraised(Aggregate.Event):
        """Version 2 names the first appraiser (`proposed_by`) where the scheme asks for two; version 1 events,
        stored before double appraisal, are upcast with None (events are immutable: never rewritten)."""

        retention: str
        security: int
        code: str | None
        actor: str
        reason: str | None
        proposed_by: str | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["proposed_by"] = None

    @event(Appraised)
    def _appraised(
        self, retention: str, security: int, code: str | None, actor: str, reason: str | None, proposed_by: str | None
    ) -> None:
        self.retention_code, self.security_level = retention, security
        if code:
            self.code_text = code
        self.proposed_appraisal = None
        self.state_code = S.APPRAISED.value

    # -- digitisation ---------------------------------------------------------------------------------------------

    def scan(self, pages: Sequence[dict], actor: str, batch_id: str | None = None, reason: str | None = None) -> None:
        self._require("scan")
        pages = [dict(p) for p in pages]
        if not pages:
            raise InvalidValue("a scan delivers at least one page")
        numbers = [int(p.get("no", 0)) for p in pages]
        if min(numbers) < 1 or len(set(numbers)) != len(numbers):
            raise InvalidValue("page numbers start at 1 and appear once")
        if any(not _SHA256.fullmatch(str(p.get("sha256", ""))) for p in pages):
            raise InvalidValue("each scanned page needs the sha256 of its image")
        if self.state is S.REWORK:
            unknown = sorted(set(numbers) - {int(n) for n in self.pages})
            if unknown:
                raise InvalidValue(f"a rescan replaces existing pages; there is no page {unknown[0]}")
        self._scanned(pages=pages, batch_id=batch_id, actor=actor, reason=reason)

    @event("PagesScanned")
    def _scanned(self, pages: list[dict], batch_id: str | None, actor: str, reason: str | None) -> None:
        if self.state is not S.REWORK:
            self.pages = {}
        for page in pages:
            self.pages[str(page["no"])] = dict(page)
        self.pages = dict(sorted(self.pages.items(), key=lambda item: int(item[0])))
        self.scanned_by = actor
        self.qc_failures = {}
        self.state_code = S.SCANNED.value

    def process(self, pages: Sequence[dict], parameters: dict[str, Any], actor: str, reason: str | None = None) -> None:
        self._require("process")
        self._processed(pages=[dict(p) for p in pages], parameters=dict(parameters), actor=actor, reason=reason)

    @event("ImagesProcessed")
    def _processed(self, pages: list[dict], parameters: dict, actor: str, reason: str | None) -> None:
        for page in pages:
            key = str(page.get("no"))
            if key in self.pages:
                self.pages[key] = {**self.pages[key], **{k: v for k, v in page.items() if k not in ("no", "sha256")}}
        self.processing = dict(parameters)
        self.state_code = S.PROCESSED.value

    def pass_qc(
        self, actor: str, metrics: dict | None = None, override_reason: str | None = None, reason: str | None = None
    ) -> None:
        self._require("pass_qc")
        if self.state is S.QC_FAILED and not (override_reason and override_reason.strip()):
            raise IllegalTransition(self.state.value, "pass_qc")
        # DESIGN §6, separation of duties: the one who scanned does not pass QC.
        if actor == self.scanned_by:
            raise DomainError("the person who scanned these pages cannot pass their quality check")
        self._qc_passed(metrics=dict(metrics or {}), override_reason=override_reason, actor=actor, reason=reason)

    @event("QCPassed")
    def _qc_passed(self, metrics: dict, override_reason: str | None, actor: str, reason: str | None) -> None:
        self.qc = {
            "verdict": "passed",
            "by": actor,
            "metrics": metrics,
            "override_reason": override_reason,
            "overridden": dict(self.qc_failures) if override_reason else {},
        }
        self.qc_failures = {}
        self.state_code = S.QC_PASSED.value

    def fail_qc(self, failures: dict[str, list[str]], actor: str, metrics: dict | None = None, reason: str | None = None) -> None:
        self._require("fail_qc")
        failures = {str(k): [str(r) for r in v] for k, v in failures.items() if v}
        if not failures:
            raise InvalidValue("a failed quality check names at least one page and its reasons")
        self._qc_failed(failures=failures, metrics=dict(metrics or {}), actor=actor, reason=reason)

    @event("QCFailed")
    def _qc_failed(self, failures: dict, metrics: dict, actor: str, reason: str | None) -> None:
        self.qc = {"verdict": "failed", "by": actor, "metrics": metrics, "failures": dict(failures)}
        self.qc_failures = dict(failures)
        self.state_code = S.QC_FAILED.value

    def request_rework(self, pages: Sequence[int], actor: str, reason: str | None = None) -> None:
        self._require("request_rework")
        numbers = sorted({int(p) for p in pages})
        if not numbers:
            raise InvalidValue("rework names the pages to rescan")
        missing = [n for n in numbers if str(n) not in self.pages]
        if missing:
            raise InvalidValue(f"there is no page {missing[0]} to rework")
        self._rework_requested(pages=numbers, actor=actor, reason=reason)

    @event("ReworkRequested")
    def _rework_requested(self, pages: list[int], actor: str, reason: str | None) -> None:
        self.rework_pages = list(pages)
        self.state_code = S.REWORK.value

    def recognise_text(self, text_sha256: str, confidence: dict, engine: str, actor: str, reason: str | None = None) -> None:
        self._require("recognise_text")
        if not _SHA256.fullmatch(str(text_sha256)):
            raise InvalidValue("the recognised text is stored as a blob: give its sha256")
        self._text_recognised(
            text_sha256=text_sha256,
            confidence=dict(confidence),
            engine=_required(engine, "the OCR engine"),
            actor=actor,
            reason=reason,
        )

    @event("TextRecognised")
    def _text_recognised(self, text_sha256: str, confidence: dict, engine: str, actor: str, reason: str | None) -> None:
        self.text_sha256 = text_sha256
        self.state_code = S.TEXT_RECOGNISED.value

    def ingest(self, package: str, locations: Sequence[str], actor: str, reason: str | None = None) -> None:
        self._require("ingest")
        if not locations:
            raise InvalidValue("an ingested package is stored in at least one location")
        self._ingested(package=_required(package, "the package id"), locations=list(locations), actor=actor, reason=reason)

    @event("Ingested")
    def _ingested(self, package: str, locations: list[str], actor: str, reason: str | None) -> None:
        self.package, self.locations = package, list(locations)
        self.state_code = S.INGESTED.value

    # -- after ingest --------------------------------------------------------------------------------------------

    def reclassify(
        self,
        actor: str,
        reason: str | None,
        security: SecurityLevel | None = None,
        code: ArchivalCode | None = None,
        classification: str | None = None,
    ) -> None:
        self._require("reclassify")
        reason = _required(reason, "a reason for the reclassification")
        if security is None and code is None and not classification:
            raise InvalidValue("a reclassification changes the security level, the 档号 or the classification")
        self._reclassified(
            security=None if security is None else int(security),
            code=str(code) if code else None,
            classification=classification or None,
            actor=actor,
            reason=reason,
        )

    @event("Reclassified")
    def _reclassified(self, security: int | None, code: str | None, classification: str | None, actor: str, reason: str) -> None:
        if security is not None:
            self.security_level = security
        if code:
            self.code_text = code
        if classification:
            self.classification = classification

    def review_retention(
        self, decision: RetentionDecision, actor: str, reason: str | None, retention: Retention | None = None
    ) -> None:
        self._require("review_retention")
        decision = RetentionDecision(decision)
        reason = _required(reason, "a reason for the retention decision")
        if decision is RetentionDecision.EXTEND and retention is None:
            raise InvalidValue("extending the retention needs the new retention period")
        if decision is RetentionDecision.DISPOSE and self.retention is not None and self.retention.is_permanent:
            raise DomainError("a permanently retained (永久) record cannot be proposed for disposal")
        self._retention_reviewed(
            decision=decision.value, retention=retention.code if retention else None, actor=actor, reason=reason
        )

    @event("RetentionReviewed")
    def _retention_reviewed(self, decision: str, retention: str | None, actor: str, reason: str) -> None:
        if retention:
            self.retention_code = retention
        if decision == RetentionDecision.DISPOSE.value:
            self.disposal_proposed_by = actor
            self.state_code = S.DISPOSAL_PROPOSED.value

    def approve_disposal(self, actor: str, reason: str | None) -> None:
        self._require("approve_disposal")
        if actor == self.disposal_proposed_by:
            raise DomainError("the person who proposed the disposal cannot also approve it")
        self._disposal_approved(actor=actor, reason=_required(reason, "a reason for the approval"))

    @event("DisposalApproved")
    def _disposal_approved(self, actor: str, reason: str) -> None:
        self.state_code = S.DISPOSAL_APPROVED.value

    def destroy(self, actor: str, reason: str | None, certificate: str | None = None) -> None:
        self._require("destroy")
        self._destroyed(certificate=certificate, actor=actor, reason=_required(reason, "a reason for the destruction"))

    @event("Destroyed")
    def _destroyed(self, certificate: str | None, actor: str, reason: str) -> None:
        self.state_code = S.DESTROYED.value
