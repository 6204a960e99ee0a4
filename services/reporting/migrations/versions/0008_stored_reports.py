"""automated reports stored as generated, immutable; every iteration of a bulletin kept

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_reports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("generated_by", sa.Text(), nullable=False),
        sa.Column("json", sa.LargeBinary(), nullable=False),
        sa.Column("csv", sa.LargeBinary(), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ux_stored_reports_period", "stored_reports", ["kind", "period_start", "period_end"], unique=True)
    # Stored means as published: no statement may change or remove one (retention of stored reports would
    # drop this trigger's protection only through a migration of its own).
    op.execute(
        "CREATE FUNCTION stored_reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'stored reports are immutable (%)', TG_OP; END $$"
    )
    op.execute(
        "CREATE TRIGGER stored_reports_immutable BEFORE UPDATE OR DELETE ON stored_reports "
        "FOR EACH ROW EXECUTE FUNCTION stored_reports_immutable()"
    )

    op.add_column("bulletins", sa.Column("sent_by", sa.Text()))
    op.add_column("bulletins", sa.Column("approved_by", sa.Text()))
    op.create_table(
        "bulletin_iterations",
        sa.Column("bulletin_id", sa.Uuid(), sa.ForeignKey("bulletins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("iteration", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("case_summary", sa.Text(), nullable=False),
        sa.Column("services_provided", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("written_by", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("bulletin_id", "iteration"),
    )
    # A bulletin written before this revision starts its history with its text as it stands.
    op.execute(
        "INSERT INTO bulletin_iterations (bulletin_id, iteration, title, description, case_summary, "
        "services_provided, outcome, written_by, written_at) SELECT id, 1, title, description, case_summary, "
        "services_provided, outcome, updated_by, updated_at FROM bulletins"
    )


def downgrade() -> None:
    op.drop_table("bulletin_iterations")
    op.drop_column("bulletins", "approved_by")
    op.drop_column("bulletins", "sent_by")
    op.execute("DROP TRIGGER stored_reports_immutable ON stored_reports")
    op.execute("DROP FUNCTION stored_reports_immutable()")
    op.drop_table("stored_reports")
