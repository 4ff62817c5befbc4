"""Reading a department's hand-over (移交) for the transfer page; the commands live on the Archive."""

from __future__ import annotations

from uuid import UUID

from application.archive import Archive
from application.authorisation import Action, Actor, authorise
from domain.transfers import Transfer


class Transfers:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def load(self, actor: Actor, transfer_id: UUID) -> Transfer:
        authorise(actor, Action.COLLECT)
        return self.archive.load(Transfer, transfer_id)
