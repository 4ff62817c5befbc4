"""The `archive` command line as operators and auditors use it: stable names, ids printed, clear errors."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import UTC, datetime

import pytest

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.records import Record
from tests.integration import scenario
from tests.integration.clirunner import archive


@pytest.fixture
def home(settings):  # type: ignore[no-untyped-def]
    outcome = archive("init")
    assert outcome.code == 0, outcome.err
    return settings


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_init_creates_a_private_signing_key_and_a_first_administrator(home) -> None:
    keys_dir = home.keys_dir
    seeds = list(keys_dir.glob("*.ed25519"))
    assert len(seeds) == 1
    assert stat.S_IMODE(os.stat(seeds[0]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys_dir).st_mode) == 0o700
    password_file = home.home / "initial-admin-password"
    assert stat.S_IMODE(os.stat(password_file).st_mode) == 0o600
    again = archive("init")  # idempotent: no second admin, same key
    assert again.code == 0 and "first administrator" not in again.out
    assert list(keys_dir.glob("*.ed25519")) == seeds


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_user_add_prints_the_new_id_and_refuses_bad_input_with_a_message(home) -> None:
    added = archive(
        "user",
        "add",
        "zhang.san",
        "--role",
        "archivist",
        "--clearance",
        "机密",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert added.code == 0 and len(added.out.strip()) == 36
    twice = archive("user", "add", "Zhang.San", "--role", "reader", "--password-stdin", stdin="another password 1\n")
    assert twice.code == 1 and "already exists" in twice.err and "Traceback" not in twice.err
    short = archive("user", "add", "li.si", "--role", "reader", "--password-stdin", stdin="short\n")
    assert short.code == 2 and "at least 15 characters" in short.err
    bad_level = archive(
        "user", "add", "li.si", "--role", "reader", "--clearance", "ultra", "--password-stdin", stdin="a long enough pass phrase\n"
    )
    assert bad_level.code == 1 and "unknown security level" in bad_level.err


def test_history_lists_every_event_with_actor_signature_and_ledger_position(home) -> None:
    services = Services(home)
    try:
        story = scenario.build(services, records=1)
        services.ledger.checkpoint()
        record = story.records[0]
        outcome = archive("history", str(record), "--json")
        assert outcome.code == 0, outcome.err
        items = outcome.json()
        assert [i["type"] for i in items] == ["Record.Collected", "Record.Catalogued", "Record.Reviewed", "Record.Appraised"]
        assert all(i["signature"] == "valid" and i["seq"] for i in items)
        assert items[3]["actor"] == story.appraiser.id
        assert items[1]["fields"]["code"] == "Z109-WS·2011-D30-BGS-0001"
        text = archive("history", str(record))
        assert "Record.Appraised" in text.out and "seq" in text.out
    finally:
        services.close()


def test_show_travels_to_any_version_or_moment(home) -> None:
    services = Services(home)
    try:
        story = scenario.build(services, records=1)
        record = story.records[0]
        before_appraisal = datetime.now(UTC)
        time.sleep(0.01)
        services.archive.annotate(story.archivist, record, {"responsible": "办公室"})
        now = archive("show", str(record), "--json").json()
        assert now["state"] == "appraised" and now["metadata"]["responsible"] == "办公室"
        v2 = archive("show", str(record), "--version", "2", "--json").json()
        assert v2["state"] == "catalogued" and v2["code"] == "Z109-WS·2011-D30-BGS-0001" and v2["version"] == 2
        then = archive("show", str(record), "--as-of", before_appraisal.isoformat(), "--json").json()
        assert then["version"] == 4 and "responsible" not in then["metadata"]
        beyond = archive("show", str(record), "--version", "99")
        assert beyond.code == 1 and "has only 5 versions" in beyond.err
        too_early = archive("show", str(record), "--as-of", "2001-01-01")
        assert too_early.code == 1 and "did not exist yet" in too_early.err
        nonsense = archive("show", str(record), "--as-of", "yesterday-ish")
        assert nonsense.code == 1 and "ISO 8601" in nonsense.err
        both = archive("show", str(record), "--version", "1", "--as-of", "2026-01-01")
        assert both.code == 2
    finally:
        services.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unknown_records_and_malformed_ids_are_clear_errors(home) -> None:
    missing = archive("show", "00000000-0000-0000-0000-000000000000")
    assert missing.code == 1 and "nothing is recorded" in missing.err
    malformed = archive("history", "not-a-uuid")
    assert malformed.code == 2 and "UUID" in malformed.err


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_rotated_keys_keep_old_signatures_verifiable(home, tmp_path) -> None:
    services = Services(home)
    try:
        scenario.build(services, records=1)
    finally:
        services.close()
    old = json.loads(archive("keys", "list").out)["keys"]
    rotated = archive("keys", "rotate")
    assert rotated.code == 0 and rotated.out.strip() not in {k["key_id"] for k in old}
    services = Services(home)
    try:
        record_id = services.archive.collect(SYSTEM, title="轮换后的记录", source="办公室")
        assert services.archive.load(Record, record_id).title == "轮换后的记录"
    finally:
        services.close()
    assert archive("ledger", "export", str(tmp_path / "x")).code == 0
    keys = json.loads((tmp_path / "x" / "keys.json").read_text())["keys"]
    assert len(keys) == 2
    entries = [json.loads(line) for line in (tmp_path / "x" / "entries.jsonl").read_text().splitlines()]
    assert {e["key_id"] for e in entries} == {k["key_id"] for k in keys}
    verified = archive("ledger", "verify", str(tmp_path / "x"))
    assert verified.code == 0, verified.out + verified.err
    assert archive("ledger", "audit").code == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_signing_key_from_the_environment_is_used_and_registered(settings, monkeypatch) -> None:
    import base64

    seed = base64.b64encode(bytes(range(32))).decode()
    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", seed)
    assert archive("init").code == 0
    head = archive("ledger", "checkpoint", "--json").json()
    listed = json.loads(archive("keys", "list").out)["keys"]
    assert [k["key_id"] for k in listed] == [head["key_id"]]
    assert not list(settings.keys_dir.glob("*.ed25519"))  # the secret stays in the environment
    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", "not base64!")
    broken = archive("ledger", "checkpoint")
    assert broken.code == 1 and "base64" in broken.err


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_api_token_is_issued_listed_and_revoked_from_the_command_line(home) -> None:
    from web.app import create_app

    archive("user", "add", "zhang.san", "--role", "archivist", "--password-stdin", stdin="correct horse battery\n")
    issued = archive("token", "create", "zhang.san", "--label", "nightly export")
    assert issued.code == 0, issued.err
    token_id, secret = issued.out.split()
    listed = archive("token", "list", "zhang.san").out.split()  # id, whether it expired, when (UTC), label
    assert listed[:2] + listed[3:] == [token_id, "expires", "nightly", "export"] and listed[2] > "2026"

    services = Services(home)
    try:
        client = create_app(services).test_client()
        bearer = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/queues", headers=bearer).status_code == 200
        revoked = archive("token", "revoke", token_id)
        assert revoked.code == 0 and token_id in revoked.out
        assert client.get("/api/v1/queues", headers=bearer).status_code == 401  # refused at the next request
    finally:
        services.close()
    assert archive("token", "list", "zhang.san").out == ""
    unknown = archive("token", "create", "nobody")
    assert unknown.code == 1 and "no user nobody" in unknown.err and "Traceback" not in unknown.err
    again = archive("token", "revoke", "not-a-token-id")
    assert again.code == 1 and "no token" in again.err
