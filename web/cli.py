"""The `archive` command line. Scripts and auditors depend on these names and outputs: keep them stable.

Commands that create something print its id. Every error is one line on stderr and a non-zero exit:
1 = the command ran and found a fault or refused the input; 2 = bad usage (click's own).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from application.accounts import actor_of
from application.authorisation import SYSTEM, Actor, Forbidden
from application.bootstrap import EXPECTED_ERRORS, Services, initialise, keep_private, migrate
from application.history import parse_moment
from domain.errors import InvalidValue
from domain.tokens import DEFAULT_DAYS, LONGEST_DAYS
from domain.users import Role
from domain.values import SecurityLevel

TRANSFER_NAMESPACE = uuid.UUID("6f1c3d4e-2a7b-5c8d-9e0f-a1b2c3d4e5f6")


class ArchiveGroup(click.Group):
    """Turns every expected failure into one readable line and exit 1 — never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the boundary: classify, print, exit
            if not _expected(error):
                raise
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)


def _expected(error: Exception) -> bool:
    return isinstance(error, EXPECTED_ERRORS)


def services(ctx: click.Context) -> Services:
    if ctx.obj is None:
        ctx.obj = Services.from_env()
        ctx.call_on_close(ctx.obj.close)
    return ctx.obj


def actor_option(func: Callable) -> Callable:
    return click.option("--as", "as_user", metavar="USERNAME", help="act as this user (default: the local operator)")(func)


def resolve_actor(svc: Services, username: str | None) -> Actor:
    if username is None:
        return SYSTEM
    user = svc.archive.find_user(username)
    if user is None or not user.enabled:
        raise Forbidden(f"no enabled user named {username!r}")
    return actor_of(user)


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        text()


@click.group(cls=ArchiveGroup)
@click.version_option(package_name="records-archive")
def main() -> None:
    """Event-sourced records archive (档案电子化归档). Data lives in ARCHIVE_HOME (default ./var)."""
    keep_private()  # before anything under ARCHIVE_HOME is made; `archive serve`'s workers inherit it


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create ARCHIVE_HOME, the signing key, the database schemas and the first administrator."""
    result = initialise()
    click.echo(f"archive home: {result.home}")
    click.echo(f"signing key: {result.key_id}")
    if result.admin_created:
        click.echo(f"first administrator: admin (password in {result.admin_password_file})")


@main.command(name="migrate")
def migrate_command() -> None:
    """Apply the read-model migrations (Alembic)."""
    migrate()
    click.echo("read models are at the latest schema")


# -- users ---------------------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="as the local operator; with --as, a system administrator gives none (the security officer does)",
)
@click.option("--clearance", default="public", show_default=True, help="公开/内部/秘密/机密/绝密 or public…top_secret")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
@actor_option
@click.pass_context
def user_add(
    ctx: click.Context, name: str, roles: tuple[str, ...], clearance: str, password_stdin: bool, as_user: str | None
) -> None:
    """Register a user; prints the user id. With --as an administrator the password is temporary: its holder
    replaces it at the first login. The password follows NIST SP 800-63B (15 characters or more, not a common one)."""
    password = sys.stdin.readline().rstrip("\r\n")
    svc = services(ctx)
    try:
        password_hash = svc.accounts.hash_new_password(password, name)
    except InvalidValue as refused:
        raise click.UsageError(str(refused)) from None
    actor = resolve_actor(svc, as_user)
    user_id = svc.archive.register_user(
        actor,
        username=name,
        roles=[Role(r) for r in roles],
        clearance=SecurityLevel.parse(clearance),
        password_hash=password_hash,
        temporary_password=not actor.is_system,
    )
    click.echo(str(user_id))


def _user_command(name: str, doc: str, *arguments: Callable) -> Callable:
    """`archive user NAME USERNAME …` run as --as USER (default the local operator), one named command each."""

    def register(func: Callable) -> Callable:
        command = actor_option(click.pass_context(func))
        for argument in reversed(arguments):
            command = argument(command)
        command = click.argument("username")(command)
        command.__doc__ = doc
        return user.command(name)(command)

    return register


_REASON = click.option("--reason", default=None, help="why (shown on the security auditor's page)")


@_user_command("grant", "Give USERNAME a role (the security officer's act).", click.argument("role", type=click.Choice([r.value for r in Role])), _REASON)
def user_grant(ctx: click.Context, username: str, role: str, reason: str | None, as_user: str | None) -> None:
    svc = services(ctx)
    svc.administration.grant_role(resolve_actor(svc, as_user), username, role, reason)
    click.echo(f"{username}: role {role} granted")


@_user_command("revoke", "Take a role from USERNAME (the security officer's act).", click.argument("role", type=click.Choice([r.value for r in Role])), _REASON)
def user_revoke(ctx: click.Context, username: str, role: str, reason: str | None, as_user: str | None) -> None:
    svc = services(ctx)
    svc.administration.revoke_role(resolve_actor(svc, as_user), username, role, reason)
    click.echo(f"{username}: role {role} revoked")


@_user_command("clearance", "Set USERNAME's clearance: 公开/内部/秘密/机密/绝密 (the security officer's act).", click.argument("level"), _REASON)
def user_clearance(ctx: click.Context, username: str, level: str, reason: str | None, as_user: str | None) -> None:
    svc = services(ctx)
    svc.administration.change_clearance(resolve_actor(svc, as_user), username, SecurityLevel.parse(level), reason)
    click.echo(f"{username}: clearance {SecurityLevel.parse(level).chinese}")


@_user_command("disable", "Disable USERNAME's account (the system administrator's act).", _REASON)
def user_disable(ctx: click.Context, username: str, reason: str | None, as_user: str | None) -> None:
    svc = services(ctx)
    svc.administration.disable(resolve_actor(svc, as_user), username, reason)
    click.echo(f"{username}: disabled")


@_user_command("enable", "Enable USERNAME's account again (the system administrator's act).")
def user_enable(ctx: click.Context, username: str, as_user: str | None) -> None:
    svc = services(ctx)
    svc.administration.enable(resolve_actor(svc, as_user), username)
    click.echo(f"{username}: enabled")


@_user_command(
    "reset-password",
    "Give USERNAME a temporary password read from standard input; they replace it at the next login.",
    _REASON,
)
def user_reset_password(ctx: click.Context, username: str, reason: str | None, as_user: str | None) -> None:
    svc = services(ctx)
    password_hash = svc.accounts.hash_new_password(sys.stdin.readline().rstrip("\r\n"), username)
    svc.administration.reset_password(resolve_actor(svc, as_user), username, password_hash, reason)
    click.echo(f"{username}: password reset; it must be changed at the next login")


# -- API tokens ----------------------------------------------------------------------------------------------


@main.group()
def token() -> None:
    """API bearer tokens (the account page issues and revokes them too)."""


@token.command("create")
@click.argument("username")
@click.option("--label", default="", help="what the token is for, shown beside it in lists")
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(1, LONGEST_DAYS), help="how long it lives")
@actor_option
@click.pass_context
def token_create(ctx: click.Context, username: str, label: str, days: int, as_user: str | None) -> None:
    """Issue a token for USERNAME; prints its id and the token (shown this once: only its SHA-256 is kept)."""
    svc = services(ctx)
    token_id, secret = svc.accounts.issue_token(resolve_actor(svc, as_user), username, label or "command line", days=days)
    click.echo(f"{token_id} {secret}")


@token.command("list")
@click.argument("username")
@actor_option
@click.pass_context
def token_list(ctx: click.Context, username: str, as_user: str | None) -> None:
    """The tokens USERNAME holds: id, expiry (UTC) and label, one a line."""
    svc = services(ctx)
    for t in svc.accounts.tokens(resolve_actor(svc, as_user), username):
        click.echo(f"{t.token_id} {'expired' if t.expired else 'expires'} {t.expires_at} {t.label}")


@token.command("revoke")
@click.argument("token_id")
@actor_option
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, as_user: str | None) -> None:
    """Revoke a token at once (every worker refuses it at its next request)."""
    svc = services(ctx)
    svc.accounts.revoke_token(resolve_actor(svc, as_user), token_id)
    click.echo(f"{token_id} revoked")


# -- keys ------------------------------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Signing keys."""


@keys.command("rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Make a new signing key; old keys stay listed so their signatures still verify. Prints the new key id."""
    svc = services(ctx)
    svc.ledger.checkpoint()  # seal everything signed with the old key first
    click.echo(svc.keyring.rotate())


@keys.command("list")
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """Print the public keys (the keys.json of an export)."""
    click.echo(json.dumps({"keys": services(ctx).keyring.public_keys()}, indent=2))


# -- the ledger --------------------------------------------------------------------------------------------------


@main.group()
def ledger() -> None:
    """The signed Merkle ledger (RFC 9162)."""


@ledger.command("checkpoint")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def ledger_checkpoint(ctx: click.Context, as_json: bool) -> None:
    """Seal pending events and sign a checkpoint (tree head)."""
    head = services(ctx).ledger.checkpoint()
    emit(head, as_json, lambda: click.echo(f"size {head['size']} root {head['root']} at {head['timestamp']}"))


@ledger.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def ledger_export(ctx: click.Context, directory: Path) -> None:
    """Write entries.jsonl, checkpoints.jsonl and keys.json for an offline audit."""
    svc = services(ctx)
    with click.progressbar(length=svc.ledger.size() + svc.ledger.pending(), label="exporting", file=sys.stderr) as bar:
        head = svc.ledger.export(directory, progress=bar.update)
    click.echo(f"exported {head['size']} entries to {directory} (root {head['root']})")


@ledger.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--witness",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="checkpoints kept elsewhere (an earlier export's checkpoints.jsonl, the witness folder)",
)
@click.option("--json", "as_json", is_flag=True)
def ledger_verify(directory: Path, witness: Path | None, as_json: bool) -> None:
    """Verify an export offline: signatures, hashes, roots, checkpoint consistency. Exit 0 only if all verify."""
    state = {"bar": None}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label="verifying", file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)

    report = Services.verify_export(directory, witness=witness, progress=None if as_json else progress)
    if state["bar"] is not None:
        state["bar"].__exit__(None, None, None)
    data = {
        "ok": report.ok,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "first_bad_seq": report.first_bad_seq,
        "reason": report.reason,
        "root": report.root,
    }
    emit(
        data,
        as_json,
        lambda: click.echo(
            f"OK: {report.entries} entries, {report.checkpoints} checkpoints, root {report.root}"
            if report.ok
            else f"FAILED at seq {report.first_bad_seq}: {report.reason}"
        ),
    )
    sys.exit(0 if report.ok else 1)


@ledger.command("audit")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def ledger_audit(ctx: click.Context, as_json: bool) -> None:
    """Compare the live event store with its ledger: changed, missing, extra or reordered events."""
    report = services(ctx).audit()
    data = {
        "ok": report.ok,
        "events": report.events,
        "sealed": report.sealed,
        "snapshots": report.snapshots,
        "findings": [f.as_json() for f in report.findings],
    }

    def text() -> None:
        for finding in report.findings:
            where = (
                f"seq {finding.seq}" if finding.seq else (f"{finding.stream} v{finding.version}" if finding.stream else "ledger")
            )
            click.echo(f"{finding.kind.upper()}: {where}: {finding.detail}")
        click.echo(
            ("OK" if report.ok else "FAILED") + f": {report.events} events, {report.sealed} sealed, {report.snapshots} snapshots"
        )

    emit(data, as_json, text)
    sys.exit(0 if report.ok else 1)


# -- history and time travel ------------------------------------------------------------------------------------


@main.command()
@click.argument("record_id", type=click.UUID)
@click.option("--json", "as_json", is_flag=True)
@actor_option
@click.pass_context
def history(ctx: click.Context, record_id: uuid.UUID, as_json: bool, as_user: str | None) -> None:
    """The events of a record (or, as the local operator, of any aggregate): version, type, time, actor, signature
    and ledger status. With --as, what that user may see: events of a past above their clearance keep no content."""
    svc = services(ctx)
    items = svc.history.events(record_id) if as_user is None else svc.desk.timeline(resolve_actor(svc, as_user), record_id)

    def text() -> None:
        for item in items:
            sealed = f"seq {item.seq}" if item.seq else "not sealed yet"
            reason = f"  reason: {item.reason}" if item.reason else ""
            click.echo(f"v{item.version:<3} {item.at:32} {item.type:28} {item.actor:36} {item.signature:8} {sealed}{reason}")

    emit([i.as_json() for i in items], as_json, text)
    if any(i.signature != "valid" for i in items):
        sys.exit(1)


@main.command()
@click.argument("record_id", type=click.UUID)
@click.option("--version", "version", type=click.IntRange(min=1), help="state after this version")
@click.option("--as-of", "as_of", metavar="TIME", help="state at this moment (ISO 8601; a date means its end, UTC)")
@click.option("--json", "as_json", is_flag=True)
@actor_option
@click.pass_context
def show(
    ctx: click.Context, record_id: uuid.UUID, version: int | None, as_of: str | None, as_json: bool, as_user: str | None
) -> None:
    """A record's state now, after a version, or as of a moment (with --as: graded as for that user, DESIGN §6)."""
    if version and as_of:
        raise click.UsageError("give --version or --as-of, not both")
    svc, moment = services(ctx), parse_moment(as_of) if as_of else None
    state = svc.history.state(record_id, version=version, as_of=moment) if as_user is None else _shown_as(svc, as_user, record_id, version, moment)
    emit(state, as_json, lambda: [click.echo(f"{k:16} {json.dumps(v, ensure_ascii=False)}") for k, v in state.items()])


@main.command()
@click.argument("record_id", type=click.UUID)
@click.option("--from", "first", type=click.IntRange(min=1), required=True, help="the earlier version")
@click.option("--to", "second", type=click.IntRange(min=1), required=True, help="the later version")
@click.option("--json", "as_json", is_flag=True)
@actor_option
@click.pass_context
def diff(ctx: click.Context, record_id: uuid.UUID, first: int, second: int, as_json: bool, as_user: str | None) -> None:
    """What changed between two versions of a record: field, old, new, who, when, why."""
    svc = services(ctx)
    if as_user is None:
        changes = svc.history.diff(record_id, first, second)
    else:
        changes = svc.desk.diff(resolve_actor(svc, as_user), record_id, first, second)

    def text() -> None:
        for c in changes:
            why = f"  ({c.reason})" if c.reason else ""
            click.echo(
                f"v{c.version} {c.at} {c.actor} {c.type}: {c.field}: "
                f"{json.dumps(c.old, ensure_ascii=False)} -> {json.dumps(c.new, ensure_ascii=False)}{why}"
            )

    emit([c.as_json() for c in changes], as_json, text)


def _shown_as(svc: Services, username: str, record_id: uuid.UUID, version: int | None, moment: Any) -> dict[str, Any]:
    actor = resolve_actor(svc, username)
    if moment is not None:
        return svc.desk.state_as_of(actor, record_id, moment)
    return svc.desk.state_at(actor, record_id, version)  # None: as it stands now


# -- read models ------------------------------------------------------------------------------------------------

PROJECTIONS = ("catalogue", "search", "logs", "administration")


@main.command()
@click.argument("which", type=click.Choice([*PROJECTIONS, "all"]), default="all")
@click.pass_context
def rebuild(ctx: click.Context, which: str) -> None:
    """Rebuild read models from the event store, in batches."""
    svc = services(ctx)
    names = [p.name for p in svc.projections.projections] if which == "all" else [which]
    with click.progressbar(
        length=svc.archive.recorder.max_notification_id() or 0,
        label=f"rebuilding {', '.join(names)}",
        file=sys.stderr,
    ) as bar:
        count = svc.projections.rebuild(names, progress=bar.update)
    click.echo(f"rebuilt {', '.join(names)} from {count} events")


CSV_COLUMNS = (
    "code",
    "title",
    "state",
    "fonds",
    "category",
    "year",
    "org",
    "item",
    "retention",
    "security",
    "date",
    "doc_number",
    "responsible",
    "page_count",
    "ocr_status",
    "storage_status",
    "record_id",
    "version",
    "updated_at",
)


@main.command(name="catalogue")
@click.option("--as-of", "as_of", metavar="TIME", help="the catalogue as it stood then (ISO 8601; a date means its end, UTC)")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True, help="CSV file to write"
)
@actor_option
@click.pass_context
def catalogue_command(ctx: click.Context, as_of: str | None, out: Path, as_user: str | None) -> None:
    """Write the catalogue (now, or as of a past moment) as UTF-8 CSV."""
    svc = services(ctx)
    actor = resolve_actor(svc, as_user)
    if as_of:
        moment = parse_moment(as_of)
        with click.progressbar(length=svc.archive.recorder.max_notification_id() or 0, label="replaying", file=sys.stderr) as bar:
            rows = svc.catalogue.as_of(actor, moment, progress=bar.update)
    else:
        svc.catalogue.refresh()
        rows = svc.catalogue.everything(actor)
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: spreadsheet programs then read Chinese right
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    click.echo(f"{len(rows)} records written to {out}")


# -- schemes and transfers ------------------------------------------------------------------------------------------


@main.group()
def scheme() -> None:
    """Archiving schemes (归档方案), one per fonds."""


@scheme.command("define")
@click.argument("fonds")
@click.argument("name")
@actor_option
@click.pass_context
def scheme_define(ctx: click.Context, fonds: str, name: str, as_user: str | None) -> None:
    """Define the archiving scheme of a fonds (全宗) with the standard categories; prints its id."""
    svc = services(ctx)
    click.echo(str(svc.archive.define_scheme(resolve_actor(svc, as_user), fonds=fonds, fonds_name=name)))


@scheme.command("double-appraisal")
@click.argument("fonds")
@click.argument("setting", type=click.Choice(["on", "off"]))
@actor_option
@click.pass_context
def scheme_double_appraisal(ctx: click.Context, fonds: str, setting: str, as_user: str | None) -> None:
    """Whether an appraisal in this fonds needs two appraisers (DESIGN §6, separation of duties): with `on`, a first
    appraiser's appraisal is a proposal that takes effect when a different appraiser gives the same values."""
    svc = services(ctx)
    actor = resolve_actor(svc, as_user)
    required = setting == "on"
    svc.archive.edit_scheme(actor, fonds.upper(), lambda s: s.set_double_appraisal(required, actor=actor.id))
    click.echo(f"double appraisal {setting} for fonds {fonds.upper()}")


@main.group()
def transfer() -> None:
    """Hand-overs from departments (移交)."""


@transfer.command("import")
@click.argument("listing", type=click.File("rb"))
@click.option("--department", required=True, help="the department handing the records over")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 5000), help="records per transaction")
@actor_option
@click.pass_context
def transfer_import(ctx: click.Context, listing: io.BufferedReader, department: str, batch: int, as_user: str | None) -> None:
    """Register a transfer from its hand-over list (UTF-8 CSV with `item` and `title` columns, optionally `security`
    or `密级` as the department marked each record; other columns become metadata) and collect its records. Prints the transfer id, then each record id once it is stored.
    Running it again with the same list resumes where it stopped."""
    raw = listing.read()
    rows = _listing_rows(raw, department)
    svc = services(ctx)
    actor = resolve_actor(svc, as_user)
    transfer_id = uuid.uuid5(TRANSFER_NAMESPACE, department + "\0" + hashlib.sha256(raw).hexdigest())
    if not svc.archive.exists(transfer_id):
        svc.archive.register_transfer(actor, department=department, expected=[r[0] for r in rows], transfer_id=transfer_id)
    click.echo(str(transfer_id))
    for start in range(0, len(rows), batch):
        items = [(item, uuid.uuid5(transfer_id, item), fields) for item, fields in rows[start : start + batch]]
        for record_id in svc.archive.receive_batch(actor, transfer_id, items):
            click.echo(str(record_id))
        sys.stdout.flush()


# The column of a hand-over list that carries the 密级 the department marked (it grades the record from intake).
LEVEL_COLUMNS = ("security", "密级")


def _listing_rows(raw: bytes, department: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.UsageError(f"the list is not UTF-8 (byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"item", "title"} <= set(reader.fieldnames):
        raise click.UsageError("the list needs a header with at least the columns item and title")
    rows, seen = [], set()
    for number, row in enumerate(reader, start=2):
        item, title = (row.get("item") or "").strip(), (row.get("title") or "").strip()
        if not item or not title:
            raise click.UsageError(f"line {number}: item and title must not be empty")
        if item in seen:
            raise click.UsageError(f"line {number}: item {item!r} appears twice")
        seen.add(item)
        metadata = {k: v for k, v in row.items() if k not in ("item", "title", *LEVEL_COLUMNS) and k and v}
        declared = next((row[c].strip() for c in LEVEL_COLUMNS if (row.get(c) or "").strip()), "公开")
        try:
            level = SecurityLevel.parse(declared)
        except InvalidValue as error:
            raise click.UsageError(f"line {number}: {error}") from None
        rows.append((item, {"title": title, "source": department, "metadata": metadata, "security": level}))
    if not rows:
        raise click.UsageError("the list has no rows")
    return rows


@main.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--manifest",
    "manifest_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="UTF-8 CSV: title, category, fonds, year, org, retention, security, date, pages (files separated by ;)",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per row on standard output")
@actor_option
@click.pass_context
def import_command(ctx: click.Context, folder: Path, manifest_path: Path, as_json: bool, as_user: str | None) -> None:
    """Import scanned records: register, catalogue, appraise, scan, process and quality-check each manifest row.
    A bad row is reported and skipped; running the same manifest again resumes. Exit 1 if any row failed."""
    from application.manifest import read_manifest

    rows = read_manifest(manifest_path.read_bytes())
    svc = services(ctx)
    actor = resolve_actor(svc, as_user)
    root = folder.resolve()
    errors = 0
    with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
        for outcome in svc.manifest_import.run(actor, rows, lambda name: _read_inside(root, name)):
            errors += outcome.outcome == "error"
            _report_row(outcome.as_dict(), as_json)
            bar.update(1)
    if errors:
        click.echo(f"{errors} of {len(rows)} row(s) failed; fix them and run the same command again", err=True)
        ctx.exit(1)


def _read_inside(root: Path, name: str) -> bytes:
    """A manifest's page file, which must lie inside the import folder (no ../, no links out of it)."""
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise InvalidValue(f"page file {name!r} lies outside the import folder")
    if not path.is_file():
        raise InvalidValue(f"page file {name!r} is not in the import folder")
    return path.read_bytes()


def _report_row(outcome: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
    elif outcome["outcome"] == "error":
        click.echo(f"row {outcome['row']}: error: {outcome['error']}")
    else:
        qc = f", QC {outcome['qc']}" if outcome.get("qc") else ""  # none for a row awaiting its second appraiser
        reasons = "; ".join(f"page {no}: {', '.join(r)}" for no, r in outcome.get("failures", {}).items())
        click.echo(
            f"row {outcome['row']}: {outcome['record_id']} {outcome['outcome']}{qc}" + (f" ({reasons})" if reasons else "")
        )
    sys.stdout.flush()


@main.group()
def qc() -> None:
    """Quality checks of scanned pages (DA/T 31-2017)."""


@qc.command("override")
@click.argument("record_id", type=click.UUID)
@click.option("--reason", required=True, help="why the failed check is accepted (recorded)")
@actor_option
@click.pass_context
def qc_override(ctx: click.Context, record_id: uuid.UUID, reason: str, as_user: str | None) -> None:
    """Pass a record whose automatic QC failed, with a reason (not by the one who scanned it)."""
    svc = services(ctx)
    svc.digitisation.override(resolve_actor(svc, as_user), record_id, reason)
    click.echo(str(record_id))


@qc.command("rework")
@click.argument("record_id", type=click.UUID)
@click.option("--pages", default="", help="page numbers to rescan, e.g. 2,5 (default: every failed page)")
@click.option("--reason", default=None)
@actor_option
@click.pass_context
def qc_rework(ctx: click.Context, record_id: uuid.UUID, pages: str, reason: str | None, as_user: str | None) -> None:
    """Send failed pages back for rescanning."""
    svc = services(ctx)
    try:
        numbers = [int(p) for p in pages.replace(" ", "").split(",") if p]
    except ValueError:
        raise click.UsageError(f"--pages takes page numbers separated by commas, not {pages!r}") from None
    chosen = svc.digitisation.rework(resolve_actor(svc, as_user), record_id, numbers or None, reason=reason)
    click.echo(f"{record_id} pages {', '.join(map(str, chosen))} to rescan")


@main.command()
@click.argument("record_id", type=click.UUID)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@click.pass_context
def scan(ctx: click.Context, record_id: uuid.UUID, files: tuple[Path, ...], as_user: str | None) -> None:
    """Upload page images for a record (in rework: the replacements, in page order), then process and check them."""
    from application.digitisation import Upload

    svc = services(ctx)
    actor = resolve_actor(svc, as_user)
    svc.digitisation.scan(actor, record_id, [Upload(f.name, f.read_bytes()) for f in files])
    svc.digitisation.process(actor, record_id)
    failures = svc.digitisation.check(record_id)
    click.echo(f"{record_id} QC " + ("failed: " + json.dumps(failures, ensure_ascii=False) if failures else "passed"))


@main.command()
@click.argument("record_id", type=click.UUID)
@actor_option
@click.pass_context
def ocr(ctx: click.Context, record_id: uuid.UUID, as_user: str | None) -> None:
    """Recognise the text of a record's pages (Chinese and English, offline); the text feeds search."""
    svc = services(ctx)
    text = svc.digitisation.recognise(resolve_actor(svc, as_user), record_id)
    click.echo(f"{record_id} {len(text.replace(chr(12), ''))} characters recognised")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1, 64), help="worker processes (default: one per core)")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 256), help="threads per worker")
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the web UI and the JSON API."""
    from web.server import serve as run

    run(host, port, workers, threads)


if __name__ == "__main__":
    main()
