"""retention applied in reporting: the disposal report's counts, and stored reports deletable by retention only

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disposals",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "kind"),
    )
    # A stored report stays as published; only reporting's retention run, which says so for its own transaction
    # (SET LOCAL tracs.retention_disposal = 'on'), may delete one whose period has run out. UPDATE never.
    op.execute(
        "CREATE OR REPLACE FUNCTION stored_reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' AND current_setting('tracs.retention_disposal', true) = 'on' THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'stored reports are immutable (%)', TG_OP; END $$"
    )


def downgrade() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION stored_reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'stored reports are immutable (%)', TG_OP; END $$"
    )
    op.drop_table("disposals")
