"""Offline verification of a ledger export (`archive ledger verify DIR`), written only against DESIGN §4.

Checks: keys.json; every entry's fields, dense seq, canonical bytes and Ed25519 signature; the RFC 9162 root at
every checkpoint's size; checkpoint signatures and log ids; sizes never shrinking; and, with a witness file of
checkpoints kept elsewhere, that the export still contains everything they covered (a truncated tail).
Signature checks dominate (~70 µs each), so chunks of lines go to a process pool; the main process folds the
leaf hashes in order and reports the first bad seq.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from infrastructure.ledger.canonical import canonical_json
from infrastructure.ledger.merkle import CompactRange, leaf_hash

ENTRY_FIELDS = {"seq", "stream", "version", "type", "at", "actor", "payload_sha256", "key_id", "sig"}
CHECKPOINT_FIELDS = {"log_id", "size", "root", "timestamp", "key_id", "sig"}
CHUNK = 20000


class Fault(Exception):
    def __init__(self, reason: str, seq: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.seq = reason, seq


@dataclass
class VerificationReport:
    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    reason: str | None
    root: str | None


def load_keys(directory: Path) -> dict[str, bytes]:
    try:
        document = json.loads((directory / "keys.json").read_text(encoding="utf-8"))
        keys = {}
        for item in document["keys"]:
            public = base64.b64decode(item["public_key"], validate=True)
            if item.get("algorithm") != "ed25519" or len(public) != 32:
                raise Fault(f"keys.json: key {item.get('key_id')} is not a 32-byte ed25519 key")
            if hashlib.sha256(public).hexdigest()[:16] != item["key_id"]:
                raise Fault(f"keys.json: key id {item['key_id']} does not match its public key")
            keys[item["key_id"]] = public
        return keys
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Fault(f"keys.json is missing or malformed: {error}") from None


def _signature_ok(keys: dict[str, bytes], key_id: str, message: bytes, sig: str) -> bool:
    public = keys.get(key_id)
    if public is None:
        return False
    try:
        VerifyKey(public).verify(message, base64.b64decode(sig, validate=True))
    except (BadSignatureError, ValueError, binascii.Error):
        return False
    return True


def check_chunk(args: tuple[int, list[bytes], dict[str, bytes]]) -> tuple[list[bytes], tuple[int, str] | None]:
    """Entries first_seq, first_seq+1, …: their leaf hashes, and the first fault (seq, reason) if any."""
    first_seq, lines, keys = args
    verifiers = {k: VerifyKey(v) for k, v in keys.items()}
    leaves: list[bytes] = []
    for offset, line in enumerate(lines):
        seq = first_seq + offset
        try:
            entry = json.loads(line)
        except ValueError:
            return leaves, (seq, f"line {seq} is not JSON")
        if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
            return leaves, (seq, f"seq {seq}: an entry has exactly the fields {', '.join(sorted(ENTRY_FIELDS))}")
        if entry["seq"] != seq:
            return leaves, (seq, f"seq {entry['seq']} found where seq {seq} belongs (an entry is missing or out of order)")
        try:
            if canonical_json(entry) != line.rstrip(b"\r\n"):
                return leaves, (seq, f"seq {seq}: the line is not canonical JSON")
            unsigned = canonical_json({k: v for k, v in entry.items() if k != "sig"})
        except TypeError as error:
            return leaves, (seq, f"seq {seq}: {error}")
        verifier = verifiers.get(entry["key_id"])
        if verifier is None:
            return leaves, (seq, f"seq {seq}: unknown key {entry['key_id']}")
        try:
            verifier.verify(unsigned, base64.b64decode(entry["sig"], validate=True))
        except (BadSignatureError, ValueError, binascii.Error, TypeError):
            return leaves, (seq, f"seq {seq}: signature does not verify with key {entry['key_id']}")
        leaves.append(leaf_hash(unsigned))
    return leaves, None


def read_checkpoints(path: Path, keys: dict[str, bytes], origin: str) -> list[dict[str, Any]]:
    checkpoints = []
    try:
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    except OSError as error:
        raise Fault(f"{origin}: cannot read {path}: {error}") from None
    for number, line in enumerate(lines, 1):
        try:
            cp = json.loads(line)
        except ValueError:
            raise Fault(f"{origin} checkpoint {number} is not JSON") from None
        if not isinstance(cp, dict) or set(cp) != CHECKPOINT_FIELDS:
            raise Fault(f"{origin} checkpoint {number} does not have exactly the fields {', '.join(sorted(CHECKPOINT_FIELDS))}")
        public = keys.get(cp["key_id"])
        unsigned = canonical_json({k: v for k, v in cp.items() if k != "sig"})
        if (
            public is None
            or hashlib.sha256(public).hexdigest() != cp["log_id"]
            or not _signature_ok(keys, cp["key_id"], unsigned, cp["sig"])
        ):
            raise Fault(f"{origin} checkpoint {number} (size {cp.get('size')}): bad signature, key or log id")
        if not isinstance(cp["size"], int) or cp["size"] < 0:
            raise Fault(f"{origin} checkpoint {number}: size must be a whole number")
        cp["_origin"], cp["_number"] = origin, number
        checkpoints.append(cp)
    return checkpoints


def _chunks(path: Path) -> Iterator[tuple[int, list[bytes]]]:
    with open(path, "rb") as handle:
        seq = 1
        while lines := list(islice(handle, CHUNK)):
            yield seq, lines
            seq += len(lines)


def verify_export(
    directory: Path, *, witness: Path | None = None, workers: int = 2, progress: Callable[[int, int], None] | None = None
) -> VerificationReport:
    entries_path = directory / "entries.jsonl"
    try:
        keys = load_keys(directory)
        checkpoints = read_checkpoints(directory / "checkpoints.jsonl", keys, "export")
        sizes = [cp["size"] for cp in checkpoints]
        if any(b < a for a, b in zip(sizes, sizes[1:], strict=False)):
            raise Fault("checkpoint sizes decrease: the log was rewritten")
        if witness is not None:
            checkpoints += read_checkpoints(witness, keys, "witness")
        total = sum(1 for _ in open(entries_path, "rb"))
    except Fault as fault:
        return VerificationReport(False, 0, 0, fault.seq, fault.reason, None)
    except OSError as error:
        return VerificationReport(False, 0, 0, None, f"cannot read the export: {error}", None)

    wanted = {cp["size"] for cp in checkpoints}
    roots: dict[int, str] = {0: CompactRange().root().hex()} if 0 in wanted else {}
    tree = CompactRange()
    fault: tuple[int, str] | None = None
    jobs = ((seq, lines, keys) for seq, lines in _chunks(entries_path))
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        results = pool.map(check_chunk, jobs) if pool else map(check_chunk, jobs)
        for leaves, chunk_fault in results:
            for leaf in leaves:
                tree.append(leaf)
                if tree.size in wanted:
                    roots[tree.size] = tree.root().hex()
            if progress:
                progress(tree.size, total)
            if chunk_fault:
                fault = chunk_fault
                break
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    report = VerificationReport(fault is None, tree.size, len(checkpoints), None, None, tree.root().hex())
    if fault is not None:
        report.first_bad_seq, report.reason = fault
        return _checkpoint_faults(report, checkpoints, roots, upto=fault[0] - 1) or report
    return _checkpoint_faults(report, checkpoints, roots, upto=tree.size) or report


def _checkpoint_faults(
    report: VerificationReport, checkpoints: list[dict[str, Any]], roots: dict[int, str], upto: int
) -> VerificationReport | None:
    """A checkpoint that the (good part of the) entries cannot reproduce: wrong root, or more than was exported."""
    for cp in checkpoints:
        label = f"{cp['_origin']} checkpoint {cp['_number']} of {cp['timestamp']}"
        if cp["size"] > report.entries and report.ok:
            report.ok, report.first_bad_seq = False, report.entries + 1
            report.reason = f"{label} covers {cp['size']} entries but the export has {report.entries} (truncated)"
            return report
        if cp["size"] <= upto and roots.get(cp["size"]) != cp["root"]:
            report.ok = False
            report.first_bad_seq = report.first_bad_seq or cp["size"]
            report.reason = (
                report.reason or f"{label} (size {cp['size']}) root mismatch: the entries do not produce the signed root"
            )
            return report
    return None
