"""Access requests for records at 秘密 and above (DESIGN §6): asked by a reader with a purpose, decided by an
archivist (never the one who asked), and then part of that reader's visibility everywhere — lists, search, pages.
A request for a record the reader cannot see says nothing about whether it exists."""

from __future__ import annotations

from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import Action, Actor
from domain.access import AccessGrants, AccessRequest
from domain.records import Record


class AccessRequests:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def ask(self, actor: Actor, record_id: UUID, purpose: str) -> UUID:
        self.archive.authorise(actor, Action.READ)
        request = AccessRequest.ask(requester=actor.id, record_id=str(record_id), purpose=purpose)
        self.archive.save(request)
        return request.id

    def decide(self, actor: Actor, request_id: UUID, approve: bool, reason: str | None = None) -> None:
        """A request on a record above the decider's clearance gets the answer an unknown request gets (DESIGN §6:
        the decider must see the record, and must not learn that a hidden one exists)."""
        self.archive.authorise(actor, Action.DECIDE_ACCESS)
        try:
            request = self.archive.load(AccessRequest, request_id)
            record = self.archive.record_for(actor, UUID(request.record_id), Action.DECIDE_ACCESS)
        except (NotFound, ValueError):
            raise NotFound(f"no access request {request_id}") from None
        request.decide(approve, actor=actor.id, reason=reason)
        changed: list = [request]
        if approve:
            changed.append(self._grants(request.requester))
            changed[-1].grant(str(record.id), str(request.id), actor=actor.id)
        self.archive.save(*changed)

    def approved(self, actor: Actor) -> frozenset[str]:
        """The record ids the actor reads by approved request (one load; empty for most people)."""
        try:
            return frozenset(self.archive.current(AccessGrants, AccessGrants.create_id(actor.id)).records)
        except NotFound:
            return frozenset()

    def purpose_of(self, actor: Actor, record_id: str) -> str | None:
        """The purpose stated in the approved request that lets the actor read the record (for the access log)."""
        try:
            grants = self.archive.current(AccessGrants, AccessGrants.create_id(actor.id))
            request_id = grants.requests.get(record_id)
            return self.archive.current(AccessRequest, UUID(request_id)).purpose if request_id else None
        except (NotFound, ValueError):
            return None

    def _grants(self, user_id: str) -> AccessGrants:
        try:
            return self.archive.load(AccessGrants, AccessGrants.create_id(user_id))
        except NotFound:
            return AccessGrants(user_id=user_id)

    def pending(self, actor: Actor, limit: int = 200) -> list[tuple[AccessRequest, Record]]:
        """Undecided requests on records the decider can see, oldest first (found by their Requested events)."""
        self.archive.authorise(actor, Action.DECIDE_ACCESS)
        topic = f"{AccessRequest.Requested.__module__}:{AccessRequest.Requested.__qualname__}"
        notes = self.archive.recorder.select_notifications(start=1, limit=100_000, topics=[topic])
        found = []
        for note in notes:
            if len(found) >= limit:
                break
            request = self.archive.load(AccessRequest, note.originator_id)
            if request.status == "pending":
                record = self.archive.visible_record(actor, UUID(request.record_id))
                if record is not None:  # above the decider's clearance (or gone): someone cleared higher decides
                    found.append((request, record))
        return found
