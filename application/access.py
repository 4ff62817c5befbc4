"""Access requests for records at 秘密 and above (DESIGN §6): asked by a reader with a purpose, decided by an
archivist (never the one who asked), and then part of that reader's visibility everywhere — lists, search, pages.
A request for a record the reader cannot see says nothing about whether it exists."""

from __future__ import annotations

from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import Action, Actor, authorise
from domain.access import AccessGrants, AccessRequest
from domain.records import Record


class AccessRequests:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def ask(self, actor: Actor, record_id: UUID, purpose: str) -> UUID:
        authorise(actor, Action.READ)
        request = AccessRequest.ask(requester=actor.id, record_id=str(record_id), purpose=purpose)
        self.archive.save(request)
        return request.id

    def decide(self, actor: Actor, request_id: UUID, approve: bool, reason: str | None = None) -> None:
        authorise(actor, Action.DECIDE_ACCESS)
        request = self.archive.load(AccessRequest, request_id)
        record = self.archive.record_for(actor, UUID(request.record_id), Action.DECIDE_ACCESS)  # the decider must see it
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

    def _grants(self, user_id: str) -> AccessGrants:
        try:
            return self.archive.load(AccessGrants, AccessGrants.create_id(user_id))
        except NotFound:
            return AccessGrants(user_id=user_id)

    def pending(self, actor: Actor, limit: int = 200) -> list[tuple[AccessRequest, Record]]:
        """Undecided requests on records the decider can see, oldest first (found by their Requested events)."""
        authorise(actor, Action.DECIDE_ACCESS)
        topic = f"{AccessRequest.Requested.__module__}:{AccessRequest.Requested.__qualname__}"
        notes = self.archive.recorder.select_notifications(start=1, limit=100_000, topics=[topic])
        found = []
        for note in notes:
            if len(found) >= limit:
                break
            request = self.archive.load(AccessRequest, note.originator_id)
            if request.status == "pending":
                try:
                    found.append((request, self.archive.record_for(actor, UUID(request.record_id), Action.DECIDE_ACCESS)))
                except NotFound:
                    continue  # above the decider's clearance: someone cleared higher decides
        return found
