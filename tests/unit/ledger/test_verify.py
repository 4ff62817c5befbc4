"""Offline verification of an export (DESIGN §4): everything an auditor holds is the folder and the public keys."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from infrastructure.ledger import merkle
from infrastructure.ledger.canonical import canonical_json
from infrastructure.ledger.verify import verify_export

KEY = SigningKey(bytes(range(32)))
PUBLIC = bytes(KEY.verify_key)
KEY_ID = hashlib.sha256(PUBLIC).hexdigest()[:16]


def signed(obj: dict, key: SigningKey = KEY) -> dict:
    return {**obj, "sig": base64.b64encode(key.sign(canonical_json(obj)).signature).decode()}


def entry(seq: int) -> dict:
    return signed(
        {
            "seq": seq,
            "stream": "0b5e3f1c-2d4a-4e6b-8c9d-0e1f2a3b4c5d",
            "version": seq,
            "type": "Record.MetadataAnnotated",
            "at": f"2026-11-24T19:00:{seq % 60:02d}.000000+00:00",
            "actor": "system",
            "payload_sha256": hashlib.sha256(str(seq).encode()).hexdigest(),
            "key_id": KEY_ID,
        }
    )


def checkpoint(entries: list[dict], size: int) -> dict:
    leaves = [merkle.leaf_hash(canonical_json({k: v for k, v in e.items() if k != "sig"})) for e in entries[:size]]
    return signed(
        {
            "log_id": hashlib.sha256(PUBLIC).hexdigest(),
            "size": size,
            "root": merkle.root_from_leaf_hashes(leaves).hex(),
            "timestamp": "2026-11-24T20:00:00.000000+00:00",
            "key_id": KEY_ID,
        }
    )


def write(directory: Path, entries: list[dict], checkpoints: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "entries.jsonl").write_bytes(b"".join(canonical_json(e) + b"\n" for e in entries))
    (directory / "checkpoints.jsonl").write_bytes(b"".join(canonical_json(c) + b"\n" for c in checkpoints))
    keys = {
        "keys": [
            {
                "key_id": KEY_ID,
                "algorithm": "ed25519",
                "public_key": base64.b64encode(PUBLIC).decode(),
                "created": "2026-11-24T18:00:00.000000+00:00",
            }
        ]
    }
    (directory / "keys.json").write_text(json.dumps(keys))
    return directory


@pytest.fixture
def entries() -> list[dict]:
    return [entry(seq) for seq in range(1, 51)]


@pytest.fixture
def export(tmp_path: Path, entries: list[dict]) -> Path:
    return write(tmp_path / "export", entries, [checkpoint(entries, 20), checkpoint(entries, 50)])


def test_an_intact_export_verifies_and_reports_its_root(export: Path, entries: list[dict]) -> None:
    report = verify_export(export, workers=1)
    assert report.ok and report.entries == 50 and report.checkpoints == 2
    assert report.root == checkpoint(entries, 50)["root"]


def test_one_and_two_workers_give_the_same_verdicts(export: Path, entries: list[dict]) -> None:
    lines = (export / "entries.jsonl").read_bytes().splitlines(keepends=True)
    lines[33] = lines[33].replace(b'"actor":"system"', b'"actor":"mallory"')
    (export / "entries.jsonl").write_bytes(b"".join(lines))
    assert verify_export(export, workers=1) == verify_export(export, workers=2)


def test_a_changed_byte_in_an_entry_names_its_seq(export: Path) -> None:
    lines = (export / "entries.jsonl").read_bytes().splitlines(keepends=True)
    lines[16] = lines[16].replace(b'"actor":"system"', b'"actor":"systen"')
    (export / "entries.jsonl").write_bytes(b"".join(lines))
    report = verify_export(export, workers=2)
    assert not report.ok and report.first_bad_seq == 17 and "signature" in report.reason


def test_a_deleted_entry_is_reported_where_the_gap_begins(export: Path) -> None:
    lines = (export / "entries.jsonl").read_bytes().splitlines(keepends=True)
    del lines[9]
    (export / "entries.jsonl").write_bytes(b"".join(lines))
    report = verify_export(export, workers=1)
    assert not report.ok and report.first_bad_seq == 10 and "missing or out of order" in report.reason


def test_two_swapped_entries_are_reported(export: Path) -> None:
    lines = (export / "entries.jsonl").read_bytes().splitlines(keepends=True)
    lines[4], lines[5] = lines[5], lines[4]
    (export / "entries.jsonl").write_bytes(b"".join(lines))
    report = verify_export(export, workers=1)
    assert not report.ok and report.first_bad_seq == 5


def test_a_checkpoint_with_an_altered_root_is_refused(tmp_path: Path, entries: list[dict]) -> None:
    forged = checkpoint(entries, 20)
    forged = signed({**{k: v for k, v in forged.items() if k != "sig"}, "root": "00" * 32})
    report = verify_export(write(tmp_path / "x", entries, [forged]), workers=1)
    assert not report.ok and "root mismatch" in report.reason


def test_a_checkpoint_signed_by_an_unknown_key_is_refused(tmp_path: Path, entries: list[dict]) -> None:
    stranger = SigningKey.generate()
    forged = signed({k: v for k, v in checkpoint(entries, 50).items() if k != "sig"}, stranger)
    report = verify_export(write(tmp_path / "x", entries, [forged]), workers=1)
    assert not report.ok and "bad signature" in report.reason


def test_a_truncated_tail_is_caught_with_an_earlier_checkpoint_as_witness(tmp_path: Path, entries: list[dict]) -> None:
    earlier = write(tmp_path / "earlier", entries, [checkpoint(entries, 50)])
    shortened = write(tmp_path / "later", entries[:45], [checkpoint(entries, 45)])
    assert verify_export(shortened, workers=1).ok  # consistent with itself…
    report = verify_export(shortened, witness=earlier / "checkpoints.jsonl", workers=1)
    assert not report.ok and "truncated" in report.reason and report.first_bad_seq == 46  # …but not with the witness


def test_an_entry_signed_with_an_unlisted_key_fails(tmp_path: Path, entries: list[dict]) -> None:
    other = SigningKey.generate()
    bad = list(entries)
    stray = {k: v for k, v in entries[2].items() if k != "sig"}
    stray["key_id"] = hashlib.sha256(bytes(other.verify_key)).hexdigest()[:16]
    bad[2] = signed(stray, other)
    report = verify_export(write(tmp_path / "x", bad, []), workers=1)
    assert not report.ok and report.first_bad_seq == 3 and "unknown key" in report.reason


def test_a_non_canonical_line_is_a_fault(export: Path) -> None:
    lines = (export / "entries.jsonl").read_bytes().splitlines(keepends=True)
    lines[0] = json.dumps(json.loads(lines[0]), indent=1).replace("\n", "").encode() + b"\n"
    (export / "entries.jsonl").write_bytes(b"".join(lines))
    report = verify_export(export, workers=1)
    assert not report.ok and report.first_bad_seq == 1 and "canonical" in report.reason


def test_a_missing_keys_file_is_a_clear_fault(export: Path) -> None:
    (export / "keys.json").unlink()
    report = verify_export(export, workers=1)
    assert not report.ok and "keys.json" in report.reason
