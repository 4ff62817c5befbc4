"""Tables of the Merkle ledger (created by the Alembic migrations in alembic/versions)."""

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, SmallInteger, String, Table

metadata = MetaData()

# One row per sealed event; the canonical entry (DESIGN §4) is rebuilt from these columns.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("notification_id", BigInteger, nullable=False, unique=True),
    Column("stream", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(200), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("payload_sha256", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("sig", String(88), nullable=False),
    Index("ix_ledger_entries_stream_version", "stream", "version", unique=True),
)

# Perfect subtrees of the RFC 9162 tree: level 0 holds leaf hashes, level k the hash over 2**k leaves starting at
# idx * 2**k. About 2n rows for n entries; any root or audit path needs O(log n) of them.
ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("log_id", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("sig", String(88), nullable=False),
)

# Every projection's position in the notification log, written in the same transaction as its rows.
projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
