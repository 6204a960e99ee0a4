"""program day and redress day counters, a matches index and redress date indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


REDRESS_DAYS = """
INSERT INTO redress_days (day, metric, value)
SELECT received_on, 'received', count(*) FROM redress_facts GROUP BY received_on
UNION ALL
SELECT closed_on, m.metric, sum(m.value) FROM redress_facts,
  LATERAL (VALUES ('closed', 1), ('closed_days', closed_on - received_on),
                  ('closed_within', (closed_on <= due_on)::int)) AS m(metric, value)
WHERE closed_on IS NOT NULL GROUP BY closed_on, m.metric
"""


def upgrade() -> None:
    op.create_table(
        "program_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "program", "metric"),
    )
    # Reports read counters summed over partners; fill them from the counters kept so far.
    op.execute(
        "INSERT INTO program_days (day, program, metric, value) "
        "SELECT day, program, metric, sum(value) FROM daily_counts GROUP BY day, program, metric"
    )
    op.create_index(
        "ix_daily_counts_matches",
        "daily_counts",
        ["day", "program"],
        unique=False,
        postgresql_include=["partner", "value"],
        postgresql_where=sa.text("metric = 'matches'"),
    )
    op.create_table(
        "redress_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric"),
    )
    op.execute(REDRESS_DAYS)
    op.create_index("ix_redress_facts_received_on", "redress_facts", ["received_on"], unique=False)
    op.create_index("ix_redress_facts_closed_on", "redress_facts", ["closed_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_redress_facts_closed_on", table_name="redress_facts")
    op.drop_index("ix_redress_facts_received_on", table_name="redress_facts")
    op.drop_index("ix_daily_counts_matches", table_name="daily_counts", postgresql_where=sa.text("metric = 'matches'"))
    op.drop_table("redress_days")
    op.drop_table("program_days")
