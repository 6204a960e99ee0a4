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
