"""Which records an actor may see (DESIGN §6), as one value every query applies inside its SQL or search query,
so results, counts and facets can never include a record above it.

Rule: a record is visible when its level is at or below `open_upto`, or when it is at or below the actor's clearance
and the actor holds an approved access request for it. A record is graded from its first event, by the level its
office declared at intake. A view of a past moment (a version, a diff, the catalogue as of a date) shows a record only
to someone who may see it now AND was cleared for its level then: it is graded by the higher of the two, so time
travel never shows more than the present, and what was classified before a declassification stays hidden in the
versions before it. Staff who work on records (archivists, appraisers,
digitisers) and compliance officers see everything up to their clearance; other users (readers) see 公开/内部 up to
their clearance, and 秘密 and above only with an approved request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.authorisation import Actor
from domain.users import Role
from domain.values import SecurityLevel

_STAFF = frozenset({Role.ARCHIVIST, Role.APPRAISER, Role.DIGITISER, Role.COMPLIANCE})


@dataclass(frozen=True)
class Visibility:
    clearance: int
    open_upto: int
    approved: frozenset[str] = frozenset()

    def allows(self, security: int, record_id: str) -> bool:
        return security <= self.open_upto or (security <= self.clearance and record_id in self.approved)

    def allows_then(self, then: int | None, now: int, record_id: str) -> bool:
        """A past state of a record (graded `then`; None: a state that is not graded) whose level is `now` today."""
        return self.allows(max(now, now if then is None else then), record_id)

    @property
    def ceiling(self) -> int:
        """The highest level a result under this visibility can include: up to the clearance once approved requests
        widen it, else up to open_upto. A count of results is only shown to those cleared this high (DESIGN §6)."""
        return self.clearance if self.approved and self.clearance > self.open_upto else self.open_upto


def visibility_for(actor: Actor, approved: frozenset[str] = frozenset()) -> Visibility:
    clearance = int(actor.clearance)
    if actor.is_system or actor.roles & _STAFF:
        return Visibility(clearance, clearance, approved)
    return Visibility(clearance, min(clearance, int(SecurityLevel.INTERNAL)), approved)


def visibility_with(actor: Actor, grants: Callable[[Actor], frozenset[str]]) -> Visibility:
    """As visibility_for, asking for the actor's approved requests only when they could widen what the actor sees
    (a reader cleared above 内部); for everyone else they change nothing, and this is asked on every request."""
    plain = visibility_for(actor)
    return plain if plain.open_upto >= plain.clearance else visibility_for(actor, grants(actor))


NOTHING = Visibility(-1, -1)
