"""Alembic per service, driven from code: `upgrade` for start-up and `tracs migrate`, `run_env` for env.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# Replicas of one service starting together take turns migrating.
MIGRATION_LOCK_KEY = 0x7472_6163_7301


def alembic_config(url: str, migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, migrations_dir: Path, revision: str = "head") -> None:
    command.upgrade(alembic_config(url, migrations_dir), revision)


def outbox_pending_upgrade() -> None:
    """Every service's outbox moves to a narrow pending table (bulk path v2): publishing deletes a 16-byte row
    instead of rewriting the outbox row and its body; bodies are stored out of line but not compressed
    (pglz cost more CPU than the disk it saved). Called by each service's migration of that name."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "outbox_pending",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO outbox_pending (id, created_at) SELECT id, created_at FROM outbox WHERE published_at IS NULL"
    )
    op.drop_index("ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL"))
    op.drop_column("outbox", "published_at")
    op.execute("ALTER TABLE outbox ALTER COLUMN body SET STORAGE EXTERNAL")


def outbox_pending_downgrade() -> None:
    import sqlalchemy as sa
    from alembic import op

    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET published_at = now() WHERE id NOT IN (SELECT id FROM outbox_pending)")
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["id"], unique=False, postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox_pending")
    op.execute("ALTER TABLE outbox ALTER COLUMN body SET STORAGE EXTENDED")


def make_revision(url: str, migrations_dir: Path, message: str, rev_id: str) -> None:
    command.revision(alembic_config(url, migrations_dir), message=message, autogenerate=True, rev_id=rev_id)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode, asyncpg, under an advisory lock)."""
    url = context.config.get_main_option("sqlalchemy.url")

    def migrate(connection) -> None:  # type: ignore[no-untyped-def]
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(run())


def create_hold_table() -> None:
    """Cases' legal holds as another service keeps them (`shared.disposal.hold_table`); called by each service's
    retention migration."""
    import sqlalchemy as sa
    from alembic import op
    from sqlalchemy.dialects import postgresql

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("case_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("encounter_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.Text(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
