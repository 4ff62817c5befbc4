"""`archive ledger audit`: the live event store against its ledger, and the ledger against its checkpoints.

Findings name what an auditor needs to act on: a *changed* event (bytes or signature differ from what was
sealed), a *missing* one (sealed, then deleted), an *extra* one (in the sealed range but never sealed), a
*reordered* one (sealed at another position), a damaged snapshot, an entry whose ledger signature fails, and a
*truncated* ledger (smaller than a checkpoint kept in the witness folder).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent
from sqlalchemy import select

from infrastructure.ledger import merkle
from infrastructure.ledger.canonical import canonical_json
from infrastructure.ledger.ledger import ENTRY_FIELDS, MerkleLedger
from infrastructure.ledger.tables import ledger_entries
from infrastructure.signed_mapper import TamperedEvent
from infrastructure.signing import log_id_of


@dataclass(frozen=True)
class Finding:
    kind: str  # changed | missing | extra | reordered | snapshot | signature | checkpoint | truncated | unsealable
    detail: str
    seq: int | None = None
    stream: str | None = None
    version: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class AuditReport:
    sealed: int = 0
    events: int = 0
    snapshots: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class LedgerAudit:
    def __init__(self, ledger: MerkleLedger, snapshots: Callable[[], Iterable[StoredEvent]]) -> None:
        self.ledger = ledger
        self.snapshots = snapshots
        self._progress: Callable[[int, int], None] | None = None
        self._total = 0

    def run(self, batch: int = 2000, progress: Callable[[int, int], None] | None = None) -> AuditReport:
        """`progress(events compared, events in the store)` after each batch."""
        report = AuditReport()
        try:
            self.ledger.catch_up()
        except TamperedEvent as error:
            report.findings.append(Finding("unsealable", str(error), stream=error.stream, version=error.version))
        self._progress = progress
        self._total = self.ledger.recorder.max_notification_id() or 0
        self._compare_store(report, batch)
        self._check_ledger(report)
        self._check_snapshots(report)
        return report

    # -- the live store against the sealed entries ----------------------------------------------------------------

    def _sealed(self, batch: int) -> Iterator[dict[str, Any]]:
        last = 0
        while True:
            with self.ledger.engine.connect() as conn:
                rows = list(
                    conn.execute(
                        select(ledger_entries).where(ledger_entries.c.seq > last).order_by(ledger_entries.c.seq).limit(batch)
                    ).mappings()
                )
            if not rows:
                return
            yield from (dict(r) for r in rows)
            last = rows[-1]["seq"]

    def _live(self, report: AuditReport, batch: int) -> Iterator[Any]:
        start = 1
        while notes := self.ledger.recorder.select_notifications(start=start, limit=batch):
            report.events += len(notes)
            yield from notes
            if self._progress:
                self._progress(report.events, max(self._total, report.events))
            start = notes[-1].id + 1

    def _compare_store(self, report: AuditReport, batch: int) -> None:
        sealed, live = self._sealed(batch), self._live(report, batch)
        entry, note = next(sealed, None), next(live, None)
        while entry is not None or note is not None:
            if note is None or (entry is not None and entry["notification_id"] < note.id):
                assert entry is not None
                self._missing(report, entry)
                entry = next(sealed, None)
            elif entry is None or note.id < entry["notification_id"]:
                self._unsealed(report, note)
                note = next(live, None)
            else:
                self._same_position(report, entry, note)
                entry, note = next(sealed, None), next(live, None)
        report.sealed = self.ledger.size()

    def _missing(self, report: AuditReport, entry: dict[str, Any]) -> None:
        report.findings.append(
            Finding(
                "missing",
                f"sealed {entry['type']} is no longer in the event store",
                entry["seq"],
                entry["stream"],
                entry["version"],
            )
        )

    def _unsealed(self, report: AuditReport, note: Any) -> None:
        elsewhere = self.ledger.entry_for(str(note.originator_id), note.originator_version)
        if elsewhere is not None:
            detail = f"sealed at seq {elsewhere['seq']} but now stored at another position"
            report.findings.append(
                Finding("reordered", detail, elsewhere["seq"], str(note.originator_id), note.originator_version)
            )
        elif report.findings and report.findings[-1].kind == "unsealable":
            return  # sealing stopped at a tampered event; what follows it is pending, not extra
        else:
            detail = f"{note.topic.rsplit(':', 1)[-1]} is stored inside the sealed range but was never sealed"
            report.findings.append(Finding("extra", detail, None, str(note.originator_id), note.originator_version))

    def _same_position(self, report: AuditReport, entry: dict[str, Any], note: Any) -> None:
        same_identity = (entry["stream"], entry["version"]) == (str(note.originator_id), note.originator_version)
        if not same_identity:
            elsewhere = self.ledger.entry_for(str(note.originator_id), note.originator_version)
            kind = "reordered" if elsewhere is not None else "changed"
            detail = f"seq {entry['seq']} sealed {entry['stream']} v{entry['version']}; the store now holds another event there"
            report.findings.append(Finding(kind, detail, entry["seq"], entry["stream"], entry["version"]))
            return
        if hashlib.sha256(note.state).hexdigest() != entry["payload_sha256"] or entry["type"] != note.topic.rsplit(":", 1)[-1]:
            report.findings.append(
                Finding(
                    "changed",
                    "stored bytes differ from the sealed payload_sha256",
                    entry["seq"],
                    entry["stream"],
                    entry["version"],
                )
            )
            return
        try:
            self.ledger.mapper.to_domain_event(note)
        except TamperedEvent as error:
            report.findings.append(Finding("changed", error.why, entry["seq"], entry["stream"], entry["version"]))

    # -- the ledger against its own signatures and checkpoints ----------------------------------------------------

    def _check_ledger(self, report: AuditReport) -> None:
        keyring = self.ledger.keyring
        stored = self.ledger.checkpoints()
        witnessed = self.ledger.witnessed_checkpoints()
        wanted = {cp["size"] for cp in stored + witnessed}
        roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
        tree = merkle.CompactRange()
        for entry in self.ledger.entries():
            unsigned = {k: entry[k] for k in ENTRY_FIELDS if k != "sig"}
            if tree.size + 1 != entry["seq"]:
                report.findings.append(Finding("signature", f"seq {entry['seq']} follows {tree.size}", entry["seq"]))
            if not keyring.verify(entry["key_id"], canonical_json(unsigned), _b64(entry["sig"])):
                report.findings.append(
                    Finding(
                        "signature", "ledger entry signature does not verify", entry["seq"], entry["stream"], entry["version"]
                    )
                )
            tree.append(merkle.leaf_hash(canonical_json(unsigned)))
            if tree.size in wanted:
                roots[tree.size] = tree.root()
        if tree.size and self.ledger.root(tree.size) != tree.root():
            report.findings.append(Finding("checkpoint", "stored tree nodes do not match the entries"))
        for origin, checkpoints in (("database", stored), ("witness", witnessed)):
            for cp in checkpoints:
                self._check_checkpoint(report, origin, cp, roots, tree.size)

    def _check_checkpoint(self, report: AuditReport, origin: str, cp: dict[str, Any], roots: dict[int, bytes], size: int) -> None:
        keyring = self.ledger.keyring
        unsigned = {k: v for k, v in cp.items() if k != "sig"}
        public = keyring.public_key(cp.get("key_id", ""))
        if (
            public is None
            or log_id_of(public) != cp.get("log_id")
            or not keyring.verify(cp["key_id"], canonical_json(unsigned), _b64(cp["sig"]))
        ):
            report.findings.append(Finding("checkpoint", f"{origin} checkpoint of size {cp.get('size')} has a bad signature"))
        elif cp["size"] > size:
            report.findings.append(
                Finding(
                    "truncated",
                    f"{origin} checkpoint of {cp['timestamp']} covers {cp['size']} entries; the ledger holds {size}",
                    size + 1,
                )
            )
        elif roots.get(cp["size"], b"").hex() != cp["root"]:
            report.findings.append(
                Finding("checkpoint", f"{origin} checkpoint of size {cp['size']}: the entries give another root")
            )

    def _check_snapshots(self, report: AuditReport) -> None:
        for stored in self.snapshots():
            report.snapshots += 1
            try:
                self.ledger.mapper.to_domain_event(stored)
            except TamperedEvent as error:
                report.findings.append(Finding("snapshot", error.why, None, error.stream, error.version))


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return b""
