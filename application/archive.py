"""The archive application: one command method per action of the record lifecycle (DESIGN §3).

Each command authorises the actor, loads the aggregate, calls one domain method and saves. Aggregates whose
consistency spans two streams (a record and its numbering class) are saved together in one atomic `save`, so an
item number is never given twice nor lost (DA/T 22-2015: 件号 without gaps or duplicates within a class).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, Transcoder

from application.activity import ActivityJournal, Conflict
from application.authorisation import Action, Actor, Forbidden, authorise
from domain.activity import ActivityLog
from domain.archival_code import ArchivalCode, ClassKey
from domain.errors import DomainError, InvalidValue, SecondAppraiserNeeded
from domain.numbering import ItemSequence
from domain.records import Medium, Record, RetentionDecision
from domain.scheme import ArchivingScheme
from domain.transfers import Transfer
from domain.users import FirstSecurityOfficer, Role, User
from domain.values import Retention, SecurityLevel

A = TypeVar("A")
MapperFactory = Callable[[Transcoder], Mapper]
CURRENT_CACHE_SIZE = 10_000  # users, tokens, grants and the records being looked at: a few KB each


class NotFound(DomainError):
    """No such record (or one the actor may not see: the two are indistinguishable on purpose)."""


# What a refusal to show a record says, in the answer and in the denial event alike: the same words whether the record
# is above the actor's clearance or never existed (DESIGN §6: not even the difference between the two).
HIDDEN_OR_ABSENT = "not visible at the user's clearance, or no such record"


@dataclass(frozen=True)
class Appraisal:
    """What an appraisal did: took effect (`code`, the record's 档号; `proposed_by` names the first appraiser where
    the scheme asks for two), or was recorded as a proposal that a second appraiser must confirm (DESIGN §6)."""

    code: ArchivalCode | None
    awaiting_second_appraiser: bool = False
    proposed_by: str | None = None  # a user name


class Archive(Application):
    name = "Archive"
    # A snapshot re-reads (and re-verifies) every event of its aggregate, so intervals are wide: a transfer of
    # thousands of items takes one every few batches, not several per batch.
    snapshotting_intervals = {Record: 50, Transfer: 2000, User: 50, ArchivingScheme: 50, ItemSequence: 1000}

    def __init__(self, env: dict[str, str] | None = None, *, mapper_factory: MapperFactory) -> None:
        self._mapper_factory = mapper_factory
        super().__init__(env)
        self.journal = ActivityJournal(self.save, self._last_version)
        # Who is acting is asked on every request. Users, tokens and access grants, and the records people look
        # at, are kept in a cache that is fast-forwarded from the store on every read (one indexed query for what
        # is new), so a role revoked, a user disabled or a record re-appraised, by this process or another, counts
        # at the next request; nothing is served stale.
        self._current = Repository(self.events, snapshot_store=self.snapshots, cache_maxsize=CURRENT_CACHE_SIZE)

    def construct_mapper(self) -> Mapper:
        return self._mapper_factory(self.construct_transcoder())

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """As Application.save, but collects our aggregates' events directly: the base class tests every object
        against runtime-checkable Protocols, which costs ~20 µs an object on Python 3.11 (a fifth of a batch)."""
        processing = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            else:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    # -- loading ------------------------------------------------------------------------------------------------

    def load(self, kind: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        return _of_kind(kind, aggregate_id, lambda: self.repository.get(aggregate_id, version=version))

    def current(self, kind: type[A], aggregate_id: UUID) -> A:
        """As `load`, for reading only: the object is shared with other requests and must not be changed."""
        return _of_kind(kind, aggregate_id, lambda: self._current.get(aggregate_id, deepcopy_from_cache=False))

    def exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    def record_for(
        self, actor: Actor, record_id: UUID, action: Action, *, reading: bool = False, allows: Callable[[Record], bool] | None = None
    ) -> Record:
        """Load a record the actor may act on; above their clearance it does not exist for them, and the refusal is
        recorded exactly as for an id that never existed. `reading`: only to look at (a page, an image), from the
        fast-forwarded cache instead of replaying the stream on every view. `allows`: a narrower test than the
        clearance (a reader's approved requests)."""
        self.authorise(actor, action, record_id=str(record_id))
        record = self.visible_record(actor, record_id, reading=reading, allows=allows)
        if record is None:
            self.deny(actor, action.value, HIDDEN_OR_ABSENT, record_id=str(record_id))
            raise NotFound(f"no record {record_id}")
        return record

    def visible_record(
        self, actor: Actor, record_id: UUID, *, reading: bool = True, allows: Callable[[Record], bool] | None = None
    ) -> Record | None:
        """The record if it exists and the actor may see it, else None; records nothing (for lists that skip)."""
        try:
            record = self.current(Record, record_id) if reading else self.load(Record, record_id)
        except NotFound:
            return None
        if not actor.may_see(record.security) or (allows is not None and not allows(record)):
            return None
        return record

    # -- refusals (DESIGN §6: every denial is an event, written here and nowhere else) ---------------------------

    def authorise(self, actor: Actor, action: Action, *, record_id: str | None = None) -> None:
        """As authorisation.authorise, with the refusal recorded."""
        try:
            authorise(actor, action)
        except Forbidden as refused:
            self.deny(actor, action.value, str(refused), record_id=record_id)
            refused.recorded = True
            raise

    def deny(self, actor: Actor, action: str, reason: str, record_id: str | None = None) -> None:
        """Record one refused attempt (the compliance access log shows it; the user is never told more)."""
        self.record_activity(actor, ActivityLog.AccessDenied, action=action[:100], record_id=record_id, reason=reason[:300])

    def refuse(self, actor: Actor, action: str, message: str, record_id: str | None = None) -> Forbidden:
        """A Forbidden for a rule checked outside authorise (tokens of others, an import's roles), recorded."""
        self.deny(actor, action, message, record_id=record_id)
        refused = Forbidden(message)
        refused.recorded = True
        return refused

    def commit(self, *aggregates: Any) -> None:
        """Save, a concurrent change to the same aggregates answered as a Conflict the caller may retry."""
        self._save(*aggregates)

    def _save(self, *aggregates: Any) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise Conflict("the record was changed by someone else at the same time; reload and try again") from None

    # -- activity (accesses, searches, denials: DESIGN §3, §6) ---------------------------------------------------

    def record_activity(self, actor: Actor, kind: type, **fields: Any) -> None:
        """Append one event to the actor's log of the day; returns once it is stored (group commit)."""
        self.journal.append(actor, kind, **fields)

    def _last_version(self, log_id: UUID) -> int | None:
        last = self.recorder.select_events(log_id, desc=True, limit=1)
        return last[0].originator_version if last else None

    # -- users and scheme -------------------------------------------------------------------------------------

    def register_user(
        self,
        actor: Actor,
        *,
        username: str,
        roles: Sequence[Role] = (),
        clearance: SecurityLevel = SecurityLevel.PUBLIC,
        password_hash: str,
        temporary_password: bool = False,
    ) -> UUID:
        """An account (the system administrator's act, 三员分立). It comes without roles and cleared 公开: roles and
        clearance are the security officer's to give — except that on a new installation the system administrator
        may appoint the first security officer, once (FirstSecurityOfficer)."""
        self.authorise(actor, Action.MANAGE_USERS)
        user = User.register(
            username=username,
            roles=list(roles),
            clearance=clearance,
            password_hash=password_hash,
            actor=actor.id,
            temporary_password=temporary_password,
        )
        appointment = self._appointment(actor, user)
        try:
            self.save(user, *appointment)
        except IntegrityError:
            if appointment and self.find_user(username) is None:
                raise InvalidValue("the first security officer was appointed already: roles are the security officer's to give") from None
            raise InvalidValue(f"a user named {username!r} already exists") from None
        return user.id

    def _appointment(self, actor: Actor, user: User) -> list[FirstSecurityOfficer]:
        """What lets `actor` give the new account its roles: nothing to add for the local operator or a security
        officer; for a system administrator only the first security officer's appointment (saved with it)."""
        if actor.is_system or (not user.roles and user.clearance is SecurityLevel.PUBLIC):
            return []
        if actor.may(Action.ASSIGN_ROLES):
            return []
        if user.roles == {Role.SECURITY_OFFICER} and user.clearance is SecurityLevel.PUBLIC:
            if not self.first_security_officer_appointed():
                return [FirstSecurityOfficer(user_id=str(user.id), actor=actor.id)]
            raise self.refuse(
                actor, Action.ASSIGN_ROLES.value, "the first security officer was appointed already: roles are theirs to give"
            )
        raise self.refuse(actor, Action.ASSIGN_ROLES.value, "roles and clearance are given by the security officer (三员分立)")

    def first_security_officer_appointed(self) -> bool:
        return self.exists(FirstSecurityOfficer.create_id())

    def find_user(self, username: str) -> User | None:
        try:
            return self.load(User, User.create_id(username=username))
        except NotFound:
            return None

    def define_scheme(self, actor: Actor, *, fonds: str, fonds_name: str) -> UUID:
        self.authorise(actor, Action.MANAGE_SCHEME)
        scheme = ArchivingScheme.define(fonds=fonds, fonds_name=fonds_name, actor=actor.id)
        try:
            self.save(scheme)
        except IntegrityError:
            raise InvalidValue(f"fonds {fonds} already has an archiving scheme") from None
        return scheme.id

    def edit_scheme(self, actor: Actor, fonds: str, change: Callable[[ArchivingScheme], None]) -> None:
        """One change to a fonds' archiving scheme (a category, a class, the QC profile), as its own event."""
        self.authorise(actor, Action.MANAGE_SCHEME)
        scheme = self.scheme_for(fonds)
        change(scheme)
        self._save(scheme)

    def scheme_for(self, fonds: str) -> ArchivingScheme:
        try:
            return self.load(ArchivingScheme, ArchivingScheme.create_id(fonds=fonds))
        except NotFound:
            raise InvalidValue(f"fonds {fonds} has no archiving scheme: define it first (`archive scheme define`)") from None

    # -- collection -------------------------------------------------------------------------------------------

    def collect(
        self,
        actor: Actor,
        *,
        title: str,
        source: str,
        medium: Medium = Medium.PAPER,
        originals: Sequence[dict] = (),
        metadata: dict[str, str] | None = None,
        reason: str | None = None,
        record_id: UUID | None = None,
        security: SecurityLevel = SecurityLevel.PUBLIC,
    ) -> UUID:
        """Register a record with the 密级 its office declared (it grades the record at once, DESIGN §6)."""
        self.authorise(actor, Action.COLLECT)
        record = Record.collect(
            title=title,
            source=source,
            medium=medium,
            actor=actor.id,
            originals=list(originals),
            metadata=metadata,
            reason=reason,
            record_id=record_id,
            security=security,
        )
        self._save(record)
        return record.id

    def register_transfer(
        self, actor: Actor, *, department: str, expected: Sequence[str], transfer_id: UUID | None = None
    ) -> UUID:
        self.authorise(actor, Action.COLLECT)
        transfer = Transfer.register(department=department, expected=list(expected), actor=actor.id, transfer_id=transfer_id)
        try:
            self.save(transfer)
        except IntegrityError:
            raise InvalidValue(f"transfer {transfer_id} is already registered") from None
        return transfer.id

    def receive_batch(self, actor: Actor, transfer_id: UUID, items: Iterable[tuple[str, UUID, dict[str, Any]]]) -> list[UUID]:
        """Collect many records of one transfer in ONE atomic save (batched import: hundreds of events per
        transaction). Items already received are skipped, so an interrupted import can simply be run again."""
        self.authorise(actor, Action.COLLECT)
        transfer = self.load(Transfer, transfer_id)
        records = []
        for item, record_id, fields in items:
            if item in transfer.received:
                continue
            record = Record.collect(record_id=record_id, actor=actor.id, transfer_id=transfer_id, **fields)
            transfer.receive(record.id, item, actor=actor.id)
            records.append(record)
        if records:
            self._save(transfer, *records)
        return [r.id for r in records]

    def check_receipt(self, actor: Actor, transfer_id: UUID) -> list[str]:
        self.authorise(actor, Action.COLLECT)
        transfer = self.load(Transfer, transfer_id)
        transfer.check_receipt(actor=actor.id)
        self._save(transfer)
        return list(transfer.missing)

    # -- cataloguing, review, appraisal -----------------------------------------------------------------------

    def catalogue(
        self,
        actor: Actor,
        record_id: UUID,
        *,
        fonds: str,
        category: str,
        year: int,
        org: str,
        classification: str,
        retention: Retention | None = None,
        metadata: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> ArchivalCode:
        record = self.record_for(actor, record_id, Action.CATALOGUE)
        scheme = self.scheme_for(fonds)
        retention = retention or scheme.default_retention(org)
        scheme.check_classification(category=category, org=org)
        sequence, code = self._allocate(ClassKey(fonds, category, year, str(retention), org), record.id, actor)
        record.catalogue(code, classification, actor=actor.id, metadata=metadata, reason=reason)
        self._save(sequence, record)
        return code

    def _allocate(self, key: ClassKey, record_id: UUID, actor: Actor) -> tuple[ItemSequence, ArchivalCode]:
        try:
            sequence = self.load(ItemSequence, ItemSequence.id_for(key))
        except NotFound:
            sequence = ItemSequence.start(key)
        return sequence, sequence.allocate(record_id, actor.id)

    def annotate(self, actor: Actor, record_id: UUID, fields: dict[str, str], reason: str | None = None) -> None:
        record = self.record_for(actor, record_id, Action.ANNOTATE)
        record.annotate(fields, actor=actor.id, reason=reason)
        self._save(record)

    def correct(self, actor: Actor, record_id: UUID, fields: dict[str, str], reason: str) -> None:
        record = self.record_for(actor, record_id, Action.ANNOTATE)
        record.correct(fields, actor=actor.id, reason=reason)
        self._save(record)

    def review(
        self, actor: Actor, record_id: UUID, *, passed: bool, findings: Sequence[str] = (), reason: str | None = None
    ) -> None:
        record = self.record_for(actor, record_id, Action.REVIEW)
        record.review(passed, actor=actor.id, findings=list(findings), reason=reason)
        self._save(record)

    def appraise(
        self, actor: Actor, record_id: UUID, *, retention: Retention, security: SecurityLevel, reason: str | None = None
    ) -> Appraisal:
        """Set retention and 密级, or, where the fonds' scheme asks for two appraisers, propose them (Record.appraise).
        A changed retention moves the record to another numbering class, so it gets the next number there (the
        档号 carries the retention code, DA/T 22-2015) — only when the appraisal takes effect: a proposal takes
        no number, so none is lost if it is replaced."""
        record = self.record_for(actor, record_id, Action.APPRAISE)
        double = self._double_appraisal(record)
        current = record.code
        if not record.appraisal_takes_effect(retention, security, actor.id, double):
            try:
                record.appraise(retention, security, actor=actor.id, reason=reason, double=True)
            except SecondAppraiserNeeded:
                raise SecondAppraiserNeeded(actor.username) from None  # the proposer is the actor: name them
            self._save(record)
            return Appraisal(code=None, awaiting_second_appraiser=True, proposed_by=actor.username)
        proposed_by = self._username(record.proposed_appraisal["actor"]) if double and record.proposed_appraisal else None
        if current is None or current.retention == str(retention):
            record.appraise(retention, security, actor=actor.id, reason=reason, double=double)
            self._save(record)
            return Appraisal(code=current, proposed_by=proposed_by)
        key = ClassKey(current.fonds, current.category, current.year, str(retention), current.org)
        sequence, code = self._allocate(key, record.id, actor)
        record.appraise(retention, security, actor=actor.id, code=code, reason=reason, double=double)
        self._save(sequence, record)
        return Appraisal(code=code, proposed_by=proposed_by)

    def _double_appraisal(self, record: Record) -> bool:
        """Whether the record's fonds' scheme asks for two appraisers (DESIGN §6). A record is catalogued, so has a
        档号 and a scheme, before it can be appraised."""
        code = record.code
        return code is not None and self.scheme_for(code.fonds).double_appraisal

    def _username(self, actor_id: str) -> str:
        try:
            return self.current(User, UUID(actor_id)).username
        except (ValueError, NotFound):
            return actor_id  # `system`, or a user id of another kind: shown as it is

    # -- digitisation -------------------------------------------------------------------------------------------

    def scan(self, actor: Actor, record_id: UUID, pages: Sequence[dict], batch_id: str | None = None) -> None:
        record = self.record_for(actor, record_id, Action.SCAN)
        record.scan(list(pages), actor=actor.id, batch_id=batch_id)
        self._save(record)

    def process(self, actor: Actor, record_id: UUID, pages: Sequence[dict], parameters: dict[str, Any]) -> None:
        record = self.record_for(actor, record_id, Action.PROCESS)
        record.process(list(pages), parameters, actor=actor.id)
        self._save(record)

    def pass_qc(self, actor: Actor, record_id: UUID, metrics: dict | None = None, override_reason: str | None = None) -> None:
        record = self.record_for(actor, record_id, Action.QC)
        record.pass_qc(actor=actor.id, metrics=metrics, override_reason=override_reason)
        self._save(record)

    def fail_qc(self, actor: Actor, record_id: UUID, failures: dict[str, list[str]], metrics: dict | None = None) -> None:
        record = self.record_for(actor, record_id, Action.QC)
        record.fail_qc(failures, actor=actor.id, metrics=metrics)
        self._save(record)

    def request_rework(self, actor: Actor, record_id: UUID, pages: Sequence[int], reason: str | None = None) -> None:
        record = self.record_for(actor, record_id, Action.QC)
        record.request_rework(list(pages), actor=actor.id, reason=reason)
        self._save(record)

    def recognise_text(self, actor: Actor, record_id: UUID, *, text_sha256: str, confidence: dict, engine: str) -> None:
        record = self.record_for(actor, record_id, Action.OCR)
        record.recognise_text(text_sha256, confidence, engine, actor=actor.id)
        self._save(record)

    def ingest(self, actor: Actor, record_id: UUID, *, package: str, locations: Sequence[str]) -> None:
        record = self.record_for(actor, record_id, Action.INGEST)
        record.ingest(package, list(locations), actor=actor.id)
        self._save(record)

    # -- after ingest -----------------------------------------------------------------------------------------

    def reclassify(
        self,
        actor: Actor,
        record_id: UUID,
        *,
        reason: str,
        security: SecurityLevel | None = None,
        classification: str | None = None,
    ) -> None:
        record = self.record_for(actor, record_id, Action.RECLASSIFY)
        record.reclassify(actor=actor.id, reason=reason, security=security, classification=classification)
        self._save(record)

    def review_retention(
        self, actor: Actor, record_id: UUID, *, decision: RetentionDecision, reason: str, retention: Retention | None = None
    ) -> None:
        record = self.record_for(actor, record_id, Action.DISPOSE)
        record.review_retention(decision, actor=actor.id, reason=reason, retention=retention)
        self._save(record)

    def approve_disposal(self, actor: Actor, record_id: UUID, reason: str) -> None:
        record = self.record_for(actor, record_id, Action.DISPOSE)
        record.approve_disposal(actor=actor.id, reason=reason)
        self._save(record)

    def destroy(self, actor: Actor, record_id: UUID, reason: str, certificate: str | None = None) -> None:
        record = self.record_for(actor, record_id, Action.DISPOSE)
        record.destroy(actor=actor.id, reason=reason, certificate=certificate)
        self._save(record)


def _of_kind(kind: type[A], aggregate_id: UUID, get: Callable[[], Any]) -> A:
    """The aggregate if it exists and is a `kind`; otherwise NotFound (an id of another kind says nothing either)."""
    try:
        found = get()
    except AggregateNotFoundError:
        raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
    if not isinstance(found, kind):
        raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}")
    return found
